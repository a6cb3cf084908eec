from __future__ import annotations

from django.apps import AppConfig


class PerspectivesConfig(AppConfig):
    name = "apps.perspectives"
    label = "perspectives"
