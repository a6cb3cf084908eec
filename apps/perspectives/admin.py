from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.perspectives.models import Article, Authorship, Sequence, SequenceItem, Version


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 1
    raw_id_fields = ["user"]
    ordering = ["position"]


class VersionInline(admin.TabularInline):
    # Versions are immutable: shown for reference, never edited here.
    model = Version
    extra = 0
    can_delete = False
    fields = ["number", "published_at", "changelog", "reading_minutes"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "kind", "status", "latest_version", "updated_at"]
    list_filter = ["kind", "status", "tags"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["tags"]
    readonly_fields = ["latest_version", "created_at", "updated_at"]
    inlines = [AuthorshipInline, VersionInline]


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "published_at", "changelog"]
    list_filter = ["published_at"]
    search_fields = ["article__title", "changelog"]
    list_select_related = ["article"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Version._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # publish through article_publish so numbering and caching stay right

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None  # lists and views only


class SequenceItemInline(admin.TabularInline):
    model = SequenceItem
    extra = 1
    raw_id_fields = ["article"]
    ordering = ["position"]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "position"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SequenceItemInline]
