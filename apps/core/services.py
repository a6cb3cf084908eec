"""Writes owned by apps.core: rendering stored Markdown, tags and flat pages."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any, Literal

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.models import Page, Tag
from apps.core.requesters import LOADSITE, Requester


@dataclasses.dataclass(frozen=True)
class RenderedSource:
    """What we cache from one rendering: plain data that fits in JSON columns."""

    html: str
    toc: list[dict[str, Any]]
    references: list[Any]
    word_count: int
    reading_minutes: int
    errors: list[str]
    # Figures whose runs were refused to the requester (trust or quota); also in errors.
    refusals: list[str] = dataclasses.field(default_factory=list)


def _figure_resolver() -> Callable[..., str] | None:
    # The experiments side supplies the resolver that turns figure directives
    # into embeds; until it is configured figures render as placeholders.
    path = getattr(settings, "FIGURE_RESOLVER", "")
    return import_string(path) if path else None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "_asdict"):
        return _plain(value._asdict())
    return str(value)


def source_render(
    *, source: str, bibliography: str = "", requester: Requester | None = None, id_prefix: str = ""
) -> RenderedSource:
    """Render Markdown through the shared pipeline into cacheable plain data.

    Figure directives request the runs they need on behalf of ``requester``: a
    person is charged (trust and quota; refusals are listed in ``refusals``),
    a ``SystemRequest`` is the site's own work. Without a requester the
    rendering is a preview: figures show the runs that exist and request none.
    """
    from apps.core.rendering import render_markdown

    resolver = _figure_resolver()
    if resolver is not None:
        resolver = functools.partial(resolver, requester=requester)
    rendered = render_markdown(source, bibliography=bibliography, figure_resolver=resolver, id_prefix=id_prefix)
    toc = [{"level": int(entry.level), "id": str(entry.id), "title": str(entry.title)} for entry in rendered.toc]
    return RenderedSource(
        html=rendered.html,
        toc=toc,
        references=_plain(list(rendered.references)),
        word_count=int(rendered.word_count),
        reading_minutes=max(1, int(rendered.reading_minutes)),
        errors=list(rendered.errors),
        refusals=list(rendered.refusals),
    )


def tags_ensure(*, slugs: Iterable[str]) -> list[Tag]:
    """Return the tags with these slugs, creating any that do not exist yet."""
    wanted = list(dict.fromkeys(slugs))
    existing = {t.slug: t for t in Tag.objects.filter(slug__in=wanted)}
    for slug in wanted:
        if slug not in existing:
            existing[slug] = Tag.objects.create(slug=slug, name=Tag.name_from_slug(slug))
    return [existing[s] for s in wanted]


# What a sync from files did to one object; loadsite counts these per kind.
SyncOutcome = Literal["created", "updated", "unchanged"]


def tag_upsert(*, slug: str, name: str) -> SyncOutcome:
    """Create a tag or rename it; returns 'created', 'updated' or 'unchanged'."""
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        Tag.objects.create(slug=slug, name=name)
        return "created"
    if tag.name == name:
        return "unchanged"
    tag.name = name
    tag.save(update_fields=["name"])
    return "updated"


def page_upsert(*, slug: str, title: str, body: str) -> tuple[Page, SyncOutcome]:
    """Create or update a flat page from site/ and its cached HTML (its figures are LOADSITE's requests).

    Returns (page, 'created' | 'updated' | 'unchanged').
    """
    page = Page.objects.filter(slug=slug).first()
    if page is not None and page.title == title and page.body == body:
        return page, "unchanged"
    html = source_render(source=body, requester=LOADSITE).html
    if page is None:
        return Page.objects.create(slug=slug, title=title, body=body, rendered_html=html), "created"
    page.title, page.body, page.rendered_html = title, body, html
    page.save()
    return page, "updated"


def page_rerender_all() -> int:
    """Refresh the cached HTML of every flat page from its Markdown; returns how many were rendered."""
    n = 0
    for page in Page.objects.only("pk", "body"):
        Page.objects.filter(pk=page.pk).update(rendered_html=source_render(source=page.body, requester=LOADSITE).html)
        n += 1
    return n
