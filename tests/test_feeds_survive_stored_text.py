"""The attack: a control character in a title or a name, then every feed.

Forms and services refuse such text now, so the rows here are written straight
into the database, as older rows (or a hand edit, or another tool) may hold
them. Every feed still answers 200 with well-formed XML, and says what the rows
say without the characters XML cannot carry.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.urls import reverse

from apps.accounts.models import User
from apps.core.models import Tag
from apps.forum import services as forum
from apps.forum.models import Category, Post, Thread
from apps.perspectives.models import Article, Version
from tests.factories import CategoryFactory, make_article

ATOM = "{http://www.w3.org/2005/Atom}"


def _hostile(left: str, right: str = "") -> str:
    """``left`` and ``right`` with every C0 control character (and NUL where the database can hold it)
    and every C1 character between them."""
    # PostgreSQL text columns cannot hold NUL at all; SQLite can.
    first = 0 if connection.vendor == "sqlite" else 1
    return left + "".join(chr(c) for c in [*range(first, 0x20), *range(0x7F, 0xA0)]) + right


@pytest.fixture
def stored(bob: Any) -> dict[str, Any]:
    category = CategoryFactory(slug="general", name="General", description="Anything.")
    thread = forum.thread_create(user=bob, category=category, title="Edge of stability", body="Body.", tags=["eos"])
    tag = Tag.objects.create(slug="scaling", name="Scaling laws")
    article = make_article("edge", tags=("scaling",))
    # Written past the services, as rows from before the validators may be.
    Thread.objects.filter(pk=thread.pk).update(title=_hostile("Edge", " of stability"))
    Category.objects.filter(pk=category.pk).update(
        name=_hostile("General", " room"), description=_hostile("Any", "thing.")
    )
    User.objects.filter(pk=bob.pk).update(display_name=_hostile("Bob", " Reader"))
    Post.objects.filter(thread=thread).update(html=_hostile("<p>Sharpness rises.</p>"))
    Tag.objects.filter(pk=tag.pk).update(name=_hostile("Scaling", " laws"))
    Article.objects.filter(pk=article.pk).update(title=_hostile("Edge"))
    # Versions refuse any update through the ORM (they are immutable): SQL, as a hand edit would.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Version._meta.db_table} SET title = %s, summary = %s, changelog = %s WHERE article_id = %s",
            [_hostile("Edge"), _hostile("A summary."), _hostile("First"), article.pk],
        )
    return {"category": category, "bob": bob}


def _feed(client: Any, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    # ElementTree refuses anything that is not well-formed XML 1.0.
    return ElementTree.fromstring(response.content)


def _titles(feed: ElementTree.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title") or "" for entry in feed.iter(f"{ATOM}entry")]


@pytest.mark.django_db
def test_every_forum_feed_answers_with_well_formed_xml(client, stored) -> None:
    urls = [
        reverse("forum:category_feed", kwargs={"slug": stored["category"].slug}),
        reverse("forum:tag_feed", kwargs={"slug": "eos"}),
        reverse("forum:user_feed", kwargs={"username": stored["bob"].username}),
    ]
    for url in urls:
        feed = _feed(client, url)
        entries = list(feed.iter(f"{ATOM}entry"))
        assert len(entries) == 1, url
        assert entries[0].findtext(f"{ATOM}title") == "Edge of stability", url
        assert "<p>Sharpness rises.</p>" in (entries[0].findtext(f"{ATOM}summary") or ""), url
        assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == "Bob Reader (@bob)", url


@pytest.mark.django_db
def test_the_category_and_member_feeds_carry_their_names_as_one_clean_line(client, stored) -> None:
    category = _feed(client, reverse("forum:category_feed", kwargs={"slug": stored["category"].slug}))
    assert category.findtext(f"{ATOM}title") == "General room: forum posts"
    assert (category.findtext(f"{ATOM}subtitle") or "").startswith("Any")
    member = _feed(client, reverse("forum:user_feed", kwargs={"username": stored["bob"].username}))
    assert member.findtext(f"{ATOM}title") == "Forum posts by Bob Reader (@bob)"


@pytest.mark.django_db
def test_every_perspectives_feed_answers_with_well_formed_xml(client, stored) -> None:
    for url in [reverse("perspectives:feed"), reverse("perspectives:tag_feed", kwargs={"tag": "scaling"})]:
        feed = _feed(client, url)
        entries = list(feed.iter(f"{ATOM}entry"))
        assert len(entries) == 1, url
        assert entries[0].findtext(f"{ATOM}title") == "Edge", url
        assert (entries[0].findtext(f"{ATOM}summary") or "").startswith("A summary."), url
    tagged = _feed(client, reverse("perspectives:tag_feed", kwargs={"tag": "scaling"}))
    assert tagged.findtext(f"{ATOM}title") == "learningmechanics.pub: perspectives tagged Scaling laws"
