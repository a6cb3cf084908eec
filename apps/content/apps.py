from __future__ import annotations

from django.apps import AppConfig


class ContentConfig(AppConfig):
    """The site as content: loading site/ into every app, and the home page that brings them together."""

    name = "apps.content"
    label = "content"
