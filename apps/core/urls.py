from __future__ import annotations

from django.urls import path

from apps.core import views

app_name = "core"

urlpatterns = [
    path("about/", views.about, name="about"),
    path("pages/<slug:slug>/", views.page_detail, name="page"),
]
