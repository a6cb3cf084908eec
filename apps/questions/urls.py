from __future__ import annotations

from django.urls import path

from apps.questions import views

app_name = "questions"

urlpatterns = [
    path("", views.question_list, name="list"),
    path("<int:number>/", views.question_detail, name="detail"),
    path("<int:number>/follow/", views.question_follow, name="follow"),
]
