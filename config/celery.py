"""The Celery application. Worker settings are filled in by apps.experiments."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("learningmechanics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
