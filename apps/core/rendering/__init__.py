"""The site's one rendering pipeline: Markdown with math, citations and figures, to sanitised HTML.

Public interface (other apps import only these names)::

    from apps.core.rendering import render_markdown, sanitize_html, Rendered, TocEntry, figure_directives
    from apps.core.rendering import FigureDirective, FigureError, FigureRefused
"""

from __future__ import annotations

from .directives import FigureDirective, FigureError, FigureRefused
from .pipeline import Rendered, TocEntry, count_words, figure_directives, render_markdown
from .sanitize import sanitize_html

__all__ = [
    "FigureDirective",
    "FigureError",
    "FigureRefused",
    "Rendered",
    "TocEntry",
    "count_words",
    "figure_directives",
    "render_markdown",
    "sanitize_html",
]
