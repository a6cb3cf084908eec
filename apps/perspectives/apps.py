from __future__ import annotations

from django.apps import AppConfig


class PerspectivesConfig(AppConfig):
    name = "apps.perspectives"
    label = "perspectives"

    def ready(self) -> None:
        from apps.perspectives.indexing import all_documents
        from apps.search.index import register_source

        register_source("article", all_documents)
