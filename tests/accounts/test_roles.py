from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from apps.accounts.roles import is_author, is_editor, is_moderator, roles_of


@pytest.mark.django_db
def test_the_role_groups_exist_after_migrating() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"author", "editor", "moderator"}


def test_each_persona_holds_exactly_their_roles(alice, bob, mod, ed) -> None:
    assert (is_author(alice), is_editor(alice), is_moderator(alice)) == (True, False, False)
    assert (is_author(ed), is_editor(ed), is_moderator(ed)) == (False, True, False)
    assert (is_author(mod), is_editor(mod), is_moderator(mod)) == (False, False, True)
    assert roles_of(bob) == []


def test_staff_and_superusers_hold_every_role(admin_user, make_user) -> None:
    staff = make_user("staffer", is_staff=True)
    for user in (admin_user, staff):
        assert roles_of(user) == ["author", "editor", "moderator"]


def test_anonymous_and_deactivated_members_hold_no_role(make_user) -> None:
    gone = make_user("gone", groups=("author", "editor"), is_active=False)
    assert roles_of(AnonymousUser()) == []
    assert roles_of(gone) == []
    assert not is_author(None)
