"""/metrics/: the Prometheus exposition, for the monitoring system only.

Closed unless configured: with neither METRICS_TOKEN nor METRICS_ALLOWED_IPS
set the page does not exist (404). A scraper is let in by the bearer token
(``Authorization: Bearer <METRICS_TOKEN>``) or by its address (REMOTE_ADDR,
the direct peer, within one of METRICS_ALLOWED_IPS); anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from apps.monitoring.collectors import RunsCollector


def metrics_open() -> bool:
    """Whether /metrics/ exists at all: a token or an address list is configured."""
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS)


def scraper_allowed(request: HttpRequest) -> bool:
    """Whether ``request`` comes from the monitoring system: the right bearer token, or an allowed address."""
    token = settings.METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


def exposition() -> bytes:
    """Every metric in Prometheus's text format: the processes' counters, then the database's and broker's facts."""
    facts = CollectorRegistry()
    facts.register(RunsCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several gunicorn workers: add up what each one counted in its files (config/gunicorn.py).
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
        return generate_latest(counted) + generate_latest(facts)
    return generate_latest(REGISTRY) + generate_latest(facts)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics for Prometheus (404 when not configured, 403 for anyone but the scraper)."""
    if not metrics_open():
        raise Http404("metrics are not enabled")
    if not scraper_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
