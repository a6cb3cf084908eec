"""Small builders for articles, versions and questions used across these tests."""

from __future__ import annotations

from typing import Any

from apps.core.services import tags_ensure
from apps.perspectives.models import Article
from apps.perspectives.services import article_publish, article_set_authors


def make_article(
    slug: str,
    *,
    status: str = "published",
    body: str = "## Intro\n\nSome text with $x^2$.\n",
    kind: str = "perspective",
    authors: list[tuple[Any | None, str]] | None = None,
    tags: tuple[str, ...] = (),
    bibliography: str = "",
) -> Article:
    article = Article.objects.create(
        slug=slug,
        title=f"Article {slug}",
        summary=f"Summary of {slug}.",
        kind=kind,
        body=body,
        bibliography=bibliography,
        status="draft",
    )
    article_set_authors(article=article, authors=authors or [(None, "Ada Lovelace")])
    if tags:
        article.tags.set(tags_ensure(slugs=tags))
    if status == "published":
        article_publish(article=article, changelog="First version", by=None)
    return article
