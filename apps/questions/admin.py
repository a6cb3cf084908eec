from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.services import source_render
from apps.questions.indexing import question_index
from apps.questions.models import ProgressEntry, Question


class ProgressInline(admin.TabularInline):
    model = ProgressEntry
    extra = 1
    fields = ["date", "who", "summary", "link", "reported_by", "from_site"]
    raw_id_fields = ["reported_by"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "status", "updated_at"]
    list_display_links = ["number", "title"]
    list_filter = ["status", "tags"]
    search_fields = ["title", "statement", "discussion"]
    filter_horizontal = ["tags", "articles", "sequences"]
    raw_id_fields = ["followers"]
    readonly_fields = ["rendered_html", "created_at", "updated_at"]
    inlines = [ProgressInline]

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        # The staff member saving it asked for any runs its figures need.
        obj.rendered_html = source_render(source=obj.discussion, requester=request.user).html
        super().save_model(request, obj, form, change)
        question_index(obj)  # the admin's change log makes every cached page stale (apps/core/apps.py)


@admin.register(ProgressEntry)
class ProgressEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "date", "who", "from_site"]
    list_filter = ["from_site", "date"]
    search_fields = ["who", "summary", "question__title"]
    list_select_related = ["question"]
    raw_id_fields = ["reported_by"]
