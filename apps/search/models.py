"""The site search index: one row per searchable thing (an article, an open question, a forum post)."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Kind(models.TextChoices):
    ARTICLE = "article", "Article"
    QUESTION = "question", "Open question"
    POST = "post", "Forum post"


class SearchEntry(models.Model):
    """What a search finds and shows, kept up to date by the services that write the things it describes.

    Only what every reader may see is indexed: published articles, questions, and posts that are
    neither deleted nor hidden, in threads that are neither hidden nor merged away.
    """

    key = models.CharField(max_length=64, unique=True, help_text='The indexed object, e.g. "post:42".')
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="A line that matters more than the body (a statement).")
    text = models.TextField(blank=True, help_text="The body as plain text (apps/search/text.py): what snippets show.")
    url = models.CharField(max_length=300)
    when = models.DateTimeField(null=True, blank=True, help_text="Published, updated or posted.")
    # PostgreSQL only: title (A), summary (B) and text (C), weighted, in the english configuration,
    # with a GIN index (migration 0001). Always empty on SQLite, which searches the text itself.
    vector = SearchVectorField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"
