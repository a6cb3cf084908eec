"""Compressed responses (Zstandard, Brotli, gzip) for what holds no secret.

BREACH: an attacker who can make a victim's browser request a page that both
reflects attacker-chosen text (a search query, a form value) and holds a
secret (a CSRF token, an API token, an email address) learns the secret byte
by byte from the compressed length. We never give them that oracle: a
response is compressed only when it holds no secret at all, that is, when the
reader is not signed in (no session-authenticated member, no API token in an
``Authorization`` header) and the response did not render a CSRF token.
Members' pages and forms go out uncompressed; they are a minority of the
traffic and every reading page is cached and compressed for anonymous readers.
See docs/performance.md.

The middleware is django-http-compression's (content types, Accept-Encoding
with q-values, streaming, Vary and ETag handling); this module adds the rule
above and the codings the page cache stores ready-made (apps/core/pagecache.py).
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.text import compress_string
from django_http_compression.middleware import (
    HAVE_BROTLI,
    HttpCompressionMiddleware,
    brotli_compress,
    zstd_compress,
)
from django_http_compression.middleware import best_coding as _best_coding

# The page cache compresses each page once and serves it many times, so it can afford a denser
# Brotli than the middleware's per-response quality 4 (quality 6: ~6 % smaller, about as fast here;
# 9 and above cost ten times more for 1 % more).
STORED_BROTLI_QUALITY = 6


def carries_secrets(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether this response may hold something secret, so must not be compressed."""
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return True  # a member's page (or a request that never reached authentication)
    if "authorization" in request.headers:
        return True  # API tokens and HTTP authentication
    # A rendered CSRF token: flagged while the view runs, and the CSRF middleware then (re)sends its
    # cookie with every response that used one (and clears the flag).
    return bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE")) or settings.CSRF_COOKIE_NAME in response.cookies


class AnonymousCompressionMiddleware(HttpCompressionMiddleware):
    """django-http-compression's middleware, for responses that carry no secret only."""

    # Its random-length padding header is a partial BREACH defence for secret-bearing pages;
    # we compress none, so it would only cost bytes.
    max_random_bytes = 0

    def maybe_compress(self, request: HttpRequest, response: HttpResponseBase) -> None:
        if carries_secrets(request, response):
            return
        super().maybe_compress(request, response)


# Every coding `encodings` may produce.
CODINGS: tuple[str, ...] = ("identity", "gzip", "zstd", *(("br",) if HAVE_BROTLI else ()))


def encodings(body: bytes) -> dict[str, bytes]:
    """The body in every coding we can send (each kept only when smaller), plus itself as identity."""
    out = {"identity": body}
    if len(body) < 50:
        return out
    candidates = {"gzip": compress_string(body, max_random_bytes=0), "zstd": zstd_compress(body)}
    if HAVE_BROTLI:
        candidates["br"] = brotli_compress(body, quality=STORED_BROTLI_QUALITY)
    out.update({coding: data for coding, data in candidates.items() if len(data) < len(body)})
    return out


def best_coding(request: HttpRequest, *, available: Collection[str] = CODINGS) -> str:
    """The coding to send: the client's preferred one among those available, else identity."""
    coding = _best_coding(request.headers.get("accept-encoding", ""))
    return coding if coding in available else "identity"


def mark_encoded(response: HttpResponseBase, coding: str) -> None:
    """Label a response whose body is already in `coding`, weakening a strong ETag as RFC 9110 asks."""
    response.headers["Content-Encoding"] = coding
    response.headers["Content-Length"] = str(len(getattr(response, "content", b"")))
    etag = response.headers.get("ETag")
    if etag and etag.startswith('"'):
        response.headers["ETag"] = "W/" + etag
