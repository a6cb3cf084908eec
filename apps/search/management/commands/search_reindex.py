from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.search.index import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the site search index from the articles, questions and forum posts in the database."

    def handle(self, *args: Any, **options: Any) -> None:
        n = index_rebuild()
        self.stdout.write(f"Indexed {n} documents.")
