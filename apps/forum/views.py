"""Forum pages: reading, posting and personal pages. Moderator pages are in moderation_views."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.accounts.roles import is_moderator
from apps.core import pagecache
from apps.forum import services
from apps.forum.filters import ThreadFilter
from apps.forum.forms import EditForm, FlagForm, PostForm, SettingsForm, ThreadForm
from apps.forum.models import Category, Follow, ForumProfile, Notification, Post, Thread, Vote
from apps.forum.paging import page_number_of, thread_page
from apps.forum.permissions import (
    active_suspension,
    can_delete_post,
    can_edit_post,
    can_see_post_body,
    can_see_thread,
)
from apps.forum.targets import resolve_target, target_label, target_name, target_url
from apps.forum.trust import RateLimited


def apply_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, each message on the field it names."""
    if hasattr(exc, "error_dict"):
        for field, messages_ in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, exc.messages)


def rate_limited(request: HttpRequest, template: str, context: dict, form: Any, exc: RateLimited) -> HttpResponse:
    form.add_error(None, exc.message)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(max(exc.retry_after, 1))
    return response


def report_render_errors(request: HttpRequest, obj: Any) -> None:
    """Tell the author about problems in what they wrote (bad math, unknown citation keys); it was saved anyway."""
    for error in getattr(obj, "render_errors", [])[:5]:
        messages.warning(request, f"Check your post: {error}")


def visible_thread(request: HttpRequest, pk: int) -> Thread:
    thread = get_object_or_404(Thread.objects.select_related("category", "author"), pk=pk)
    if not can_see_thread(request.user, thread):
        raise Http404("No such thread.")
    return thread


def visible_post(request: HttpRequest, pk: int) -> Post:
    post = get_object_or_404(Post.objects.select_related("thread", "thread__category", "author"), pk=pk)
    if not can_see_thread(request.user, post.thread) or (post.is_hidden and not is_moderator(request.user)):
        raise Http404("No such post.")
    return post


def post_page_url(post: Post) -> str:
    """The thread page that shows the post, with the post's anchor."""
    page = page_number_of(post, settings.FORUM_POSTS_PER_PAGE)
    url = post.thread.get_absolute_url()
    return f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}"


# --- reading --------------------------------------------------------------------


@pagecache.cached_page(tags=[pagecache.FORUM])
def index(request: HttpRequest) -> HttpResponse:
    visible = Q(threads__merged_into__isnull=True)
    if not is_moderator(request.user):
        visible &= Q(threads__is_hidden=False)
    categories = Category.objects.annotate(
        thread_total=Count("threads", filter=visible), latest=Max("threads__last_activity", filter=visible)
    )
    recent = (
        Thread.objects.visible_to(request.user).select_related("category", "author").order_by("-last_activity")[:10]
    )
    return render(request, "forum/index.html", {"categories": categories, "recent": recent})


def filtered_threads(
    request: HttpRequest, *, order: tuple[str, ...], **fixed: str
) -> tuple[ThreadFilter, Page[Thread], str]:
    """Threads the user may see that match the query string, read by ThreadFilter as in the API, and the URL's part.

    Returns the filter, one page of threads (none when a value is invalid: the page shows why) and the
    query string for the links to the other pages.
    """
    data = request.GET.copy()
    for name, value in fixed.items():
        data[name] = value  # the URL's own category or tag wins over one in the query string
    visible = Thread.objects.visible_to(request.user).select_related("category", "author").order_by(*order)
    filters = ThreadFilter(data, queryset=visible, request=request)
    threads = filters.qs if filters.is_valid() else visible.none()
    page = Paginator(threads, settings.FORUM_THREADS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return filters, page, query.urlencode()


@pagecache.cached_page(tags=lambda slug: [pagecache.category(slug)])
def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    filters, page, query = filtered_threads(request, order=("-is_pinned", "-last_activity", "-id"), category=slug)
    following = request.user.is_authenticated and Follow.objects.filter(user=request.user, category=category).exists()
    context = {
        "category": category,
        "page": page,
        "filter": filters,
        "filter_query": query,
        "is_question": request.GET.get("is_question", ""),
        "following": following,
    }
    return render(request, "forum/category.html", context, status=400 if filters.errors else 200)


def thread_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=pk)
    return redirect(thread.merged_into or thread, permanent=False)


@pagecache.cached_page(tags=lambda pk, slug: [pagecache.thread(pk)])
def thread_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.select_related("category", "author"), pk=pk)
    if thread.merged_into_id:
        return redirect(reverse("forum:thread_short", kwargs={"pk": thread.merged_into_id}))
    if not can_see_thread(request.user, thread):
        raise Http404("No such thread.")
    if slug != thread.slug:
        query = request.GET.urlencode()
        return HttpResponseRedirect(thread.get_absolute_url() + (f"?{query}" if query else ""))
    form = PostForm()
    quote = request.GET.get("quote", "")
    if quote.isdigit() and request.user.is_authenticated:
        quoted = thread.posts.select_related("author").filter(pk=int(quote)).first()
        if quoted is not None and can_see_post_body(request.user, quoted):
            name = f"@{quoted.author.username} wrote:\n" if quoted.author else ""
            lines = "\n".join(f"> {line}" for line in quoted.body.splitlines())
            form = PostForm(initial={"body": f"{name}{lines}\n\n", "reply_to": quoted.pk})
    return render_thread(request, thread, form, status=200)


def render_thread(request: HttpRequest, thread: Thread, form: Any, status: int) -> HttpResponse:
    user = request.user
    # Through the thread's manager, so that each post knows its thread without a query.
    posts = thread.posts.select_related("author", "reply_to", "reply_to__author")
    page = thread_page(thread, posts, request.GET.get("page", 1), settings.FORUM_POSTS_PER_PAGE)
    moderator = is_moderator(user)
    voted: set[int] = set()
    following = False
    if user.is_authenticated:
        voted = set(Vote.objects.filter(user=user, post__in=[p.pk for p in page]).values_list("post_id", flat=True))
        following = Follow.objects.filter(user=user, thread=thread).exists()
    items = [
        {
            "post": p,
            "visible": can_see_post_body(user, p) or (moderator and p.is_deleted),
            "voted": p.pk in voted,
            "can_edit": can_edit_post(user, p),
            "can_delete": can_delete_post(user, p) and not p.is_deleted,
            "accepted": p.pk == thread.accepted_post_id,
            "number": p.position,
        }
        for p in page
    ]
    target = thread.target if thread.target_content_type_id else None
    context = {
        "thread": thread,
        "page": page,
        "items": items,
        "form": form,
        "moderator": moderator,
        "following": following,
        "target": target,
        "target_url": target_url(target) if target else "",
        "target_name": target_name(target) if target else "",
        "can_reply": user.is_authenticated and (not thread.is_locked or moderator),
        "can_accept": thread.is_question and user.is_authenticated and (user.pk == thread.author_id or moderator),
        "categories": Category.objects.all() if moderator else (),
    }
    return render(request, "forum/thread.html", context, status=status)


def post_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    thread = post.thread
    if thread.merged_into_id or not can_see_thread(request.user, thread):
        raise Http404("No such post.")
    return HttpResponseRedirect(post_page_url(post))


def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    post = visible_post(request, pk)
    if post.is_deleted and not is_moderator(request.user):
        raise Http404("No such post.")
    revisions = post.revisions.select_related("edited_by")
    return render(request, "forum/history.html", {"post": post, "revisions": revisions})


def user_activity(request: HttpRequest, username: str) -> HttpResponse:
    member = get_object_or_404(get_user_model(), username=username, is_active=True)
    posts = (
        Post.objects.visible_to(request.user).filter(author=member).select_related("thread").order_by("-created", "-id")
    )
    page = Paginator(posts, 20).get_page(request.GET.get("page"))
    threads = Thread.objects.visible_to(request.user).filter(author=member).order_by("-created")[:10]
    return render(
        request,
        "forum/user.html",
        {
            "member": member,
            "page": page,
            "threads": threads,
            "suspension": active_suspension(member) if is_moderator(request.user) else None,
        },
    )


# --- writing --------------------------------------------------------------------


@login_required
def thread_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    target = None
    label = request.POST.get("target") or request.GET.get("target") or ""
    if label:
        try:
            target = resolve_target(label, user=request.user)
        except ValidationError:
            raise Http404("Unknown discussion target.") from None
        initial["target"] = target_label(target)
        initial["title"] = f"On {target_name(target)}"[:200]
    if request.GET.get("category"):
        initial["category"] = Category.objects.filter(slug=request.GET["category"]).first()
    form = ThreadForm(request.POST or None, initial=initial)
    context = {
        "form": form,
        "target": target,
        "target_url": target_url(target) if target else "",
        "target_name": target_name(target) if target else "",
        "suspension": active_suspension(request.user),
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.thread_create(
                user=request.user,
                category=data["category"],
                title=data["title"],
                body=data["body"],
                is_question=data["is_question"],
                tags=data["tags"],
                target=target,
            )
        except RateLimited as exc:
            return rate_limited(request, "forum/thread_new.html", context, form, exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            report_render_errors(request, thread)
            return redirect(thread)
    return render(request, "forum/thread_new.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = visible_thread(request, pk)
    if thread.merged_into_id:
        raise Http404("No such thread.")
    form = PostForm(request.POST)
    if form.is_valid():
        reply_to = None
        if form.cleaned_data.get("reply_to"):
            reply_to = Post.objects.filter(pk=form.cleaned_data["reply_to"], thread=thread).first()
            if reply_to is None:
                form.add_error("body", "The post you replied to is not in this thread.")
        if not form.errors:
            try:
                post = services.post_create(
                    user=request.user, thread=thread, body=form.cleaned_data["body"], reply_to=reply_to
                )
            except RateLimited as exc:
                form.add_error(None, exc.message)
                response = render_thread(request, thread, form, status=429)
                response["Retry-After"] = str(max(exc.retry_after, 1))
                return response
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                report_render_errors(request, post)
                return HttpResponseRedirect(post_page_url(post))
    return render_thread(request, thread, form, status=400)


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = visible_post(request, pk)
    if not can_edit_post(request.user, post):
        raise PermissionDenied("You cannot edit this post.")
    form = EditForm(request.POST or None, initial={"body": post.body})
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_edit(user=request.user, post=post, body=form.cleaned_data["body"])
        except RateLimited as exc:
            return rate_limited(request, "forum/post_edit.html", {"form": form, "post": post}, form, exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            report_render_errors(request, post)
            return HttpResponseRedirect(post_page_url(post))
    return render(request, "forum/post_edit.html", {"form": form, "post": post}, status=400 if form.errors else 200)


def _post_action(request: HttpRequest, pk: int, action: Any, success: str) -> HttpResponse:
    post = visible_post(request, pk)
    try:
        action(post)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if success:
            messages.success(request, success)
    return HttpResponseRedirect(post_page_url(post))


@login_required
@require_POST
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(request, pk, lambda p: services.post_delete(user=request.user, post=p), "Post deleted.")


@login_required
@require_POST
def post_vote(request: HttpRequest, pk: int) -> HttpResponse:
    up = request.POST.get("up", "1") != "0"
    return _post_action(request, pk, lambda p: services.post_vote(user=request.user, post=p, up=up), "")


@login_required
@require_POST
def answer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    accepted = request.POST.get("accepted", "1") != "0"
    return _post_action(
        request,
        pk,
        lambda p: services.answer_accept(user=request.user, post=p, accepted=accepted),
        "Answer accepted." if accepted else "Answer unmarked.",
    )


@login_required
def post_flag(request: HttpRequest, pk: int) -> HttpResponse:
    post = visible_post(request, pk)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_flag(
                user=request.user, post=post, reason=form.cleaned_data["reason"], text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Thank you: the moderators will look at it.")
            return HttpResponseRedirect(post_page_url(post))
    return render(request, "forum/flag.html", {"form": form, "post": post}, status=400 if form.errors else 200)


@login_required
@require_POST
def thread_follow(request: HttpRequest, pk: int) -> HttpResponse:
    thread = visible_thread(request, pk)
    if request.POST.get("follow", "1") == "1":
        services.follow(user=request.user, thread=thread)
    else:
        services.unfollow(user=request.user, thread=thread)
    return redirect(thread)


@login_required
@require_POST
def category_follow(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    if request.POST.get("follow", "1") == "1":
        services.follow(user=request.user, category=category)
    else:
        services.unfollow(user=request.user, category=category)
    return redirect(category)


# --- inbox and settings -----------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("forum:inbox")
    member: Any = request.user  # login_required: a real User here
    notifications = Notification.objects.filter(user=member).select_related("thread", "post", "actor")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=member).unread().count()
    return render(request, "forum/inbox.html", {"page": page, "unread": unread})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.post_id:
        return redirect("forum:post", pk=notification.post_id)
    if notification.thread_id:
        return redirect("forum:thread_short", pk=notification.thread_id)
    if notification.link.startswith("/") and not notification.link.startswith("//"):
        return redirect(notification.link)  # a page of this site (a run's), written by the site itself
    return redirect("forum:inbox")


@login_required
def forum_settings(request: HttpRequest) -> HttpResponse:
    member: Any = request.user  # login_required: a real User here
    profile = ForumProfile.objects.filter(user=member).first()
    current = profile.email_mode if profile else ForumProfile.EmailMode.DIGEST
    form = SettingsForm(request.POST or None, initial={"email_mode": current})
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, email_mode=form.cleaned_data["email_mode"])
        messages.success(request, "Saved.")
        return redirect("forum:settings")
    return render(request, "forum/settings.html", {"form": form})


# The signed token is the credential; mail clients' one-click unsubscribe (RFC 8058) posts without a CSRF token.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    from apps.forum.notify import user_from_unsubscribe_token

    member = user_from_unsubscribe_token(token)
    if member is None:
        return render(request, "forum/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.unsubscribe(token=token)
        return render(request, "forum/unsubscribe.html", {"done": True, "member": member})
    return render(request, "forum/unsubscribe.html", {"member": member})


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    filters, page, query = filtered_threads(request, order=("-last_activity", "-id"), tag=slug)
    context = {
        "tag": slug,
        "page": page,
        "filter": filters,
        "filter_query": query,
        "is_question": request.GET.get("is_question", ""),
    }
    return render(request, "forum/tag.html", context, status=400 if filters.errors else 200)


def search(request: HttpRequest) -> HttpResponse:
    """The forum's old search address: the site search (apps/search) answers it now, with the same query."""
    query = request.GET.urlencode()
    return HttpResponsePermanentRedirect(reverse("search:results") + (f"?{query}" if query else ""))
