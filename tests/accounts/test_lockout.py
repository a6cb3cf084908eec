"""django-axes behind allauth's login form: five failures lock out that member from that address."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD


def _attempt(client, login: str, password: str, ip: str = "203.0.113.7"):
    return client.post(reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=ip)


def _fail_until_locked(client, login: str = "alice") -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, login, "wrong-password").status_code == 200


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, alice) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "alice", "wrong-password")
    response = _attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_renders_in_the_site_frame(client, alice) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = _attempt(client, "alice", "wrong-password")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert reverse("account_reset_password") in html


def test_four_failures_then_the_right_password_still_logs_in(client, alice) -> None:
    _fail_until_locked(client)
    assert _attempt(client, "alice", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_other_members_are_not_affected(client, alice, bob) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "alice", "wrong-password")
    assert _attempt(client, "bob", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_the_same_member_from_another_address_is_not_locked(client, alice) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "alice", "wrong-password")
    assert _attempt(client, "alice", PASSWORD, ip="198.51.100.4").status_code == 302


def test_alternating_username_and_email_does_not_earn_extra_guesses(client, alice) -> None:
    for i in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "alice" if i % 2 else "Alice@Example.org", "wrong-password")
    assert _attempt(client, "alice", PASSWORD).status_code == 429


def test_a_second_verified_address_does_not_earn_extra_guesses(client, alice) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email="alice.work@example.org", verified=True, primary=False)
    for i in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "alice.work@example.org" if i % 2 else "alice@example.org", "wrong-password")
    assert _attempt(client, "alice.work@example.org", PASSWORD).status_code == 429


def _attempt_via_proxy(client, login: str, password: str, forwarded_for: str):
    return client.post(
        reverse("account_login"),
        {"login": login, "password": password},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_a_proxy_clients_are_told_apart_by_the_address_the_proxy_appended(settings, client, alice) -> None:
    settings.BEHIND_PROXY = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt_via_proxy(client, "alice", "wrong-password", "203.0.113.7")
    assert _attempt_via_proxy(client, "alice", PASSWORD, "203.0.113.7").status_code == 429
    # Alice at home, behind the same proxy, is not locked out by the attacker.
    assert _attempt_via_proxy(client, "alice", PASSWORD, "198.51.100.4").status_code == 302


def test_behind_a_proxy_a_forged_forwarded_address_does_not_reset_the_count(settings, client, alice) -> None:
    settings.BEHIND_PROXY = True
    for i in range(settings.AXES_FAILURE_LIMIT):
        _attempt_via_proxy(client, "alice", "wrong-password", f"192.0.2.{i}, 203.0.113.7")
    assert _attempt_via_proxy(client, "alice", PASSWORD, "192.0.2.99, 203.0.113.7").status_code == 429
