"""What a person is shown about their roles agrees with what they may do, on pages and in the API.

For each persona and each role, the badge on their profile, the role in the
API's profile and the link that leads to the role's pages are shown exactly
when those pages, the actions behind them and the API endpoints let the person
in. A staff account holds every role (docs/accounts.md), so it must be both
shown the editor's and moderator's ways in and let through them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.roles import AUTHOR, EDITOR, MODERATOR, ROLES
from apps.forum.models import Category, Post, Thread
from apps.submissions import services as submissions
from apps.submissions.models import State, Submission

# The roles each persona (tests/conftest.py) holds; bob, with none, is the control.
PERSONAS: dict[str, frozenset[str]] = {
    "staff": frozenset(ROLES),
    "admin_user": frozenset(ROLES),
    "ed": frozenset({EDITOR}),
    "mod": frozenset({MODERATOR}),
    "alice": frozenset({AUTHOR}),
    "bob": frozenset(),
}

# The link on a page that leads to each role's pages.
ROLE_LINKS = {
    AUTHOR: ("submissions:index", "submissions:create"),
    EDITOR: ("submissions:index", "submissions:editor"),
    MODERATOR: ("forum:index", "forum:moderation"),
}


def _api(person: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=person)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _shown(person: User, role: str, client: Client) -> dict[str, bool]:
    profile = client.get(reverse("accounts:profile", args=[person.username])).content.decode()
    api_roles = _api(person).get(f"/api/v1/users/{person.username}/").json()["roles"]
    page, target = ROLE_LINKS[role]
    link = f'href="{reverse(target)}"' in client.get(reverse(page)).content.decode()
    return {
        "shown: badge on the profile page": f'<span class="tag role">{role}</span>' in profile,
        "shown: role in the API profile": role in api_roles,
        f"shown: link to {target}": link,
    }


def _may_author(person: User, client: Client, owner: User) -> dict[str, bool]:
    writing_page = client.get(reverse("submissions:create")).status_code == 200
    client.post(
        reverse("submissions:create"),
        {
            "title": "On plateaus",
            "slug": "on-plateaus",
            "summary": "Why loss curves stall.",
            "kind": "perspective",
            "body": "Text.",
        },
    )
    return {
        "may: open the writing page": writing_page,
        "may: start a draft": Submission.objects.filter(owner=person, slug="on-plateaus").exists(),
    }


def _may_edit(person: User, client: Client, owner: User) -> dict[str, bool]:
    draft = submissions.submission_create(
        author=owner, fields={"title": "Saddles", "summary": "Plateaus and drops.", "body": "$L(t) = e^{-2t}$"}
    )
    submitted = submissions.submission_submit(submission=draft, user=owner)
    dashboard = client.get(reverse("submissions:editor")).status_code == 200
    client.post(reverse("submissions:decide", args=[submitted.pk]), {"decision": "accept", "note": "Sound."})
    submitted.refresh_from_db()
    return {
        "may: open the editors' dashboard": dashboard,
        "may: decide on a submission": submitted.state == State.ACCEPTED,
    }


def _may_moderate(person: User, client: Client, owner: User) -> dict[str, bool]:
    category = Category.objects.create(slug="general", name="General")
    thread = Thread.objects.create(category=category, title="Is the edge of stability universal?", author=owner)
    post = Post.objects.create(
        thread=thread, author=owner, body="It hovers at 2/eta.", html="<p>It hovers.</p>", position=1
    )
    hidden = Thread.objects.create(category=category, title="Spam", author=owner, is_hidden=True)
    queue = client.get(reverse("forum:moderation")).status_code == 200
    client.post(reverse("forum:post_action", args=[post.pk, "hide"]), {"reason": "off topic"})
    post.refresh_from_db()
    api = _api(person)
    edited = api.patch(f"/api/v1/forum/posts/{post.pk}/", {"body": "Edited by a moderator."}, format="json")
    return {
        "may: open the moderation queue": queue,
        "may: hide someone else's post": post.is_hidden,
        "may: read a hidden thread in the API": api.get(f"/api/v1/forum/threads/{hidden.pk}/").status_code == 200,
        "may: edit someone else's post in the API": edited.status_code == 200,
    }


MAY = {AUTHOR: _may_author, EDITOR: _may_edit, MODERATOR: _may_moderate}


@pytest.fixture
def owner(make_user: Any) -> User:
    """An author outside the personas, who owns the submission and the posts acted on."""
    return make_user("olga", groups=(AUTHOR,))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_what_each_person_is_shown_of_a_role_agrees_with_what_they_may_do(
    persona: str, role: str, request: pytest.FixtureRequest, owner: User
) -> None:
    person = request.getfixturevalue(persona)
    client = Client()
    client.force_login(person)
    observed = {**_shown(person, role, client), **MAY[role](person, client, owner)}
    holds = role in PERSONAS[persona]
    assert observed == dict.fromkeys(observed, holds)
