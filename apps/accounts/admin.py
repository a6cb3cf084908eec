from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.models import User


@admin.register(User)
class MemberAdmin(UserAdmin):
    """Django's user admin plus the public profile fields; roles are the groups."""

    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Public profile", {"fields": ("display_name", "affiliation", "orcid", "bio", "links")}),
    )
    list_display = ("username", "display_name", "email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("username", "display_name", "email", "affiliation", "orcid")
