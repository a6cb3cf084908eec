from __future__ import annotations

from django.urls import path

from apps.experiments import data_views, views

app_name = "experiments"

urlpatterns = [
    path("", views.experiment_list, name="list"),
    path("queue/", views.queue, name="queue"),
    path("reproducibility/", views.reproducibility, name="reproducibility"),
    path("queue/<int:run_id>/", views.queue_action, name="queue_action"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/status.json", views.run_status, name="run_status"),
    path("runs/<int:run_id>/result.json", data_views.run_result_json, name="run_result_json"),
    path("runs/<int:run_id>/result.csv", data_views.run_result_csv, name="run_result_csv"),
    path("runs/<int:run_id>/figure.json", data_views.run_figure, name="run_figure"),
    path("runs/<int:run_id>/data.json", data_views.run_figure_data, name="run_figure_data"),
    path("runs/<int:run_id>/data.csv", data_views.run_figure_csv, name="run_figure_csv"),
    path("runs/<int:run_id>/reproduce.zip", data_views.run_bundle, name="run_bundle"),
    path("runs/<int:run_id>/cancel/", views.run_cancel_view, name="run_cancel"),
    path("runs/<int:run_id>/reproduce/", views.run_reproduce_view, name="run_reproduce"),
    path("<slug:name>/", views.experiment_detail, name="detail"),
]
