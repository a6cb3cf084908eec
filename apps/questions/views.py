from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from apps.core.models import Tag
from apps.perspectives.models import Article
from apps.questions import services
from apps.questions.models import Question, QuestionStatus

PAGE_SIZE = 20


def question_list(request: HttpRequest) -> HttpResponse:
    questions = Question.objects.for_listing().with_follower_count().order_by("number")
    status = request.GET.get("status", "")
    if status in QuestionStatus.values:
        questions = questions.filter(status=status)
    else:
        status = ""
    tag = None
    if tag_slug := request.GET.get("tag", ""):
        tag = Tag.objects.filter(slug=tag_slug).first()
        questions = questions.filter(tags=tag) if tag else questions.none()
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "questions/question_list.html",
        {
            "page_obj": page,
            "statuses": QuestionStatus.choices,
            "status": status,
            "tag": tag,
            "tag_slug": tag_slug,
            "filter_query": urlencode({k: v for k, v in (("status", status), ("tag", tag_slug)) if v}),
            "tags": Tag.objects.filter(questions__isnull=False).distinct(),
        },
    )


def question_detail(request: HttpRequest, number: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.prefetch_related("tags", "sequences"), number=number)
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
            "follower_count": question.followers.count(),
        },
    )


@login_required
@require_POST
def question_follow(request: HttpRequest, number: int) -> HttpResponse:
    question = get_object_or_404(Question, number=number)
    if request.POST.get("action") == "unfollow":
        services.question_unfollow(question=question, user=request.user)
    else:
        services.question_follow(question=question, user=request.user)
    return redirect(question)
