from __future__ import annotations

import xml.etree.ElementTree as ET

import bibtexparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.services import tags_ensure
from apps.perspectives.models import Sequence, SequenceItem
from apps.perspectives.services import article_publish, article_set_authors
from apps.questions.models import Question
from tests.factories import make_article

ATOM = "{http://www.w3.org/2005/Atom}"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def as_user(client, request):
    """A client signed in as the named persona, or anonymous for None."""

    def sign_in(persona: str | None):
        if persona is not None:
            client.force_login(request.getfixturevalue(persona), backend=MODEL_BACKEND)
        return client

    return sign_in


@pytest.fixture
def world(db, alice):
    published = make_article("alpha", authors=[(alice, ""), (None, "Ada Lovelace")], tags=("deep-linear",))
    published.body = "## Intro\n\nSecond take.\n"
    published.save()
    article_publish(article=published, changelog="Second take", by=alice)
    draft = make_article("secret", status="draft")
    sequence = Sequence.objects.create(slug="basics", title="Basics")
    SequenceItem.objects.create(sequence=sequence, article=published, position=0)
    return {"published": published, "draft": draft}


PUBLIC_URLS = [
    "/perspectives/",
    "/perspectives/?kind=tutorial",
    "/perspectives/?tag=deep-linear",
    "/perspectives/?page=99",
    "/perspectives/alpha/",
    "/perspectives/alpha/v1/",
    "/perspectives/alpha/v2/",
    "/perspectives/alpha/diff/?from=1&to=2",
    "/perspectives/alpha/diff/?from=1&to=2&view=side",
    "/perspectives/alpha/cite.bib",
    "/perspectives/feed/",
    "/perspectives/tags/deep-linear/",
    "/perspectives/tags/deep-linear/feed/",
    "/perspectives/sequences/basics/",
]


@pytest.mark.parametrize("persona", [None, "bob", "admin_user"])
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_pages_answer_everyone(world, as_user, persona, url):
    assert as_user(persona).get(url).status_code == 200


@pytest.mark.parametrize(("persona", "status"), [(None, 404), ("bob", 404), ("admin_user", 200)])
@pytest.mark.parametrize(
    "url", ["/perspectives/secret/", "/perspectives/secret/diff/", "/perspectives/secret/cite.bib"]
)
def test_drafts_are_visible_to_staff_only(world, as_user, persona, status, url):
    expected = status
    if persona == "admin_user" and url != "/perspectives/secret/":
        expected = 404  # a draft with no version has nothing to compare or cite
    assert as_user(persona).get(url).status_code == expected


@pytest.mark.parametrize(
    "url",
    [
        "/perspectives/nope/",
        "/perspectives/alpha/v9/",
        "/perspectives/tags/nope/",
        "/perspectives/tags/nope/feed/",
        "/perspectives/sequences/nope/",
        "/perspectives/alpha/cite.bib?v=9",
    ],
)
def test_missing_things_are_404(world, client, url):
    assert client.get(url).status_code == 404


def test_drafts_are_not_listed(world, client):
    body = client.get("/perspectives/").content.decode()
    assert "Article alpha" in body
    assert "Article secret" not in body


def test_the_article_page_shows_what_a_reader_needs(world, client, alice):
    Question.objects.create(number=7, slug="q", title="Why modes?", statement="S.").articles.add(world["published"])
    html = client.get("/perspectives/alpha/").content.decode()
    assert "Version 2" in html and "Second take" in html  # current version and its changelog line
    assert "Alice Author" in html and "Ada Lovelace" in html
    assert 'href="/people/alice/"' in html  # members link to their profile
    assert 'href="#intro"' in html or "Intro" in html  # table of contents
    assert "min read" in html
    assert "Q7. Why modes?" in html
    assert "@misc{lm:alpha:v2" in html  # the cite box
    assert "Part 1 of 1" in html  # sequence navigation


def test_an_old_version_says_it_is_old(world, client):
    html = client.get("/perspectives/alpha/v1/").content.decode()
    assert "You are reading version 1" in html
    assert "Second take" in html  # the history still lists later versions


def test_sequence_navigation_links_neighbours(db, client):
    a, b, c = make_article("a"), make_article("b"), make_article("c")
    sequence = Sequence.objects.create(slug="s", title="S")
    for i, article in enumerate([a, b, c]):
        SequenceItem.objects.create(sequence=sequence, article=article, position=i)
    html = client.get("/perspectives/b/").content.decode()
    assert 'rel="prev" href="/perspectives/a/"' in html
    assert 'rel="next" class="next" href="/perspectives/c/"' in html
    assert "Part 2 of 3" in html


def test_the_diff_shows_removed_and_added_lines(db, client):
    article = make_article("d", body="line one\nline two\n")
    article.body = "line one\nline three\n"
    article.save()
    article_publish(article=article, changelog="Changed line two", by=None)
    html = client.get("/perspectives/d/diff/?from=1&to=2").content.decode()
    assert '<span class="diff-del">-line two</span>' in html
    assert '<span class="diff-add">+line three</span>' in html
    side = client.get("/perspectives/d/diff/?from=1&to=2&view=side").content.decode().replace("&nbsp;", " ")
    assert "line two" in side and "line three" in side


def test_the_diff_escapes_the_source(db, client):
    article = make_article("x", body="safe\n")
    article.body = "safe\n<script>alert(1)</script>\n"
    article.save()
    article_publish(article=article, changelog="Sneaky", by=None)
    for view in ("unified", "side"):
        html = client.get(f"/perspectives/x/diff/?from=1&to=2&view={view}").content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html


@pytest.mark.parametrize("query", ["from=1&to=9", "from=abc&to=2", "from=-1"])
def test_a_bad_diff_request_is_a_400_naming_the_field(world, client, query):
    response = client.get(f"/perspectives/alpha/diff/?{query}")
    assert response.status_code == 400
    assert b"There is no version" in response.content


def test_cite_bib_is_valid_bibtex_for_the_latest_version(world, client):
    response = client.get("/perspectives/alpha/cite.bib")
    assert response["Content-Type"].startswith("application/x-bibtex")
    library = bibtexparser.parse_string(response.content.decode())
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.key == "lm:alpha:v2"
    assert entry.fields_dict["author"].value == "Alice Author and Ada Lovelace"
    assert entry.fields_dict["url"].value.endswith("/perspectives/alpha/v2/")
    assert entry.fields_dict["title"].value == "Article alpha"


def test_cite_bib_can_pin_an_older_version(world, client):
    text = client.get("/perspectives/alpha/cite.bib?v=1").content.decode()
    assert text.startswith("@misc{lm:alpha:v1,")


def test_bibtex_special_characters_are_escaped(db, client):
    article = make_article("amp", status="draft")
    article.title = "Width & depth: 100% of it"
    article.save()
    article_publish(article=article, changelog="First", by=None)
    text = client.get("/perspectives/amp/cite.bib").content.decode()
    assert r"Width \& depth: 100\% of it" in text


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def test_the_feed_lists_new_articles_and_new_versions(world, client):
    root = _feed(client, "/perspectives/feed/")
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Article alpha (version 2)", "Article alpha"]
    links = [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]
    assert links[0].endswith("/perspectives/alpha/v2/")
    assert all(e.findtext(f"{ATOM}updated") for e in root.findall(f"{ATOM}entry"))
    assert "secret" not in client.get("/perspectives/feed/").content.decode()


def test_the_tag_feed_holds_only_that_tag(world, client):
    make_article("other", tags=("scaling",))
    root = _feed(client, "/perspectives/tags/scaling/feed/")
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Article other"]


def test_filters_narrow_the_list(db, client):
    make_article("t1", kind="tutorial", tags=("x",))
    make_article("p1", kind="perspective", tags=("y",))
    body = client.get("/perspectives/?kind=tutorial").content.decode()
    assert "Article t1" in body and "Article p1" not in body
    body = client.get("/perspectives/?tag=y").content.decode()
    assert "Article p1" in body and "Article t1" not in body
    body = client.get("/perspectives/?tag=unknown").content.decode()
    assert "No published articles match" in body


def test_the_list_is_paginated(db, client):
    for i in range(21):
        make_article(f"a{i}")
    first = client.get("/perspectives/").content.decode()
    second = client.get("/perspectives/?page=2").content.decode()
    assert first.count('class="article-card"') == 20
    assert second.count('class="article-card"') == 1


def _count_queries(client, url):
    client.get(url)  # warm per-process caches (site, content types) so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_articles(n, start, alice, sequence):
    for i in range(start, start + n):
        article = make_article(f"bulk{i}", authors=[(alice, ""), (None, f"Coauthor {i}")], tags=(f"t{i}", "common"))
        SequenceItem.objects.create(sequence=sequence, article=article, position=i)


@pytest.mark.parametrize("url", ["/perspectives/", "/perspectives/tags/common/", "/perspectives/sequences/all/", "/"])
def test_list_pages_use_the_same_number_of_queries_for_2_or_20_articles(
    db, client, alice, url, django_assert_num_queries
):
    sequence = Sequence.objects.create(slug="all", title="All")
    _add_articles(2, 0, alice, sequence)
    few = _count_queries(client, url)
    _add_articles(18, 2, alice, sequence)
    with django_assert_num_queries(few):
        client.get(url)


def test_the_article_page_uses_the_same_number_of_queries_however_rich_it_is(db, client, django_assert_num_queries):
    def enrich(article, n, start):
        article_set_authors(article=article, authors=[(None, f"Author {i}") for i in range(start + n)])
        article.tags.add(*tags_ensure(slugs=[f"tag{i}" for i in range(start, start + n)]))
        for i in range(start, start + n):
            Question.objects.create(number=1000 + i, slug="q", title=f"Q {i}", statement="S").articles.add(article)
            article.body = f"Body revision {i}\n"
            article.save()
            article_publish(article=article, changelog=f"Revision {i}", by=None)

    article = make_article("rich")
    enrich(article, 2, 0)
    few = _count_queries(client, "/perspectives/rich/")
    enrich(article, 18, 2)
    with django_assert_num_queries(few):
        client.get("/perspectives/rich/")
