"""Fixtures for submissions: a draft by alice, reviewed by bob, decided by ed (the editor)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.submissions import services

BODY = "# Introduction\n\nThe loss obeys $L(t) = e^{-2t}$ for small steps.\n"


@pytest.fixture
def draft(alice: Any) -> Any:
    return services.submission_create(
        author=alice,
        fields={"title": "Saddles in deep linear networks", "summary": "Plateaus and drops.", "body": BODY},
        tags=["deep-linear"],
    )


@pytest.fixture
def submitted(draft: Any, alice: Any) -> Any:
    return services.submission_submit(submission=draft, user=alice)


@pytest.fixture
def in_review(submitted: Any, ed: Any, bob: Any) -> Any:
    services.submission_assign_reviewer(submission=submitted, editor=ed, reviewer=bob)
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def accepted(in_review: Any, ed: Any) -> Any:
    return services.submission_decide(submission=in_review, editor=ed, decision="accept", note="Good.")
