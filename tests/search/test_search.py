"""The site search: what it finds, what it never shows, how its snippets read, and that it stays current.

Everything is written through the services, which keep the index up to date;
the same tests run on SQLite (the bounded fallback) and on PostgreSQL (the
tsvector with its GIN index) when DATABASE_URL points there.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from apps.forum import services as forum
from apps.forum.models import Category
from apps.perspectives.models import Article, Kind, Status
from apps.perspectives.services import article_publish, article_sync
from apps.questions.services import question_sync
from apps.search.models import SearchEntry
from apps.search.query import search
from apps.search.text import plain_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(slug="general", name="General")


@pytest.fixture
def corpus(mod, bob, category):
    article = Article.objects.create(
        slug="catapults",
        title="Catapults and the edge of stability",
        summary="Large learning rates.",
        body="With a **large** learning rate $\\eta > 2/\\lambda_{max}$ the loss spikes and training catapults.",
    )
    article_publish(article=article, changelog="first", by=None)
    Article.objects.create(slug="draft", title="Secret catapult draft", summary="x", body="catapults draft")
    question_sync(
        number=7,
        slug="catapult-q",
        title="When do catapults happen?",
        statement="Characterise the catapult phase.",
        status="open",
        discussion="Lewkowycz and others saw *catapults* first.",
        tags=[],
        articles=[],
        sequences=[],
        progress=[],
    )
    thread = forum.thread_create(user=mod, category=category, title="Catapult sightings", body="Post yours here.")
    forum.post_create(user=mod, thread=thread, body="I measured a catapult at lr 0.5 on CIFAR.")
    hidden = forum.post_create(user=mod, thread=thread, body="Buy catapult pills now")
    forum.post_hide(moderator=mod, post=hidden, reason="spam")
    deleted = forum.post_create(user=mod, thread=thread, body="catapult typo, ignore")
    forum.post_delete(user=mod, post=deleted)
    secret = forum.thread_create(user=mod, category=category, title="Hidden thread", body="a catapult, hidden")
    forum.thread_hide(moderator=mod, thread=secret, reason="test")
    return {"article": article, "thread": thread, "secret": secret, "hidden": hidden}


def _found(query: str, **kwargs) -> set[tuple[str, str]]:
    return {(hit.kind, hit.title) for hit in search(query, **kwargs).hits}


def test_it_finds_articles_questions_and_posts_that_everyone_may_read(corpus):
    found = _found("catapults")
    assert ("article", "Catapults and the edge of stability") in found
    assert ("question", "Q7. When do catapults happen?") in found
    assert ("post", "Catapult sightings") in found
    assert not any("Secret" in title or "Hidden" in title for _, title in found)
    texts = " ".join(str(hit.snippet) for hit in search("catapult").hits)
    assert "pills" not in texts and "typo" not in texts


def test_one_kind_can_be_searched_alone(corpus):
    assert {kind for kind, _ in _found("catapult", kind="post")} == {"post"}


def test_snippets_read_as_text_with_the_terms_marked(corpus):
    (hit,) = search("catapults", kind="article").hits
    snippet = str(hit.snippet)
    assert "<mark>" in snippet
    for raw in ("**", "$", "\\eta", "\\lambda", "_{"):
        assert raw not in snippet
    assert "η > 2/λ_max" in snippet.replace("&gt;", ">")


def test_a_greek_letter_is_found_by_its_name_and_by_its_symbol(corpus, mod, category):
    # The article writes $\\eta$ (indexed as η); a post writes the name.
    forum.thread_create(user=mod, category=category, title="Step sizes", body="Is eta above the threshold?")
    for query in ("eta", "η", "Eta catapults", "lambda"):
        assert ("article", "Catapults and the edge of stability") in _found(query), query
    for query in ("eta", "η"):
        assert ("post", "Step sizes") in _found(query), query
    (hit,) = search("η", kind="article").hits
    assert "<mark>η</mark>" in str(hit.snippet)
    assert ("article", "Catapults and the edge of stability") not in _found("theta")
    # A name is a whole word: 'eta' is not found inside 'beta', 'theta' or 'detail'.
    forum.thread_create(user=mod, category=category, title="Betas", body="More detail on beta and theta.")
    assert ("post", "Betas") not in _found("eta")
    assert ("post", "Betas") in _found("beta")


def test_math_becomes_readable_text():
    html = (
        '<p>Take <math display="inline"><mrow><mi>η</mi><mo>&lt;</mo><mn>2</mn><mo>/</mo>'
        "<msub><mi>λ</mi><mrow><mi>m</mi><mi>a</mi><mi>x</mi></mrow></msub></mrow></math>.</p>"
        '<math display="block"><semantics><mrow><munder><mo>∑</mo><mi>i</mi></munder><msubsup><mi>x</mi><mi>i</mi>'
        "<mn>2</mn></msubsup></mrow>"
        '<annotation encoding="application/x-tex">\\sum_i x_i^2</annotation></semantics></math>'
        '<p>A note<sup><a class="footnote-ref" href="#fn-1">1</a></sup>.</p><script>alert(1)</script>'
        '<h2 id="s">Scaling<a class="headerlink" href="#s" title="Permanent link">¶</a></h2>'
    )
    assert plain_text(html) == "Take η < 2/λ_max.\n∑_i x_i^2\nA note.\nScaling"


def test_a_hostile_post_is_escaped_in_its_snippet(mod, category):
    forum.thread_create(user=mod, category=category, title="Tags", body="catapult `<script>alert(1)</script>`")
    html = Client().get("/search/?q=catapult").content.decode()
    assert "<mark>catapult</mark>" in html and "<script>alert(1)" not in html


def test_results_come_a_page_at_a_time(mod, category):
    thread = forum.thread_create(user=mod, category=category, title="Many", body="grokking 0")
    for i in range(1, 25):
        forum.post_create(user=mod, thread=thread, body=f"grokking again, number {i}")
    first = search("grokking", page=1)
    second = search("grokking", page=2)
    assert first.total == 25 and len(first.hits) == 20 and len(second.hits) == 5
    assert not {h.url for h in first.hits} & {h.url for h in second.hits}
    html = Client().get("/search/?q=grokking&page=2").content.decode()
    assert 'href="?q=grokking&amp;page=1"' in html


def test_the_index_follows_edits_deletions_and_moderation(corpus, mod):
    thread = corpus["thread"]
    forum.post_edit(
        user=mod, post=thread.posts.get(body="I measured a catapult at lr 0.5 on CIFAR."), body="Saw a slingshot."
    )
    assert _found("slingshot", kind="post") and not search("CIFAR").hits
    forum.thread_hide(moderator=mod, thread=thread, reason="off topic")
    assert not _found("slingshot")
    forum.thread_hide(moderator=mod, thread=thread, hidden=False, reason="fine")
    assert _found("slingshot")
    forum.post_restore(moderator=mod, post=corpus["hidden"], reason="not spam")
    assert search("pills").total == 1


def test_an_article_taken_back_to_draft_leaves_the_search(corpus):
    article = corpus["article"]
    article_sync(
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        kind=Kind.PERSPECTIVE,
        status=Status.DRAFT,
        body=article.body,
        bibliography="",
        tags=[],
        authors=[],
        changelog=None,
        published=None,
    )
    assert not _found("catapults", kind="article")


def test_the_search_page_serves_the_next_reader_the_new_post(client, corpus, mod):
    assert "Nothing matched “slingshot”" in client.get("/search/?q=slingshot").content.decode()
    forum.post_create(user=mod, thread=corpus["thread"], body="A slingshot, not a catapult.")
    assert "1 result for “slingshot”" in Client().get("/search/?q=slingshot").content.decode()


def test_the_page_without_a_query_or_without_results_says_what_to_do(corpus):
    empty = Client().get("/search/").content.decode()
    assert "Type a few words" in empty
    nothing = Client().get("/search/?q=zebrafish&kind=post").content.decode()
    assert "Nothing matched “zebrafish”" in nothing
    assert 'href="/search/?q=zebrafish"' in nothing  # widen to everything
    assert 'href="/perspectives/"' in nothing


def test_the_forum_search_address_leads_to_the_site_search():
    response = Client().get("/forum/search/?q=edge&kind=post")
    assert response.status_code == 301 and response["Location"] == "/search/?q=edge&kind=post"


def test_the_index_can_be_rebuilt_from_the_database(corpus):
    SearchEntry.objects.all().delete()
    assert not search("catapults").hits
    call_command("search_reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(_found("catapults")) == 3


def test_a_busy_forum_does_not_crowd_the_articles_out_of_the_results(corpus, mod, monkeypatch):
    from apps.search import query

    monkeypatch.setattr(query, "FALLBACK_LIMIT", 3)  # the PostgreSQL path ranks every match anyway
    for i in range(6):
        forum.post_create(user=mod, thread=corpus["thread"], body=f"catapults again, {i}")
    first_page = search("catapults").hits
    assert ("article", "Catapults and the edge of stability") in {(h.kind, h.title) for h in first_page}
