"""Posting rate limits: a clear 429 with a message, never a 500; shared through the cache."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from apps.forum import services, trust
from apps.forum.models import Post


@pytest.fixture
def fresh_minute() -> None:
    """Start the test at least ten seconds clear of the next clock minute.

    The allowance is counted per clock minute, so a burst that straddled two minutes would get two.
    Listed before the fixtures that post (the thread's opening post counts against its author's
    allowance), so that those posts fall in the same minute as the burst. Waiting is no assertion
    about time.
    """
    import time

    if time.time() % 60 > 50:
        time.sleep(60 - time.time() % 60 + 0.1)


@pytest.mark.django_db
def test_posting_faster_than_the_limit_gets_a_429_with_a_message(fresh_minute, client, thread, bob):
    client.force_login(bob)
    for i in range(settings.FORUM_POSTS_PER_MINUTE):
        response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": f"quick {i}"})
        assert response.status_code == 302
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "too quick"})
    assert response.status_code == 429
    assert "posting too quickly" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
    assert not Post.objects.filter(body="too quick").exists()


@pytest.mark.django_db
def test_new_threads_count_against_the_same_limit(fresh_minute, client, members, category):
    bob = members[1]
    client.force_login(bob)
    for i in range(settings.FORUM_POSTS_PER_MINUTE):
        client.post(reverse("forum:thread_new"), {"category": category.pk, "title": f"t{i}", "body": "b"})
    response = client.post(reverse("forum:thread_new"), {"category": category.pk, "title": "over", "body": "b"})
    assert response.status_code == 429


@pytest.mark.django_db
def test_moderators_are_not_rate_limited(thread, mod):
    for i in range(settings.FORUM_POSTS_PER_MINUTE + 2):
        services.post_create(user=mod, thread=thread, body=f"announcement {i}")


@pytest.mark.django_db
def test_one_members_limit_does_not_affect_another(fresh_minute, thread, bob, alice):
    for i in range(settings.FORUM_POSTS_PER_MINUTE):
        services.post_create(user=bob, thread=thread, body=f"b{i}")
    with pytest.raises(trust.RateLimited):
        services.post_create(user=bob, thread=thread, body="b-over")
    services.post_create(user=alice, thread=thread, body="alice is fine")


@pytest.mark.redis
@pytest.mark.django_db
def test_the_limit_holds_across_processes_through_redis(fresh_minute, settings, redis_url, thread, bob):
    # A separate client object stands in for a second web process: the count lives only in Redis.
    url = redis_url.rsplit("/", 1)[0] + "/2"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    from django.core.cache import caches

    caches["default"].clear()
    for i in range(settings.FORUM_POSTS_PER_MINUTE):
        services.post_create(user=bob, thread=thread, body=f"r{i}")
    from django.core.cache.backends.redis import RedisCache

    other_process = RedisCache(url, {})
    keys = [k for k in other_process._cache.get_client().keys("*forum:rate:post:*")]
    assert keys, "the counter must be stored in Redis"
    with pytest.raises(trust.RateLimited):
        services.post_create(user=bob, thread=thread, body="r-over")
    caches["default"].clear()


@pytest.mark.django_db
def test_the_limit_is_the_one_in_the_settings(fresh_minute, settings, thread, bob):
    settings.FORUM_POSTS_PER_MINUTE = 2
    services.post_create(user=bob, thread=thread, body="one")
    services.post_create(user=bob, thread=thread, body="two")
    with pytest.raises(trust.RateLimited, match="at most 2 posts and edits a minute"):
        services.post_create(user=bob, thread=thread, body="three")


@pytest.mark.django_db
def test_thirty_fast_edits_are_refused_past_the_posting_rate(fresh_minute, client, thread, first_post):
    alice = thread.author  # she started the thread a moment ago: one post of this minute's allowance
    client.force_login(alice)
    url = reverse("forum:post_edit", args=[first_post.pk])
    responses = [client.post(url, {"body": f"Sharpness, take {i}."}) for i in range(30)]

    allowed = settings.FORUM_POSTS_PER_MINUTE - 1
    assert [r.status_code for r in responses] == [302] * allowed + [429] * (30 - allowed)
    refused = responses[allowed]
    assert "posting too quickly" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    assert first_post.revisions.count() == allowed
    first_post.refresh_from_db()
    assert first_post.body == f"Sharpness, take {allowed - 1}."


@pytest.mark.django_db
def test_edits_and_posts_draw_on_one_allowance(fresh_minute, thread, first_post, bob):
    for i in range(settings.FORUM_POSTS_PER_MINUTE - 1):
        services.post_create(user=bob, thread=thread, body=f"reply {i}")
    mine = services.post_create(user=bob, thread=thread, body="the last one this minute")
    with pytest.raises(trust.RateLimited):
        services.post_edit(user=bob, post=mine, body="an edit over the limit")
    assert Post.objects.get(pk=mine.pk).body == "the last one this minute"


@pytest.mark.django_db
def test_an_api_edit_over_the_rate_is_a_429(fresh_minute, thread, first_post):
    from tests.api.conftest import client_for

    client = client_for(thread.author)
    codes = [
        client.patch(f"/api/v1/forum/posts/{first_post.pk}/", {"body": f"v{i}"}, format="json").status_code
        for i in range(settings.FORUM_POSTS_PER_MINUTE + 1)
    ]
    assert codes[-1] == 429 and 429 not in codes[: settings.FORUM_POSTS_PER_MINUTE - 1]


@pytest.mark.django_db
def test_moderators_may_edit_as_often_as_they_need(thread, first_post, mod):
    for i in range(settings.FORUM_POSTS_PER_MINUTE + 2):
        services.post_edit(user=mod, post=first_post, body=f"moderated {i}")
