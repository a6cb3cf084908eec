"""The review workflow end to end, its log, its mail, review visibility and publication."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from apps.submissions import services
from apps.submissions.models import Review, State, Submission, Transition
from tests.factories import GOOD_SOURCE, SPEC


def test_a_full_round_ends_in_a_published_version_with_the_authors_byline(
    draft: Any, alice: Any, bob: Any, ed: Any, charlie: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.perspectives.models import Article

    services.submission_update(
        submission=draft,
        user=alice,
        fields={"title": draft.title, "summary": draft.summary, "body": draft.body},
        coauthors=["charlie"],
    )
    services.submission_submit(submission=draft, user=alice)
    services.submission_assign_reviewer(submission=draft, editor=ed, reviewer=bob)
    services.review_submit(submission=draft, reviewer=bob, body="Please define L.", recommendation="revise")
    services.submission_decide(submission=draft, editor=ed, decision="revise", note="See the review.")
    assert draft.editable
    services.submission_update(
        submission=draft,
        user=charlie,
        fields={"title": draft.title, "summary": draft.summary, "body": draft.body + "\nHere $L$ is the loss.\n"},
        coauthors=["charlie"],
    )
    services.submission_submit(submission=draft, user=charlie, note="We defined L.")
    services.submission_decide(submission=draft, editor=ed, decision="accept")
    version = services.submission_publish(submission=draft, editor=ed, changelog="First version.")

    article = Article.objects.get(slug="saddles-in-deep-linear-networks")
    assert version.number == 1 and article.latest_version == version
    assert "Here" in version.body
    byline = list(article.authorships.order_by("position").values_list("user__username", flat=True))
    assert byline == ["alice", "charlie"]
    path = list(draft.transitions.values_list("from_state", "to_state"))
    assert path == [
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "revisions_requested"),
        ("revisions_requested", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "published"),
    ]
    assert draft.transitions.get(from_state="revisions_requested").note == "We defined L."


def test_publishing_again_makes_the_next_version_of_the_same_article(accepted: Any, ed: Any, alice: Any) -> None:
    first = services.submission_publish(submission=accepted, editor=ed, changelog="First.")
    second_draft = services.submission_create(
        author=alice, fields={"title": "Saddles, revised", "summary": "S.", "body": "New text.", "slug": accepted.slug}
    )
    Submission.objects.filter(pk=second_draft.pk).update(article=first.article, state=State.ACCEPTED)
    second_draft.refresh_from_db()
    second = services.submission_publish(submission=second_draft, editor=ed, changelog="Second.")
    assert (first.article_id, first.number) == (second.article_id, 1)
    assert second.number == 2


def test_a_new_article_cannot_take_an_existing_address(accepted: Any, ed: Any, alice: Any) -> None:
    services.submission_publish(submission=accepted, editor=ed)
    other = services.submission_create(
        author=alice, fields={"title": "Other", "summary": "S.", "body": "B.", "slug": accepted.slug}
    )
    Submission.objects.filter(pk=other.pk).update(state=State.ACCEPTED)
    other.refresh_from_db()
    with pytest.raises(ValidationError) as info:
        services.submission_publish(submission=other, editor=ed)
    assert "slug" in info.value.message_dict
    other.refresh_from_db()
    assert other.state == State.ACCEPTED


def test_each_move_mails_the_people_involved_but_not_the_actor(
    draft: Any, alice: Any, ed: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_submit(submission=draft, user=alice)
    assert [m.to for m in mail.outbox] == [["ed@example.org"]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_assign_reviewer(submission=draft, editor=ed, reviewer=bob)
    recipients = sorted(r for m in mail.outbox for r in m.to)
    assert "alice@example.org" in recipients and "bob@example.org" in recipients
    assert "ed@example.org" not in recipients


def test_reviews_are_shown_according_to_their_visibility(
    in_review: Any, alice: Any, bob: Any, ed: Any, mallory: Any
) -> None:
    services.review_submit(
        submission=in_review, reviewer=bob, body="Private note.", recommendation="accept", visibility="editors"
    )
    services.review_submit(
        submission=in_review, reviewer=bob, body="For the authors.", recommendation="revise", visibility="authors"
    )
    reviews = Review.objects.filter(submission=in_review)
    assert {r.body for r in reviews.visible_to(ed, in_review)} == {"Private note.", "For the authors."}
    assert {r.body for r in reviews.visible_to(alice, in_review)} == {"For the authors."}
    assert not reviews.visible_to(mallory, in_review).exists()


@pytest.mark.parametrize("field", ["title", "summary"])
def test_a_draft_without_title_or_summary_is_refused_and_nothing_is_saved(alice: Any, field: str) -> None:
    fields = {"title": "T", "summary": "S", "body": "B", field: "  "}
    with pytest.raises(ValidationError) as info:
        services.submission_create(author=alice, fields=fields)
    assert field in info.value.message_dict
    assert not Submission.objects.exists()


def test_unknown_coauthors_are_named_and_nothing_is_saved(alice: Any) -> None:
    with pytest.raises(ValidationError) as info:
        services.submission_create(
            author=alice, fields={"title": "T", "summary": "S", "body": "B"}, coauthors=["nobody-here"]
        )
    assert "nobody-here" in info.value.message_dict["coauthors"][0]
    assert not Submission.objects.exists()


def test_an_empty_draft_cannot_be_submitted(alice: Any) -> None:
    empty = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": ""})
    with pytest.raises(ValidationError):
        services.submission_submit(submission=empty, user=alice)
    assert not Transition.objects.exists()


# --- Author experiments ----------------------------------------------------------


def test_changing_the_source_clears_the_approval(draft: Any, alice: Any, ed: Any) -> None:
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    assert exp.approved
    exp = services.author_experiment_save(
        submission=draft,
        user=alice,
        name="squares",
        source=GOOD_SOURCE + "\n# tweak\n",
        figure_spec=SPEC,
        experiment=exp,
    )
    assert not exp.approved and exp.approved_by is None


def test_saving_the_same_source_and_spec_keeps_the_approval(draft: Any, alice: Any, ed: Any) -> None:
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    exp = services.author_experiment_save(
        submission=draft,
        user=alice,
        name="squares",
        source=GOOD_SOURCE,
        figure_spec=dict(SPEC),
        experiment=exp,
    )
    assert exp.approved


def test_an_editor_approves_only_the_hash_they_read(draft: Any, alice: Any, ed: Any) -> None:
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    with pytest.raises(ValidationError):
        services.author_experiment_approve(
            experiment=exp, editor=ed, sha256="0" * 64, spec_sha256=services.spec_fingerprint(exp.figure_spec)
        )
    exp.refresh_from_db()
    assert not exp.approved


def test_authors_cannot_approve_their_own_code(draft: Any, alice: Any) -> None:
    from django.core.exceptions import PermissionDenied

    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    with pytest.raises(PermissionDenied):
        services.author_experiment_approve(
            experiment=exp, editor=alice, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
        )


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("def run(config, ctx):\n    return {}\n", "Config, PRESETS"),
        ("class Config(:\n", "does not parse"),
        ("x" * (70 * 1024), "KiB"),
    ],
)
def test_a_module_that_cannot_be_an_experiment_is_refused_without_running_it(
    draft: Any, alice: Any, source: str, needle: str
) -> None:
    with pytest.raises(ValidationError) as info:
        services.author_experiment_save(submission=draft, user=alice, name="bad", source=source, figure_spec=SPEC)
    assert needle in " ".join(info.value.message_dict["source"])
    assert not draft.experiments.exists()


def test_a_bad_figure_spec_is_refused_with_its_field(draft: Any, alice: Any) -> None:
    with pytest.raises(ValidationError) as info:
        services.author_experiment_save(
            submission=draft,
            user=alice,
            name="squares",
            source=GOOD_SOURCE,
            figure_spec="series: [{x: steps, label: no y}]",
        )
    assert any("series.0.y" in m for m in info.value.message_dict["figure_spec"])


def test_an_unapproved_experiment_cannot_run(draft: Any, alice: Any) -> None:
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    with pytest.raises(ValidationError) as info:
        services.author_experiment_run(experiment=exp, user=alice)
    assert "approval" in info.value.message_dict


def test_running_an_approved_experiment_queues_one_run_per_source_and_preset(
    draft: Any, alice: Any, ed: Any, mallory: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, created = services.author_experiment_run(experiment=exp, user=alice)
    again, created_again = services.author_experiment_run(experiment=exp, user=alice)
    assert created and not created_again and again.pk == run.pk
    assert run.experiment.kind == "author" and run.code_hash == exp.sha256[:16]
    assert run.experiment.author_experiment == exp
    assert run.experiment.available is False  # never listed with the reference experiments
    with pytest.raises(PermissionDenied):
        services.author_experiment_run(experiment=exp, user=mallory)


def test_publishing_needs_every_experiment_approved(accepted: Any, alice: Any, ed: Any) -> None:
    from apps.submissions.models import AuthorExperiment

    AuthorExperiment.objects.create(
        submission=accepted,
        name="squares",
        source=GOOD_SOURCE,
        sha256=services.source_hash(GOOD_SOURCE),
        figure_spec=SPEC,
    )
    with pytest.raises(ValidationError) as info:
        services.submission_publish(submission=accepted, editor=ed)
    assert "squares" in info.value.message_dict["experiments"][0]


def test_the_reaper_requeues_an_author_run_whose_worker_died(
    draft: Any, alice: Any, ed: Any, django_capture_on_commit_callbacks: Any, task_broker: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.experiments.models import Run
    from apps.experiments.services import runs_reap_expired

    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    with django_capture_on_commit_callbacks(execute=False):
        run, _ = services.author_experiment_run(experiment=exp, user=alice)
    Run.objects.filter(pk=run.pk).update(
        status="running", attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=5)
    )
    assert runs_reap_expired() == 1
    run.refresh_from_db()
    assert run.status == "queued" and run.error == "" and run.enqueued_at is not None
    assert len(list(task_broker.glob("*.experiments.msg"))) == 1  # the message to the sandbox worker


def test_only_reviews_marked_public_are_published_with_the_article(in_review: Any, bob: Any, ed: Any) -> None:
    from apps.submissions.selectors import published_reviews

    services.review_submit(
        submission=in_review, reviewer=bob, body="Open.", recommendation="accept", visibility="public"
    )
    services.review_submit(
        submission=in_review, reviewer=bob, body="Closed.", recommendation="accept", visibility="authors"
    )
    services.submission_decide(submission=in_review, editor=ed, decision="accept")
    version = services.submission_publish(submission=in_review, editor=ed)
    assert [r.body for r in published_reviews(version.article)] == ["Open."]


FIGURE_BODY = (
    "Intro.\n\n```figure\nexperiment: deep_linear\npreset: smoke\n"
    "grid: {init_scale: [0.001, 0.01]}\ncaption: Modes.\n```\n"
)


def test_submitting_a_draft_requests_its_figures_on_the_submitting_authors_quota(alice: Any) -> None:
    from apps.experiments.models import Run

    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": FIGURE_BODY})
    assert not Run.objects.exists()  # saving a draft computes nothing
    services.submission_submit(submission=draft, user=alice)
    runs = Run.objects.order_by("pk")
    assert [r.config["init_scale"] for r in runs] == [0.001, 0.01]
    assert {r.requested_by for r in runs} == {alice}


def test_a_draft_whose_figures_exceed_the_quota_is_not_submitted(alice: Any, settings: Any) -> None:
    from apps.experiments.models import Run

    settings.RUNS_MAX_PER_DAY_PER_USER = 1
    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": FIGURE_BODY})
    with pytest.raises(ValidationError) as info:
        services.submission_submit(submission=draft, user=alice)
    assert "quota" not in info.value.message_dict and "runs" in " ".join(info.value.message_dict["body"])
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and not draft.transitions.exists()
    assert not Run.objects.exists()


def test_the_figure_spec_is_part_of_what_the_editor_approves(draft: Any, alice: Any, ed: Any) -> None:
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    read = services.spec_fingerprint(exp.figure_spec)
    relabelled = {**SPEC, "series": [{**SPEC["series"][0], "label": '=HYPERLINK("https://evil.example")'}]}
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=relabelled, experiment=exp
    )
    with pytest.raises(ValidationError) as info:  # the editor read the old labels
        services.author_experiment_approve(experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=read)
    assert "figure_spec" in info.value.message_dict
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    exp.refresh_from_db()
    assert exp.approved
    exp = services.author_experiment_save(  # a label changed after approval needs a new one
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC, experiment=exp
    )
    assert not exp.approved
