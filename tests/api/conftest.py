"""API fixtures: the personas as API clients, and a small world of objects to act on.

Personas (tests/conftest.py): anonymous; charlie, a brand-new member (forum
trust level 0); bob, an established member; alice, who owns the thread, post
and run; mallory, an established member acting on alice's objects; mod, a
moderator; admin, a superuser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.experiments.models import Run, RunResult
from apps.experiments.services import run_request
from apps.forum import services as forum
from apps.forum.models import Category, Post, Thread
from apps.questions.models import ProgressEntry, Question
from tests.factories import CategoryFactory, QuestionFactory, established, make_article


def client_for(user: Any | None) -> APIClient:
    """An API client authenticated with the user's token (None: anonymous)."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@dataclass
class World:
    article: Any
    question: Question
    category: Category
    thread: Thread
    post: Post
    run: Run
    done: Run


@pytest.fixture
def world(alice, bob, charlie, mallory, mod, admin_user) -> World:
    for user in (alice, bob, mallory):
        established(user)
    article = make_article("edge-of-stability", body="## Sharpness\n\nIt rises to $2/\\eta$.\n", tags=("eos",))
    question = QuestionFactory(number=1, slug="eos", title="Why the edge?", statement="Why 2/eta?")
    ProgressEntry.objects.create(question=question, date=timezone.now().date(), who="Cohen et al.", summary="Seen.")
    category = CategoryFactory(slug="general", name="General", description="Anything.")
    thread = forum.thread_create(user=alice, category=category, title="Is it universal?", body="Does it always?")
    post = thread.posts.get()
    run, _ = run_request(requester=alice, experiment="deep_linear", params={}, preset="smoke")
    done, _ = run_request(requester=alice, experiment="deep_linear", params={"steps": 50}, preset="smoke")
    Run.objects.filter(pk=done.pk).update(
        status="succeeded", progress=1.0, finished_at=timezone.now(), digest="d" * 64, provenance={"device": "cpu"}
    )
    RunResult.objects.create(run=done, data={"t": [0, 1, 2], "loss": [1.0, 0.5, 0.25], "metrics": {"err": 0.01}})
    done.refresh_from_db()
    cache.clear()  # forget the forum's per-minute counters from setting up
    return World(article=article, question=question, category=category, thread=thread, post=post, run=run, done=done)
