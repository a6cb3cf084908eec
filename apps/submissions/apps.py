from __future__ import annotations

from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "apps.submissions"
    label = "submissions"

    def ready(self) -> None:
        # Author experiments run through apps.experiments like every run; this app supplies how.
        from apps.submissions.executor import register_sandbox_executor

        register_sandbox_executor()
