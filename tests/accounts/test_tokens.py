from __future__ import annotations

from django.urls import reverse
from rest_framework.authtoken.models import Token


def test_the_tokens_page_needs_a_signed_in_member(client, db) -> None:
    assert client.get(reverse("accounts:tokens")).status_code == 302
    assert client.post(reverse("accounts:token_create")).status_code == 302
    assert not Token.objects.exists()


def test_a_new_token_is_shown_once(client, bob) -> None:
    client.force_login(bob)
    assert "You have no API token" in client.get(reverse("accounts:tokens")).content.decode()
    response = client.post(reverse("accounts:token_create"))
    key = Token.objects.get(user=bob).key
    assert key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    later = client.get(reverse("accounts:tokens")).content.decode()
    assert key not in later
    assert key[:4] in later


def test_creating_again_rotates_the_token(client, bob) -> None:
    client.force_login(bob)
    client.post(reverse("accounts:token_create"))
    first = Token.objects.get(user=bob).key
    client.post(reverse("accounts:token_create"))
    assert Token.objects.filter(user=bob).count() == 1
    assert Token.objects.get(user=bob).key != first


def test_revoking_deletes_the_token(client, bob) -> None:
    client.force_login(bob)
    client.post(reverse("accounts:token_create"))
    response = client.post(reverse("accounts:token_revoke"))
    assert response.status_code == 302
    assert not Token.objects.filter(user=bob).exists()


def test_creating_or_revoking_needs_post(client, bob) -> None:
    client.force_login(bob)
    assert client.get(reverse("accounts:token_create")).status_code == 405
    assert client.get(reverse("accounts:token_revoke")).status_code == 405


def test_a_member_only_touches_their_own_token(client, alice, mallory) -> None:
    alices = Token.objects.create(user=alice)
    client.force_login(mallory)
    client.post(reverse("accounts:token_revoke"))
    client.post(reverse("accounts:token_create"))
    assert Token.objects.get(user=alice).key == alices.key
    assert alices.key not in client.get(reverse("accounts:tokens")).content.decode()
