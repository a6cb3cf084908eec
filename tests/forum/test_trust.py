"""The forum's limits by trust level, and the facts the forum gives apps.accounts.trust (its standing provider)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.accounts.trust import (
    MEMBER,
    MODERATOR,
    NEW,
    RunAllowance,
    can_request_runs,
    forget_standing,
    run_ineligibility,
    run_permission,
    trust_level,
)
from apps.forum import services, trust
from apps.forum.models import ForumProfile, Post, Thread
from tests.factories import established

THREE_LINKS = "See https://a.example, https://b.example and [this](https://c.example)."


@pytest.mark.django_db
def test_a_brand_new_account_is_trust_level_zero_with_starter_runs_only(charlie):
    assert trust_level(charlie) == NEW
    assert run_permission(charlie).allowance is RunAllowance.STARTER


@pytest.mark.django_db
def test_a_day_and_three_posts_lift_a_member_to_level_one(charlie):
    established(charlie, days=2, posts=3)
    assert trust_level(charlie) == MEMBER
    assert can_request_runs(charlie)


@pytest.mark.django_db
def test_an_old_account_without_posts_stays_new(charlie):
    established(charlie, days=60, posts=0)
    assert trust_level(charlie) == NEW


@pytest.mark.django_db
def test_a_moderator_can_grant_a_level(charlie):
    ForumProfile.objects.create(user=charlie, granted_trust_level=1)
    assert can_request_runs(charlie)


@pytest.mark.django_db
def test_anonymous_visitors_cannot_request_runs():
    from django.contrib.auth.models import AnonymousUser

    assert not can_request_runs(AnonymousUser())


@pytest.mark.django_db
def test_too_many_links_from_a_new_member_is_a_form_error(client, charlie, category):
    client.force_login(charlie)
    response = client.post(
        reverse("forum:thread_new"), {"category": category.pk, "title": "Links", "body": THREE_LINKS}
    )
    assert response.status_code == 400
    assert "at most 2 links" in response.content.decode()
    assert not Thread.objects.exists() and not Post.objects.exists()


@pytest.mark.django_db
def test_links_in_code_do_not_count(charlie, category):
    body = "```\nhttps://a https://b https://c\n```\nand `https://d`"
    services.thread_create(user=charlie, category=category, title="code", body=body)
    assert Thread.objects.count() == 1


@pytest.mark.django_db
def test_the_same_links_are_fine_once_the_member_is_established(bob, category):
    established(bob, posts=3)
    services.thread_create(user=bob, category=category, title="Links", body=THREE_LINKS)
    assert Thread.objects.filter(title="Links").count() == 1


@pytest.mark.django_db
def test_too_many_mentions_from_a_new_member_is_refused(make_user, charlie, category):
    for name in ("m1", "m2", "m3"):
        make_user(name)
    with pytest.raises(ValidationError) as excinfo:
        services.thread_create(user=charlie, category=category, title="hey", body="@m1 @m2 @m3 thoughts?")
    assert "body" in excinfo.value.message_dict


@pytest.mark.django_db
def test_a_new_member_may_post_ten_times_a_day(charlie, category, settings):
    thread = services.thread_create(user=charlie, category=category, title="Counting", body="1")
    for i in range(settings.FORUM_TL0_POSTS_PER_DAY - 1):
        # Each call is in a fresh minute as far as the per-minute limit knows.
        from django.core.cache import cache

        cache.clear()
        services.post_create(user=charlie, thread=thread, body=f"post {i}")
    from django.core.cache import cache

    cache.clear()
    with pytest.raises(trust.RateLimited) as excinfo:
        services.post_create(user=charlie, thread=thread, body="one too many")
    assert "a day" in excinfo.value.message
    assert not Post.objects.filter(body="one too many").exists()


@pytest.mark.django_db
def test_moderators_are_exempt_from_link_limits(mod, category):
    services.thread_create(user=mod, category=category, title="Links", body=THREE_LINKS)
    assert trust_level(mod) == MODERATOR


@pytest.mark.django_db
def test_new_members_cannot_embed_experiment_figures(charlie, category):
    body = "Look:\n\n```figure\nexperiment: deep_linear\npreset: smoke\ncaption: modes\n```\n"
    with pytest.raises(ValidationError) as excinfo:
        services.thread_create(user=charlie, category=category, title="fig", body=body)
    assert "figures" in " ".join(excinfo.value.message_dict["body"])
    assert not Thread.objects.exists()


# --- the facts the forum provides to apps.accounts.trust -------------------------------------------


@pytest.mark.django_db
def test_hidden_and_deleted_posts_do_not_count_towards_a_level(charlie):
    established(charlie, days=2, posts=3)
    first, second, _ = Post.objects.filter(author=charlie)
    Post.objects.filter(pk=first.pk).update(is_hidden=True)
    Post.objects.filter(pk=second.pk).update(is_deleted=True)
    forget_standing(charlie)
    assert trust_level(charlie) == NEW
    assert run_permission(charlie).reason.endswith(
        "any run opens once you have written three forum posts (you have 1)."
    )


@pytest.mark.django_db
def test_a_forum_suspension_stops_runs_until_it_ends_and_lifting_it_restores_them(mod, bob):
    from datetime import UTC, datetime

    assert can_request_runs(bob)
    services.user_suspend(moderator=mod, user=bob, reason="cool off", until=datetime(2031, 3, 3, 14, 0, tzinfo=UTC))
    assert run_ineligibility(bob) == (
        "Your account is suspended until 3 March 2031, 14:00 UTC; you can request runs after that."
    )
    services.user_unsuspend(moderator=mod, user=bob)
    assert can_request_runs(bob)


@pytest.mark.django_db
def test_a_members_standing_is_read_in_one_query_and_kept_for_the_request(bob, django_assert_num_queries):
    established(bob, posts=3)
    with django_assert_num_queries(2):  # the role groups, then the standing
        assert trust_level(bob) == MEMBER
        assert can_request_runs(bob)
        assert run_ineligibility(bob) is None
