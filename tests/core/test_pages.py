from __future__ import annotations

import datetime

import pytest

from apps.core.models import Page
from apps.questions.models import ProgressEntry, Question
from tests.factories import make_article

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def as_user(client, request):
    def sign_in(persona: str | None):
        if persona is not None:
            client.force_login(request.getfixturevalue(persona), backend=MODEL_BACKEND)
        return client

    return sign_in


@pytest.fixture
def pages(db):
    Page.objects.create(slug="about", title="About us", body="Hello.", rendered_html="<p>Hello.</p>")
    Page.objects.create(slug="code-of-conduct", title="Conduct", body="Be kind.", rendered_html="<p>Be kind.</p>")


@pytest.mark.parametrize("persona", [None, "bob", "admin_user"])
@pytest.mark.parametrize("url", ["/", "/about/", "/pages/code-of-conduct/", "/pages/about/"])
def test_site_pages_answer_everyone(pages, as_user, persona, url):
    assert as_user(persona).get(url).status_code == 200


def test_an_unknown_page_is_404(pages, client):
    assert client.get("/pages/nope/").status_code == 404


def test_about_is_404_until_loaded(db, client):
    assert client.get("/about/").status_code == 404


def test_a_flat_page_shows_its_rendered_body(pages, client):
    html = client.get("/about/").content.decode()
    assert '<h1 id="page-title">About us</h1>' in html
    assert "<p>Hello.</p>" in html


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
