"""Atom feeds: every published version (version 1 announces a new article)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from apps.core.feeds import SafeAtom1Feed
from apps.core.models import Tag
from apps.perspectives.models import Version

FEED_SIZE = 30


def _published_versions() -> QuerySet[Version]:
    return (
        Version.objects.filter(article__status="published")
        .select_related("article")
        .defer("body", "bibliography", "rendered_html", "references", "toc")
        .order_by("-published_at", "-pk")
    )


class VersionFeed(Feed):
    # Written so that no stored character can break the XML (apps.core.feeds).
    feed_type = SafeAtom1Feed
    title = f"{settings.SITE_NAME}: perspectives"
    subtitle = "New articles and new versions of articles on learning mechanics."

    def link(self) -> str:
        return reverse("perspectives:list")

    def items(self) -> QuerySet[Version]:
        return _published_versions()[:FEED_SIZE]

    def item_title(self, item: Version) -> str:
        if item.number == 1:
            return item.title
        return f"{item.title} (version {item.number})"

    def item_description(self, item: Version) -> str:
        if item.number == 1:
            return item.summary
        return f"{item.changelog}. {item.summary}"

    def item_link(self, item: Version) -> str:
        return reverse("perspectives:version", kwargs={"slug": item.article.slug, "number": item.number})

    def item_guid(self, item: Version) -> str:
        return f"{settings.SITE_URL}/perspectives/{item.article.slug}/v{item.number}/"

    item_guid_is_permalink = True

    def item_pubdate(self, item: Version) -> datetime.datetime:
        return item.published_at

    def item_updateddate(self, item: Version) -> datetime.datetime:
        return item.published_at


class TagVersionFeed(VersionFeed):
    def get_object(self, request: HttpRequest, tag: str) -> Tag:  # type: ignore[override]
        return get_object_or_404(Tag, slug=tag)

    def title(self, obj: Tag) -> str:  # type: ignore[override]
        return f"{settings.SITE_NAME}: perspectives tagged {obj.name}"

    def link(self, obj: Tag) -> str:  # type: ignore[override]
        return reverse("perspectives:tag", kwargs={"tag": obj.slug})

    def items(self, obj: Tag) -> QuerySet[Version]:  # type: ignore[override]
        return _published_versions().filter(article__tags=obj)[:FEED_SIZE]
