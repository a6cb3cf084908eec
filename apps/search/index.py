"""Writing the search index. The services that change a searchable thing call these; nothing else writes it.

Domain apps describe their objects as Documents (they know titles, URLs and
who may see what); this app stores them and imports none of those apps. Each
registers a function that lists all its current documents, so that
``index_rebuild`` (``manage.py search_reindex``) can rebuild the index from
scratch after an upgrade or a bulk import.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable, Iterator

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction

from apps.core import pagecache
from apps.search.models import SearchEntry
from apps.search.text import plain_text

# SQLite and PostgreSQL both accept this many rows in one INSERT comfortably.
BATCH = 200


@dataclasses.dataclass(frozen=True)
class Document:
    """One searchable thing as readers see it. ``html`` is its rendered (sanitised) body."""

    key: str
    kind: str
    title: str
    url: str
    html: str = ""
    summary: str = ""
    when: datetime.datetime | None = None

    def entry(self) -> SearchEntry:
        return SearchEntry(
            key=self.key,
            kind=self.kind,
            title=self.title[:300],
            summary=self.summary,
            text=plain_text(self.html),
            url=self.url[:300],
            when=self.when,
        )


Source = Callable[[], Iterable[Document]]
_sources: dict[str, Source] = {}


def register_source(kind: str, documents: Source) -> None:
    """Name the function that lists every current document of a kind (called from an AppConfig.ready)."""
    _sources[kind] = documents


def _vectors(keys: list[str]) -> None:
    if connection.vendor != "postgresql" or not keys:
        return
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("text", weight="C", config="english")
    )
    SearchEntry.objects.filter(key__in=keys).update(vector=vector)


def _upsert(documents: Iterable[Document]) -> int:
    n = 0
    batch: list[SearchEntry] = []

    def flush() -> None:
        SearchEntry.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["kind", "title", "summary", "text", "url", "when"],
        )
        _vectors([e.key for e in batch])
        batch.clear()

    for document in documents:
        batch.append(document.entry())
        n += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return n


def index_put(*documents: Document) -> None:
    """Add or refresh documents in the index; the search page shows them from the next request."""
    if _upsert(documents):
        pagecache.invalidate(pagecache.SEARCH)


def index_remove(*keys: str) -> None:
    """Take documents out of the index (unpublished, deleted, hidden); unknown keys are ignored."""
    if keys and SearchEntry.objects.filter(key__in=keys).delete()[0]:
        pagecache.invalidate(pagecache.SEARCH)


def index_sync(documents: Iterable[Document], removed: Iterable[str]) -> None:
    """Put some documents and remove others, with one invalidation of the search page."""
    put = _upsert(documents)
    keys = list(removed)
    gone = SearchEntry.objects.filter(key__in=keys).delete()[0] if keys else 0
    if put or gone:
        pagecache.invalidate(pagecache.SEARCH)


def _all_documents() -> Iterator[Document]:
    for kind in sorted(_sources):
        yield from _sources[kind]()


@transaction.atomic
def index_rebuild() -> int:
    """Replace the whole index with what the registered sources list now; returns how many documents."""
    SearchEntry.objects.all().delete()
    n = _upsert(_all_documents())
    pagecache.invalidate(pagecache.SEARCH)
    return n
