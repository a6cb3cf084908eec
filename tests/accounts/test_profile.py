from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User


@pytest.fixture
def alice_profile(alice):
    alice.affiliation = "Institute of Learning Mechanics"
    alice.orcid = "0000-0002-1825-0097"
    alice.bio = "I study **deep linear networks** and $x^2$ scaling."
    alice.links = ["https://alice.example.org/"]
    alice.save()
    return alice


def test_anyone_can_read_a_profile_with_its_facts_roles_and_rendered_bio(client, alice_profile) -> None:
    response = client.get(reverse("accounts:profile", args=["alice"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Author" in html
    assert "Institute of Learning Mechanics" in html
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in html
    assert "<strong>deep linear networks</strong>" in html
    assert 'href="https://alice.example.org/"' in html
    assert ">author<" in html
    assert "Edit your profile" not in html


def test_a_bio_cannot_inject_script(client, alice) -> None:
    alice.bio = 'Hi <script>alert("x")</script> <a href="javascript:alert(1)">click</a>'
    alice.save()
    html = client.get(reverse("accounts:profile", args=["alice"])).content.decode()
    assert "<script>alert" not in html
    assert "javascript:alert" not in html


def test_the_owner_sees_links_to_edit_and_tokens(client, alice) -> None:
    client.force_login(alice)
    html = client.get(reverse("accounts:profile", args=["alice"])).content.decode()
    assert reverse("accounts:profile_edit") in html
    assert reverse("accounts:tokens") in html


def test_an_unknown_member_is_404(client, db) -> None:
    assert client.get(reverse("accounts:profile", args=["nobody"])).status_code == 404


@pytest.mark.parametrize("viewer, expected", [(None, 404), ("bob", 404), ("admin", 200)])
def test_a_deactivated_profile_is_visible_to_staff_only(client, make_user, bob, admin_user, viewer, expected) -> None:
    make_user("gone", is_active=False)
    if viewer:
        client.force_login(User.objects.get(username=viewer))
    assert client.get(reverse("accounts:profile", args=["gone"])).status_code == expected


@pytest.mark.parametrize("viewer", [None, "bob", "admin"])
def test_an_active_profile_is_public_to_anonymous_members_and_staff(client, alice, bob, admin_user, viewer) -> None:
    if viewer:
        client.force_login(User.objects.get(username=viewer))
    assert client.get(reverse("accounts:profile", args=["alice"])).status_code == 200


def test_editing_needs_a_signed_in_member(client, db) -> None:
    response = client.get(reverse("accounts:profile_edit"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("accounts:profile_edit"), {"display_name": "Anon"})
    assert response.status_code == 302


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Alice A. Author",
        "affiliation": "Somewhere",
        "orcid": "0000-0001-5109-3700",
        "bio": "New bio",
        "links_text": "https://a.example.org/\nhttp://b.example.org/x",
    }
    data.update(overrides)
    return data


def test_the_owner_edits_their_profile(client, alice) -> None:
    client.force_login(alice)
    page = client.get(reverse("accounts:profile_edit"))
    assert page.status_code == 200
    assert '<label for="id_orcid">' in page.content.decode()
    response = client.post(reverse("accounts:profile_edit"), _form())
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == "Alice A. Author"
    assert alice.orcid == "0000-0001-5109-3700"
    assert alice.links == ["https://a.example.org/", "http://b.example.org/x"]


def test_a_pasted_orcid_address_is_reduced_to_the_id(client, alice) -> None:
    client.force_login(alice)
    client.post(reverse("accounts:profile_edit"), _form(orcid="https://orcid.org/0000-0002-1694-233x"))
    alice.refresh_from_db()
    assert alice.orcid == "0000-0002-1694-233X"


def test_a_bad_orcid_shows_a_field_error_and_saves_nothing(client, alice) -> None:
    client.force_login(alice)
    response = client.post(reverse("accounts:profile_edit"), _form(orcid="0000-0002-1825-0098"))
    assert response.status_code == 400
    assert "checksum" in response.context["form"].errors["orcid"][0]
    alice.refresh_from_db()
    assert alice.display_name == "Alice Author"
    assert alice.orcid == ""


def test_too_many_or_unsafe_links_show_a_field_error(client, alice) -> None:
    client.force_login(alice)
    many = "\n".join(f"https://example.org/{i}" for i in range(6))
    response = client.post(reverse("accounts:profile_edit"), _form(links_text=many))
    assert response.status_code == 400
    assert "links_text" in response.context["form"].errors
    response = client.post(reverse("accounts:profile_edit"), _form(links_text="javascript:alert(1)"))
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.links == []


def test_mallory_can_only_ever_edit_her_own_profile(client, alice, mallory) -> None:
    client.force_login(mallory)
    # There is no URL naming another member's edit page; extra fields are ignored.
    response = client.post(
        reverse("accounts:profile_edit"), {**_form(display_name="pwned"), "username": "alice", "id": alice.pk}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    mallory.refresh_from_db()
    assert alice.display_name == "Alice Author"
    assert mallory.display_name == "pwned"
    assert mallory.username == "mallory"
    assert client.get("/people/alice/edit/").status_code == 404


def test_an_overlong_field_is_a_field_error_not_a_crash(client, alice) -> None:
    client.force_login(alice)
    response = client.post(reverse("accounts:profile_edit"), _form(display_name="x" * 500))
    assert response.status_code == 400
    assert "display_name" in response.context["form"].errors


def test_staff_can_open_a_member_in_the_admin(client, admin_user, alice) -> None:
    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_user_change", args=[alice.pk]))
    assert response.status_code == 200
    assert "Public profile" in response.content.decode()
    assert client.get(reverse("admin:accounts_user_changelist") + "?q=alice").status_code == 200
