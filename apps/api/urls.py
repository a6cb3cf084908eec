from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from apps.api.views import content, forum, runs
from apps.api.views.docs import api_docs, not_found

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api_docs, name="docs"),
    # perspectives
    path("perspectives/", content.ArticleList.as_view(), name="article-list"),
    path("perspectives/<slug:slug>/", content.ArticleDetail.as_view(), name="article-detail"),
    path("perspectives/<slug:slug>/cite.bib", content.ArticleBibtex.as_view(), name="article-bibtex"),
    path("perspectives/<slug:slug>/versions/", content.VersionList.as_view(), name="version-list"),
    path("perspectives/<slug:slug>/versions/<int:number>/", content.VersionDetail.as_view(), name="version-detail"),
    path("sequences/", content.SequenceList.as_view(), name="sequence-list"),
    path("sequences/<slug:slug>/", content.SequenceDetail.as_view(), name="sequence-detail"),
    # open questions
    path("questions/", content.QuestionList.as_view(), name="question-list"),
    path("questions/<int:number>/", content.QuestionDetail.as_view(), name="question-detail"),
    # people
    path("users/<str:username>/", content.UserDetail.as_view(), name="user-detail"),
    path("notifications/", forum.NotificationList.as_view(), name="notification-list"),
    path("notifications/read/", forum.NotificationMarkRead.as_view(), name="notification-read"),
    # forum
    path("forum/categories/", forum.CategoryList.as_view(), name="category-list"),
    path("forum/categories/<slug:slug>/", forum.CategoryDetail.as_view(), name="category-detail"),
    path("forum/categories/<slug:slug>/follow/", forum.CategoryFollow.as_view(), name="category-follow"),
    path("forum/threads/", forum.ThreadList.as_view(), name="thread-list"),
    path("forum/threads/<int:pk>/", forum.ThreadDetail.as_view(), name="thread-detail"),
    path("forum/threads/<int:pk>/posts/", forum.ThreadPosts.as_view(), name="thread-posts"),
    path("forum/threads/<int:pk>/follow/", forum.ThreadFollow.as_view(), name="thread-follow"),
    path("forum/posts/<int:pk>/", forum.PostDetail.as_view(), name="post-detail"),
    path("forum/posts/<int:pk>/vote/", forum.PostVote.as_view(), name="post-vote"),
    path("forum/posts/<int:pk>/flag/", forum.PostFlag.as_view(), name="post-flag"),
    # experiments and runs
    path("experiments/", runs.ExperimentList.as_view(), name="experiment-list"),
    path("experiments/<slug:name>/", runs.ExperimentDetail.as_view(), name="experiment-detail"),
    path("runs/", runs.RunList.as_view(), name="run-list"),
    path("runs/<int:pk>/", runs.RunDetail.as_view(), name="run-detail"),
    path("runs/<int:pk>/result/", runs.RunResult.as_view(), name="run-result"),
    path("runs/<int:pk>/result.csv", runs.RunResultCsv.as_view(), name="run-result-csv"),
    path("runs/<int:pk>/cancel/", runs.RunCancel.as_view(), name="run-cancel"),
    path("runs/<int:pk>/reproduce/", runs.RunReproduce.as_view(), name="run-reproduce"),
    re_path(r"^(?P<path>.*)$", not_found),
]
