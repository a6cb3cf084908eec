"""Forum endpoints: read categories, threads and posts; write through apps.forum.services only."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api import serializers as s
from apps.api.base import ApiMixin
from apps.api.schema import LIST, READ, WRITE
from apps.forum import services
from apps.forum.filters import ThreadFilter
from apps.forum.models import Category, Notification, Post, Thread
from apps.forum.permissions import can_see_thread
from apps.forum.targets import resolve_target


def _thread(request: Request, pk: int) -> Thread:
    return get_object_or_404(Thread.objects.visible_to(request.user).select_related("category", "author"), pk=pk)


def _post(request: Request, pk: int) -> Post:
    # Deleted and hidden posts stay addressable (their body is withheld); the thread must be visible.
    post = get_object_or_404(Post.objects.select_related("thread", "author"), pk=pk)
    if post.thread.merged_into_id is not None or not can_see_thread(request.user, post.thread):
        raise Http404("No such post")
    return post


@extend_schema(tags=["forum"], responses={200: s.CategorySerializer(many=True), **LIST})
class CategoryList(ApiMixin, generics.ListAPIView):
    """The forum's categories, in their order."""

    serializer_class = s.CategorySerializer
    queryset = Category.objects.all()
    ordering = ("position", "id")
    filter_backends: list = []


@extend_schema(tags=["forum"], responses={200: s.CategorySerializer, **READ})
class CategoryDetail(ApiMixin, generics.RetrieveAPIView):
    serializer_class = s.CategorySerializer
    queryset = Category.objects.all()
    lookup_field = "slug"
    pagination_class = None


class ThreadList(ApiMixin, generics.ListAPIView):
    """Threads you may see, newest first; POST starts a thread with its first post."""

    serializer_class = s.ThreadSerializer
    filterset_class = ThreadFilter
    ordering = ("-created", "-id")

    def get_queryset(self) -> Any:
        return Thread.objects.visible_to(self.request.user).select_related("category", "author")

    @extend_schema(tags=["forum"], responses={200: s.ThreadSerializer(many=True), **LIST})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["forum"], request=s.ThreadCreateSerializer, responses={201: s.ThreadSerializer, **WRITE})
    def post(self, request: Request) -> Response:
        data = _valid(s.ThreadCreateSerializer, request)
        category = Category.objects.filter(slug=data["category"]).first()
        if category is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"category": ["There is no such category."]})
        target = resolve_target(data["target"], user=request.user) if data["target"] else None
        thread = services.thread_create(
            user=request.user,
            category=category,
            title=data["title"],
            body=data["body"],
            is_question=data["is_question"],
            tags=data["tags"],
            target=target,
        )
        body = s.ThreadSerializer(thread, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class CategoryFollow(ApiMixin, generics.GenericAPIView):
    """Follow a category (PUT) or stop following it (DELETE): you are told about new posts in it."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.FollowSerializer
    pagination_class = None

    @extend_schema(tags=["forum"], request=None, responses={200: s.FollowSerializer, **WRITE})
    def put(self, request: Request, slug: str) -> Response:
        services.follow(user=request.user, category=get_object_or_404(Category, slug=slug))
        return Response({"following": True})

    @extend_schema(tags=["forum"], request=None, responses={200: s.FollowSerializer, **WRITE})
    def delete(self, request: Request, slug: str) -> Response:
        services.unfollow(user=request.user, category=get_object_or_404(Category, slug=slug))
        return Response({"following": False})


@extend_schema(tags=["forum"], responses={200: s.ThreadSerializer, **READ})
class ThreadDetail(ApiMixin, generics.GenericAPIView):
    serializer_class = s.ThreadSerializer
    pagination_class = None

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ThreadSerializer(_thread(request, pk)).data)


class ThreadPosts(ApiMixin, generics.ListAPIView):
    """A thread's posts in order (bodies of deleted or hidden posts withheld); POST replies."""

    serializer_class = s.PostSerializer
    ordering = ("created", "id")
    filter_backends: list = []

    def get_queryset(self) -> Any:
        thread = _thread(self.request, self.kwargs["pk"])
        return Post.objects.filter(thread=thread).select_related("author")

    @extend_schema(tags=["forum"], responses={200: s.PostSerializer(many=True), **LIST})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["forum"], request=s.PostCreateSerializer, responses={201: s.PostSerializer, **WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(s.PostCreateSerializer, request)
        thread = _thread(request, pk)
        reply_to = None
        if data.get("reply_to"):
            reply_to = Post.objects.filter(pk=data["reply_to"], thread=thread).first()
            if reply_to is None:
                from django.core.exceptions import ValidationError

                raise ValidationError({"reply_to": ["You can only reply to a post in the same thread."]})
        post = services.post_create(user=request.user, thread=thread, body=data["body"], reply_to=reply_to)
        body = s.PostSerializer(post, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class ThreadFollow(ApiMixin, generics.GenericAPIView):
    """Follow a thread (PUT) or stop following it (DELETE); you are told about new posts in your inbox."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.FollowSerializer
    pagination_class = None

    @extend_schema(tags=["forum"], request=None, responses={200: s.FollowSerializer, **WRITE})
    def put(self, request: Request, pk: int) -> Response:
        services.follow(user=request.user, thread=_thread(request, pk))
        return Response({"following": True})

    @extend_schema(tags=["forum"], request=None, responses={200: s.FollowSerializer, **WRITE})
    def delete(self, request: Request, pk: int) -> Response:
        services.unfollow(user=request.user, thread=_thread(request, pk))
        return Response({"following": False})


class PostDetail(ApiMixin, generics.GenericAPIView):
    """One post. PATCH edits its body (author while allowed, or a moderator; the old body is kept); DELETE deletes."""

    serializer_class = s.PostSerializer
    pagination_class = None

    @extend_schema(tags=["forum"], responses={200: s.PostSerializer, **READ})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PostSerializer(_post(request, pk), context={"request": request}).data)

    @extend_schema(tags=["forum"], request=s.PostEditSerializer, responses={200: s.PostSerializer, **WRITE})
    def patch(self, request: Request, pk: int) -> Response:
        data = _valid(s.PostEditSerializer, request)
        post = services.post_edit(user=request.user, post=_post(request, pk), body=data["body"])
        return Response(s.PostSerializer(post, context={"request": request}).data)

    @extend_schema(tags=["forum"], request=None, responses={200: s.PostSerializer, **WRITE})
    def delete(self, request: Request, pk: int) -> Response:
        """Delete a post (its author, or a moderator): the body disappears, the row and its history stay."""
        post = services.post_delete(user=request.user, post=_post(request, pk))
        return Response(s.PostSerializer(post, context={"request": request}).data)


class PostVote(ApiMixin, generics.GenericAPIView):
    """Upvote a post (up=true) or withdraw your vote (up=false); not your own posts."""

    serializer_class = s.VoteSerializer
    pagination_class = None

    @extend_schema(tags=["forum"], request=s.VoteSerializer, responses={200: s.PostSerializer, **WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(s.VoteSerializer, request)
        post = services.post_vote(user=request.user, post=_post(request, pk), up=data["up"])
        return Response(s.PostSerializer(post, context={"request": request}).data)


class PostFlag(ApiMixin, generics.GenericAPIView):
    """Report a post to the moderators."""

    serializer_class = s.FlagInputSerializer
    pagination_class = None

    @extend_schema(tags=["forum"], request=s.FlagInputSerializer, responses={201: s.FlagSerializer, **WRITE})
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(s.FlagInputSerializer, request)
        flag = services.post_flag(user=request.user, post=_post(request, pk), reason=data["reason"], text=data["text"])
        return Response(s.FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="true: unread only.")

    class Meta:
        model = Notification
        fields = ["unread"]


@extend_schema(tags=["notifications"], responses={200: s.NotificationSerializer(many=True), **LIST})
class NotificationList(ApiMixin, generics.ListAPIView):
    """Your notifications, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilter
    ordering = ("-created", "-id")

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no signed-in user
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user).select_related("actor")


class NotificationMarkRead(ApiMixin, generics.GenericAPIView):
    """Mark your notifications read: the given ids, or all of them."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.MarkReadSerializer
    pagination_class = None

    @extend_schema(
        tags=["notifications"],
        request=s.MarkReadSerializer,
        responses={200: OpenApiResponse(s.CountSerializer, description="How many were marked."), **WRITE},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.MarkReadSerializer, request)
        count = services.notifications_mark_read(user=request.user, ids=data.get("ids"))
        return Response({"count": count})


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
