"""Every role against every transition: only the role the table names may make a move.

alice owns the draft, charlie is her co-author, bob is the assigned reviewer,
ed is an editor, mallory is a member with no part in it, admin a superuser.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.submissions import services
from apps.submissions.models import Assignment, State, Submission, Transition

PERSONAS = ["alice", "charlie", "bob", "ed", "mallory", "admin_user"]
ROLE_OF = {
    "alice": "author",
    "charlie": "author",
    "bob": "reviewer",
    "ed": "editor",
    "mallory": "none",
    "admin_user": "editor",
}


def _attempt(submission: Submission, user: Any, to: str) -> None:
    if to == State.SUBMITTED:
        services.submission_submit(submission=submission, user=user, note="")
    elif to == State.IN_REVIEW:
        services.submission_assign_reviewer(
            submission=submission, editor=user, reviewer=submission.assignments.first().reviewer
        )
    elif to == State.PUBLISHED:
        services.submission_publish(submission=submission, editor=user, changelog="First version.")
    else:
        decision = {State.ACCEPTED: "accept", State.REVISIONS_REQUESTED: "revise", State.REJECTED: "reject"}[to]
        services.submission_decide(submission=submission, editor=user, decision=decision)


@pytest.fixture
def cast(alice: Any, bob: Any, charlie: Any, ed: Any, mallory: Any, admin_user: Any) -> dict[str, Any]:
    return {"alice": alice, "bob": bob, "charlie": charlie, "ed": ed, "mallory": mallory, "admin_user": admin_user}


def _submission_in(state: str, cast: dict[str, Any]) -> Submission:
    submission = services.submission_create(
        author=cast["alice"],
        fields={"title": "A draft", "summary": "S.", "body": "Text with $x$."},
        coauthors=["charlie"],
    )
    Submission.objects.filter(pk=submission.pk).update(state=state)
    Assignment.objects.create(submission=submission, reviewer=cast["bob"], assigned_by=cast["ed"])
    submission.refresh_from_db()
    return submission


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("frm", "to"), list(services.TRANSITIONS))
def test_only_the_named_role_may_make_each_transition(db, cast, persona: str, frm: str, to: str) -> None:
    submission = _submission_in(frm, cast)
    allowed = ROLE_OF[persona] == services.TRANSITIONS[(frm, to)]
    if allowed:
        _attempt(submission, cast[persona], to)
        submission.refresh_from_db()
        assert submission.state == to
        last = submission.transitions.last()
        assert (last.from_state, last.to_state, last.actor) == (frm, to, cast[persona])
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            _attempt(submission, cast[persona], to)
        submission.refresh_from_db()
        assert submission.state == frm
        assert not Transition.objects.filter(submission=submission).exists()


# No service moves anything back to draft, so "to draft" has nothing to call.
ALL_MOVES = [(frm, to) for frm in State.values for to in State.values if frm != to and to != State.DRAFT]


@pytest.mark.parametrize(("frm", "to"), [m for m in ALL_MOVES if m not in services.TRANSITIONS])
def test_moves_outside_the_table_are_refused_even_for_an_editor(db, cast, frm: str, to: str) -> None:
    submission = _submission_in(frm, cast)
    actor = cast["alice"] if to == State.SUBMITTED else cast["ed"]
    with pytest.raises(ValidationError):
        _attempt(submission, actor, to)
    submission.refresh_from_db()
    assert submission.state == frm


def test_an_editor_cannot_decide_on_a_submission_they_coauthored(db, cast) -> None:
    submission = _submission_in(State.IN_REVIEW, cast)
    submission.coauthors.add(cast["ed"])
    with pytest.raises(PermissionDenied):
        services.submission_decide(submission=submission, editor=cast["ed"], decision="accept")


def test_only_the_assigned_reviewer_may_review(db, cast) -> None:
    submission = _submission_in(State.IN_REVIEW, cast)
    for persona in ("alice", "charlie", "mallory", "ed"):
        with pytest.raises(PermissionDenied):
            services.review_submit(submission=submission, reviewer=cast[persona], body="x", recommendation="accept")
    review = services.review_submit(submission=submission, reviewer=cast["bob"], body="Fine.", recommendation="accept")
    assert review.pk is not None


def test_an_author_cannot_be_assigned_to_review_their_own_submission(db, cast) -> None:
    submission = _submission_in(State.SUBMITTED, cast)
    with pytest.raises(ValidationError) as info:
        services.submission_assign_reviewer(submission=submission, editor=cast["ed"], reviewer=cast["charlie"])
    assert "reviewer" in info.value.message_dict


@pytest.mark.parametrize("persona", ["bob", "ed", "mallory"])
def test_only_authors_may_edit_the_text(db, cast, persona: str) -> None:
    submission = _submission_in(State.DRAFT, cast)
    with pytest.raises(PermissionDenied):
        services.submission_update(
            submission=submission, user=cast[persona], fields={"title": "Hijacked", "summary": "S", "body": "x"}
        )
    submission.refresh_from_db()
    assert submission.title == "A draft"


@pytest.mark.parametrize("state", [State.SUBMITTED, State.IN_REVIEW, State.ACCEPTED, State.PUBLISHED, State.REJECTED])
def test_the_text_is_frozen_while_with_the_editors(db, cast, state: str) -> None:
    submission = _submission_in(state, cast)
    with pytest.raises(ValidationError):
        services.submission_update(
            submission=submission, user=cast["alice"], fields={"title": "Changed", "summary": "S", "body": "x"}
        )


def test_only_members_of_the_author_group_may_start_a_draft(db, cast) -> None:
    with pytest.raises(PermissionDenied):
        services.submission_create(author=cast["mallory"], fields={"title": "T", "summary": "S", "body": "B"})
