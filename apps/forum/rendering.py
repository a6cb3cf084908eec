"""Post bodies go through the site's one rendering pipeline and sanitiser."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from apps.core.requesters import Requester
from apps.core.services import source_render


def render_body(body: str, *, author: Requester, post_id: int, mentions: Iterable[str] = ()) -> tuple[str, list[str]]:
    """Sanitised HTML for post ``post_id``'s body (mentions of the given usernames linked), and problems the
    author should fix.

    Figure blocks request their runs on behalf of ``author``, who is charged
    for them; if trust or quota refuses, ValidationError names the figure and
    why (callers run inside a transaction, so no run of the post survives).
    """
    html, errors = _render(body, author, post_id)
    return link_mentions(html, mentions), errors


def id_prefix(post_id: int) -> str:
    """What every id made inside a post starts with: ``post-<id>-``.

    The post itself is ``post-<id>`` on the thread page, and a post's headings,
    footnotes and figures sit on a page with many other posts: with the post's
    id in front, a heading "401" can no longer take post 401's id, and the
    first footnote of one post no longer shares its id with another's.
    """
    return f"post-{post_id}-"


def _render(body: str, author: Requester, post_id: int) -> tuple[str, list[str]]:
    rendered = source_render(source=body, requester=author, id_prefix=id_prefix(post_id))
    if rendered.refusals:
        raise ValidationError({"body": rendered.refusals})
    return rendered.html, list(rendered.errors)


_TAG_SPLIT = re.compile(r"(<[^>]*>)")
_SKIP = {"a", "code", "pre", "math", "script", "style"}


def link_mentions(html: str, usernames: Iterable[str]) -> str:
    """Turn @name in the text of sanitised HTML into a link to the member's forum page.

    Only names of existing members (checked by the caller) are linked, and never inside links, code or math.
    """
    names = {n.lower(): n for n in usernames}
    if not names:
        return html
    pattern = re.compile(r"(?<![\w@/.+-])@([A-Za-z0-9_][A-Za-z0-9_.+-]{0,149})")
    out: list[str] = []
    skipping: list[str] = []
    for part in _TAG_SPLIT.split(html):
        if part.startswith("<"):
            match = re.match(r"<(/?)([a-zA-Z0-9]+)", part)
            if match:
                closing, tag = match.group(1) == "/", match.group(2).lower()
                if tag in _SKIP and not part.endswith("/>"):
                    if closing:
                        if tag in skipping:
                            skipping.remove(tag)
                    else:
                        skipping.append(tag)
            out.append(part)
            continue
        if skipping:
            out.append(part)
            continue

        def replace(m: re.Match[str]) -> str:
            name = m.group(1).rstrip(".")
            key = name.lower()
            if key not in names:
                return m.group(0)
            url = reverse("forum:user", kwargs={"username": names[key]})
            rest = m.group(1)[len(name) :]
            return f'<a class="mention" href="{escape(url)}">@{escape(name)}</a>{rest}'

        out.append(pattern.sub(replace, part))
    return "".join(out)
