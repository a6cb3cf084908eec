"""The permission matrix: every endpoint and method, as each persona, including other people's objects by id.

Each row runs every persona against the same world, each inside a savepoint
that is rolled back, so one persona's write never changes what the next sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from apps.forum.models import Thread
from apps.perspectives.models import Article
from tests.api.conftest import World, client_for

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "charlie", "bob", "alice", "mallory", "mod", "admin")
ANYONE = dict.fromkeys(PERSONAS, 200)


def members(status: int) -> dict[str, int]:
    return {"anonymous": 401} | {p: status for p in PERSONAS if p != "anonymous"}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict[str, Any]] | None = None


ROWS = [
    # --- public reads ---
    Row("article list", "get", lambda w: "/api/v1/perspectives/", ANYONE),
    Row("article detail", "get", lambda w: f"/api/v1/perspectives/{w.article.slug}/", ANYONE),
    Row("article bibtex", "get", lambda w: f"/api/v1/perspectives/{w.article.slug}/cite.bib", ANYONE),
    Row("version list", "get", lambda w: f"/api/v1/perspectives/{w.article.slug}/versions/", ANYONE),
    Row("version detail", "get", lambda w: f"/api/v1/perspectives/{w.article.slug}/versions/1/", ANYONE),
    Row("sequence list", "get", lambda w: "/api/v1/sequences/", ANYONE),
    Row("question list", "get", lambda w: "/api/v1/questions/", ANYONE),
    Row("question detail", "get", lambda w: f"/api/v1/questions/{w.question.number}/", ANYONE),
    Row("category list", "get", lambda w: "/api/v1/forum/categories/", ANYONE),
    Row("category detail", "get", lambda w: f"/api/v1/forum/categories/{w.category.slug}/", ANYONE),
    Row("thread list", "get", lambda w: "/api/v1/forum/threads/", ANYONE),
    Row("thread detail", "get", lambda w: f"/api/v1/forum/threads/{w.thread.pk}/", ANYONE),
    Row("thread posts", "get", lambda w: f"/api/v1/forum/threads/{w.thread.pk}/posts/", ANYONE),
    Row("post detail", "get", lambda w: f"/api/v1/forum/posts/{w.post.pk}/", ANYONE),
    Row("experiment list", "get", lambda w: "/api/v1/experiments/", ANYONE),
    Row("experiment detail", "get", lambda w: "/api/v1/experiments/deep_linear/", ANYONE),
    Row("run list", "get", lambda w: "/api/v1/runs/", ANYONE),
    Row("run detail", "get", lambda w: f"/api/v1/runs/{w.run.pk}/", ANYONE),
    Row("run result", "get", lambda w: f"/api/v1/runs/{w.done.pk}/result/", ANYONE),
    Row("run result csv", "get", lambda w: f"/api/v1/runs/{w.done.pk}/result.csv", ANYONE),
    Row("profile", "get", lambda w: "/api/v1/users/alice/", ANYONE),
    Row("no result yet", "get", lambda w: f"/api/v1/runs/{w.run.pk}/result/", dict.fromkeys(PERSONAS, 404)),
    # --- what only some may read ---
    Row("notifications", "get", lambda w: "/api/v1/notifications/", members(200)),
    Row(
        "hidden thread",
        "get",
        lambda w: f"/api/v1/forum/threads/{hidden_thread(w).pk}/",
        dict.fromkeys(PERSONAS, 404) | {"mod": 200, "admin": 200},
    ),
    Row(
        "draft article",
        "get",
        lambda w: f"/api/v1/perspectives/{draft_article().slug}/",
        dict.fromkeys(PERSONAS, 404) | {"admin": 200},  # drafts are for staff; a moderator is not staff
    ),
    # --- forum writes ---
    Row(
        "start a thread",
        "post",
        lambda w: "/api/v1/forum/threads/",
        members(201),
        lambda w: {"category": "general", "title": "A question", "body": "What sets the step size?"},
    ),
    Row(
        "start a thread with many links",
        "post",
        lambda w: "/api/v1/forum/threads/",
        members(201) | {"charlie": 400},  # trust level 0 allows two links per post
        lambda w: {"category": "general", "title": "Links", "body": "https://a.org https://b.org https://c.org"},
    ),
    Row(
        "reply",
        "post",
        lambda w: f"/api/v1/forum/threads/{w.thread.pk}/posts/",
        members(201),
        lambda w: {"body": "It depends on the loss.", "reply_to": w.post.pk},
    ),
    Row(
        "edit alice's post",
        "patch",
        lambda w: f"/api/v1/forum/posts/{w.post.pk}/",
        members(403) | {"alice": 200, "mod": 200, "admin": 200},
        lambda w: {"body": "Does it always? (edited)"},
    ),
    Row(
        "vote on alice's post",
        "post",
        lambda w: f"/api/v1/forum/posts/{w.post.pk}/vote/",
        members(200) | {"alice": 400},  # not for your own post
        lambda w: {"up": True},
    ),
    Row(
        "flag alice's post",
        "post",
        lambda w: f"/api/v1/forum/posts/{w.post.pk}/flag/",
        members(201) | {"alice": 400},
        lambda w: {"reason": "off_topic"},
    ),
    Row(
        "delete alice's post",
        "delete",
        lambda w: f"/api/v1/forum/posts/{w.post.pk}/",
        members(403) | {"alice": 200, "mod": 200, "admin": 200},
    ),
    Row("follow a category", "put", lambda w: f"/api/v1/forum/categories/{w.category.slug}/follow/", members(200)),
    Row("unfollow a category", "delete", lambda w: f"/api/v1/forum/categories/{w.category.slug}/follow/", members(200)),
    Row("follow a thread", "put", lambda w: f"/api/v1/forum/threads/{w.thread.pk}/follow/", members(200)),
    Row("unfollow a thread", "delete", lambda w: f"/api/v1/forum/threads/{w.thread.pk}/follow/", members(200)),
    Row("mark notifications read", "post", lambda w: "/api/v1/notifications/read/", members(200), lambda w: {}),
    # --- runs ---
    Row(
        "request a run",
        "post",
        lambda w: "/api/v1/runs/",
        # As on the web: any member within the quota; a brand-new account gets starter runs (smoke, no larger).
        members(202),
        lambda w: {"experiment": "deep_linear", "preset": "smoke", "params": {"steps": 77}},
    ),
    Row(
        "request a large run",
        "post",
        lambda w: "/api/v1/runs/",
        members(202) | {"charlie": 403},
        lambda w: {"experiment": "deep_linear", "preset": "full", "params": {}},
    ),
    Row(
        "cancel alice's run",
        "post",
        lambda w: f"/api/v1/runs/{w.run.pk}/cancel/",
        members(403) | {"alice": 200, "admin": 200},  # owner or staff, as on the run page
    ),
    Row(
        "reproduce alice's run",
        "post",
        lambda w: f"/api/v1/runs/{w.done.pk}/reproduce/",
        members(403) | {"alice": 202, "admin": 202},
    ),
    # --- nothing here takes these methods ---
    Row("delete an article", "delete", lambda w: f"/api/v1/perspectives/{w.article.slug}/", members(405)),
    Row("replace a run", "put", lambda w: f"/api/v1/runs/{w.run.pk}/", members(405), lambda w: {}),
]


def hidden_thread(w: World) -> Thread:
    return Thread.objects.create(category=w.category, title="Hidden", author=w.thread.author, is_hidden=True)


def draft_article() -> Article:
    from tests.factories import make_article

    return make_article("a-draft", status="draft")


def _user(name: str, world: World) -> Any:
    if name == "anonymous":
        return None
    from apps.accounts.models import User

    return User.objects.get(username=name)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_each_persona_gets_the_status_the_rules_give(row: Row, world: World) -> None:
    actual: dict[str, int] = {}
    for persona in PERSONAS:
        cache.clear()
        with transaction.atomic():
            path = row.path(world)
            body = row.body(world) if row.body else None
            client = client_for(_user(persona, world))
            response = getattr(client, row.method)(path, body, format="json")
            actual[persona] = response.status_code
            if response.status_code >= 400 and response.status_code != 405:
                assert set(response.json()["error"]) == {"code", "message", "fields"}
            transaction.set_rollback(True)
    assert actual == row.expected


def test_a_hidden_post_keeps_its_body_from_members_but_not_from_moderators(world: World, mod, bob) -> None:
    from apps.forum.services import post_hide

    post_hide(moderator=mod, post=world.post, reason="test")
    path = f"/api/v1/forum/posts/{world.post.pk}/"
    assert client_for(bob).get(path).json()["body"] is None
    assert client_for(mod).get(path).json()["body"] == "Does it always?"


def test_a_suspended_member_cannot_post_through_the_api(world: World, mod, bob) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.forum.services import user_suspend

    user_suspend(moderator=mod, user=bob, reason="cool off", until=timezone.now() + timedelta(days=1))
    response = client_for(bob).post(f"/api/v1/forum/threads/{world.thread.pk}/posts/", {"body": "hi"}, format="json")
    assert response.status_code == 400
    assert "suspended" in response.json()["error"]["message"]
