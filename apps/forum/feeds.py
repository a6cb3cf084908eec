"""Atom feeds per category, per tag and per member. Feeds are public, so they show only what anyone may see.

They are written with SafeAtom1Feed, which drops what XML cannot carry, so no
character stored in a title, a name or a post can make a feed fail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.accounts.people import person_label
from apps.core.feeds import SafeAtom1Feed
from apps.forum.models import Category, Post, Thread

ITEMS = 30
_PUBLIC = AnonymousUser()


class _PostFeed(Feed):
    feed_type = SafeAtom1Feed

    def item_title(self, item: Post) -> str:
        return item.thread.title

    def item_description(self, item: Post) -> str:
        return item.html

    def item_link(self, item: Post) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Post) -> Any:
        return item.created

    def item_updateddate(self, item: Post) -> Any:
        return item.edited or item.created

    def item_author_name(self, item: Post) -> str:
        return person_label(item.author) if item.author else "deleted member"


class CategoryFeed(_PostFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Category:
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category) -> str:
        return f"{obj.name}: forum posts"

    def link(self, obj: Category) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Category) -> str:
        return obj.description

    def items(self, obj: Category) -> Any:
        return (
            Post.objects.visible_to(_PUBLIC)
            .filter(thread__category=obj)
            .select_related("thread", "author")
            .order_by("-created", "-id")[:ITEMS]
        )


class TagFeed(_PostFeed):
    def get_object(self, request: HttpRequest, slug: str) -> str:
        return slug

    def title(self, obj: str) -> str:
        return f"Forum threads tagged {obj}"

    def link(self, obj: str) -> str:
        return reverse("forum:tag", kwargs={"slug": obj})

    def items(self, obj: str) -> Any:
        # Tags are a JSON list, and SQLite cannot query inside one; recent threads are few enough to filter here.
        recent = Thread.objects.visible_to(_PUBLIC).order_by("-last_activity").only("id", "tags")[:1000]
        thread_ids = [t.pk for t in recent if obj in (t.tags or [])]
        return (
            Post.objects.visible_to(_PUBLIC)
            .filter(thread_id__in=thread_ids)
            .select_related("thread", "author")
            .order_by("-created", "-id")[:ITEMS]
        )


class UserFeed(_PostFeed):
    def get_object(self, request: HttpRequest, username: str) -> Any:
        return get_object_or_404(get_user_model(), username=username, is_active=True)

    def title(self, obj: Any) -> str:
        return f"Forum posts by {person_label(obj)}"

    def link(self, obj: Any) -> str:
        return reverse("forum:user", kwargs={"username": obj.username})

    def items(self, obj: Any) -> Any:
        return (
            Post.objects.visible_to(_PUBLIC)
            .filter(author=obj)
            .select_related("thread", "author")
            .order_by("-created", "-id")[:ITEMS]
        )
