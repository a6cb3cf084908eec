from __future__ import annotations

from django.contrib import admin

from apps.forum.models import (
    Category,
    Flag,
    ForumProfile,
    ModerationLog,
    Notification,
    Post,
    PostRevision,
    Suspension,
    Thread,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    ordering = ["position"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "author", "post_count", "last_activity", "is_pinned", "is_locked", "is_hidden"]
    list_filter = ["category", "is_pinned", "is_locked", "is_hidden", "is_question"]
    search_fields = ["title"]
    raw_id_fields = ["author", "accepted_post", "merged_into"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["pk", "thread", "author", "created", "score", "is_deleted", "is_hidden"]
    list_filter = ["is_deleted", "is_hidden"]
    raw_id_fields = ["thread", "author", "reply_to"]
    readonly_fields = ["html"]


@admin.register(PostRevision)
class PostRevisionAdmin(admin.ModelAdmin):
    list_display = ["post", "edited_at", "edited_by"]
    raw_id_fields = ["post", "edited_by"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "user", "reason", "created", "resolution"]
    list_filter = ["reason", "resolution"]
    raw_id_fields = ["post", "user", "resolved_by"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "thread", "post", "actor"]


@admin.register(ForumProfile)
class ForumProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "granted_trust_level"]
    raw_id_fields = ["user"]


@admin.register(Suspension)
class SuspensionAdmin(admin.ModelAdmin):
    list_display = ["user", "until", "by", "created", "lifted_at"]
    raw_id_fields = ["user", "by"]


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is written by the services, never by hand."""

    list_display = ["created", "actor", "action", "target_repr"]
    list_filter = ["action"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
