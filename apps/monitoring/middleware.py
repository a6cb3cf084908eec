"""Counts every request and its latency, labelled by the view that answered it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from prometheus_client import Counter, Histogram

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "lm_http_requests", "Requests answered, by view (URL name), method and status code.", ["view", "method", "status"]
)
LATENCY = Histogram(
    "lm_http_request_duration_seconds",
    "Time from the request reaching Django to its response leaving it, by view.",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A path no URL pattern matched (a 404, a scanner): one label, so that such paths cannot grow the series.
UNMATCHED = "<unmatched>"


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name or match._func_path) if match is not None else UNMATCHED


class RequestMetricsMiddleware:
    """Outermost middleware: it sees every response, the 503s of an outage and the 500s of a bug included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        began = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - began
        view = view_label(request)
        method = request.method if request.method in METHODS else "other"
        try:
            REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
            LATENCY.labels(view=view).observe(elapsed)
        except (OSError, ValueError):  # the multiprocess folder's disk is full: drop the count, serve the page
            log.debug("could not count a request", exc_info=True)
        return response
