"""Admin views for inspecting submissions; state changes belong to the services, so the state is read-only here."""

from __future__ import annotations

from django.contrib import admin

from apps.submissions.models import Assignment, AuthorExperiment, Review, Submission, Transition


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    can_delete = False
    readonly_fields = ("actor", "from_state", "to_state", "note", "at")

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ("reviewer", "assigned_by")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "state", "updated_at")
    list_filter = ("state", "kind")
    search_fields = ("title", "owner__username")
    readonly_fields = ("state", "article", "created_at", "updated_at")
    raw_id_fields = ("owner",)
    filter_horizontal = ("coauthors", "tags")
    inlines = [AssignmentInline, TransitionInline]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("submission", "reviewer", "recommendation", "visibility", "created_at")
    list_filter = ("recommendation", "visibility")


@admin.register(AuthorExperiment)
class AuthorExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "submission", "sha256", "approved_hash", "approved_by")
    # Approval goes through author_experiment_approve (which checks the hash the editor read).
    readonly_fields = ("sha256", "approved_hash", "approved_by", "approved_at")
