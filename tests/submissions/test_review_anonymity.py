"""Single-blind review: the attack is the author reading every page and email they can get for a reviewer's name."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from apps.submissions import services
from apps.submissions.models import Review, Submission, Visibility
from tests.factories import GOOD_SOURCE, SPEC

pytestmark = pytest.mark.django_db


def _the_whole_round(
    alice: Any, ed: Any, bob: Any, mallory: Any, django_capture_on_commit_callbacks: Any
) -> Submission:
    """Draft, experiment, submission, two reviewers, reviews of each visibility, a revision, acceptance, publication."""
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.submission_create(
            author=alice,
            fields={"title": "Saddles", "summary": "Plateaus.", "slug": "saddles", "body": "# Saddles\n\nText.\n"},
        )
        exp = services.author_experiment_save(
            submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
        )
        services.author_experiment_approve(
            experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
        )
        services.submission_submit(submission=draft, user=alice)
        for reviewer in (bob, mallory):
            services.submission_assign_reviewer(
                submission=Submission.objects.get(pk=draft.pk), editor=ed, reviewer=reviewer
            )
        submission = Submission.objects.get(pk=draft.pk)
        services.review_submit(
            submission=submission, reviewer=bob, body="Clear.", recommendation="revise", visibility=Visibility.AUTHORS
        )
        services.review_submit(
            submission=submission, reviewer=mallory, body="Fine.", recommendation="accept", visibility=Visibility.PUBLIC
        )
        services.submission_decide(submission=submission, editor=ed, decision="revise", note="Please clarify.")
        submission.refresh_from_db()
        services.submission_submit(submission=submission, user=alice, note="Clarified.")
        submission.refresh_from_db()
        services.submission_decide(submission=submission, editor=ed, decision="accept", note="Thanks.")
        submission.refresh_from_db()
        services.submission_publish(submission=submission, editor=ed)
    return Submission.objects.get(pk=draft.pk)


def test_no_page_or_email_an_author_receives_names_a_reviewer(
    client: Any, alice: Any, ed: Any, bob: Any, mallory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    submission = _the_whole_round(alice, ed, bob, mallory, django_capture_on_commit_callbacks)
    assert Review.objects.filter(submission=submission).count() == 2  # the round really had reviews
    secrets = (
        {person.username.lower() for person in (bob, mallory)}
        | {person.email.lower() for person in (bob, mallory)}
        | {person.display_name.lower() for person in (bob, mallory) if person.display_name}
    )
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    experiment = submission.experiments.get()
    pages = [
        reverse("submissions:index"),
        reverse("submissions:detail", args=[submission.pk]),
        reverse("submissions:experiment", args=[experiment.pk]),
        submission.article.get_absolute_url(),
        "/forum/inbox/",
    ]
    for page in pages:
        response = client.get(page, follow=True)
        assert response.status_code == 200, page
        text = response.content.decode().lower()
        assert not [s for s in secrets if s in text], (page, [s for s in secrets if s in text])
    to_alice = [m for m in mail.outbox if alice.email in m.to]
    assert to_alice  # she was told of each move
    for message in to_alice:
        text = f"{message.subject}\n{message.body}".lower()
        assert not [s for s in secrets if s in text], message.subject


def test_every_email_has_one_recipient(
    alice: Any, ed: Any, bob: Any, mallory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    _the_whole_round(alice, ed, bob, mallory, django_capture_on_commit_callbacks)
    assert mail.outbox and all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
