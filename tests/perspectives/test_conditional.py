"""Conditional GET on article pages: validators for anonymous readers, computed without rendering the page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django.utils.http import http_date

from apps.forum.models import Category, Thread
from apps.perspectives.models import Version
from apps.perspectives.services import article_publish
from apps.questions.models import Question
from tests.factories import make_article

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
URL = "/perspectives/alpha/"


@pytest.fixture
def article(db):
    return make_article("alpha", tags=("eos",))


def _etag(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response["ETag"]


def test_an_anonymous_reader_gets_a_304_without_the_page_being_rendered(article, client) -> None:
    first = client.get(URL)
    assert first["ETag"].startswith('W/"')
    assert first["Last-Modified"] == http_date(article.latest_version.published_at.timestamp())
    assert "no-cache" in first["Cache-Control"]
    assert "Cookie" in first["Vary"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again.templates == []
    assert again["ETag"] == first["ETag"]
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [('"{tag}"', 304), ('"older", W/"{tag}"', 304), ("*", 304), ('W/"older"', 200)],
)
def test_if_none_match_is_compared_weakly_as_django_does(article, client, if_none_match, status) -> None:
    tag = _etag(client).removeprefix('W/"').removesuffix('"')
    assert client.get(URL, HTTP_IF_NONE_MATCH=if_none_match.format(tag=tag)).status_code == status


def test_publishing_a_new_version_changes_the_validators(article, client) -> None:
    before = client.get(URL)
    article.body += "\nA second thought.\n"
    article.save()
    article_publish(
        article=article, changelog="Second", by=None, published_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    after = client.get(URL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert "A second thought." in after.content.decode()
    assert after["ETag"] != before["ETag"]
    assert after["Last-Modified"] != before["Last-Modified"]
    # The first version's page now says it is not the latest, so its validator moves too.
    assert client.get("/perspectives/alpha/v1/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


@pytest.mark.parametrize("change", ["new thread", "new tag", "question edited"])
def test_what_the_page_shows_around_the_article_changes_the_etag(article, client, change) -> None:
    question = Question.objects.create(number=7, slug="q", title="Why?", statement="S")
    question.articles.add(article)
    etag = _etag(client)
    if change == "new thread":
        category = Category.objects.create(slug="general", name="General")
        Thread.objects.create(category=category, title="On alpha", target=article.latest_version)
    elif change == "new tag":
        from apps.core.services import tags_ensure

        article.tags.add(*tags_ensure(slugs=["scaling"]))
    else:
        question.status = "resolved"
        question.save()
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_signed_in_reader_gets_no_validators_and_never_a_304(article, client, bob) -> None:
    anonymous_etag = _etag(client)
    client.force_login(bob, backend=MODEL_BACKEND)
    response = client.get(URL, HTTP_IF_NONE_MATCH=anonymous_etag, HTTP_IF_MODIFIED_SINCE=http_date())
    assert response.status_code == 200
    assert "Bob Reader" in response.content.decode()
    assert not response.has_header("ETag") and not response.has_header("Last-Modified")
    assert "Cookie" in response["Vary"]


def test_a_page_whose_figures_still_wait_for_runs_gets_no_validators(db, client) -> None:
    article = make_article("pending", status="draft")
    version = Version.objects.create(
        article=article,
        number=1,
        title="Pending",
        summary="S",
        body="B",
        changelog="First",
        published_at=timezone.now(),
        rendered_html='<p>B</p><noscript data-lm-table-runs="[]" data-lm-table-complete="false"></noscript>',
    )
    type(article).objects.filter(pk=article.pk).update(latest_version=version, status="published")
    response = client.get("/perspectives/pending/")
    assert response.status_code == 200
    assert not response.has_header("ETag")


def test_a_message_waiting_for_an_anonymous_reader_is_shown_not_lost_behind_a_304(article, client) -> None:
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest

    etag = _etag(client)
    waiting = CookieStorage(HttpRequest())._encode([Message(constants.INFO, "You have signed out.")])
    client.cookies[CookieStorage.cookie_name] = waiting
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "You have signed out." in response.content.decode()
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304  # once shown, the page is shared again
