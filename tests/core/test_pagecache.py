"""Anonymous reading pages from the shared cache: fresh after every kind of change, never anyone's own.

Each change goes through the service a reader's or an author's action reaches,
and the next anonymous reader must see it. The personas are tests/conftest.py's
(bob: "Bob Reader", a member; alice: an author; mod: a moderator).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.core import pagecache
from apps.forum import services as forum
from apps.forum.models import Category
from apps.perspectives.models import Article
from apps.perspectives.services import article_publish
from apps.questions.services import question_follow, question_sync
from tests.factories import make_article

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

pytestmark = pytest.mark.django_db


def _page(client: Client, url: str) -> tuple[str, str]:
    """The page's HTML and how the page cache answered ("hit", "miss" or "" when it was not stored)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), response.headers.get("X-Page-Cache", "")


def _question(number: int = 1, *, title: str = "Why does sharpness stop at 2/eta?", articles=()) -> None:
    question_sync(
        number=number,
        slug=f"q{number}",
        title=title,
        statement="Explain the edge of stability.",
        status="open",
        discussion="Cohen et al. saw it first.",
        tags=["eos"],
        articles=list(articles),
        sequences=[],
        progress=[],
    )


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(slug="general", name="General")


# --- Served from the cache ---------------------------------------------------------------------


def test_the_second_anonymous_reader_gets_the_stored_page_without_a_query(client, django_assert_num_queries):
    make_article("alpha")
    first, how = _page(client, "/perspectives/alpha/")
    assert how == "miss"
    with django_assert_num_queries(0):
        second, how = _page(Client(), "/perspectives/alpha/")
    assert how == "hit" and second == first


def test_a_stored_page_is_sent_in_the_coding_the_reader_accepts(client):
    make_article("alpha")
    plain, _ = _page(client, "/perspectives/alpha/")
    for coding in ("gzip", "br", "zstd"):
        response = Client().get("/perspectives/alpha/", HTTP_ACCEPT_ENCODING=coding)
        assert response["X-Page-Cache"] == "hit" and response["Content-Encoding"] == coding
        assert len(response.content) < len(plain.encode()) / 2
        assert "Accept-Encoding" in response["Vary"] and "Cookie" in response["Vary"]


def test_a_stored_article_page_still_answers_conditional_requests_with_a_304(client):
    make_article("alpha")
    etag = client.get("/perspectives/alpha/")["ETag"]
    again = Client().get("/perspectives/alpha/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""


def test_a_deploy_with_other_code_never_serves_the_previous_code_s_pages(client, monkeypatch):
    make_article("alpha")
    _page(client, "/perspectives/alpha/")
    monkeypatch.setattr(pagecache, "release", lambda: "another-release")
    assert _page(Client(), "/perspectives/alpha/")[1] == "miss"


# --- Every kind of change is seen by the next anonymous reader ----------------------------------


def test_publishing_a_version_changes_the_article_the_lists_and_the_home_page(client):
    article = make_article("alpha")
    for url in ("/perspectives/alpha/", "/perspectives/", "/"):
        _page(client, url)
        assert _page(client, url)[1] == "hit"
    article.title = "Alpha, revised"
    article.body = "## Intro\n\nNew text.\n"
    article.save()
    article_publish(article=article, changelog="Sharper", by=None)
    for url in ("/perspectives/alpha/", "/perspectives/", "/"):
        html, how = _page(Client(), url)
        assert how == "miss" and "Alpha, revised" in html, url


def test_publishing_one_article_leaves_another_article_s_page_cached(client):
    make_article("alpha")
    beta = make_article("beta")
    _page(client, "/perspectives/alpha/")
    beta.body = "Changed."
    beta.save()
    article_publish(article=beta, changelog="v2", by=None)
    assert _page(client, "/perspectives/alpha/")[1] == "hit"


def test_editing_a_question_changes_its_page_the_list_and_the_articles_that_name_it(client):
    make_article("alpha")
    _question(articles=["alpha"])
    for url in ("/questions/1/", "/questions/", "/perspectives/alpha/"):
        _page(client, url)
    _question(title="When does sharpness stop growing?", articles=["alpha"])
    for url in ("/questions/1/", "/questions/", "/perspectives/alpha/"):
        html, how = _page(client, url)
        assert how == "miss" and "When does sharpness stop growing?" in html, url


def test_a_new_follower_is_counted_on_the_question_page(client, bob):
    _question()
    assert "0 following" in _page(client, "/questions/1/")[0]
    from apps.questions.models import Question

    question_follow(question=Question.objects.get(number=1), user=bob)
    assert "1 following" in _page(client, "/questions/1/")[0]


def test_a_new_post_shows_in_its_thread_its_category_the_forum_and_the_question_it_discusses(
    client, alice, bob, category
):
    _question()
    from apps.questions.models import Question

    thread = forum.thread_create(
        user=alice, category=category, title="On Q1", body="Opening.", target=Question.objects.get(number=1)
    )
    urls = (thread.get_absolute_url(), "/forum/", "/forum/c/general/", "/questions/1/")
    for url in urls:
        _page(client, url)
        assert _page(client, url)[1] == "hit"
    forum.post_create(user=bob, thread=thread, body="A reply about catapults.")
    assert "A reply about catapults." in _page(client, thread.get_absolute_url())[0]
    for url in urls[1:]:
        html, how = _page(client, url)
        assert how == "miss" and "2 posts" in html, url


def test_a_vote_changes_the_thread_page_and_nothing_else(client, alice, bob, category):
    thread = forum.thread_create(user=alice, category=category, title="Votes", body="Vote for me.")
    _page(client, "/forum/")
    assert 'aria-label="0 upvotes"' in _page(client, thread.get_absolute_url())[0]
    forum.post_vote(user=bob, post=thread.posts.get(), up=True)
    html, how = _page(client, thread.get_absolute_url())
    assert how == "miss" and 'aria-label="1 upvotes"' in html
    assert _page(client, "/forum/")[1] == "hit"


def test_a_finished_run_fills_in_the_figure_a_cached_article_was_waiting_for(client):
    from apps.experiments.executors import Computed
    from apps.experiments.models import Run
    from apps.experiments.services import run_claim, run_finish
    from compute import registry
    from compute.runner import execute

    body = "```figure\nexperiment: deep_linear\npreset: smoke\ncaption: c\n```\n"
    make_article("fig", body=body)
    html, _ = _page(client, "/perspectives/fig/")
    assert "still being computed" in html
    assert _page(client, "/perspectives/fig/")[1] == "hit"

    run = Run.objects.get()
    spec = registry.get("deep_linear")
    outcome = execute(spec, spec.validate({}, preset="smoke"))
    claim = run_claim(run_id=run.pk, worker="test")
    assert claim is not None
    run_finish(claim=claim, computed=Computed(outcome.result, outcome.provenance, outcome.digest))

    html, how = _page(client, "/perspectives/fig/")
    assert how == "miss"
    data = html[html.index('<details class="lm-figure-data">') :]
    assert "<table" in data[: data.index("</details>")]


def test_an_admin_change_makes_every_stored_page_stale(client, admin_user):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    article = make_article("alpha")
    _page(client, "/perspectives/alpha/")
    Article.objects.filter(pk=article.pk).update(kind="tutorial")
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Article),
        object_id=str(article.pk),
        object_repr="alpha",
        action_flag=CHANGE,
    )
    assert _page(client, "/perspectives/alpha/")[1] == "miss"


# --- Nothing of a member, and no CSRF token, ever comes from the shared cache --------------------


def _signed_in(bob) -> Client:
    member = Client()
    member.force_login(bob, backend=MODEL_BACKEND)
    return member


PAGES = ["/", "/perspectives/", "/perspectives/alpha/", "/questions/", "/questions/1/", "/forum/", "/search/?q=alpha"]


@pytest.fixture
def site(bob, alice, category):
    make_article("alpha")
    _question(articles=["alpha"])
    thread = forum.thread_create(user=alice, category=category, title="Alpha talk", body="Hello.")
    return [*PAGES, "/forum/c/general/", thread.get_absolute_url()]


def test_a_member_s_page_is_never_stored_or_served_to_the_next_anonymous_reader(site, bob):
    member = _signed_in(bob)
    for url in site:
        response = member.get(url)
        assert "Bob Reader" in response.content.decode(), url
        assert not response.has_header("X-Page-Cache"), url
    member.logout()
    for url in site:
        html, _ = _page(member, url)
        assert "Bob Reader" not in html and "csrfmiddlewaretoken" not in html, url
        html, how = _page(Client(), url)
        assert how == "hit" and "Bob Reader" not in html, url


def test_a_member_never_gets_the_anonymous_copy(site, bob):
    for url in site:
        _page(Client(), url)
    member = _signed_in(bob)
    for url in site:
        response = member.get(url)
        assert "Bob Reader" in response.content.decode() and not response.has_header("X-Page-Cache"), url


def test_an_anonymous_form_page_is_never_stored_so_each_reader_gets_their_own_token(db):
    tokens = set()
    for _ in range(2):
        response = Client().get("/accounts/login/")
        assert response.status_code == 200 and not response.has_header("X-Page-Cache")
        html = response.content.decode()
        tokens.add(html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0])
    assert len(tokens) == 2


def test_a_reader_with_a_message_waiting_gets_a_page_of_their_own(site, client):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    _page(client, "/perspectives/")
    request = HttpRequest()
    storage = CookieStorage(request)
    storage.add(constants.INFO, "Only for you.")
    response = HttpResponse()
    storage.update(response)
    reader = Client()
    reader.cookies.load({"messages": response.cookies["messages"].value})
    html = reader.get("/perspectives/").content.decode()
    assert "Only for you." in html
    assert "Only for you." not in _page(Client(), "/perspectives/")[0]


def test_a_member_s_second_visit_reuses_the_article_text_around_their_own_header(site, bob):
    member = _signed_in(bob)
    with CaptureQueriesContext(connection) as first:
        html_first = member.get("/perspectives/alpha/").content.decode()
    with CaptureQueriesContext(connection) as second:
        html_second = member.get("/perspectives/alpha/").content.decode()
    assert len(second.captured_queries) < len(first.captured_queries)
    masked = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')  # a fresh mask on every response
    assert masked.sub("", html_second) == masked.sub("", html_first) and "Bob Reader" in html_second
    # The reused text is the members' copy: an anonymous reader's page is made apart.
    assert "Bob Reader" not in _page(Client(), "/perspectives/alpha/")[0]
