"""Moderator pages and actions. Every action goes through a service that writes the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.roles import is_moderator
from apps.forum import services
from apps.forum.forms import MergeForm, MoveForm, SuspendForm
from apps.forum.models import ModerationLog, Post, Thread
from apps.forum.permissions import active_suspension
from apps.forum.views import apply_errors, post_page_url


def moderator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_moderator(request.user):
            raise PermissionDenied("Moderators only.")
        return view(request, *args, **kwargs)

    return wrapped


@moderator_required
def queue(request: HttpRequest) -> HttpResponse:
    flagged = (
        Post.objects.filter(flags__resolved_at__isnull=True)
        .annotate(open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
        .select_related("thread", "author")
        .prefetch_related("flags__user")
        .order_by("-open_flags", "created")
    )
    page = Paginator(flagged, 25).get_page(request.GET.get("page"))
    hidden = Post.objects.filter(is_hidden=True).select_related("thread", "author").order_by("-created")[:25]
    return render(request, "forum/moderation/queue.html", {"page": page, "hidden": hidden})


@moderator_required
def log(request: HttpRequest) -> HttpResponse:
    entries = ModerationLog.objects.select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "forum/moderation/log.html", {"page": page})


def _reason(request: HttpRequest) -> str:
    return (request.POST.get("reason") or "")[:1000]


@moderator_required
@require_POST
def post_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=pk)
    actions = {
        "hide": lambda: services.post_hide(moderator=request.user, post=post, reason=_reason(request)),
        "restore": lambda: services.post_restore(moderator=request.user, post=post, reason=_reason(request)),
        "dismiss": lambda: services.flag_dismiss(moderator=request.user, post=post, reason=_reason(request)),
    }
    if action not in actions:
        return HttpResponse("Unknown action.", status=400)
    actions[action]()
    messages.success(request, f"Done: {action}.")
    if request.POST.get("next") == "queue":
        return redirect("forum:moderation")
    return HttpResponseRedirect(post_page_url(post))


@moderator_required
@require_POST
def thread_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    reason = _reason(request)
    actions = {
        "lock": lambda: services.thread_lock(moderator=request.user, thread=thread, locked=True, reason=reason),
        "unlock": lambda: services.thread_lock(moderator=request.user, thread=thread, locked=False, reason=reason),
        "pin": lambda: services.thread_pin(moderator=request.user, thread=thread, pinned=True, reason=reason),
        "unpin": lambda: services.thread_pin(moderator=request.user, thread=thread, pinned=False, reason=reason),
        "hide": lambda: services.thread_hide(moderator=request.user, thread=thread, hidden=True, reason=reason),
        "restore": lambda: services.thread_hide(moderator=request.user, thread=thread, hidden=False, reason=reason),
    }
    if action not in actions:
        return HttpResponse("Unknown action.", status=400)
    actions[action]()
    messages.success(request, f"Done: {action}.")
    return redirect(thread)


@moderator_required
@require_POST
def thread_move(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a category.")
        return redirect(thread)
    services.thread_move(
        moderator=request.user,
        thread=thread,
        category=form.cleaned_data["category"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, f"Moved to {form.cleaned_data['category']}.")
    return redirect(thread)


@moderator_required
@require_POST
def thread_merge(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    form = MergeForm(request.POST)
    into = None
    if form.is_valid():
        into = Thread.objects.filter(pk=form.cleaned_data["into"]).first()
    if into is None:
        messages.error(request, "No thread with that number.")
        return redirect(thread)
    try:
        services.thread_merge(moderator=request.user, thread=thread, into=into, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(thread)
    messages.success(request, "Threads merged.")
    return redirect(into)


@moderator_required
def suspend(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(get_user_model(), username=username)
    if request.method == "POST" and request.POST.get("lift"):
        services.user_unsuspend(moderator=request.user, user=member, reason=_reason(request))
        messages.success(request, f"Suspension of {member.username} lifted.")
        return redirect("forum:user", username=member.username)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_suspend(
                moderator=request.user,
                user=member,
                reason=form.cleaned_data["reason"],
                until=form.cleaned_data["until"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{member.username} is suspended.")
            return redirect("forum:user", username=member.username)
    return render(
        request,
        "forum/moderation/suspend.html",
        {"form": form, "member": member, "suspension": active_suspension(member)},
        status=400 if form.errors else 200,
    )
