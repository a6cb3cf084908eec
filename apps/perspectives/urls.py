from __future__ import annotations

from django.urls import path

from apps.perspectives import feeds, views

app_name = "perspectives"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("feed/", feeds.VersionFeed(), name="feed"),
    path("tags/<slug:tag>/", views.tag_detail, name="tag"),
    path("tags/<slug:tag>/feed/", feeds.TagVersionFeed(), name="tag_feed"),
    path("sequences/<slug:slug>/", views.sequence_detail, name="sequence"),
    path("<slug:slug>/", views.article_detail, name="detail"),
    path("<slug:slug>/v<int:number>/", views.version_detail, name="version"),
    path("<slug:slug>/diff/", views.article_diff, name="diff"),
    path("<slug:slug>/cite.bib", views.article_cite, name="cite"),
]
