"""Ids made inside a post start with that post's id, so no post can take another's id or share a footnote's.

The attacks: a heading "## 401" in one post while post 401 is on the same page
(the heading took the id post-401, so links to post 401 jumped to the heading),
and two posts with footnotes (both had post-fn-1).
"""

from __future__ import annotations

import importlib
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps as django_apps

from apps.core.rendering import render_markdown
from apps.forum import services
from apps.forum.models import Post
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

FOOTNOTED = "A claim.[^1]\n\n[^1]: Its source."


class _Ids(HTMLParser):
    """Every id on a page, and every in-page link with the post (li id="post-N") it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []  # (post li id, target id)
        self._posts: list[str] = []
        self._depth: list[int] = []
        self._level = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._level += 1
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "li" and "post" in (found.get("class") or "").split():
            self._posts.append(str(found.get("id")))
            self._depth.append(self._level)
        href = found.get("href") or ""
        if tag == "a" and href.startswith("#") and self._posts:
            self.links.append((self._posts[-1], href[1:]))

    def handle_endtag(self, tag: str) -> None:
        if self._depth and self._depth[-1] == self._level and tag == "li":
            self._posts.pop()
            self._depth.pop()
        self._level -= 1


def _page(client: Any, thread: Any) -> _Ids:
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    parser = _Ids()
    parser.feed(response.content.decode())
    return parser


def test_a_heading_401_does_not_take_the_id_of_post_401(client, thread, bob) -> None:
    heading = services.post_create(user=bob, thread=thread, body="## 401\n\nThe status code, not the post.")
    post_401 = PostFactory(pk=401, thread=thread, author=bob)
    page = _page(client, thread)
    assert Counter(page.ids)["post-401"] == 1
    assert f"post-{heading.pk}-401" in page.ids
    assert post_401.pk == 401
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert duplicates == []


def test_footnotes_of_two_posts_on_one_page_have_ids_of_their_own(client, thread, bob, alice) -> None:
    first = services.post_create(user=bob, thread=thread, body=FOOTNOTED)
    second = services.post_create(user=alice, thread=thread, body=FOOTNOTED)
    page = _page(client, thread)
    assert [i for i, n in Counter(page.ids).items() if n > 1] == []
    for post in (first, second):
        inside = [target for li, target in page.links if li == f"post-{post.pk}"]
        # The footnote reference and its way back, each leading to an id within the same post.
        assert f"post-{post.pk}-fn-1" in inside and f"post-{post.pk}-fnref-1" in inside
        assert all(target.startswith(f"post-{post.pk}-") for target in inside)


def test_an_edited_post_keeps_its_own_prefix(thread, first_post) -> None:
    edited = services.post_edit(user=thread.author, post=first_post, body="## Results\n\n" + FOOTNOTED)
    assert f'id="post-{first_post.pk}-results"' in edited.html
    assert f'href="#post-{first_post.pk}-fn-1"' in edited.html
    assert Post.objects.get(pk=first_post.pk).html == edited.html


def test_the_migration_gives_older_posts_the_new_prefix_and_leaves_links_to_other_posts(thread) -> None:
    body = "## 401\n\nSee [post 12](#post-12) and the note.[^1]\n\n[^1]: A note."
    old = PostFactory(thread=thread, body=body, html=render_markdown(body, id_prefix="post-").html)
    assert 'id="post-401"' in old.html  # as posts were stored before

    migration = importlib.import_module("apps.forum.migrations.0005_post_ids_by_post")
    migration.prefix_ids(django_apps, None)

    old.refresh_from_db()
    assert old.html == render_markdown(body, id_prefix=f"post-{old.pk}-").html
    assert 'href="#post-12"' in old.html
