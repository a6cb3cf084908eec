from __future__ import annotations

from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "apps.questions"
    label = "questions"

    def ready(self) -> None:
        from apps.questions.indexing import all_documents
        from apps.search.index import register_source

        register_source("question", all_documents)
