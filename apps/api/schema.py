"""Shared OpenAPI pieces: the error responses every operation may give."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from apps.api.errors import ErrorSerializer


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Responses in the one error format for the given status codes (429 is added to every operation)."""
    described = {
        400: "Invalid input; `fields` names each bad field.",
        401: "Not signed in, or the token is unknown or revoked.",
        403: "Signed in but not allowed (or CSRF token missing on a session write).",
        404: "No such object, or not visible to you.",
        429: "Too many requests; wait for the Retry-After header's seconds.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=described[code]) for code in (*codes, 429)}


# A bad or revoked token is refused (401) even on public reads; lists also refuse bad filters (400).
READ = errors(401, 404)
LIST = errors(400, 401, 404)
WRITE = errors(400, 401, 403, 404)
