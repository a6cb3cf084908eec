from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.template import Context, Template

from apps.accounts.roles import has_role, holders, is_author, is_editor, is_moderator, roles_of


@pytest.mark.django_db
def test_the_role_groups_exist_after_migrating() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"author", "editor", "moderator"}


def test_each_persona_holds_exactly_their_roles(alice, bob, mod, ed) -> None:
    assert (is_author(alice), is_editor(alice), is_moderator(alice)) == (True, False, False)
    assert (is_author(ed), is_editor(ed), is_moderator(ed)) == (False, True, False)
    assert (is_author(mod), is_editor(mod), is_moderator(mod)) == (False, False, True)
    assert roles_of(bob) == []


def test_staff_and_superusers_hold_every_role(admin_user, staff) -> None:
    for user in (admin_user, staff):
        assert roles_of(user) == ["author", "editor", "moderator"]


def test_anonymous_and_deactivated_members_hold_no_role(make_user) -> None:
    gone = make_user("gone", groups=("author", "editor"), is_active=False)
    assert roles_of(AnonymousUser()) == []
    assert roles_of(gone) == []
    assert not is_author(None)


def test_a_page_asking_about_roles_many_times_reads_the_groups_once(ed, django_assert_num_queries) -> None:
    from apps.forum.models import Thread

    with django_assert_num_queries(1):
        assert roles_of(ed) == ["editor"]
        assert is_editor(ed) and not is_moderator(ed) and not is_author(ed)
    with django_assert_num_queries(1):  # the thread query itself; the moderator check is answered from the cache
        list(Thread.objects.visible_to(ed))


def test_asking_about_a_role_that_does_not_exist_is_an_error(bob) -> None:
    with pytest.raises(ValueError, match="not a role"):
        has_role(bob, "admin")


def test_templates_show_a_role_by_the_same_answer(staff, bob) -> None:
    page = Template('{% load roles %}{% if user|has_role:"editor" %}Editors\' dashboard{% endif %}')
    assert "dashboard" in page.render(Context({"user": staff}))
    assert "dashboard" not in page.render(Context({"user": bob}))
    assert "dashboard" not in page.render(Context({"user": AnonymousUser()}))


def test_the_holders_of_a_role_are_the_same_people_the_predicate_names(ed, mod, staff, admin_user, bob, make_user):
    make_user("retired", groups=("editor",), is_active=False)
    everyone = type(bob).objects.all()
    assert {u.username for u in holders("editor")} == {u.username for u in everyone if is_editor(u)}
    assert {u.username for u in holders("editor")} == {"ed", "staff", "admin"}
