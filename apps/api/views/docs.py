"""The browsable API documentation: Swagger UI from drf-spectacular-sidecar, started by a static script.

drf-spectacular's own SwaggerView writes an inline <script>, which the site's
Content-Security-Policy (script-src 'self') blocks; this page loads the same
assets from /static/ and passes the schema URL in a data attribute.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown paths under /api/v1/ answer in the API's error format, not with the site's HTML 404 page."""
    body = {"error": {"code": "not_found", "message": "There is no such endpoint.", "fields": {}}}
    return JsonResponse(body, status=404)
