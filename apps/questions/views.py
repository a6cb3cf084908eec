from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.core.models import Tag
from apps.perspectives import pages
from apps.perspectives.models import Article
from apps.questions import selectors, services
from apps.questions.filters import ORDERINGS, QuestionFilter
from apps.questions.models import Question, QuestionStatus

PAGE_SIZE = 20


def question_list(request: HttpRequest) -> HttpResponse:
    listed = Question.objects.for_listing().with_follower_count().order_by("number")
    filters = QuestionFilter(request.GET, queryset=listed, request=request)
    valid = filters.is_valid()
    # An invalid value is shown with its error and matches nothing: never quietly the whole list.
    questions = filters.qs if valid else listed.none()
    tag_slug = request.GET.get("tag", "")
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "questions/question_list.html",
        {
            "page_obj": page,
            "filter": filters,
            "statuses": QuestionStatus.choices,
            "status": request.GET.get("status", ""),
            "orderings": ORDERINGS,
            "ordering": request.GET.get("ordering", ""),
            "tag_slug": tag_slug,
            "filter_query": query.urlencode(),
            "tags": Tag.objects.filter(questions__isnull=False).distinct(),
        },
        status=200 if valid else 400,
    )


def question_detail(request: HttpRequest, number: int) -> HttpResponseBase:
    question = get_object_or_404(Question.objects.prefetch_related("tags", "sequences"), number=number)
    follower_count = question.followers.count()
    state = (
        selectors.question_page_state(question, follower_count=follower_count) if pages.for_everyone(request) else None
    )

    def render_page() -> HttpResponse:
        articles = Article.objects.visible_to(request.user).filter(questions=question).for_listing()
        following = request.user.is_authenticated and question.followers.filter(pk=request.user.pk).exists()
        return render(
            request,
            "questions/question_detail.html",
            {
                "question": question,
                "discussion_html": mark_safe(question.rendered_html),  # sanitised when it was rendered
                "progress": question.progress.select_related("reported_by"),
                "articles": articles,
                "following": following,
                "follower_count": follower_count,
            },
        )

    return pages.conditional_page(request, state, render_page)


@login_required
@require_POST
def question_follow(request: HttpRequest, number: int) -> HttpResponse:
    question = get_object_or_404(Question, number=number)
    member = request.user
    assert isinstance(member, User)  # login_required
    if request.POST.get("action") == "unfollow":
        services.question_unfollow(question=question, user=member)
    else:
        services.question_follow(question=question, user=member)
    return redirect(question)
