"""Names that deceive are refused: as the site's staff, as the site, as another member, or hidden in
invisible characters; at sign-up for usernames and on the profile for display names."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.services import user_update_profile
from apps.accounts.validators import name_key
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _profile(**overrides: str) -> dict[str, str]:
    return {"display_name": "", "affiliation": "", "orcid": "", "bio": "", "links_text": "", **overrides}


def _set_name(user: User, name: str) -> None:
    user_update_profile(user=user, display_name=name, affiliation="", orcid="", bio="", links=[])


@pytest.mark.parametrize(
    "name",
    ["mod", "Moderator", "ADMIN", "Administrator", "staff", "Editor", "learningmechanics.pub", "Learning Mechanics"],
)
def test_mallory_cannot_display_as_the_sites_staff_or_the_site(client, mallory, name: str) -> None:
    client.force_login(mallory)
    response = client.post(reverse("accounts:profile_edit"), _profile(display_name=name))
    assert response.status_code == 400
    assert "reserved" in response.context["form"].errors["display_name"][0]
    mallory.refresh_from_db()
    assert mallory.display_name == ""


@pytest.mark.parametrize(
    "name",
    [
        "bob",  # another member's username
        "Bob Reader",  # another member's display name
        "BOB READER",
        "bob.reader",
        "Bob\u200bReader",  # a zero-width space inside
        "B\u200do\u200db",  # zero-width joiners between the letters of a username
        "\uff42\uff4f\uff42",  # fullwidth "bob": NFKC makes it plain
        "Alice\u00adAuthor",  # a soft hyphen, invisible in most fonts
    ],
)
def test_mallory_cannot_display_as_another_member(client, mallory, alice, bob, name: str) -> None:
    client.force_login(mallory)
    response = client.post(reverse("accounts:profile_edit"), _profile(display_name=name))
    assert response.status_code == 400
    assert "another member" in response.context["form"].errors["display_name"][0]
    mallory.refresh_from_db()
    assert mallory.display_name == ""


def test_the_message_says_when_a_name_hides_an_invisible_character(mallory, bob) -> None:
    with pytest.raises(ValidationError) as caught:
        _set_name(mallory, "Bob\u200bReader")
    assert "invisible character" in caught.value.message_dict["display_name"][0]


def test_the_service_names_the_field_it_refuses(mallory, bob) -> None:
    with pytest.raises(ValidationError) as caught:
        _set_name(mallory, "Bob Reader")
    assert list(caught.value.message_dict) == ["display_name"]


@pytest.mark.parametrize("name", ["Mallory\x01", "Mallory\nBcc: x", "Mal\u202elory"])
def test_a_display_name_with_control_characters_or_line_breaks_is_refused(client, mallory, name: str) -> None:
    client.force_login(mallory)
    response = client.post(reverse("accounts:profile_edit"), _profile(display_name=name))
    assert response.status_code == 400
    assert "display_name" in response.context["form"].errors


def test_an_affiliation_is_one_line_too(client, mallory) -> None:
    client.force_login(mallory)
    response = client.post(reverse("accounts:profile_edit"), _profile(affiliation="Lab\r\nof tricks"))
    assert response.status_code == 400
    assert "one line" in response.context["form"].errors["affiliation"][0]


def test_a_member_may_display_their_own_username_and_an_honest_name(mallory, bob) -> None:
    _set_name(mallory, "MALLORY")
    _set_name(mallory, "Mallory Mendel")
    mallory.refresh_from_db()
    assert mallory.display_name == "Mallory Mendel"


def test_a_name_held_before_the_rule_can_be_kept_while_other_fields_change(mallory, bob) -> None:
    User.objects.filter(pk=mallory.pk).update(display_name="Bob Reader")  # from before names were checked
    mallory.refresh_from_db()
    user_update_profile(user=mallory, display_name="Bob Reader", affiliation="Lab", orcid="", bio="", links=[])
    mallory.refresh_from_db()
    assert mallory.affiliation == "Lab"


def test_names_read_alike_when_only_case_spacing_width_or_invisible_characters_differ() -> None:
    assert len({name_key(n) for n in ["Alice", "a l i c e", "ＡＬＩＣＥ", "Al\u200dice", "a.lice"]}) == 1
    assert name_key("Alice") != name_key("Alicia")


# --- Sign-up ------------------------------------------------------------------------------


def _sign_up(client: Any, username: str) -> Any:
    return client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )


@pytest.mark.parametrize("username", ["mod", "Moderator", "admin", "staff", "editor", "learningmechanics"])
def test_sign_up_refuses_a_reserved_username(client, db, username: str) -> None:
    response = _sign_up(client, username)
    assert response.status_code == 200  # the form again, with its error
    assert "reserved" in str(response.context["form"].errors["username"])
    assert not User.objects.filter(username__iexact=username).exists()


@pytest.mark.parametrize("username", ["Bob", "b.o.b", "bob-reader", "BobReader"])
def test_sign_up_refuses_a_username_that_reads_as_an_existing_member(client, bob, username: str) -> None:
    response = _sign_up(client, username)
    assert response.status_code == 200
    assert "existing member" in str(response.context["form"].errors["username"])
    assert User.objects.count() == 1


@pytest.mark.parametrize("username", ["\u0430lice", "al\u200bice", "alice!", "-alice", "alice\u00e9"])
def test_sign_up_refuses_usernames_outside_plain_letters_digits_and_dot_dash_underscore(
    client, db, username: str
) -> None:
    # The first is a Cyrillic "а": NFKC leaves it, so "аlice" would pass for "alice" everywhere.
    response = _sign_up(client, username)
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not User.objects.exists()


def test_sign_up_accepts_an_ordinary_new_username(client, bob) -> None:
    response = _sign_up(client, "noether.e")
    assert response.status_code == 302
    assert User.objects.filter(username="noether.e").exists()
