"""Deployment security: `check --deploy` is clean in production and the headers are right."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "example.org",
        }
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_notices_a_weak_secret_key() -> None:
    # Proves the check above can fail: a short key is a deploy warning.
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(DJANGO_SECRET_KEY="short")
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = _production_env()
    del env["DJANGO_SECRET_KEY"]
    result = _run(["-c", "import config.settings"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_make_cookies_secure_and_send_hsts() -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_HTTPONLY, s.DEBUG]))"
    )
    result = _run(["-c", code], _production_env())
    assert result.returncode == 0, result.stderr
    secure_session, secure_csrf, redirect, hsts, subdomains, httponly, debug = __import__("json").loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert (secure_session, secure_csrf, redirect, subdomains, httponly, debug) == (True, True, True, True, True, False)
    assert hsts >= 31536000


@pytest.mark.django_db
def test_a_secure_request_gets_hsts_and_secure_session_cookies(settings, client, bob) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    from tests.factories import PASSWORD

    response = client.post(reverse("account_login"), {"login": "bob", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["sessionid"]["httponly"]


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_check(settings, client) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("account_login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client) -> None:
    response = client.get(reverse("account_login"))
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_pages_cannot_be_framed_or_sniffed(client) -> None:
    response = client.get(reverse("account_login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_login_post_is_refused_without_a_csrf_token(bob) -> None:
    from tests.factories import PASSWORD

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "bob", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_login_post_succeeds_with_the_csrf_token(bob) -> None:
    from tests.factories import PASSWORD

    client = Client(enforce_csrf_checks=True)
    client.get(reverse("account_login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("account_login"), {"login": "bob", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_the_health_check_answers_without_a_database(client) -> None:
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
