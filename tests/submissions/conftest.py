"""Fixtures for submissions: a draft by alice, reviewed by bob, decided by ed (the editor)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.submissions import services


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Personas are created per test; a slow password hash would dominate the run on a loaded machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


GOOD_SOURCE = """from compute.protocol import ExperimentConfig


class Config(ExperimentConfig):
    n: int = 5


PRESETS = {"smoke": {"n": 4}}


def run(config, ctx):
    ctx.progress(1.0, "done")
    return {"x": [float(i) for i in range(config.n)], "y": [float(i * i) for i in range(config.n)]}
"""

SPEC = {"title": "squares", "series": [{"x": "x", "y": "y", "label": "n squared", "kind": "line"}]}
