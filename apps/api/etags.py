"""ETags for cacheable reads: the hash of the representation, and 304 when the client already has it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


def etag_for(data: Any) -> str:
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag in candidates


def conditional(request: Request, data: Any, *, cacheable: bool = True) -> Response:
    """A 200 with an ETag, or an empty 304 when If-None-Match names the same representation."""
    if not cacheable:
        return Response(data)
    etag = etag_for(data)
    header = request.headers.get("If-None-Match", "")
    if header and _matches(header, etag):
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(data)
    response["ETag"] = etag
    # The representation depends on who asks (drafts, hidden posts), so shared caches must key on credentials.
    response["Vary"] = "Accept, Authorization, Cookie"
    return response
