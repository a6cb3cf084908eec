"""Threads are paged by post position: numbered by the services, kept through merges, read by index."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.forum import services
from apps.forum.models import Post

pytestmark = pytest.mark.django_db


def _positions(thread) -> list[int]:
    return list(thread.posts.order_by("created", "id").values_list("position", flat=True))


def test_posts_are_numbered_in_the_order_they_were_written(thread, mod):
    for i in range(4):
        services.post_create(user=mod, thread=thread, body=f"reply {i}")
    assert _positions(thread) == [1, 2, 3, 4, 5]


def test_a_merge_renumbers_the_combined_thread_in_time_order(thread, mod, category):
    other = services.thread_create(user=mod, category=category, title="Other", body="later opening")
    services.post_create(user=mod, thread=thread, body="reply in the first thread")
    services.post_create(user=mod, thread=other, body="reply in the other")
    into = services.thread_merge(moderator=mod, thread=other, into=thread, reason="same topic")
    assert _positions(into) == [1, 2, 3, 4]
    bodies = list(into.posts.order_by("position").values_list("body", flat=True))
    assert bodies == sorted(bodies, key=lambda b: into.posts.get(body=b).created)
    services.post_create(user=mod, thread=into, body="after the merge")
    assert into.posts.get(body="after the merge").position == 5


def test_the_last_page_of_a_long_thread_shows_its_last_posts(client, thread, mod, settings):
    settings.FORUM_POSTS_PER_PAGE = 3
    for i in range(2, 9):
        services.post_create(user=mod, thread=thread, body=f"number {i}")
    html = client.get(thread.get_absolute_url() + "?page=3").content.decode()
    assert "number 7" in html and "number 8" in html and "number 6" not in html
    assert "Page 3 of 3" in html
    beyond = client.get(thread.get_absolute_url() + "?page=99").content.decode()
    assert "Page 3 of 3" in beyond
    assert "Page 1 of 3" in client.get(thread.get_absolute_url() + "?page=x").content.decode()


def test_a_post_link_finds_its_page_from_its_position(client, thread, mod, settings):
    settings.FORUM_POSTS_PER_PAGE = 3
    for i in range(2, 8):
        services.post_create(user=mod, thread=thread, body=f"number {i}")
    seventh = Post.objects.get(thread=thread, position=7)
    response = client.get(reverse("forum:post", args=[seventh.pk]))
    assert response["Location"] == f"{thread.get_absolute_url()}?page=3#post-{seventh.pk}"
