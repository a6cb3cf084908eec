"""Site-wide search across articles, open questions and forum posts.

On PostgreSQL it uses full-text search (weighted vectors, websearch queries,
ranking and ts_headline); elsewhere (SQLite) it falls back to matching every
term case-insensitively and highlighting in Python. Either way the snippet is
escaped before <mark> tags are added, and posts the reader may not see
(deleted, hidden, or in a hidden thread) are never searched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.forum.models import Post
from apps.perspectives.models import Article
from apps.questions.models import Question

PER_SOURCE = 100
SNIPPET_CHARS = 220
# Private-use characters mark matches inside ts_headline's output until it is escaped.
_START, _STOP = "\ue000", "\ue001"
_WORD = re.compile(r"[\w][\w'-]*", re.UNICODE)


@dataclass
class Hit:
    """One search result. The URL and the snippet are worked out only for hits that are shown."""

    kind: str
    title: str
    rank: float
    when: datetime | None
    obj: Any
    url_of: Callable[[Any], str]
    text: str = ""
    terms: tuple[str, ...] = ()
    headline: SafeString | None = None

    @property
    def url(self) -> str:
        return self.url_of(self.obj)

    @property
    def snippet(self) -> SafeString:
        if self.headline is not None:
            return self.headline
        return highlight(self.text, list(self.terms))


def _stem(term: str) -> str:
    """A crude suffix strip so that substring matching finds 'catapult' for 'catapults' or 'catapulting'."""
    for suffix in ("ing", "ed", "es", "s"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


def terms_of(query: str) -> list[str]:
    """Distinct search terms of a query, lower-cased and stemmed, at most eight."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        term = _stem(word)
        if len(term) > 1 and term not in terms:
            terms.append(term)
    return terms[:8]


def _mark(text: str) -> SafeString:
    """Escape text, then turn the private-use markers into <mark> tags."""
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))


def highlight(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """A window of the text around the first match, escaped, with every term wrapped in <mark>."""
    text = re.sub(r"\s+", " ", text or "").strip()
    lowered = text.lower()
    positions = [lowered.find(t) for t in terms if lowered.find(t) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    window = text[start : start + width]
    if start > 0:
        window = "…" + window
    if start + width < len(text):
        window += "…"
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
        window = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", window)
    return _mark(window)


def _sources(user: Any) -> list[dict[str, Any]]:
    """What to search: a queryset, its text fields (title first) and how to turn a row into a hit."""
    sources: list[dict[str, Any]] = [
        {
            "kind": "post",
            "qs": Post.objects.visible_to(user).select_related("thread"),
            "title": "thread__title",
            "body": "body",
            "hit": lambda p: (p.thread.title, p.body, p.created),
            "url": lambda p: reverse("forum:post", kwargs={"pk": p.pk}),
        }
    ]
    sources.append(
        {
            "kind": "article",
            "qs": Article.objects.published().select_related("latest_version"),
            "title": "latest_version__title",
            "body": "latest_version__body",
            "extra": "latest_version__summary",
            "hit": lambda a: (
                a.latest_version.title,
                a.latest_version.summary + " " + a.latest_version.body,
                a.latest_version.published_at,
            ),
            "url": lambda a: a.get_absolute_url(),
        }
    )
    sources.append(
        {
            "kind": "question",
            "qs": Question.objects.all(),
            "title": "title",
            "body": "discussion",
            "extra": "statement",
            "hit": lambda q: (str(q), q.statement + " " + q.discussion, q.updated_at),
            "url": lambda q: q.get_absolute_url(),
        }
    )
    return sources


def _postgres(source: dict[str, Any], query: str) -> list[Hit]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector

    vector: Any = SearchVector(source["title"], weight="A", config="english")
    if source.get("extra"):
        vector += SearchVector(source["extra"], weight="B", config="english")
    vector += SearchVector(source["body"], weight="C", config="english")
    sq = SearchQuery(query, search_type="websearch", config="english")
    qs: QuerySet = (
        source["qs"]
        .annotate(document=vector)
        .filter(document=sq)
        .annotate(
            rank=SearchRank(vector, sq),
            headline=SearchHeadline(
                F(source["body"]), sq, config="english", start_sel=_START, stop_sel=_STOP, max_words=40, min_words=15
            ),
        )
        .order_by("-rank")[:PER_SOURCE]
    )
    hits = []
    for row in qs:
        title, _text, when = source["hit"](row)
        hits.append(Hit(source["kind"], title, float(row.rank), when, row, source["url"], headline=_mark(row.headline)))
    return hits


def _fallback(source: dict[str, Any], terms: list[str]) -> list[Hit]:
    fields = [source["title"], source["body"]] + ([source["extra"]] if source.get("extra") else [])
    condition = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": term})
        condition &= any_field
    hits = []
    for row in source["qs"].filter(condition)[: PER_SOURCE * 2]:
        title, text, when = source["hit"](row)
        lowered_title, lowered_text = title.lower(), text.lower()
        rank = sum(3 * lowered_title.count(t) + min(lowered_text.count(t), 10) for t in terms) / 10
        hits.append(Hit(source["kind"], title, rank, when, row, source["url"], text=text, terms=tuple(terms)))
    hits.sort(key=lambda h: -h.rank)
    return hits[:PER_SOURCE]


def search(query: str, *, user: Any, kinds: tuple[str, ...] | None = None) -> list[Hit]:
    """Hits for a query across articles, questions and posts the user may see, best first."""
    query = (query or "").strip()[:200]
    terms = terms_of(query)
    if not terms:
        return []
    hits: list[Hit] = []
    for source in _sources(user):
        if kinds and source["kind"] not in kinds:
            continue
        if connection.vendor == "postgresql":
            hits.extend(_postgres(source, query))
        else:
            hits.extend(_fallback(source, terms))
    hits.sort(key=lambda h: -h.rank)
    return hits
