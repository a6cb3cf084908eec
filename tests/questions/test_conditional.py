"""Conditional GET on question pages: validators for anonymous readers, computed without rendering the page."""

from __future__ import annotations

import datetime

import pytest
from django.utils.http import http_date

from apps.core import pagecache
from apps.questions.models import Question
from apps.questions.services import question_follow, question_progress_sync
from tests.questions.test_views import make_question

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
URL = "/questions/1/"


@pytest.fixture
def question(db) -> Question:
    return make_question(1, tags=("eos",))


def test_an_anonymous_reader_gets_a_304_without_the_page_being_rendered(question, client) -> None:
    first = client.get(URL)
    assert first["ETag"].startswith('W/"')
    assert first["Last-Modified"] == http_date(question.updated_at.timestamp())
    assert "Cookie" in first["Vary"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.templates == []
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_editing_the_question_changes_its_validators(question, client) -> None:
    before = client.get(URL)
    Question.objects.filter(pk=question.pk).update(
        title="A sharper question", updated_at=question.updated_at + datetime.timedelta(minutes=5)
    )
    # Written around the services, as the admin writes: its change log makes every cached page stale.
    pagecache.invalidate(pagecache.EVERYTHING)
    after = client.get(URL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert "A sharper question" in after.content.decode()
    assert after["Last-Modified"] != before["Last-Modified"]


def test_new_progress_changes_the_etag_and_the_updated_time(question, client) -> None:
    etag = client.get(URL)["ETag"]
    edited = question.updated_at
    question_progress_sync(
        question=question, entries=[{"date": datetime.date(2025, 1, 2), "who": "Someone", "summary": "A step."}]
    )
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert Question.objects.get(pk=question.pk).updated_at > edited


def test_a_new_follower_changes_the_count_and_so_the_etag(question, client, bob) -> None:
    etag = client.get(URL)["ETag"]
    question_follow(question=question, user=bob)
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "1 following" in response.content.decode()


def test_a_signed_in_reader_gets_no_validators_and_never_a_304(question, client, bob) -> None:
    etag = client.get(URL)["ETag"]
    client.force_login(bob, backend=MODEL_BACKEND)
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Follow this question" in response.content.decode()
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")
