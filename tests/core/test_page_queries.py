"""A small, constant number of queries per reading page: none for a stored page, a bounded few to make one.

The bounds hold however much content there is (the long thread has 1,000 posts
and its 40th page costs what its first does); the numbers are today's counts
with a little room, so that a page that starts querying per item fails here.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from apps.forum import services as forum
from apps.forum.models import Category, Post, Thread
from apps.questions.services import question_sync
from tests.factories import make_article

pytestmark = pytest.mark.django_db

# Queries to make each page for the first anonymous reader (rendering it and storing it).
MISS_BOUNDS = {
    "home": 10,
    "perspective list": 8,
    "article": 14,
    "question list": 6,
    "question": 14,
    "forum index": 4,
    "category": 5,
    "long thread, first page": 5,
    "long thread, page 40": 5,
    "search": 3,
}


@pytest.fixture
def site(mod, bob) -> dict[str, str]:
    for i in range(12):
        make_article(f"a{i}", tags=("eos", f"t{i}"))
    for n in range(1, 13):
        question_sync(
            number=n,
            slug=f"q{n}",
            title=f"Question {n} on the edge of stability",
            statement="Explain it.",
            status="open",
            discussion="Some discussion.",
            tags=["eos"],
            articles=["a0", "a1"],
            sequences=[],
            progress=[{"date": timezone.now().date(), "who": "Ada", "summary": "Progress."}],
        )
    category = Category.objects.create(slug="general", name="General")
    for i in range(8):
        forum.thread_create(user=mod, category=category, title=f"Thread {i}", body="Edge of stability talk.")
    long = forum.thread_create(user=mod, category=category, title="Long", body="First.")
    now = timezone.now()
    Post.objects.bulk_create(
        [
            Post(thread=long, author=bob, body=f"p{i}", html=f"<p>post {i}</p>", created=now, position=i)
            for i in range(2, 1001)
        ]
    )
    Thread.objects.filter(pk=long.pk).update(post_count=1000)
    return {
        "home": "/",
        "perspective list": "/perspectives/",
        "article": "/perspectives/a0/",
        "question list": "/questions/",
        "question": "/questions/1/",
        "forum index": "/forum/",
        "category": "/forum/c/general/",
        "long thread, first page": long.get_absolute_url(),
        "long thread, page 40": long.get_absolute_url() + "?page=40",
        "search": "/search/?q=edge+stability",
    }


@pytest.mark.parametrize("page", list(MISS_BOUNDS))
def test_a_reading_page_is_made_in_a_few_queries_and_then_served_in_none(
    site, page, django_assert_max_num_queries, django_assert_num_queries
):
    url = site[page]
    Client().get(url)  # per-process caches (content types, the site) warm up once, not per page
    from apps.core import pagecache

    pagecache.invalidate(pagecache.EVERYTHING)
    with django_assert_max_num_queries(MISS_BOUNDS[page]):
        assert Client().get(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        assert Client().get(url)["X-Page-Cache"] == "hit"
