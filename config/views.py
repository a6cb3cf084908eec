"""Views that belong to the project rather than to an app: liveness and readiness."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers (and the web benchmark's baseline): no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def database_problem() -> str | None:
    """Why the database cannot serve a query now; None when it can."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        connection.close()  # the next request starts from a fresh connection
        return _first_line(exc)
    return None


def cache_problem() -> str | None:
    """Why the cache cannot keep a value now (the Redis cache fails open: its errors read as a lost value)."""
    key, value = f"readyz:{os.getpid()}", uuid.uuid4().hex
    try:
        cache.set(key, value, 30)
        kept = cache.get(key)
    except Exception as exc:  # any backend's failure is an answer here, not an error of this view
        return _first_line(exc)
    return None if kept == value else "a value written to the cache could not be read back"


def broker_problem() -> str | None:
    """Why the message broker cannot take a run's message now; None when it can."""
    from config.celery import app, queue_depth

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # The embedded broker is a folder: it must exist and take a small write (a full disk cannot).
        folder = Path(app.conf.broker_transport_options["data_folder_out"])
        probe = folder / f"partial-readyz-{os.getpid()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(probe, "wb") as handle:
                handle.write(b"readyz" * 512)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            return f"cannot write to {folder}: {exc.strerror or exc}"
        finally:
            try:
                probe.unlink(missing_ok=True)
            except OSError:
                pass  # the folder itself is the problem, and is reported
    if queue_depth("experiments") is None:
        return "the broker did not answer"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the cache and the broker all answer, else 503 naming what is down.

    For deployment checks and alerts. Load balancers probe /healthz/ instead:
    an outage of a dependency every web node shares is no reason to take the
    nodes out of service (they answer 503 with Retry-After meanwhile).
    """
    checks = {"database": database_problem(), "cache": cache_problem(), "broker": broker_problem()}
    down = {name: problem for name, problem in checks.items() if problem}
    body = {
        "status": "ready" if not down else "unavailable: " + ", ".join(down),
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    response = JsonResponse(body, status=503 if down else 200)
    if down:
        response["Retry-After"] = "30"
    return response
