"""The writing pages: who sees what, the live preview, and bad input that never gives a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from apps.submissions import services
from apps.submissions.models import State, Submission
from tests.factories import GOOD_SOURCE, SPEC


@pytest.fixture
def as_user(client: Any) -> Any:
    def login(user: Any) -> Any:
        client.force_login(user)
        return client

    return login


def test_the_preview_renders_math_citations_and_reports_errors(as_user: Any, alice: Any) -> None:
    body = "Loss $L = \\frac{1}{2} w^2$ as in [@saxe2014].\n\nBroken $\\frac{1}{$ here.\n"
    bib = "@article{saxe2014, title={Exact solutions}, author={Saxe, Andrew}, year={2014}}"
    response = as_user(alice).post(reverse("submissions:preview"), {"body": body, "bibliography": bib})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<math" in html
    assert "To fix before submitting" in html


FIGURE_BODY = (
    "Intro.\n\n```figure\nexperiment: deep_linear\npreset: smoke\n"
    "grid: {init_scale: [0.001, 0.01]}\ncaption: Modes.\n```\n"
)


def test_previewing_and_viewing_a_draft_with_figure_blocks_creates_no_run(as_user: Any, alice: Any, ed: Any) -> None:
    from apps.experiments.models import Run

    client = as_user(alice)
    for _ in range(2):
        preview = client.post(reverse("submissions:preview"), {"body": FIGURE_BODY})
        assert preview.status_code == 200 and b"lm-figure" in preview.content
    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": FIGURE_BODY})
    assert client.get(reverse("submissions:detail", args=[draft.pk])).status_code == 200
    services.submission_submit(submission=draft, user=alice)  # the editors read it too
    Run.objects.all().delete()
    assert as_user(ed).get(reverse("submissions:detail", args=[draft.pk])).status_code == 200
    assert not Run.objects.exists()


def test_the_preview_shows_runs_that_exist(as_user: Any, alice: Any) -> None:
    from apps.core.requesters import SystemRequest
    from apps.experiments.services import run_request

    run, _ = run_request(
        requester=SystemRequest("test"), experiment="deep_linear", params={"init_scale": 0.001}, preset="smoke"
    )
    html = as_user(alice).post(reverse("submissions:preview"), {"body": FIGURE_BODY}).content.decode()
    assert f"/experiments/runs/{run.pk}/figure.json" in html
    assert "not requested yet" in html  # the other grid point: nothing computed for a preview


def test_the_preview_sanitises_hostile_html(as_user: Any, alice: Any) -> None:
    response = as_user(alice).post(
        reverse("submissions:preview"), {"body": '<script>alert(1)</script><img src=x onerror="alert(2)">'}
    )
    assert response.status_code == 200
    assert b"<script>alert" not in response.content and b"onerror" not in response.content


def test_the_preview_is_for_authors_only(as_user: Any, mallory: Any, client: Any) -> None:
    assert client.post(reverse("submissions:preview"), {"body": "x"}).status_code == 302  # to log-in
    assert as_user(mallory).post(reverse("submissions:preview"), {"body": "x"}).status_code == 403


def test_an_author_creates_a_draft_in_the_browser_form(as_user: Any, alice: Any) -> None:
    response = as_user(alice).post(
        reverse("submissions:create"),
        {
            "title": "On plateaus",
            "summary": "Why loss curves pause.",
            "kind": "tutorial",
            "body": "Text $x$.",
            "coauthors": "",
            "tags": "deep-linear, saddles",
        },
    )
    submission = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("submissions:edit", args=[submission.pk])
    assert sorted(submission.tags.values_list("slug", flat=True)) == ["deep-linear", "saddles"]


def test_a_form_with_missing_fields_is_shown_again_with_the_field_named(as_user: Any, alice: Any) -> None:
    response = as_user(alice).post(reverse("submissions:create"), {"title": "", "summary": "", "body": "x"})
    assert response.status_code == 400
    assert b"Give the article a title" in response.content
    assert not Submission.objects.exists()


def test_members_outside_the_author_group_are_told_how_to_join(as_user: Any, mallory: Any) -> None:
    response = as_user(mallory).get(reverse("submissions:create"))
    assert response.status_code == 403
    assert b"author group" in response.content


@pytest.mark.parametrize("persona", ["mallory", "bob"])
def test_a_draft_is_invisible_to_people_with_no_part_in_it(
    as_user: Any, draft: Any, request: Any, persona: str
) -> None:
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("submissions:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("submissions:edit", args=[draft.pk])).status_code == 404


def test_an_editor_sees_submitted_work_but_not_plain_drafts(as_user: Any, draft: Any, alice: Any, ed: Any) -> None:
    client = as_user(ed)
    assert client.get(reverse("submissions:detail", args=[draft.pk])).status_code == 404
    services.submission_submit(submission=draft, user=alice)
    response = client.get(reverse("submissions:detail", args=[draft.pk]))
    assert response.status_code == 200 and b"Assign a reviewer" in response.content


def test_the_editor_dashboard_lists_waiting_submissions_for_editors_only(
    as_user: Any, submitted: Any, ed: Any, mallory: Any
) -> None:
    response = as_user(ed).get(reverse("submissions:editor"))
    assert response.status_code == 200 and submitted.title.encode() in response.content
    assert as_user(mallory).get(reverse("submissions:editor")).status_code == 403


def test_the_reviewer_posts_a_review_and_the_author_reads_it(
    as_user: Any, in_review: Any, bob: Any, alice: Any
) -> None:
    response = as_user(bob).post(
        reverse("submissions:review", args=[in_review.pk]),
        {"body": "The plateau length needs a derivation.", "recommendation": "revise", "visibility": "authors"},
    )
    assert response.status_code == 302
    page = as_user(alice).get(reverse("submissions:detail", args=[in_review.pk]))
    assert b"The plateau length needs a derivation." in page.content
    assert b"bob" not in page.content.split(b'<h2 id="reviewers-heading">')[1].split(b"</section>")[0]


def test_a_bad_decision_value_is_reported_not_a_500(as_user: Any, in_review: Any, ed: Any) -> None:
    response = as_user(ed).post(reverse("submissions:decide", args=[in_review.pk]), {"decision": "maybe"}, follow=True)
    assert response.status_code == 200
    assert b"Choose accept, revise or reject" in response.content
    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW


def test_an_outsider_cannot_submit_someone_elses_draft(as_user: Any, draft: Any, mallory: Any) -> None:
    response = as_user(mallory).post(reverse("submissions:submit", args=[draft.pk]))
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_publishing_from_the_page_redirects_to_the_new_article(as_user: Any, accepted: Any, ed: Any) -> None:
    response = as_user(ed).post(reverse("submissions:publish", args=[accepted.pk]), {"changelog": "First."})
    assert response.status_code == 302
    assert response["Location"] == f"/perspectives/{accepted.slug}/"


def test_an_uploaded_module_is_attached_and_awaits_approval(as_user: Any, draft: Any, alice: Any, ed: Any) -> None:
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("exp.py", GOOD_SOURCE.encode(), content_type="text/x-python")
    response = as_user(alice).post(
        reverse("submissions:experiment_new", args=[draft.pk]),
        {"name": "squares", "source": "", "source_file": upload, "figure_spec": json.dumps(SPEC)},
    )
    exp = draft.experiments.get()
    assert response.status_code == 302 and exp.source == GOOD_SOURCE and not exp.approved
    page = as_user(ed).get(reverse("submissions:experiment", args=[exp.pk]))
    assert page.status_code == 200 and b"approve them" in page.content
    as_user(ed).post(
        reverse("submissions:experiment_approve", args=[exp.pk]),
        {"sha256": exp.sha256, "spec_sha256": services.spec_fingerprint(exp.figure_spec)},
    )
    exp.refresh_from_db()
    assert exp.approved and exp.approved_by == ed


def test_the_figure_of_a_succeeded_author_run_is_drawn_from_the_spec(
    as_user: Any, draft: Any, alice: Any, ed: Any
) -> None:
    from apps.experiments.models import Run, RunResult

    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    url = reverse("experiments:run_figure", args=[run.pk])
    assert as_user(alice).get(url).json()["item"] is None  # queued: nothing to draw yet
    RunResult.objects.create(run=run, data={"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 4.0]})
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest="squares")
    item = as_user(alice).get(url).json()["item"]
    assert item["doc"]["roots"]
    assert "n squared" in json.dumps(item)  # the spec's series label, drawn by the spec's trusted builder


def test_the_run_pages_of_an_author_run_do_not_break(as_user: Any, draft: Any, alice: Any, ed: Any) -> None:
    from apps.experiments.models import Run, RunResult

    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    client = as_user(alice)
    for name in ("run", "run_status", "run_figure", "run_figure_data"):
        assert client.get(reverse(f"experiments:{name}", args=[run.pk])).status_code < 500, name
    RunResult.objects.create(run=run, data={"x": [0.0, 1.0], "y": [0.0, 1.0]})
    Run.objects.filter(pk=run.pk).update(status="succeeded")
    for name in ("run", "run_status", "run_result_json", "run_result_csv", "run_figure", "run_figure_data"):
        assert client.get(reverse(f"experiments:{name}", args=[run.pk])).status_code < 500, name
    page = client.get(reverse("submissions:experiment", args=[exp.pk]))
    assert page.status_code == 200 and b"lm-figure-live" in page.content
    run_page = client.get(reverse("experiments:run", args=[run.pk]))
    assert b"lm-figure-live" in run_page.content  # the run page draws it like any run's
    assert reverse("submissions:experiment", args=[exp.pk]).encode() in run_page.content


def test_a_spec_that_does_not_fit_the_result_gives_an_explaining_plot_not_a_500(
    as_user: Any, draft: Any, alice: Any, ed: Any
) -> None:
    from apps.experiments.models import Run, RunResult

    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    RunResult.objects.create(run=run, data={"other": [1.0]})
    # The figure cache is keyed by run and digest; a digest of its own keeps it apart from other tests.
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest="misfit")
    response = as_user(alice).get(reverse("experiments:run_figure", args=[run.pk]))
    assert response.status_code == 200
    assert "does not fit" in response.content.decode()


def test_signed_in_members_find_the_writing_desk_in_the_nav(as_user: Any, bob: Any, client: Any) -> None:
    assert b'href="/write/"' not in client.get("/").content
    assert b'href="/write/"' in as_user(bob).get("/").content


def test_every_page_renders_for_the_people_who_use_it(
    as_user: Any, in_review: Any, alice: Any, bob: Any, ed: Any
) -> None:
    draft = services.submission_create(author=alice, fields={"title": "Second", "summary": "S", "body": "B"})
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    pages = {
        alice: [
            "submissions:index",
            "submissions:create",
            ("submissions:edit", draft.pk),
            ("submissions:experiment_new", draft.pk),
            ("submissions:experiment", exp.pk),
            ("submissions:detail", in_review.pk),
        ],
        bob: ["submissions:index", ("submissions:detail", in_review.pk)],
        ed: [
            "submissions:editor",
            ("submissions:detail", in_review.pk),
            ("submissions:detail", draft.pk),
            ("submissions:experiment", exp.pk),
        ],
    }
    for user, names in pages.items():
        client = as_user(user)
        for name in names:
            url = reverse(name) if isinstance(name, str) else reverse(name[0], args=[name[1]])
            response = client.get(url)
            assert response.status_code == 200, (user.username, url, response.status_code)
    dashboard = as_user(ed).get(reverse("submissions:editor")).content.decode()
    assert "squares" in dashboard and in_review.title in dashboard
    assert "Your review" in as_user(bob).get(reverse("submissions:detail", args=[in_review.pk])).content.decode()


def test_the_admin_lists_submissions_for_staff(client: Any, admin_user: Any, draft: Any) -> None:
    client.force_login(admin_user)
    assert client.get(reverse("admin:submissions_submission_changelist")).status_code == 200
    assert client.get(reverse("admin:submissions_submission_change", args=[draft.pk])).status_code == 200
