"""The Celery application.

Settings come from Django settings with the CELERY_ prefix (config/settings.py).
Queues: ``experiments`` for torch work, ``default`` for everything else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("learningmechanics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Create the embedded broker's folders (the transport expects them to exist)."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _broker_folders_before_consuming(**_: Any) -> None:
    # A worker on a fresh VAR_DIR must find its queue folders before it starts to consume.
    ensure_broker_folders()


def queue_depth(name: str) -> int | None:
    """How many messages wait in queue ``name`` of the broker now; None when the broker cannot be asked."""
    try:
        with app.connection_for_read() as connection:
            return int(connection.default_channel.queue_declare(queue=name, passive=True).message_count)
    except Exception:  # the broker is down or does not know the queue: the caller decides without it
        return None
