"""ETags for cacheable reads: the hash of the representation, checked by Django's conditional-request code."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from rest_framework.request import Request
from rest_framework.response import Response


def etag_for(data: Any) -> str:
    """A strong ETag: two representations share it only when their JSON is identical."""
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'


def conditional(request: Request, data: Any, *, cacheable: bool = True) -> HttpResponseBase:
    """A 200 with an ETag, or what Django's precondition rules (RFC 9110 13.2.2) answer instead.

    A GET whose If-None-Match names this representation (weak comparison, `*` included) gets an empty
    304 that keeps the ETag and Vary headers; an If-Match that does not gets 412.
    """
    if not cacheable:
        return Response(data)
    etag = etag_for(data)
    response = Response(data, headers={"ETag": etag})
    # The representation depends on who asks (drafts, hidden posts), so shared caches must key on credentials.
    patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
    # Given a response, Django returns it, or the 304 or 412 that replaces it; never None.
    return get_conditional_response(request, etag=etag, response=response) or response
