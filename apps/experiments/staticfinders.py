"""Serve BokehJS from the installed bokeh package through Django's static files (no CDN).

Only the bundles the figures need are exposed, under ``bokeh/``, so that
collectstatic copies two files rather than the package's 20 MB of sources,
and WhiteNoise gives them hashed, compressed, cache-for-ever names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "bokeh/"
# bokeh.min.js draws plots; the figures use no widgets, tables, GL or MathJax bundles.
FILES = ("bokeh.min.js",)


def bokeh_js_dir() -> Path:
    import bokeh

    return Path(bokeh.__file__).parent / "server" / "static" / "js"


class BokehFinder(BaseFinder):
    """Finds ``bokeh/bokeh.min.js`` (and nothing else) in the installed bokeh package."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(bokeh_js_dir()))
        self.storage.prefix = PREFIX.rstrip("/")  # type: ignore[attr-defined]  # collectstatic reads .prefix

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:  # type: ignore[override]
        found: list[str] = []
        if path.startswith(PREFIX) and path[len(PREFIX) :] in FILES:
            full = os.path.join(self.storage.location, path[len(PREFIX) :])
            if os.path.exists(full):
                found.append(full)
        if find_all or kwargs.get("all"):
            return found
        return found[0] if found else []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for name in FILES:
            if self.storage.exists(name):
                yield name, self.storage
