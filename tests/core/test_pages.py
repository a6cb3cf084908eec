from __future__ import annotations

import pytest

from apps.core.models import Page

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
