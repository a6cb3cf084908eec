"""The permission matrix: every forum action tried by every kind of member, on alice's objects.

Each cell checks the outcome a user would notice (the change happened, or it did
not) and, for refusals, that the answer is a refusal and never a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.forum import services
from apps.forum.models import Flag, ModerationLog, Post, Suspension, Thread, Vote
from tests.factories import established

ROLES = ["anonymous", "new", "regular", "author", "moderator", "admin"]
EVERYONE_SIGNED_IN = {"new", "regular", "author", "moderator", "admin"}
STAFF = {"moderator", "admin"}


@dataclass
class World:
    alice: Any
    bob: Any
    thread: Thread
    post: Post
    hidden: Post
    other: Thread


@pytest.fixture
def world(alice, bob, charlie, mod, admin_user, category, other_category) -> World:
    established(alice, posts=3)
    established(bob, posts=3)
    thread = services.thread_create(user=alice, category=category, title="Alice asks", body="ALICE-FIRST-POST")
    post = thread.posts.get()
    hidden = services.post_create(user=alice, thread=thread, body="ALICE-HIDDEN-POST")
    services.post_hide(moderator=mod, post=hidden, reason="test")
    other = services.thread_create(user=bob, category=category, title="Bob's thread", body="bob body")
    return World(alice, bob, thread, post, hidden, other)


def login(client, role: str, request) -> None:
    name = {"new": "charlie", "regular": "bob", "author": "alice", "moderator": "mod", "admin": "admin_user"}.get(role)
    if name:
        client.force_login(request.getfixturevalue(name))


@dataclass
class Action:
    allowed: set[str]
    do: Callable[[Any, World], Any]
    happened: Callable[[World], bool]


def _post(url: str, data: dict | None = None) -> Callable[[Any, World], Any]:
    return lambda client, w: client.post(url, data or {})


ACTIONS: dict[str, Action] = {
    "create thread": Action(
        EVERYONE_SIGNED_IN,
        lambda c, w: c.post(
            reverse("forum:thread_new"), {"category": w.thread.category_id, "title": "New thread", "body": "hello"}
        ),
        lambda w: Thread.objects.filter(title="New thread").exists(),
    ),
    "reply": Action(
        EVERYONE_SIGNED_IN,
        lambda c, w: c.post(reverse("forum:reply", args=[w.thread.pk]), {"body": "MATRIX-REPLY"}),
        lambda w: Post.objects.filter(body="MATRIX-REPLY").exists(),
    ),
    "edit": Action(
        {"author", "moderator", "admin"},
        lambda c, w: c.post(reverse("forum:post_edit", args=[w.post.pk]), {"body": "EDITED"}),
        lambda w: Post.objects.get(pk=w.post.pk).body == "EDITED",
    ),
    "delete": Action(
        {"author", "moderator", "admin"},
        lambda c, w: c.post(reverse("forum:post_delete", args=[w.post.pk])),
        lambda w: Post.objects.get(pk=w.post.pk).is_deleted,
    ),
    "vote": Action(
        {"new", "regular", "moderator", "admin"},
        lambda c, w: c.post(reverse("forum:post_vote", args=[w.post.pk])),
        lambda w: Vote.objects.filter(post=w.post).exists() and Post.objects.get(pk=w.post.pk).score == 1,
    ),
    "flag": Action(
        {"new", "regular", "moderator", "admin"},
        lambda c, w: c.post(reverse("forum:post_flag", args=[w.post.pk]), {"reason": "spam"}),
        lambda w: Flag.objects.filter(post=w.post).exists(),
    ),
    "hide": Action(
        STAFF,
        lambda c, w: c.post(reverse("forum:post_action", args=[w.post.pk, "hide"])),
        lambda w: Post.objects.get(pk=w.post.pk).is_hidden,
    ),
    "restore": Action(
        STAFF,
        lambda c, w: c.post(reverse("forum:post_action", args=[w.hidden.pk, "restore"])),
        lambda w: not Post.objects.get(pk=w.hidden.pk).is_hidden,
    ),
    "lock": Action(
        STAFF,
        lambda c, w: c.post(reverse("forum:thread_action", args=[w.thread.pk, "lock"])),
        lambda w: Thread.objects.get(pk=w.thread.pk).is_locked,
    ),
    "pin": Action(
        STAFF,
        lambda c, w: c.post(reverse("forum:thread_action", args=[w.thread.pk, "pin"])),
        lambda w: Thread.objects.get(pk=w.thread.pk).is_pinned,
    ),
    "move": Action(
        STAFF,
        lambda c, w: c.post(reverse("forum:thread_move", args=[w.thread.pk]), {"category": _meta_pk()}),
        lambda w: Thread.objects.get(pk=w.thread.pk).category.slug == "meta",
    ),
    "merge": Action(
        STAFF,
        lambda c, w: c.post(reverse("forum:thread_merge", args=[w.other.pk]), {"into": w.thread.pk}),
        lambda w: Thread.objects.get(pk=w.other.pk).merged_into_id == w.thread.pk,
    ),
    "suspend": Action(
        STAFF,
        lambda c, w: c.post(
            reverse("forum:suspend", args=["bob"]),
            {"reason": "spam", "until": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")},
        ),
        lambda w: Suspension.objects.filter(user=w.bob).exists(),
    ),
    "view moderation queue": Action(
        STAFF,
        lambda c, w: c.get(reverse("forum:moderation")),
        lambda w: False,  # judged by status code below
    ),
    "view hidden post": Action(
        STAFF,
        lambda c, w: c.get(w.thread.get_absolute_url()),
        lambda w: False,  # judged by page content below
    ),
}


def _meta_pk() -> int:
    from apps.forum.models import Category

    return Category.objects.get(slug="meta").pk


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_permission_matrix(client, request, world, role, name):
    action = ACTIONS[name]
    login(client, role, request)
    logs_before = ModerationLog.objects.count()
    response = action.do(client, world)
    allowed = role in action.allowed
    assert response.status_code < 500

    if name == "view moderation queue":
        assert (response.status_code == 200) == allowed
    elif name == "view hidden post":
        assert response.status_code == 200
        assert ("ALICE-HIDDEN-POST" in response.content.decode()) == allowed
    else:
        assert action.happened(world) == allowed, f"{role} {name}: expected allowed={allowed}"
    if not allowed:
        if role == "anonymous" and name != "view hidden post":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif name not in ("view hidden post",):
            # A refusal is a 403/404, or the form shown again with its error (400), or a redirect with a message.
            assert response.status_code in (302, 400, 403, 404)
        assert ModerationLog.objects.count() == logs_before


@pytest.mark.django_db
def test_mallory_cannot_touch_alices_objects_by_id(client, world, mallory):
    established(mallory, posts=3)
    client.force_login(mallory)
    post, thread = world.post, world.thread
    assert client.post(reverse("forum:post_edit", args=[post.pk]), {"body": "pwned"}).status_code == 403
    assert client.get(reverse("forum:post_edit", args=[post.pk])).status_code == 403
    assert client.post(reverse("forum:post_delete", args=[post.pk])).status_code == 403
    assert client.post(reverse("forum:post_action", args=[post.pk, "hide"])).status_code == 403
    assert client.post(reverse("forum:thread_action", args=[thread.pk, "lock"])).status_code == 403
    # The hidden post's edit page and history are not even acknowledged to exist.
    assert client.get(reverse("forum:post_history", args=[world.hidden.pk])).status_code == 404
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "ALICE-FIRST-POST" and not post.is_deleted and not post.is_hidden
    assert not thread.is_locked
    assert not post.revisions.exists()


@pytest.mark.django_db
def test_mallory_cannot_accept_an_answer_in_alices_question(client, alice, mallory, category):
    established(alice, posts=3)
    established(mallory, posts=3)
    question = services.thread_create(user=alice, category=category, title="Q", body="why?", is_question=True)
    answer = services.post_create(user=mallory, thread=question, body="because")
    client.force_login(mallory)
    assert client.post(reverse("forum:answer_accept", args=[answer.pk])).status_code == 403
    question.refresh_from_db()
    assert question.accepted_post_id is None
    client.force_login(alice)
    client.post(reverse("forum:answer_accept", args=[answer.pk]))
    question.refresh_from_db()
    assert question.accepted_post_id == answer.pk


@pytest.mark.django_db
def test_mallory_cannot_read_or_clear_someone_elses_notification(client, world, mallory):
    services.post_create(user=world.bob, thread=world.thread, body="@alice look", reply_to=world.post)
    note = world.alice.forum_notifications.get(kind="mention")
    client.force_login(mallory)
    assert client.get(reverse("forum:notification", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


@pytest.mark.django_db
def test_a_suspended_member_cannot_post_vote_or_flag(client, world, mod):
    services.user_suspend(moderator=mod, user=world.bob, reason="cool off", until=timezone.now() + timedelta(days=1))
    client.force_login(world.bob)
    response = client.post(reverse("forum:reply", args=[world.thread.pk]), {"body": "still here"})
    assert response.status_code == 400
    assert "suspended" in response.content.decode()
    assert client.post(reverse("forum:post_vote", args=[world.post.pk])).status_code == 403
    assert client.post(reverse("forum:post_flag", args=[world.post.pk]), {"reason": "spam"}).status_code == 403
    assert not Post.objects.filter(body="still here").exists()
    assert not Vote.objects.exists() and not Flag.objects.exists()


@pytest.mark.django_db
def test_a_locked_thread_refuses_replies_from_members_but_not_moderators(client, world, mod):
    services.thread_lock(moderator=mod, thread=world.thread)
    client.force_login(world.bob)
    response = client.post(reverse("forum:reply", args=[world.thread.pk]), {"body": "late"})
    assert response.status_code == 400 and "locked" in response.content.decode()
    client.force_login(mod)
    client.post(reverse("forum:reply", args=[world.thread.pk]), {"body": "moderator note"})
    assert Post.objects.filter(body="moderator note").exists()
    assert not Post.objects.filter(body="late").exists()


@pytest.mark.django_db
def test_a_hidden_thread_is_a_404_for_members(client, world, mod):
    services.thread_hide(moderator=mod, thread=world.thread, reason="spam")
    client.force_login(world.bob)
    assert client.get(world.thread.get_absolute_url()).status_code == 404
    assert client.post(reverse("forum:reply", args=[world.thread.pk]), {"body": "x"}).status_code == 404
    client.force_login(mod)
    assert client.get(world.thread.get_absolute_url()).status_code == 200
