"""Branded 404 and 500 pages: the site's header and a way back, not the server's bare text."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error


@pytest.mark.django_db
def test_a_missing_page_answers_404_with_the_site_around_it(client):
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "This page is not here" in html
    assert 'class="site-header"' in html and 'role="search"' in html
    assert 'href="/perspectives/"' in html


def test_the_server_error_page_renders_without_a_request_context():
    # Django renders 500.html with an empty context: no request, no user, no context processors.
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert 'class="site-header"' in html and "css/site.css" in html
