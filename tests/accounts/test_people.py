"""Wherever a person is shown, the username stands beside the display name, so a name alone never
has to be trusted: posts, threads, profiles, bylines, run pages and the queue."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse

from apps.experiments.services import run_request
from apps.forum import services as forum
from apps.submissions import services as submissions
from tests.factories import CategoryFactory, established, make_article

pytestmark = pytest.mark.django_db

HANDLE = ' <span class="handle">(@{})</span>'


def _render(template: str, **context: Any) -> str:
    return Template("{% load people %}" + template).render(Context(context))


def test_the_person_filter_shows_the_display_name_with_the_username(alice, charlie) -> None:
    assert _render("{{ u|person }}", u=alice) == "Alice Author" + HANDLE.format("alice")
    assert _render("{{ u|person }}", u=charlie) == "@charlie"
    assert _render("{{ u|person_text }}", u=alice) == "Alice Author (@alice)"
    assert _render("{{ u|person }}", u=None) == ""


def test_the_person_filter_escapes_a_hostile_display_name(mallory) -> None:
    mallory.display_name = '<img src=x onerror="alert(1)">'
    html = _render("{{ u|person }}", u=mallory)
    assert "<img" not in html and "&lt;img" in html
    assert html.endswith(HANDLE.format("mallory"))


def _main(html: str) -> str:
    # The header's link to the signed-in member's own profile names them to themselves.
    return html[html.index("<main") :]


def _every_name_has_its_handle(html: str, name: str, username: str) -> int:
    """How often ``name`` appears; fails if any appearance lacks the username right after it."""
    count = 0
    for match in re.finditer(re.escape(name), html):
        rest = html[match.end() : match.end() + 80]
        assert rest.startswith((HANDLE.format(username), f" (@{username})")), html[
            match.start() - 80 : match.end() + 80
        ]
        count += 1
    return count


def test_every_page_that_shows_a_member_shows_the_username_beside_the_name(client, alice, bob, staff) -> None:
    established(bob)
    category = CategoryFactory(slug="general", name="General")
    thread = forum.thread_create(user=bob, category=category, title="Sharpness", body="Rises to 2/eta.")
    forum.post_create(user=alice, thread=thread, body="It does.", reply_to=thread.posts.get())
    run, _ = run_request(requester=bob, experiment="deep_linear", params={}, preset="smoke")
    make_article("edge", authors=[(alice, "")])
    draft = submissions.submission_create(
        author=alice, fields={"title": "Plateaus", "summary": "Why loss pauses.", "body": "Text."}
    )

    public = [
        thread.get_absolute_url(),
        category.get_absolute_url(),
        reverse("forum:user", kwargs={"username": "bob"}),
        reverse("accounts:profile", args=["bob"]),
        reverse("experiments:run", args=[run.pk]),
    ]
    for url in public:
        html = client.get(url).content.decode()
        shown = _every_name_has_its_handle(html, "Bob Reader", "bob") + _every_name_has_its_handle(
            html, "Alice Author", "alice"
        )
        assert shown, f"{url} shows nobody"

    # An article's byline; its citation gives the authors' names as a reference list would.
    article = client.get(reverse("perspectives:detail", kwargs={"slug": "edge"})).content.decode()
    byline = re.search(r'<p class="meta byline">.*?</p>', article, re.S)
    assert byline and _every_name_has_its_handle(byline.group(), "Alice Author", "alice")

    client.force_login(staff)
    html = _main(client.get(reverse("experiments:queue")).content.decode())
    assert _every_name_has_its_handle(html, "Bob Reader", "bob")
    client.force_login(alice)
    html = _main(client.get(draft.get_absolute_url()).content.decode())
    assert _every_name_has_its_handle(html, "Alice Author", "alice")
