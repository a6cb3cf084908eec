from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Prometheus metrics at /metrics/: requests, caches, runs, the queue and the workers."""

    name = "apps.monitoring"
    label = "monitoring"
