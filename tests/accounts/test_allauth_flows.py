"""Sign-up, email verification, log-in and password reset through allauth, rendered in our frame."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import PASSWORD

NEW_PASSWORD = "a-new-and-long-passphrase-42"


def _link(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def _sign_up(client, username: str = "newton") -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": f"{username}@example.org", "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
    ],
)
def test_account_pages_render_inside_the_site_frame(client, db, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert "css/accounts.css" in html
    assert "<h1>" in html


def test_the_login_form_labels_every_input(client, db) -> None:
    html = client.get(reverse("account_login")).content.decode()
    for field_id in re.findall(r'<input[^>]*type="(?:text|email|password)"[^>]*id="([^"]+)"', html):
        assert f'for="{field_id}"' in html


def test_sign_up_sends_a_verification_email_whose_link_lets_the_member_log_in(client, db) -> None:
    _sign_up(client)
    user = User.objects.get(username="newton")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newton@example.org"]
    confirm_path = _link(mail.outbox[0].body)
    assert "/accounts/confirm-email/" in confirm_path

    client.logout()
    page = client.get(confirm_path)
    assert page.status_code == 200
    assert 'class="site-header"' in page.content.decode()
    client.post(confirm_path)
    assert user.emailaddress_set.get(email="newton@example.org").verified

    response = client.post(reverse("account_login"), {"login": "newton", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:tokens")).status_code == 200


def test_an_unverified_member_cannot_log_in(client, make_user) -> None:
    make_user("hooke", verified=False)
    response = client.post(reverse("account_login"), {"login": "hooke", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:tokens")).status_code == 302
    # The attempt re-sends the verification email.
    assert any("hooke@example.org" in m.to for m in mail.outbox)


def test_a_verified_member_logs_in_by_username_or_email(client, bob) -> None:
    assert client.post(reverse("account_login"), {"login": "bob", "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)
    client.logout()
    assert client.post(reverse("account_login"), {"login": "BOB@example.org", "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_a_wrong_password_shows_an_error_on_the_form(client, bob) -> None:
    response = client.post(reverse("account_login"), {"login": "bob", "password": "wrong"})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_sets_a_new_password(client, bob) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "bob@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    reset_path = _link(mail.outbox[0].body)

    # allauth moves the key into the session and redirects to a key-less URL.
    page = client.get(reset_path, follow=True)
    assert page.status_code == 200
    form_path = page.redirect_chain[-1][0] if page.redirect_chain else reset_path
    response = client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert done.status_code == 200

    bob.refresh_from_db()
    assert bob.check_password(NEW_PASSWORD)
    client.logout()
    assert client.post(reverse("account_login"), {"login": "bob", "password": NEW_PASSWORD}).status_code == 302


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")


def test_logging_out_needs_a_post(client, bob) -> None:
    client.force_login(bob)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_account_emails_are_signed_with_the_site_name_not_example_com(client, db) -> None:
    _sign_up(client, "faraday")
    message = mail.outbox[0]
    assert "learningmechanics.pub" in message.subject
    assert "example.com" not in message.subject + message.body


@pytest.mark.parametrize("name", ["account_email", "account_change_password", "account_logout"])
def test_signed_in_account_pages_render_inside_the_site_frame(client, bob, name: str) -> None:
    client.force_login(bob)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'class="site-header"' in response.content.decode()
