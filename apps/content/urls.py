from __future__ import annotations

from django.urls import path

from apps.content import views

app_name = "content"

urlpatterns = [
    path("", views.home, name="home"),
]
