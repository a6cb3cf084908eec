"""Forum fixtures: a category, a thread by alice, and members old enough to be past trust level 0."""

from __future__ import annotations

from typing import Any

import pytest

from apps.forum import services
from tests.factories import CategoryFactory, established


@pytest.fixture
def category(db: None) -> Any:
    return CategoryFactory(slug="general", name="General", description="Anything.")


@pytest.fixture
def other_category(db: None) -> Any:
    return CategoryFactory(slug="meta", name="Meta", description="About the site.", position=1)


@pytest.fixture
def members(alice: Any, bob: Any, mallory: Any) -> tuple[Any, Any, Any]:
    for user in (alice, bob, mallory):
        established(user)
    return alice, bob, mallory


@pytest.fixture
def thread(members: tuple[Any, Any, Any], category: Any) -> Any:
    alice = members[0]
    return services.thread_create(
        user=alice,
        category=category,
        title="Is the edge of stability universal?",
        body="Sharpness rises to $2/\\eta$ and hovers there. Does it always?",
    )


@pytest.fixture
def first_post(thread: Any) -> Any:
    return thread.posts.get()
