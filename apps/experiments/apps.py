from __future__ import annotations

from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "apps.experiments"
    label = "experiments"

    def ready(self) -> None:
        from apps.experiments.executors import register_reference_executor
        from apps.experiments.reproducibility import register_listeners

        register_reference_executor()
        register_listeners()
