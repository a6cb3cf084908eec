"""Trust levels, decided in apps.accounts from the facts a provider reports (the forum's, in production)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.accounts import trust
from apps.accounts.models import User
from apps.accounts.trust import (
    MEMBER,
    MODERATOR,
    NEW,
    REGULAR,
    RunAllowance,
    Standing,
    can_request_runs,
    register_standing_provider,
    run_ineligibility,
    run_permission,
    trust_level,
)


class Facts:
    """A provider standing in for the forum: every member has the standing the test sets."""

    def __init__(self) -> None:
        self.standing = Standing()
        self.asked = 0

    def __call__(self, user: User) -> Standing:
        self.asked += 1
        return self.standing


@pytest.fixture
def facts() -> Iterator[Facts]:
    provider = Facts()
    previous = register_standing_provider(provider)
    yield provider
    register_standing_provider(previous)


@pytest.fixture
def no_provider() -> Iterator[None]:
    previous = register_standing_provider(None)
    yield
    register_standing_provider(previous)


def joined(user: User, ago: timedelta) -> User:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - ago)
    user.refresh_from_db()
    trust.forget_standing(user)
    return user


def test_without_a_provider_the_facts_are_zeros_so_only_roles_lift_anyone(no_provider, bob, mod, staff) -> None:
    joined(bob, timedelta(days=400))
    assert trust.standing(bob) == Standing(posts=0, granted_level=0, suspended_until=None)
    assert trust_level(bob) == NEW and run_permission(bob).allowance is RunAllowance.STARTER
    assert trust_level(mod) == trust_level(staff) == MODERATOR
    assert can_request_runs(mod) and can_request_runs(staff)


def test_a_day_and_three_posts_make_a_member_and_not_a_minute_less(facts, charlie) -> None:
    facts.standing = Standing(posts=3)
    assert trust_level(joined(charlie, timedelta(days=1, minutes=1))) == MEMBER
    assert trust_level(joined(charlie, timedelta(hours=23, minutes=59))) == NEW


def test_fifteen_days_and_twenty_posts_make_a_regular(facts, charlie) -> None:
    facts.standing = Standing(posts=20)
    assert trust_level(joined(charlie, timedelta(days=15))) == REGULAR
    assert trust_level(joined(charlie, timedelta(days=14))) == MEMBER


def test_a_granted_level_is_a_floor_but_never_makes_a_moderator(facts, charlie) -> None:
    facts.standing = Standing(granted_level=MEMBER)
    assert trust_level(charlie) == MEMBER and can_request_runs(charlie)
    trust.forget_standing(charlie)
    facts.standing = Standing(granted_level=MODERATOR)
    assert trust_level(charlie) == REGULAR


def test_anonymous_visitors_are_told_to_sign_in(facts) -> None:
    assert run_ineligibility(AnonymousUser()) == "Sign in to run experiments."
    assert run_ineligibility(None) == "Sign in to run experiments."


def test_a_verified_new_member_gets_starter_runs_told_both_conditions_for_more(facts, charlie) -> None:
    facts.standing = Standing(posts=1)
    permission = run_permission(charlie)
    assert permission.allowance is RunAllowance.STARTER and run_ineligibility(charlie) is None
    assert permission.reason == (
        "New members can run each experiment's smoke preset, up to three a day; any run opens once your "
        "account is a day old and you have written three forum posts (you have 1)."
    )


def test_an_old_account_without_posts_is_told_only_about_posts(facts, charlie) -> None:
    joined(charlie, timedelta(days=30))
    assert run_permission(charlie).reason.endswith(
        "any run opens once you have written three forum posts (you have none yet)."
    )


def test_a_young_account_with_enough_posts_is_told_when_it_will_be_old_enough(facts, charlie) -> None:
    facts.standing = Standing(posts=5)
    joined(charlie, timedelta(hours=2))
    ready = (charlie.date_joined + timedelta(days=1)).astimezone(UTC)
    message = run_permission(charlie).reason
    assert "any run opens once your account is a day old, which it will be on " in message
    assert message.endswith(f"{ready.day} {ready:%B %Y}, {ready:%H:%M} UTC.")


def test_a_new_member_without_a_verified_address_runs_nothing(facts, make_user) -> None:
    unverified = make_user("dora", verified=False, trusted=False)
    assert run_permission(unverified).allowance is RunAllowance.NONE
    assert "Verify your email address" in (run_ineligibility(unverified) or "")


def test_without_starter_runs_a_new_member_is_told_what_opens_runs(facts, charlie, settings) -> None:
    settings.RUNS_STARTER_PER_DAY = 0
    assert run_ineligibility(charlie) == (
        "New members run nothing yet: any run opens once your account is a day old and you have written "
        "three forum posts (you have none yet)."
    )


def test_a_suspended_member_is_told_when_the_suspension_ends(facts, bob) -> None:
    facts.standing = Standing(posts=50, suspended_until=datetime(2031, 3, 3, 14, 0, tzinfo=UTC))
    assert run_ineligibility(bob) == (
        "Your account is suspended until 3 March 2031, 14:00 UTC; you can request runs after that."
    )
    assert not can_request_runs(bob)


def test_a_suspension_that_has_ended_holds_nobody_back(facts, bob) -> None:
    facts.standing = Standing(posts=3, suspended_until=timezone.now() - timedelta(minutes=1))
    joined(bob, timedelta(days=3))
    assert run_ineligibility(bob) is None


def test_a_deactivated_account_is_told_it_must_be_reactivated(facts, make_user) -> None:
    gone = make_user("gone", is_active=False)
    assert "reactivate" in (run_ineligibility(gone) or "")
    assert trust_level(gone) == NEW


def test_the_provider_is_asked_once_per_user_object(facts, bob) -> None:
    facts.standing = Standing(posts=3)
    joined(bob, timedelta(days=3))
    asked_before = facts.asked
    assert trust_level(bob) == MEMBER and can_request_runs(bob) and run_ineligibility(bob) is None
    assert facts.asked - asked_before == 1


def test_accounts_imports_nothing_from_the_forum() -> None:
    accounts = Path(trust.__file__).parent
    imported: list[str] = []
    for source in accounts.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.append(node.module)
            elif isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
    assert imported, "the scan found no imports at all"
    assert [name for name in imported if name.startswith("apps.forum")] == []
