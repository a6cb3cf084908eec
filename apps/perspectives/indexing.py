"""Articles in the site search index: the latest published version of each published article."""

from __future__ import annotations

from collections.abc import Iterator

from apps.perspectives.models import Article, Status
from apps.search.index import Document, index_put, index_remove
from apps.search.models import Kind


def _key(article: Article) -> str:
    return f"article:{article.pk}"


def _document(article: Article) -> Document | None:
    version = article.latest_version
    if article.status != Status.PUBLISHED or version is None:
        return None
    return Document(
        key=_key(article),
        kind=Kind.ARTICLE,
        title=version.title,
        summary=version.summary,
        html=version.rendered_html,
        url=article.get_absolute_url(),
        when=version.published_at,
    )


def article_index(article: Article) -> None:
    """Put the article's latest version in the search index, or take it out if it is not published."""
    fresh = Article.objects.select_related("latest_version").get(pk=article.pk)
    document = _document(fresh)
    if document is None:
        index_remove(_key(fresh))
    else:
        index_put(document)


def all_documents() -> Iterator[Document]:
    """Every published article, for index_rebuild."""
    for article in Article.objects.published().select_related("latest_version").iterator(chunk_size=100):
        document = _document(article)
        if document is not None:
            yield document
