"""Read-only endpoints: perspectives and their versions, sequences, open questions, public profiles."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import User
from apps.api import serializers as s
from apps.api.base import ApiMixin
from apps.api.etags import conditional
from apps.api.schema import LIST, READ
from apps.perspectives import citation
from apps.perspectives.filters import ArticleFilter
from apps.perspectives.models import Article, Sequence, Version
from apps.questions.filters import QuestionFilter
from apps.questions.models import Question


def _visible_article(request: Request, slug: str) -> Article:
    return get_object_or_404(Article.objects.visible_to(request.user).for_listing(), slug=slug)


@extend_schema(tags=["perspectives"], responses={200: s.ArticleSerializer(many=True), **LIST})
class ArticleList(ApiMixin, generics.ListAPIView):
    """Published perspectives, tutorials and guides (staff also see drafts)."""

    serializer_class = s.ArticleSerializer
    filterset_class = ArticleFilter
    filter_backends = [DjangoFilterBackend]
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> Any:
        return Article.objects.visible_to(self.request.user).for_listing().distinct()


@extend_schema(tags=["perspectives"], responses={200: s.ArticleDetailSerializer, 304: OpenApiResponse(None), **READ})
class ArticleDetail(ApiMixin, generics.GenericAPIView):
    """One article with its latest version in full (source Markdown and rendered HTML). Sends an ETag."""

    serializer_class = s.ArticleDetailSerializer
    pagination_class = None

    def get(self, request: Request, slug: str) -> HttpResponseBase:
        article = _visible_article(request, slug)
        return conditional(request, s.ArticleDetailSerializer(article).data)


@extend_schema(tags=["perspectives"], responses={200: s.VersionBriefSerializer(many=True), **LIST})
class VersionList(ApiMixin, generics.ListAPIView):
    """Every published version of an article, newest first."""

    serializer_class = s.VersionBriefSerializer
    ordering = ("-number",)
    filter_backends: list = []

    def get_queryset(self) -> Any:
        article = _visible_article(self.request, self.kwargs["slug"])
        return article.versions.select_related("article").only(
            "id", "article__slug", "number", "title", "changelog", "published_at"
        )


@extend_schema(tags=["perspectives"], responses={200: s.VersionSerializer, 304: OpenApiResponse(None), **READ})
class VersionDetail(ApiMixin, generics.GenericAPIView):
    """One frozen version: source Markdown, rendered HTML, table of contents, references, BibTeX. Sends an ETag."""

    serializer_class = s.VersionSerializer
    pagination_class = None

    def get(self, request: Request, slug: str, number: int) -> HttpResponseBase:
        article = _visible_article(request, slug)
        version = get_object_or_404(Version, article=article, number=number)
        version.article = article
        return conditional(request, s.VersionSerializer(version).data)


@extend_schema(
    tags=["perspectives"],
    responses={(200, "application/x-bibtex"): OpenApiResponse(OpenApiTypes.STR), **READ},
)
class ArticleBibtex(ApiMixin, generics.GenericAPIView):
    """A BibTeX entry citing the latest version of a published article."""

    pagination_class = None
    serializer_class = None

    def get(self, request: Request, slug: str) -> HttpResponse:
        article = _visible_article(request, slug)
        version = article.latest_version
        if version is None:
            from django.http import Http404

            raise Http404("Unpublished articles cannot be cited.")
        body = citation.cite_bibtex(article, version, article.author_names)
        return HttpResponse(body, content_type="application/x-bibtex; charset=utf-8")


@extend_schema(tags=["perspectives"], responses={200: s.SequenceSerializer(many=True), **LIST})
class SequenceList(ApiMixin, generics.ListAPIView):
    """Reading paths through several articles, in order."""

    serializer_class = s.SequenceSerializer
    ordering = ("position", "id")
    filter_backends: list = []

    @staticmethod
    def queryset() -> Any:
        return Sequence.objects.prefetch_related(
            "items__article__latest_version", "items__article__tags", "items__article__authorships__user"
        )

    def get_queryset(self) -> Any:
        return self.queryset()

    def get_serializer_context(self) -> dict[str, Any]:
        visible = set(Article.objects.visible_to(self.request.user).values_list("pk", flat=True))
        return {**super().get_serializer_context(), "visible_articles": visible}


@extend_schema(tags=["perspectives"], responses={200: s.SequenceSerializer, **READ})
class SequenceDetail(ApiMixin, generics.GenericAPIView):
    """One sequence with its articles in reading order."""

    serializer_class = s.SequenceSerializer
    pagination_class = None

    def get(self, request: Request, slug: str) -> Response:
        sequence = get_object_or_404(SequenceList.queryset(), slug=slug)
        visible = set(Article.objects.visible_to(request.user).values_list("pk", flat=True))
        return Response(s.SequenceSerializer(sequence, context={"visible_articles": visible}).data)


@extend_schema(tags=["questions"], responses={200: s.QuestionSerializer(many=True), **LIST})
class QuestionList(ApiMixin, generics.ListAPIView):
    """Open questions of the field, by number."""

    serializer_class = s.QuestionSerializer
    filterset_class = QuestionFilter
    filter_backends = [DjangoFilterBackend]
    ordering = ("number", "id")

    def get_queryset(self) -> Any:
        return Question.objects.for_listing().distinct()


@extend_schema(tags=["questions"], responses={200: s.QuestionDetailSerializer, 304: OpenApiResponse(None), **READ})
class QuestionDetail(ApiMixin, generics.GenericAPIView):
    """One question with its discussion and progress log (newest first). Sends an ETag."""

    serializer_class = s.QuestionDetailSerializer
    pagination_class = None

    def get(self, request: Request, number: int) -> HttpResponseBase:
        question = get_object_or_404(Question.objects.prefetch_related("tags", "progress", "sequences"), number=number)
        return conditional(request, s.QuestionDetailSerializer(question).data)


@extend_schema(tags=["people"], responses={200: s.UserProfileSerializer, **READ})
class UserDetail(ApiMixin, generics.GenericAPIView):
    """A member's public profile (deactivated accounts are visible to staff only)."""

    serializer_class = s.UserProfileSerializer
    pagination_class = None

    def get(self, request: Request, username: str) -> Response:
        member = get_object_or_404(User, username=username)
        if not member.is_active and not (request.user.is_authenticated and request.user.is_staff):
            from django.http import Http404

            raise Http404("No such member")
        return Response(s.UserProfileSerializer(member).data)
