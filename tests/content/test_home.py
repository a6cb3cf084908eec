"""The home page: the latest articles, unresolved questions and activity, for everyone at /."""

from __future__ import annotations

import datetime

from django.urls import reverse

from apps.questions.models import ProgressEntry, Question
from tests.factories import PASSWORD, make_article


def test_the_home_page_is_at_the_root_of_the_site() -> None:
    assert reverse("content:home") == "/"


def test_signing_in_lands_on_the_home_page(client, bob):
    response = client.post(reverse("account_login"), {"login": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_empty_home_page_says_what_to_do(db, client):
    html = client.get("/").content.decode()
    assert "Nothing is published yet" in html
    assert "No open questions have been posed yet" in html


def test_the_home_page_shows_latest_articles_questions_and_activity(db, client):
    article = make_article("alpha")
    make_article("draft-one", status="draft")
    question = Question.objects.create(number=3, slug="q", title="Open thing", statement="S.")
    Question.objects.create(number=4, slug="r", title="Closed thing", statement="S.", status="resolved")
    ProgressEntry.objects.create(question=question, date=datetime.date(2024, 5, 1), who="Someone", summary="Did it.")
    html = client.get("/").content.decode()
    assert "Article alpha" in html
    assert "Article draft-one" not in html
    assert "Open thing" in html
    assert "Closed thing" not in html  # resolved questions leave the home page
    assert "New article: <a" in html
    assert "Progress on" in html and "Someone" in html
    assert article.get_absolute_url() in html
