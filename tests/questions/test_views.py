from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.services import tags_ensure
from apps.questions.models import ProgressEntry, Question
from tests.factories import make_article

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def make_question(number: int, *, status: str = "open", tags: tuple[str, ...] = ()) -> Question:
    question = Question.objects.create(
        number=number,
        slug=f"q{number}",
        title=f"Question {number}",
        statement=f"Statement {number}.",
        status=status,
        discussion="Some *discussion*.",
        rendered_html="<p>Some <em>discussion</em>.</p>",
    )
    if tags:
        question.tags.set(tags_ensure(slugs=tags))
    return question


@pytest.fixture
def as_user(client, request):
    def sign_in(persona: str | None):
        if persona is not None:
            client.force_login(request.getfixturevalue(persona), backend=MODEL_BACKEND)
        return client

    return sign_in


@pytest.fixture
def question(db):
    q = make_question(1, status="partial", tags=("deep-linear",))
    ProgressEntry.objects.create(
        question=q, date=datetime.date(2024, 6, 1), who="A. Researcher", summary="A step.", link="https://example.org"
    )
    q.articles.add(make_article("alpha"), make_article("hidden", status="draft"))
    return q


@pytest.mark.parametrize("persona", [None, "bob", "admin_user"])
@pytest.mark.parametrize(
    "url",
    ["/questions/", "/questions/?status=partial", "/questions/?tag=deep-linear", "/questions/?page=5", "/questions/1/"],
)
def test_question_pages_answer_everyone(question, as_user, persona, url):
    assert as_user(persona).get(url).status_code == 200


def test_an_unknown_question_is_404(db, client):
    assert client.get("/questions/99/").status_code == 404


def test_the_detail_page_shows_the_log_and_the_published_articles_only(question, client):
    html = client.get("/questions/1/").content.decode()
    assert "A. Researcher" in html and "A step." in html
    assert "<em>discussion</em>" in html
    assert "Article alpha" in html
    assert "Article hidden" not in html
    assert "Log in</a> to follow" in html


def test_filters_narrow_the_list(db, client):
    make_question(1, status="open", tags=("a",))
    make_question(2, status="resolved", tags=("b",))
    html = client.get("/questions/?status=resolved").content.decode()
    assert "Question 2" in html and "Question 1" not in html
    html = client.get("/questions/?tag=a").content.decode()
    assert "Question 1" in html and "Question 2" not in html
    html = client.get("/questions/?tag=zzz").content.decode()
    assert "No question matches" in html


def test_a_member_can_follow_and_unfollow(question, as_user, bob):
    client = as_user("bob")
    response = client.post("/questions/1/follow/", {"action": "follow"})
    assert response.status_code == 302
    assert question.followers.filter(pk=bob.pk).exists()
    assert "Unfollow" in client.get("/questions/1/").content.decode()
    client.post("/questions/1/follow/", {"action": "unfollow"})
    assert not question.followers.filter(pk=bob.pk).exists()


def test_following_twice_is_harmless(question, as_user, bob):
    client = as_user("bob")
    client.post("/questions/1/follow/", {"action": "follow"})
    client.post("/questions/1/follow/", {"action": "follow"})
    assert question.followers.count() == 1


def test_an_anonymous_visitor_is_sent_to_log_in_and_follows_nothing(question, client):
    response = client.post("/questions/1/follow/", {"action": "follow"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert question.followers.count() == 0


def test_following_needs_a_post(question, as_user):
    assert as_user("bob").get("/questions/1/follow/").status_code == 405


def test_article_pages_list_their_questions(question, client):
    assert "Q1. Question 1" in client.get("/perspectives/alpha/").content.decode()


def _count(client, url):
    client.get(url)  # warm per-process caches (site, content types) so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_uses_the_same_number_of_queries_for_2_or_20_questions(db, client, django_assert_num_queries):
    for n in range(1, 3):
        make_question(n, tags=(f"t{n}", "common"))
    few = _count(client, "/questions/")
    for n in range(3, 21):
        make_question(n, tags=(f"t{n}", "common"))
    with django_assert_num_queries(few):
        client.get("/questions/")


def test_the_detail_uses_the_same_number_of_queries_however_long_the_log(db, client, django_assert_num_queries):
    q = make_question(1)

    def grow(start, n):
        for i in range(start, start + n):
            ProgressEntry.objects.create(question=q, date=datetime.date(2024, 1, 1), who=f"W{i}", summary="S")
            q.articles.add(make_article(f"a{i}", authors=[(None, f"X{i}"), (None, f"Y{i}")], tags=(f"t{i}",)))
            q.tags.add(*tags_ensure(slugs=[f"qt{i}"]))

    grow(0, 2)
    few = _count(client, "/questions/1/")
    grow(2, 18)
    with django_assert_num_queries(few):
        client.get("/questions/1/")
