from __future__ import annotations

from django.urls import path

from apps.forum import feeds, moderation_views, views

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("new/", views.thread_new, name="thread_new"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("c/<slug:slug>/follow/", views.category_follow, name="category_follow"),
    path("c/<slug:slug>/feed/", feeds.CategoryFeed(), name="category_feed"),
    path("tag/<slug:slug>/", views.tag, name="tag"),
    path("tag/<slug:slug>/feed/", feeds.TagFeed(), name="tag_feed"),
    path("t/<int:pk>/", views.thread_redirect, name="thread_short"),
    path("t/<int:pk>/reply/", views.reply, name="reply"),
    path("t/<int:pk>/follow/", views.thread_follow, name="thread_follow"),
    path("t/<int:pk>/move/", moderation_views.thread_move, name="thread_move"),
    path("t/<int:pk>/merge/", moderation_views.thread_merge, name="thread_merge"),
    path("t/<int:pk>/mod/<str:action>/", moderation_views.thread_action, name="thread_action"),
    path("t/<int:pk>/<str:slug>/", views.thread_detail, name="thread"),
    path("p/<int:pk>/", views.post_redirect, name="post"),
    path("p/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:pk>/history/", views.post_history, name="post_history"),
    path("p/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("p/<int:pk>/vote/", views.post_vote, name="post_vote"),
    path("p/<int:pk>/flag/", views.post_flag, name="post_flag"),
    path("p/<int:pk>/accept/", views.answer_accept, name="answer_accept"),
    path("p/<int:pk>/mod/<str:action>/", moderation_views.post_action, name="post_action"),
    path("u/<str:username>/", views.user_activity, name="user"),
    path("u/<str:username>/feed/", feeds.UserFeed(), name="user_feed"),
    path("u/<str:username>/suspend/", moderation_views.suspend, name="suspend"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.notification_open, name="notification"),
    path("settings/", views.forum_settings, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("moderation/", moderation_views.queue, name="moderation"),
    path("moderation/log/", moderation_views.log, name="moderation_log"),
]
