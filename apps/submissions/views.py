"""Pages for writing, reviewing and deciding on submissions. Thin: every write is a service call."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import is_author as is_author_member
from apps.accounts.roles import is_editor
from apps.experiments.models import Run, RunStatus
from apps.perspectives.models import Kind
from apps.submissions import services
from apps.submissions.models import (
    AuthorExperiment,
    Recommendation,
    State,
    Submission,
    Visibility,
)

PREVIEW_MAX_CHARS = services.MAX_BODY_CHARS


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": list(exc.messages)}


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for field, items in _errors(exc).items():
        for item in items:
            messages.error(request, item if field == "__all__" else f"{field.replace('_', ' ')}: {item}")


def _visible(request: HttpRequest, pk: int) -> Submission:
    submission = Submission.objects.visible_to(request.user).filter(pk=pk).first()
    if submission is None:
        raise Http404("No such submission")
    return submission


def _split(value: str) -> list[str]:
    return [part for part in value.replace("\n", ",").split(",") if part.strip()]


def _fields(post: Any) -> dict[str, str]:
    return {k: post.get(k, "") for k in ("title", "slug", "summary", "kind", "body", "bibliography", "changelog")}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    mine = Submission.objects.authored_by(request.user).select_related("owner")
    page = Paginator(mine, 20).get_page(request.GET.get("page"))
    reviewing = Submission.objects.filter(assignments__reviewer=request.user.pk).exclude(
        state__in=[State.PUBLISHED, State.REJECTED]
    )
    return render(
        request,
        "submissions/index.html",
        {
            "page": page,
            "reviewing": reviewing,
            "can_write": is_author_member(request.user),
            "is_editor": is_editor(request.user),
        },
    )


def _form_context(submission: Submission | None, post: Any = None, errors: Any = None) -> dict[str, Any]:
    if post is not None:
        values = _fields(post)
        values["coauthors"] = post.get("coauthors", "")
        values["tags"] = post.get("tags", "")
    elif submission is not None:
        values = {
            k: getattr(submission, k) for k in ("title", "slug", "summary", "kind", "body", "bibliography", "changelog")
        }
        values["coauthors"] = ", ".join(u.username for u in submission.coauthors.order_by("username"))
        values["tags"] = ", ".join(t.slug for t in submission.tags.all())
    else:
        values = {"kind": Kind.PERSPECTIVE}
    return {
        "submission": submission,
        "values": values,
        "errors": errors or {},
        "kinds": Kind.choices,
    }


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not is_author_member(request.user):
        return render(request, "submissions/not_author.html", status=403)
    if request.method == "POST":
        try:
            submission = services.submission_create(
                author=request.user,
                fields=_fields(request.POST),
                coauthors=_split(request.POST.get("coauthors", "")),
                tags=_split(request.POST.get("tags", "")),
            )
        except ValidationError as exc:
            return render(request, "submissions/edit.html", _form_context(None, request.POST, _errors(exc)), status=400)
        messages.success(request, "Draft saved.")
        return redirect("submissions:edit", submission.pk)
    return render(request, "submissions/edit.html", _form_context(None))


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible(request, pk)
    if not submission.is_author(request.user):
        raise PermissionDenied("Only the authors may edit this submission.")
    if request.method == "POST":
        try:
            services.submission_update(
                submission=submission,
                user=request.user,
                fields=_fields(request.POST),
                coauthors=_split(request.POST.get("coauthors", "")),
                tags=_split(request.POST.get("tags", "")),
            )
        except ValidationError as exc:
            return render(
                request, "submissions/edit.html", _form_context(submission, request.POST, _errors(exc)), status=400
            )
        messages.success(request, "Draft saved.")
        return redirect("submissions:edit", submission.pk)
    if not submission.editable:
        messages.info(request, "The text is frozen while the submission is with the editors.")
        return redirect(submission)
    return render(request, "submissions/edit.html", _form_context(submission))


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The draft's Markdown rendered by the site's pipeline, as an HTML fragment (sanitised by the renderer).

    A preview requests no runs: its figures show the runs that exist.
    """
    from apps.core.services import source_render

    if not is_author_member(request.user) and not is_editor(request.user):
        raise PermissionDenied("Only authors may preview drafts.")
    body = request.POST.get("body", "")[:PREVIEW_MAX_CHARS]
    rendered = source_render(source=body, bibliography=request.POST.get("bibliography", "")[:PREVIEW_MAX_CHARS])
    return render(request, "submissions/includes/preview.html", {"rendered": rendered})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    from apps.core.services import source_render
    from apps.submissions.models import Review

    submission = _visible(request, pk)
    user = request.user
    editor = is_editor(user) and not submission.is_author(user)
    rendered = source_render(source=submission.body, bibliography=submission.bibliography)
    User = get_user_model()
    candidates = (
        User.objects.filter(is_active=True)
        .exclude(pk=submission.owner_id)
        .exclude(pk__in=submission.coauthors.values("pk"))
        .order_by("username")[:200]
        if editor
        else []
    )
    return render(
        request,
        "submissions/detail.html",
        {
            "submission": submission,
            "rendered": rendered,
            "is_author": submission.is_author(user),
            "is_reviewer": submission.is_reviewer(user),
            "editor": editor,
            "moves": services.allowed_moves(submission, user),
            "transitions": submission.transitions.select_related("actor"),
            "reviews": Review.objects.filter(submission=submission)
            .visible_to(user, submission)
            .select_related("reviewer"),
            "assignments": submission.assignments.select_related("reviewer"),
            "experiments": submission.experiments.all(),
            "candidates": candidates,
            "State": State,
            "recommendations": Recommendation.choices,
            "visibilities": Visibility.choices,
        },
    )


def _post_service(request: HttpRequest, pk: int, call: Any, success: str) -> HttpResponse:
    submission = _visible(request, pk)
    try:
        call(submission)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, success)
    return redirect("submissions:detail", submission.pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_service(
        request,
        pk,
        lambda s: services.submission_submit(
            submission=s, user=request.user, note=request.POST.get("note", "")[:10000]
        ),
        "Submitted to the editors.",
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_service(
        request,
        pk,
        lambda s: services.submission_decide(
            submission=s,
            editor=request.user,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", "")[:10000],
        ),
        "Decision recorded; the authors have been told.",
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    reviewer = get_user_model().objects.filter(username=request.POST.get("reviewer", "")).first()
    return _post_service(
        request,
        pk,
        lambda s: services.submission_assign_reviewer(submission=s, editor=request.user, reviewer=reviewer),
        "Reviewer assigned.",
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_service(
        request,
        pk,
        lambda s: services.review_submit(
            submission=s,
            reviewer=request.user,
            body=request.POST.get("body", "")[:100000],
            recommendation=request.POST.get("recommendation", ""),
            visibility=request.POST.get("visibility", Visibility.AUTHORS),
        ),
        "Review sent to the editors.",
    )


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible(request, pk)
    try:
        version = services.submission_publish(
            submission=submission, editor=request.user, changelog=request.POST.get("changelog", "")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect(submission)
    messages.success(request, f"Published as version {version.number}.")
    return redirect(version.article)


@login_required
def editor_dashboard(request: HttpRequest) -> HttpResponse:
    if not is_editor(request.user):
        raise PermissionDenied("The editors' dashboard is for editors.")
    queue = Submission.objects.awaiting_editor().select_related("owner").prefetch_related("assignments__reviewer")
    page = Paginator(queue.order_by("updated_at"), 30).get_page(request.GET.get("page"))
    unapproved = [
        e
        for e in AuthorExperiment.objects.select_related("submission").exclude(
            submission__state__in=[State.PUBLISHED, State.REJECTED]
        )
        if not e.approved
    ]
    return render(request, "submissions/editor.html", {"page": page, "unapproved": unapproved})


# --- Author experiments -----------------------------------------------------------


def _experiment_form(request: HttpRequest, submission: Submission, experiment: AuthorExperiment | None) -> HttpResponse:
    values = {
        "name": request.POST.get("name", ""),
        "source": request.POST.get("source", ""),
        "figure_spec": request.POST.get("figure_spec", ""),
    }
    upload = request.FILES.get("source_file")
    if upload is not None:
        if upload.size and upload.size > services.MAX_SOURCE_BYTES:
            values["source"] = "x" * (services.MAX_SOURCE_BYTES + 1)
        else:
            values["source"] = upload.read().decode("utf-8", "replace")
    try:
        saved = services.author_experiment_save(
            submission=submission,
            user=request.user,
            name=values["name"],
            source=values["source"],
            figure_spec=values["figure_spec"],
            experiment=experiment,
        )
    except ValidationError as exc:
        return render(
            request,
            "submissions/experiment_form.html",
            {
                "submission": submission,
                "experiment": experiment,
                "values": values,
                "errors": _errors(exc),
            },
            status=400,
        )
    messages.success(
        request, "Experiment saved." + ("" if saved.approved else " An editor must approve it before it runs.")
    )
    return redirect(saved)


@login_required
def experiment_new(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible(request, pk)
    if not submission.is_author(request.user):
        raise PermissionDenied("Only the authors may attach experiments.")
    if request.method == "POST":
        return _experiment_form(request, submission, None)
    return render(
        request,
        "submissions/experiment_form.html",
        {
            "submission": submission,
            "experiment": None,
            "values": {"source": EXAMPLE_SOURCE, "figure_spec": EXAMPLE_SPEC},
            "errors": {},
        },
    )


def _experiment_visible(request: HttpRequest, experiment_id: int) -> AuthorExperiment:
    experiment = get_object_or_404(AuthorExperiment.objects.select_related("submission"), pk=experiment_id)
    _visible(request, experiment.submission_id)
    return experiment


@login_required
def experiment_detail(request: HttpRequest, experiment_id: int) -> HttpResponse:
    import json

    experiment = _experiment_visible(request, experiment_id)
    submission = experiment.submission
    if request.method == "POST":
        if not submission.is_author(request.user):
            raise PermissionDenied("Only the authors may change an experiment.")
        return _experiment_form(request, submission, experiment)
    runs = Run.objects.filter(experiment_id=experiment.registry_entry_id).select_related("experiment", "sandbox")
    latest = runs.filter(status=RunStatus.SUCCEEDED).first()
    return render(
        request,
        "submissions/experiment.html",
        {
            "submission": submission,
            "experiment": experiment,
            "runs": runs[:10],
            "latest": latest,
            "is_author": submission.is_author(request.user),
            "editor": is_editor(request.user) and not submission.is_author(request.user),
            "spec_text": json.dumps(experiment.figure_spec, indent=2),
            "spec_sha256": services.spec_fingerprint(experiment.figure_spec),
            "values": {
                "name": experiment.name,
                "source": experiment.source,
                "figure_spec": json.dumps(experiment.figure_spec, indent=2),
            },
        },
    )


@login_required
@require_POST
def experiment_approve(request: HttpRequest, experiment_id: int) -> HttpResponse:
    experiment = _experiment_visible(request, experiment_id)
    try:
        services.author_experiment_approve(
            experiment=experiment,
            editor=request.user,
            sha256=request.POST.get("sha256", ""),
            spec_sha256=request.POST.get("spec_sha256", ""),
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, "Approved: this exact source and figure spec may now run in the sandbox.")
    return redirect(experiment)


@login_required
@require_POST
def experiment_run(request: HttpRequest, experiment_id: int) -> HttpResponse:
    experiment = _experiment_visible(request, experiment_id)
    try:
        run, created = services.author_experiment_run(
            experiment=experiment, user=request.user, preset=request.POST.get("preset", "smoke")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect(experiment)
    messages.success(request, "Run queued for the sandbox." if created else "This source has run already.")
    return redirect(run)


EXAMPLE_SOURCE = '''from compute.protocol import ExperimentConfig


class Config(ExperimentConfig):
    steps: int = 50
    lr: float = 0.1


PRESETS = {"smoke": {"steps": 20}, "full": {"steps": 200}}


def run(config, ctx):
    """Gradient descent on a one-dimensional quadratic, against its exact solution."""
    w, losses, theory = 1.0, [], []
    for t in range(config.steps):
        losses.append(0.5 * w * w)
        theory.append(0.5 * (1 - config.lr) ** (2 * t))
        w -= config.lr * w
        ctx.progress((t + 1) / config.steps, "step")
    return {"step": list(range(config.steps)), "loss": losses, "theory": theory}
'''

EXAMPLE_SPEC = """title: Loss of gradient descent on a quadratic
x_label: step
y_label: loss
y_scale: log
series:
  - {x: step, y: loss, label: measured, kind: scatter}
  - {x: step, y: theory, label: exact, kind: theory}
"""
