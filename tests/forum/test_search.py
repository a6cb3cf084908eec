"""Site-wide search: articles, open questions and posts; highlighting; visibility. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from apps.forum import services
from apps.forum.search import highlight, search


@pytest.fixture
def corpus(thread, members, mod):
    from apps.perspectives.models import Article
    from apps.perspectives.services import article_publish
    from apps.questions.models import Question

    alice, bob, _ = members
    article = Article.objects.create(
        title="Catapults and the edge of stability",
        slug="catapults",
        summary="Large learning rates.",
        body="With a large learning rate the loss spikes, sharpness falls, and training catapults.",
    )
    article_publish(article=article, changelog="first", by=None)
    draft = Article.objects.create(title="Secret catapult draft", slug="draft", summary="x", body="catapults draft")
    Question.objects.create(
        number=7,
        slug="catapult-q",
        title="When do catapults happen?",
        statement="Characterise the catapult phase.",
        discussion="Lewkowycz and others.",
    )
    services.post_create(user=bob, thread=thread, body="I measured a catapult at lr 0.5 on CIFAR.")
    hidden = services.post_create(user=bob, thread=thread, body="Buy catapult pills now")
    services.post_hide(moderator=mod, post=hidden, reason="spam")
    deleted = services.post_create(user=bob, thread=thread, body="catapult typo, ignore")
    services.post_delete(user=bob, post=deleted)
    secret = services.thread_create(
        user=alice, category=thread.category, title="Hidden thread", body="a catapult in a hidden thread"
    )
    services.thread_hide(moderator=mod, thread=secret, reason="test")
    return {"article": article, "draft": draft}


def _titles_and_kinds(hits):
    return {(h.kind, h.title) for h in hits}


@pytest.mark.django_db
def test_search_finds_articles_questions_and_posts(corpus, bob):
    hits = search("catapults", user=bob)
    kinds = {h.kind for h in hits}
    assert kinds == {"article", "question", "post"}
    assert ("article", "Catapults and the edge of stability") in _titles_and_kinds(hits)
    assert not any("Secret" in h.title for h in hits), "drafts are not searchable"


@pytest.mark.django_db
def test_hidden_and_deleted_posts_are_not_found_by_members(corpus, bob):
    snippets = " ".join(str(h.snippet) for h in search("catapult", user=bob))
    assert "pills" not in snippets
    assert "typo" not in snippets
    assert "hidden thread" not in snippets


@pytest.mark.django_db
def test_moderators_find_hidden_posts(corpus, mod):
    snippets = " ".join(str(h.snippet) for h in search("catapult", user=mod))
    assert "pills" in snippets and "hidden thread" in snippets
    assert "typo" not in snippets, "deleted posts stay out even for moderators"


@pytest.mark.django_db
def test_the_search_page_highlights_matches_and_paginates(client, corpus):
    response = client.get(reverse("forum:search"), {"q": "catapult"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<mark>" in page
    assert "pills" not in page


@pytest.mark.django_db
def test_markup_in_a_matching_post_is_escaped_in_the_snippet(client, thread, bob):
    services.post_create(user=bob, thread=thread, body='catapult <script>alert("x")</script> <b onmouseover=1>')
    page = client.get(reverse("forum:search"), {"q": "catapult"}).content.decode()
    assert "<script>alert" not in page
    assert "<b onmouseover" not in page
    assert "<mark>catapult</mark>" in page.lower()


@pytest.mark.django_db
def test_an_empty_or_junk_query_finds_nothing_and_does_not_fail(client, corpus):
    for q in ["", "   ", "!!!", "'\"%_\\", "a" * 500, "catapult & | ! ( )"]:
        assert client.get(reverse("forum:search"), {"q": q}).status_code == 200


@pytest.mark.django_db
def test_search_can_be_limited_to_one_kind(client, corpus):
    page = client.get(reverse("forum:search"), {"q": "catapult", "kind": "question"}).content.decode()
    assert "When do catapults happen?" in page
    assert "I measured a catapult" not in page


def test_highlight_escapes_before_marking():
    out = str(highlight("<i>catapult</i> & more", ["catapult"]))
    assert out.startswith("&lt;i&gt;<mark>catapult</mark>&lt;/i&gt; &amp;")


@pytest.mark.postgres
@pytest.mark.django_db
def test_search_uses_postgres_full_text_search_there(corpus, bob):
    if connection.vendor != "postgresql":
        pytest.skip("run with DATABASE_URL pointing at PostgreSQL")
    hits = search("catapulting", user=bob)  # stemming: a word that never appears verbatim
    assert {h.kind for h in hits} >= {"article", "post"}
    assert any("<mark>" in str(h.snippet) for h in hits)
    assert not any("pills" in str(h.snippet) for h in hits)


@pytest.mark.django_db
def test_search_results_are_paginated(client, thread, mod):
    for i in range(25):
        services.post_create(user=mod, thread=thread, body=f"Grokking observation number {i}")
    first = client.get(reverse("forum:search"), {"q": "grokking"}).content.decode()
    second = client.get(reverse("forum:search"), {"q": "grokking", "page": 2}).content.decode()
    assert "25 results" in first
    assert first.count('class="hit hit-post"') == 20
    assert second.count('class="hit hit-post"') == 5
    assert 'rel="next"' in first and "q=grokking" in first
