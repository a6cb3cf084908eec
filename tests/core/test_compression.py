"""Compression for what holds no secret, and never a BREACH oracle.

A response is compressed only for a reader who is not signed in and when it
rendered no CSRF token (apps/core/compression.py).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_article

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

pytestmark = pytest.mark.django_db


@pytest.fixture
def uncached(settings):
    # What the compression middleware does on its own, apart from the page cache's stored codings.
    settings.PAGECACHE_ENABLED = False


def test_an_anonymous_reader_gets_brotli_or_gzip_as_their_browser_asks(uncached):
    make_article("alpha")
    plain = Client().get("/perspectives/alpha/")
    assert not plain.has_header("Content-Encoding")
    for accept, coding in (("gzip, deflate", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0.5, gzip", "gzip")):
        response = Client().get("/perspectives/alpha/", HTTP_ACCEPT_ENCODING=accept)
        assert response["Content-Encoding"] == coding, accept
        assert len(response.content) < len(plain.content)


def test_anonymous_api_json_is_compressed(uncached):
    make_article("alpha")
    response = Client().get("/api/v1/perspectives/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Type"].startswith("application/json") and response["Content-Encoding"] == "gzip"


def test_a_member_s_pages_go_out_uncompressed(uncached, bob):
    make_article("alpha")
    member = Client()
    member.force_login(bob, backend=MODEL_BACKEND)
    response = member.get("/perspectives/alpha/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert "Bob Reader" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_a_page_with_a_csrf_token_goes_out_uncompressed_even_to_an_anonymous_reader(db):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_an_api_token_holder_gets_uncompressed_json(uncached, bob):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=bob)
    response = Client().get("/api/v1/perspectives/", HTTP_ACCEPT_ENCODING="gzip", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")
