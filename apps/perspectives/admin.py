from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.perspectives.indexing import article_index
from apps.perspectives.models import Article, Authorship, Sequence, SequenceItem, Version
from apps.perspectives.services import article_publish


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
    readonly_fields = ["number", "published_at", "changelog", "reading_minutes"]
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
    actions = ["publish_new_version"]

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        article_index(obj)  # a status set here publishes or withdraws it; pages: apps/core/apps.py

    @admin.action(description="Publish the current body as a new version")
    def publish_new_version(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            latest = article.latest_version
            if latest is not None and (latest.body, latest.bibliography) == (article.body, article.bibliography):
                self.message_user(request, f"{article}: nothing changed since version {latest.number}.", messages.INFO)
                continue
            try:
                version = article_publish(article=article, changelog="Published from the admin", by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{article}: {'; '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{article}: published version {version.number}.", messages.SUCCESS)


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
