"""Template filters for short user text (bios, descriptions) through the site's rendering pipeline."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from apps.core.rendering import render_markdown, sanitize_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None, id_prefix: str = "") -> SafeString:
    """Render Markdown (with math) to sanitised HTML: ``{{ user.bio|markdown }}``.

    Where several rendered texts share a page, give each its own id namespace:
    ``{{ post.body|markdown:"post-12-" }}``.
    """
    if not text:
        return mark_safe("")
    # render_markdown's html has been through the allowlist sanitiser.
    return mark_safe(render_markdown(str(text), id_prefix=str(id_prefix)).html)  # noqa: S308


@register.filter(name="sanitize")
def sanitize_filter(html: str | None) -> SafeString:
    """Reduce arbitrary HTML to the site's allowlist: ``{{ value|sanitize }}``."""
    return mark_safe(sanitize_html(str(html or "")))  # noqa: S308
