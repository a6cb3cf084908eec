from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.models import Page, Tag
from apps.core.services import source_render


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    search_fields = ["title", "slug", "body"]
    readonly_fields = ["rendered_html", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Page, form: Any, change: bool) -> None:
        # The staff member saving it asked for any runs its figures need.
        obj.rendered_html = source_render(source=obj.body, requester=request.user).html
        super().save_model(request, obj, form, change)
