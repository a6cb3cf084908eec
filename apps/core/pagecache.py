"""Reading pages for anonymous readers from a shared cache, fresh to the write that changed them.

Most readers are anonymous, and their copy of a page is the same for all of
them. A view decorated with ``cached_page`` stores its anonymous response in
the "pages" cache, under the request's host and full path, once in each coding
(identity, gzip, Brotli, Zstandard: each under its own key, ready to send);
the next anonymous reader gets it without touching the database.

Freshness comes from versioned tags, never from a timeout alone. A tag names
what a page is made of ("article:edge-of-stability", "questions", "run:42");
its version is a random token in the same cache. A stored page records the
version of every tag it depends on as it was read *before* the page read the
data the tag covers, and it is served only while all of them still hold. A
service that changes something calls ``invalidate`` with the tags of what it
changed: new tokens, so every page built on the old data is stale at once.
``invalidate`` bumps immediately and again when the transaction commits, so a
page rendered from the old rows in between is never stored under the new
token.

A view's own tags come from its URL (``cached_page(tags=...)``); code that
discovers more while rendering (a figure waiting for runs) calls
``depends_on`` before it reads those rows. The same mechanism caches fragments
of a signed-in member's page (``{% cached_fragment %}`` in templatetags/
pagecache.py): the impersonal parts are reused, their personal parts rendered.

What is never stored: a response that rendered a CSRF token, set a cookie,
touched the session, carried a message, or was made for a signed-in member.
The cache key also holds a digest of the code and templates (RELEASE), so a
deploy never serves pages made by the previous code.

This module names the tags of every reading page in one place (below), so that
the views that depend on them and the services that change them agree; it
imports no domain app.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ParamSpec

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import BaseCache, caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe

from apps.core import compression, metrics

log = logging.getLogger(__name__)

P = ParamSpec("P")

# --- The tags of the reading pages ------------------------------------------------------------

EVERYTHING = "everything"  # every cached page depends on it: the admin, which bypasses services, bumps it
ARTICLES = "articles"  # lists of articles: home, perspective list, tag and sequence pages
QUESTIONS = "questions"  # lists of open questions: home, question list, tag pages
FORUM = "forum"  # the forum index and the home page's recent threads
SEARCH = "search"  # the site search (every change to the search index bumps it)


def article(slug: str) -> str:
    """An article's page and its versions' pages."""
    return f"article:{slug}"


def question(number: int) -> str:
    """An open question's page."""
    return f"question:{number}"


def category(slug: str) -> str:
    """A forum category's list of threads."""
    return f"category:{slug}"


def thread(pk: int) -> str:
    """A forum thread's pages."""
    return f"thread:{pk}"


def run(pk: int) -> str:
    """Whatever shows a run's state: a figure still waiting for it, for one."""
    return f"run:{pk}"


# --- Versions -----------------------------------------------------------------------------------


def _cache() -> BaseCache:
    # A configuration without a "pages" cache (one that replaces CACHES whole) shares the default one.
    alias = settings.PAGECACHE_ALIAS if settings.PAGECACHE_ALIAS in settings.CACHES else "default"
    return caches[alias]


def _tag_key(tag: str) -> str:
    return f"pc:tag:{tag}"


def _new_token() -> str:
    return secrets.token_hex(8)


def tag_versions(tags: Iterable[str]) -> dict[str, str]:
    """The current version of each tag, creating a fresh one for a tag the cache has never seen (or lost)."""
    wanted = list(dict.fromkeys(tags))
    if not wanted:
        return {}
    cache = _cache()
    keys = {_tag_key(tag): tag for tag in wanted}
    found = cache.get_many(list(keys))
    versions = {keys[key]: value for key, value in found.items()}
    missing = [key for key in keys if key not in found]
    if missing:
        # A lost version must never come back equal to an old one: fresh random tokens, first writer wins.
        for key in missing:
            cache.add(key, _new_token(), timeout=None)
        versions.update({keys[key]: value for key, value in cache.get_many(missing).items()})
    return versions


def _bump(tags: Sequence[str]) -> None:
    _cache().set_many({_tag_key(tag): _new_token() for tag in tags}, timeout=None)


def invalidate(*tags: str) -> None:
    """Make every cached page and fragment that depends on any of these tags stale.

    Bumps now (the next reader renders again) and, inside a transaction, once more when it
    commits: a page rendered from the old rows while the transaction was open carries the
    first bump's version and is refused after the second.
    """
    unique = list(dict.fromkeys(tags))
    if not unique:
        return
    _bump(unique)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(unique))


# --- What the current request's rendering depends on -------------------------------------------


@dataclasses.dataclass
class Dependencies:
    """The tags a page (or fragment) being rendered depends on, each with the version read before its data."""

    versions: dict[str, str] = dataclasses.field(default_factory=dict)

    def add(self, tags: Iterable[str]) -> None:
        new = [tag for tag in tags if tag not in self.versions]
        if new:
            self.versions.update(tag_versions(new))


_current: contextvars.ContextVar[list[Dependencies] | None] = contextvars.ContextVar("pagecache_deps", default=None)


def depends_on(*tags: str) -> None:
    """Record that what is being rendered reads data these tags cover; call it *before* reading that data.

    Outside a cached page it does nothing, so template tags and filters may call it freely.
    """
    stack = _current.get()
    if not stack:
        return
    versions = tag_versions(tag for tag in tags if tag not in stack[-1].versions)
    for deps in stack:
        deps.versions.update({tag: v for tag, v in versions.items() if tag not in deps.versions})


def _push(deps: Dependencies) -> contextvars.Token[list[Dependencies] | None]:
    return _current.set([*(_current.get() or []), deps])


def current_dependencies() -> Dependencies | None:
    """The dependencies of the innermost page or fragment being rendered, if any."""
    stack = _current.get()
    return stack[-1] if stack else None


def release() -> str:
    """A digest of the code, templates and static manifest this process serves; part of every key."""
    return _release_digest(str(settings.BASE_DIR), str(settings.STATIC_ROOT))


@functools.cache
def _release_digest(base_dir: str, static_root: str) -> str:
    digest = hashlib.sha256()
    base = Path(base_dir)
    for folder in ("apps", "config", "templates"):
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".txt", ".xml") and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    manifest = Path(static_root) / "staticfiles.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()[:16]


def is_anonymous_reader(request: HttpRequest) -> bool:
    """Whether the reader sees what every anonymous reader sees: not signed in, and no message waiting."""
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    return not get_messages(request)


def _where(request: HttpRequest) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return hashlib.sha256(where.encode()).hexdigest()[:32]


def _page_key(request: HttpRequest) -> str:
    return f"pc:page:{release()}:{_where(request)}"


def _fragment_key(request: HttpRequest, name: str) -> str:
    audience = "member" if getattr(request, "user", None) and request.user.is_authenticated else "anonymous"
    return f"pc:frag:{release()}:{audience}:{name}:{_where(request)}"


def _still_valid(recorded: dict[str, str], known: dict[str, str]) -> bool:
    """Whether every recorded version is still current (known: versions already read for this request)."""
    current = dict(known)
    unknown = [tag for tag in recorded if tag not in current]
    if unknown:
        current.update(tag_versions(unknown))
    return all(current.get(tag) == version for tag, version in recorded.items())


# --- Whole pages -----------------------------------------------------------------------------


@dataclasses.dataclass
class PageEntry:
    """A stored anonymous response in one coding: its dependencies, its headers and its body.

    Each coding is stored under its own key, so that a hit fetches only the body it sends.
    """

    versions: dict[str, str]
    headers: list[tuple[str, str]]
    coding: str
    body: bytes


# Headers the middleware or the serving code set for each response; the rest are the view's and are kept.
_NOT_STORED = {"set-cookie", "content-length", "content-encoding", "vary", "x-page-cache"}
_VARY_ALLOWED = {"cookie", "accept-encoding"}


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether an anonymous response may be shared: a full 200 page carrying nothing of this reader."""
    if response.status_code != 200 or response.streaming or not isinstance(response, HttpResponse):
        return False
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # it rendered a CSRF token or sets a cookie: this reader's, not everyone's
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if "private" in cache_control or "no-store" in cache_control:
        return False
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    if vary - _VARY_ALLOWED:
        return False
    return is_anonymous_reader(request)  # a view may have signed someone in or queued a message


def _lookup(request: HttpRequest, key: str, tags: list[str], deps: Dependencies) -> PageEntry | None:
    """The stored page if it is still fresh; fills deps with the versions of the view's own tags either way."""
    cache = _cache()
    tag_keys = {_tag_key(tag): tag for tag in tags}
    found = cache.get_many([key, *tag_keys])
    entry = found.pop(key, None)
    deps.versions.update({tag_keys[k]: v for k, v in found.items()})
    deps.add(tags)  # any the cache had lost get fresh versions
    if not isinstance(entry, PageEntry):
        return None
    return entry if _still_valid(entry.versions, deps.versions) else None


def _serve(request: HttpRequest, entry: PageEntry) -> HttpResponseBase:
    response = HttpResponse(entry.body)
    for name, value in entry.headers:
        response.headers[name] = value
    if entry.coding != "identity":
        compression.mark_encoded(response, entry.coding)
    patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
    response.headers["X-Page-Cache"] = "hit"
    etag = response.headers.get("ETag")
    last_modified = parse_http_date_safe(response.headers.get("Last-Modified", ""))
    if etag or last_modified:
        return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response) or response
    return response


def _store(key: str, response: HttpResponse, deps: Dependencies) -> None:
    headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_STORED]
    versions = dict(deps.versions)
    encoded = compression.encodings(response.content)
    entries = {}
    for coding in compression.CODINGS:
        # A body too small to gain from a coding is stored plain under that coding's key too.
        sent = coding if coding in encoded else "identity"
        entries[f"{key}:{coding}"] = PageEntry(versions=versions, headers=headers, coding=sent, body=encoded[sent])
    _cache().set_many(entries, timeout=settings.PAGECACHE_SECONDS)


def cached_page(
    tags: Sequence[str] | Callable[..., Sequence[str]] = (),
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Serve the view's anonymous GET responses from the shared cache while its tags hold.

    ``tags`` are the tags the page depends on, or a function of the view's keyword arguments
    (the URL's parts) that returns them: they must be known before the view reads anything.
    Signed-in members get the view as usual, with ``{% cached_fragment %}`` blocks reused.
    """

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not settings.PAGECACHE_ENABLED or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            own = [EVERYTHING, *(tags(**kwargs) if callable(tags) else tags)]
            deps = Dependencies()
            anonymous = is_anonymous_reader(request)
            key = _page_key(request)
            if anonymous:
                coding = compression.best_coding(request)
                entry = _lookup(request, f"{key}:{coding}", own, deps)
                metrics.count_cache("page", "miss" if entry is None else "hit")
                if entry is not None:
                    return _serve(request, entry)
            else:
                deps.add(own)
            token = _push(deps)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _current.reset(token)
            if anonymous and _storable(request, response):
                assert isinstance(response, HttpResponse)
                _store(key, response, deps)
                response.headers["X-Page-Cache"] = "miss"
            return response

        return wrapper

    return decorate


# --- Fragments of a page -----------------------------------------------------------------------


@dataclasses.dataclass
class FragmentEntry:
    versions: dict[str, str]
    html: str


def fragment(request: HttpRequest | None, name: str, render: Callable[[], str]) -> str:
    """A block of a cached page's template, reused across requests (and readers) while its tags hold.

    Only inside a view decorated with ``cached_page``; elsewhere it just renders. The block must hold
    nothing personal: it is shared by every signed-in member (and, apart, by every anonymous reader).
    A block that rendered a CSRF token is never stored.
    """
    page = current_dependencies()
    if request is None or page is None or not settings.PAGECACHE_ENABLED:
        return render()
    key = _fragment_key(request, name)
    entry = _cache().get(key)
    if isinstance(entry, FragmentEntry) and _still_valid(entry.versions, page.versions):
        for deps in _current.get() or []:
            for tag, version in entry.versions.items():
                deps.versions.setdefault(tag, version)
        return entry.html
    deps = Dependencies(versions=dict(page.versions))
    token = _push(deps)
    try:
        html = render()
    finally:
        _current.reset(token)
    if "csrfmiddlewaretoken" not in html:
        _cache().set(key, FragmentEntry(versions=deps.versions, html=html), timeout=settings.PAGECACHE_SECONDS)
    return html
