"""Forum fixtures: a category, a thread by alice, and members old enough to be past trust level 0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.trust import forget_standing
from apps.forum import services
from apps.forum.models import Category, Post, Thread


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


def season(user, *, days: int = 30, posts: int = 0):
    """Make a member look established: an old account (and optionally some past posts)."""
    type(user).objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days))
    user.refresh_from_db()
    if posts:
        cat, _ = Category.objects.get_or_create(slug="history", defaults={"name": "History"})
        thread = Thread.objects.create(category=cat, title="Old talk", author=user)
        Post.objects.bulk_create(
            [
                Post(
                    thread=thread,
                    author=user,
                    body=f"old {i}",
                    html=f"<p>old {i}</p>",
                    created=timezone.now() - timedelta(days=days - 1),
                    position=i + 1,
                )
                for i in range(posts)
            ]
        )
    forget_standing(user)
    return user


@pytest.fixture
def category(db):
    return Category.objects.create(slug="general", name="General", description="Anything.")


@pytest.fixture
def other_category(db):
    return Category.objects.create(slug="meta", name="Meta", description="About the site.", position=1)


@pytest.fixture
def members(alice, bob, mallory):
    for user in (alice, bob, mallory):
        season(user, posts=3)
    return alice, bob, mallory


@pytest.fixture
def thread(members, category):
    alice = members[0]
    return services.thread_create(
        user=alice,
        category=category,
        title="Is the edge of stability universal?",
        body="Sharpness rises to $2/\\eta$ and hovers there. Does it always?",
    )


@pytest.fixture
def first_post(thread):
    return thread.posts.get()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Many personas per test; the real hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def broker(task_broker):
    """No forum test sends a task message anywhere but a temporary folder; this is where they land."""
    return task_broker
