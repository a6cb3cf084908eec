from __future__ import annotations

from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/edit/", views.profile_edit, name="profile_edit"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/new/", views.token_create, name="token_create"),
    path("me/tokens/revoke/", views.token_revoke, name="token_revoke"),
    path("<str:username>/", views.profile, name="profile"),
]
