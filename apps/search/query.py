"""Reading the search index: ranked, paginated hits with plain-text snippets.

On PostgreSQL the query runs against the stored, GIN-indexed tsvector
(websearch syntax: quotes, ``or``, ``-word``), ranks with ts_rank and cuts
snippets with ts_headline from the plain text, for the shown page only. On
SQLite it matches every term case-insensitively in the title, summary and
text, keeps at most FALLBACK_LIMIT matches (newest first), ranks those in
Python and cuts snippets around the first match. Either way a snippet is the
indexed plain text, escaped, with the matched terms in <mark>.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.search.models import Kind, SearchEntry

PAGE_SIZE = 20
FALLBACK_LIMIT = 200
SNIPPET_CHARS = 240
MAX_QUERY_CHARS = 200
# Private-use characters mark matches until the text is escaped.
_START, _STOP = "\ue000", "\ue001"
_WORD = re.compile(r"\w[\w'-]*", re.UNICODE)


@dataclasses.dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    url: str
    when: datetime.datetime | None
    snippet: SafeString

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)


@dataclasses.dataclass(frozen=True)
class Results:
    """One page of hits, and the page of matches they are (for links to the others).

    ``capped``: the fallback stopped counting at FALLBACK_LIMIT matches.
    """

    query: str
    kind: str
    hits: list[Hit]
    page: Page[SearchEntry]
    total: int
    capped: bool = False


def _stem(term: str) -> str:
    """A crude suffix strip so that matching finds 'catapult' for 'catapults' or 'catapulting'."""
    for suffix in ("ing", "ed", "es", "s"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


# Words too common to search for (PostgreSQL's english configuration drops them too).
_STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were with".split()
)


# Readers type Greek letters by name as often as by symbol: either finds both.
_GREEK_NAMES = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon "
    "phi chi psi omega"
).split()
_GREEK_SYMBOLS = "αβγδεζηθικλμνξοπρστυφχψω"
_SYMBOL_OF = dict(zip(_GREEK_NAMES, _GREEK_SYMBOLS, strict=True))
_NAME_OF = {symbol: name for name, symbol in _SYMBOL_OF.items()} | {
    "ϵ": "epsilon",
    "ϑ": "theta",
    "ϕ": "phi",
    "ϱ": "rho",
    "ς": "sigma",
    "ϖ": "pi",
}


def spellings(term: str) -> list[str]:
    """A term and its other spelling when it is a Greek letter: 'eta' and 'η', 'λ' and 'lambda'."""
    other = _SYMBOL_OF.get(term) or _NAME_OF.get(term)
    return [term, other] if other else [term]


def _pattern(term: str) -> str:
    """A regular expression for a term: a Greek letter's name as a whole word ('eta' is not in 'beta' or 'detail'),
    anything else as it stands."""
    return rf"\b{term}\b" if term in _SYMBOL_OF else re.escape(term)


def _respelled(query: str) -> str:
    """The query with every Greek letter written the other way (names as symbols, symbols as names)."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        other = spellings(word.lower())
        return other[1] if len(other) > 1 else word

    return _WORD.sub(swap, query)


def terms_of(query: str) -> list[str]:
    """Distinct search terms of a query, lower-cased and stemmed, common words left out, at most eight."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        term = _stem(word)
        if (len(term) > 1 or term in _NAME_OF) and word not in _STOP_WORDS and term not in terms:
            terms.append(term)
    return terms[:8]


def _marked(text: str) -> SafeString:
    """Escape text, then turn the private-use markers into <mark> tags."""
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped first


def highlight(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """A window of plain text around the first match, escaped, with every term in <mark>."""
    text = re.sub(r"\s+", " ", text or "").strip()
    found = [re.search(_pattern(t), text, re.IGNORECASE) for t in terms]
    positions = [m.start() for m in found if m]
    start = max(0, min(positions) - width // 3) if positions else 0
    if start > 0:
        # Start on a word boundary.
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 30 else start
    window = text[start : start + width]
    if start + width < len(text):
        cut = window.rfind(" ")
        window = (window[:cut] if cut > width // 2 else window) + " …"
    if start > 0:
        window = "… " + window
    if terms:
        pattern = re.compile("|".join(_pattern(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
        window = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", window)
    return _marked(window)


def _postgres(query: str, kind: str, number: int | str | None) -> Results:
    sq = SearchQuery(query, search_type="websearch", config="english")
    respelled = _respelled(query)
    if respelled != query:
        sq = sq | SearchQuery(respelled, search_type="websearch", config="english")
    matches = SearchEntry.objects.filter(vector=sq)
    if kind:
        matches = matches.filter(kind=kind)
    ranked: QuerySet[SearchEntry] = (
        matches.annotate(rank=SearchRank(F("vector"), sq))
        .order_by("-rank", F("when").desc(nulls_last=True), "pk")
        .only("pk")
    )
    ids_page = Paginator(ranked, PAGE_SIZE).get_page(number)
    ids = [row.pk for row in ids_page]
    rows = {
        row.pk: row
        for row in SearchEntry.objects.filter(pk__in=ids)
        .annotate(
            headline=SearchHeadline(
                "text",
                sq,
                config="english",
                start_sel=_START,
                stop_sel=_STOP,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .only("kind", "title", "url", "when")
    }
    hits = [
        Hit(r.kind, r.title, r.url, r.when, _marked(re.sub(r"\s+", " ", r.headline)))
        for r in (rows[pk] for pk in ids if pk in rows)
    ]
    return Results(query=query, kind=kind, hits=hits, page=ids_page, total=ids_page.paginator.count)


def _fallback(query: str, kind: str, number: int | str | None) -> Results:
    terms = terms_of(query)
    condition = Q()
    in_title = Q()
    for term in terms:
        anywhere, titled = Q(), Q()
        for spelling in spellings(term):
            lookup = "iregex" if spelling in _SYMBOL_OF else "icontains"
            value = _pattern(spelling) if spelling in _SYMBOL_OF else spelling
            matched = {field: Q(**{f"{field}__{lookup}": value}) for field in ("title", "summary", "text")}
            anywhere |= matched["title"] | matched["summary"] | matched["text"]
            titled |= matched["title"]
        condition &= anywhere
        in_title &= titled
    terms = [spelling for term in terms for spelling in spellings(term)]
    rows: list[SearchEntry] = []
    capped = False
    # Each kind apart, titles that hold every term first: a busy forum cannot crowd out the articles.
    for each in [kind] if kind else Kind.values:
        matches = (
            SearchEntry.objects.filter(condition, kind=each)
            .annotate(titled=Case(When(in_title, then=Value(1)), default=Value(0)))
            .order_by("-titled", F("when").desc(nulls_last=True), "pk")
            .only("kind", "title", "summary", "text", "url", "when")
        )
        found = list(matches[: FALLBACK_LIMIT + 1])
        capped = capped or len(found) > FALLBACK_LIMIT
        rows.extend(found[:FALLBACK_LIMIT])

    patterns = [re.compile(_pattern(t), re.IGNORECASE) for t in terms]

    def rank(row: SearchEntry) -> float:
        def count(p: re.Pattern[str], text: str) -> int:
            return len(p.findall(text))

        return sum(4 * count(p, row.title) + 2 * count(p, row.summary) + min(count(p, row.text), 10) for p in patterns)

    rows.sort(key=rank, reverse=True)  # stable: equal ranks stay in their kind's order
    paged = Paginator(rows, PAGE_SIZE).get_page(number)
    hits = [Hit(r.kind, r.title, r.url, r.when, highlight(r.text or r.summary, terms)) for r in paged]
    return Results(query=query, kind=kind, hits=hits, page=paged, total=len(rows), capped=capped)


def search(query: str, *, kind: str = "", page: int | str | None = 1) -> Results:
    """One page of hits for a query (optionally of one kind), best first; an empty query finds nothing."""
    query = (query or "").strip()[:MAX_QUERY_CHARS]
    kind = kind if kind in Kind.values else ""
    if not terms_of(query):
        nothing = Paginator(SearchEntry.objects.none(), PAGE_SIZE).page(1)
        return Results(query=query, kind=kind, hits=[], page=nothing, total=0)
    if connection.vendor == "postgresql":
        return _postgres(query, kind, page)
    return _fallback(query, kind, page)
