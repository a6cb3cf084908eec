from __future__ import annotations

from django.urls import path

from apps.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("metrics/", views.metrics, name="metrics"),
]
