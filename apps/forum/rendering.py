"""Post bodies go through the site's one rendering pipeline and sanitiser.

Until apps.core.rendering lands, a conservative fallback (Markdown then an nh3
allowlist) keeps the forum safe on its own.
"""

from __future__ import annotations

import markdown
import nh3

_FALLBACK_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}


def render_body(body: str) -> tuple[str, list[str]]:
    """Sanitised HTML for a post body, and any problems the author should fix."""
    try:
        from apps.core.rendering import render_markdown
    except ImportError:
        html = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists"])
        clean = nh3.clean(
            html,
            tags=_FALLBACK_TAGS,
            attributes={"a": {"href", "title"}, "code": {"class"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow ugc noopener",
        )
        return clean, []
    rendered = render_markdown(body)
    return rendered.html, list(rendered.errors)
