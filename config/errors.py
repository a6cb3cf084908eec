"""The site's answer to a request that failed with an exception (``handler500`` in config/urls.py).

Django calls this view for every uncaught exception while DEBUG is off,
wherever it was raised: in a view, in a middleware (sessions, authentication)
or while rendering. An outage of the database (or a full disk under it) is
answered 503 with Retry-After and one plain sentence, as JSON in the API's
error format under /api/ and as a small HTML page elsewhere, built without
templates, the database or the cache, since any of them may be what failed.
Everything else is a bug: the 500 page.
"""

from __future__ import annotations

import json
import sys

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views import defaults

from apps.core.outages import RETRY_AFTER_S, outage_message

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporarily unavailable · learningmechanics.pub</title>
<style>body{{font:1.05rem/1.6 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1.25rem;color:#222}}
h1{{font-size:1.6rem;margin:.5rem 0 1rem}}.site{{color:#555;margin:0}}</style></head>
<body><main><p class="site">learningmechanics.pub</p><h1>Temporarily unavailable</h1><p>{message}</p></main></body>
</html>
"""


def unavailable(request: HttpRequest, message: str) -> HttpResponse:
    """503 with Retry-After: the API's JSON error under /api/, a plain page elsewhere; never cached."""
    if request.path.startswith("/api/"):
        body = json.dumps({"error": {"code": "unavailable", "message": message, "fields": {}}})
        response = HttpResponse(body, status=503, content_type="application/json")
    else:
        response = HttpResponse(
            PAGE.format(message=escape(message)), status=503, content_type="text/html; charset=utf-8"
        )
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 for an outage of the database or the disk, the 500 page (templates/500.html) otherwise."""
    message = outage_message(sys.exc_info()[1])
    if message is not None:
        return unavailable(request, message)
    return defaults.server_error(request, template_name="500.html")
