"""The site search page: /search/?q=...&kind=article|question|post&page=N."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from apps.core import pagecache
from apps.core.models import Tag
from apps.search.models import Kind
from apps.search.query import MAX_QUERY_CHARS, search

# Topics offered when there is nothing (yet) to show.
SUGGESTIONS = 12


@pagecache.cached_page(tags=[pagecache.SEARCH, pagecache.ARTICLES, pagecache.QUESTIONS])
def results(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    found = search(query, kind=kind, page=request.GET.get("page"))
    context = {
        "query": query,
        "kind": kind,
        "kinds": Kind.choices,
        "results": found,
        "page_obj": found.page,
        # For the pagination links: the query string without the page.
        "filter_query": urlencode({k: v for k, v in (("q", query), ("kind", kind)) if v}),
        "suggestions": [] if found.total else Tag.objects.used()[:SUGGESTIONS],
    }
    return render(request, "search/results.html", context)
