"""Pages for experiments and runs: thin views over services and QuerySets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.accounts.trust import RunAllowance
from apps.experiments.executors import StatedClaims, executor_for
from apps.experiments.filters import RunFilter
from apps.experiments.forms import config_fields, general_errors, parse_params
from apps.experiments.models import Experiment, Run, RunEvent, RunStatus
from apps.experiments.queue import describe, queue_place
from apps.experiments.reproducibility import latest_checks, published_originals
from apps.experiments.services import (
    experiment_sync,
    run_cancel,
    run_may_manage,
    run_may_read_source,
    run_permission,
    run_reproduce,
    run_request,
    run_requeue,
    runs_left_today,
    workers_alive,
)


def _experiment_or_404(name: str) -> tuple[Experiment, Any]:
    from compute import registry

    experiment_sync()
    exp = get_object_or_404(Experiment, name=name, available=True)
    try:
        return exp, registry.get(name)
    except registry.UnknownExperiment:
        raise Http404("no such experiment") from None


@require_GET
def experiment_list(request: HttpRequest) -> HttpResponse:
    experiment_sync()
    experiments = Experiment.objects.filter(available=True)
    return render(request, "experiments/experiment_list.html", {"experiments": experiments})


def _eligibility(user: User | AnonymousUser) -> dict[str, Any]:
    """What the reader may run, told before the form: allowed at all, starter runs only, why, and what is left today."""
    permission = run_permission(user)
    left, limit = runs_left_today(user) if isinstance(user, User) else (0, 0)
    return {
        "signed_in": user.is_authenticated,
        "allowed": permission.allowance is not RunAllowance.NONE,
        "starter": permission.allowance is RunAllowance.STARTER,
        "reason": permission.reason,
        "left": left,
        "limit": limit,
        "staff": user.is_staff,
    }


def experiment_detail(request: HttpRequest, name: str) -> HttpResponse:
    exp, spec = _experiment_or_404(name)
    default = "smoke" if "smoke" in spec.presets else next(iter(spec.presets), "")
    preset = request.POST.get("preset") or request.GET.get("preset") or default
    errors: dict[str, list[str]] = {}
    status = 200
    if preset not in spec.presets:
        # Never run something else than was asked: say so, as the API does.
        errors["preset"] = [f"There is no preset {preset!r}; choose one of {', '.join(spec.presets)}."]
        preset, status = default, 400
    values: dict[str, Any] = dict(spec.presets.get(preset, {}))
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{_login_url()}?next={request.path}")
        params = parse_params(spec, request.POST)
        values.update(params)
        if not errors:
            try:
                run, created = run_request(requester=request.user, experiment=spec.name, params=params, preset=preset)
            except ValidationError as exc:
                errors, status = exc.message_dict, 400
            except PermissionDenied as exc:
                errors, status = {"__all__": [str(exc)]}, 403
            else:
                if not created:
                    messages.info(request, "This exact configuration was already requested; here is its run.")
                return redirect(run)
    elif request.method != "GET":
        return HttpResponse(status=405)
    else:
        # "Run it yourself" links under figures prefill the form from the query string.
        values.update({k: v for k, v in parse_params(spec, request.GET).items() if k in request.GET})
    fields = config_fields(spec, values=values, errors=errors)
    sample = (
        exp.runs.originals().succeeded().filter(preset="smoke").select_related("experiment").order_by("-finished_at")
    ).first()
    # The run list reads the same filter as GET /api/v1/runs/ (?status=, ?requested_by=, ?mine=true).
    run_filter = RunFilter(request.GET, queryset=exp.runs.originals().select_related("requested_by"), request=request)
    if run_filter.is_valid():
        listed = run_filter.qs
    else:
        listed, status = Run.objects.none(), 400
    runs = Paginator(listed, 20).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "experiment": exp,
        "spec": spec,
        "fields": fields,
        "presets": list(spec.presets),
        "preset": preset,
        "general_errors": general_errors(errors, fields),
        "eligibility": _eligibility(request.user),
        "sample": sample,
        "runs": runs,
        "filter": run_filter,
        "filter_query": kept.urlencode(),
        "statuses": RunStatus.choices,
    }
    return render(request, "experiments/experiment_detail.html", context, status=status)


def _login_url() -> str:
    from django.conf import settings
    from django.urls import reverse

    return reverse(settings.LOGIN_URL)


def _run(request: HttpRequest, run_id: int) -> Run:
    """The run, if the reader may see it (404 otherwise, the same answer as for a run that does not exist)."""
    runs = Run.objects.visible_to(request.user).select_related("experiment", "requested_by", "reproduction_of")
    return get_object_or_404(runs, pk=run_id)


@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    result = getattr(run, "result", None) if run.status == "succeeded" else None
    metrics = (result.data.get("metrics") if result and isinstance(result.data, dict) else None) or {}
    stated = executor_for(run.experiment.kind).claims(run) if metrics else StatedClaims()
    verdicts = [claim.check(metrics) for claim in stated.claims]
    claimed = {claim.metric for claim in stated.claims}
    place = queue_place(run)
    context = {
        "run": run,
        "queue": describe(place) if place is not None else "",
        "verdicts": verdicts,
        "claims_apply": stated.apply,
        "metrics": {key: value for key, value in metrics.items() if key not in claimed},
        "can_manage": run_may_manage(run, request.user),
        "provenance": sorted((k, v) for k, v in run.provenance.items() if k != "config"),
        "config_items": sorted(run.config.items()),
        "reproductions": run.reproductions.visible_to(request.user)[:10],
        "may_read_source": run_may_read_source(run, request.user),
    }
    return render(request, "experiments/run_detail.html", context)


@require_GET
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(
        Run.objects.visible_to(request.user).select_related("experiment").defer("provenance", "traceback", "config"),
        pk=run_id,
    )
    error = run.error if run_may_read_source(run, request.user) else ("The run failed." if run.error else "")
    place = queue_place(run)
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "progress": run.progress,
            "message": run.message,
            "error": error,
            "attempts": run.attempts,
            "finished": run.is_finished,
            "queue": describe(place) if place is not None else "",
        }
    )


@login_required
@require_POST
def run_cancel_view(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        run_cancel(run=run, user=request.user)
    except PermissionDenied:
        return HttpResponse("Only the person who requested this run, or staff, may cancel it.", status=403)
    messages.info(request, "The run was cancelled." if run.status == "cancelled" else "The run had already finished.")
    return redirect(run)


@login_required
@require_POST
def run_reproduce_view(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    try:
        copy = run_reproduce(run=run, user=request.user)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(run)
    return redirect(copy)


def _staff_only(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and request.user.is_staff):
        raise PermissionDenied("The queue page is for staff.")


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Staff: queued and running runs with their age, worker, lease and attempts, and the audit log."""
    _staff_only(request)
    now = timezone.now()
    queued = Run.objects.filter(status=RunStatus.QUEUED).select_related("experiment", "requested_by")
    running = Run.objects.filter(status=RunStatus.RUNNING).select_related("experiment", "requested_by")
    context = {
        "queued": queued.order_by("priority", "created_at", "pk")[:200],
        "queued_count": queued.count(),
        "running": running.order_by("started_at"),
        "events": RunEvent.objects.select_related("run", "actor")[:30],
        "workers": workers_alive(),
        "now": now,
    }
    return render(request, "experiments/queue.html", context)


@login_required
@require_POST
def queue_action(request: HttpRequest, run_id: int) -> HttpResponse:
    """Staff: requeue or cancel one run from the queue page, through the run services (which log it)."""
    _staff_only(request)
    run = _run(request, run_id)
    action = request.POST.get("action", "")
    try:
        if action == "requeue":
            run_requeue(run=run, staff=request.user)
            messages.success(request, f"Run #{run.pk} is queued again and its message was sent.")
        elif action == "cancel":
            run_cancel(run=run, user=request.user)
            messages.success(request, f"Run #{run.pk} was cancelled.")
        else:
            messages.error(request, "Choose requeue or cancel.")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("experiments:queue")


@require_GET
def reproducibility(request: HttpRequest) -> HttpResponse:
    """Every published figure's run with the outcome of its latest re-check."""
    runs = list(published_originals().visible_to(request.user).order_by("experiment_id", "pk"))
    checks = latest_checks(run.pk for run in runs)
    rows = [{"run": run, "check": checks.get(run.pk)} for run in runs]
    counts = {
        outcome: sum(1 for row in rows if row["check"] and row["check"].reproduction_outcome == outcome)
        for outcome in ("matched", "agreed", "differed")
    }
    counts["unchecked"] = sum(1 for row in rows if row["check"] is None)
    return render(request, "experiments/reproducibility.html", {"rows": rows, "counts": counts})
