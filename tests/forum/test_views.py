"""Thread pages: constant queries on long threads, stable post links, quoting, attaching to objects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.forum import services
from apps.forum.models import Post, Thread


def _grow(thread: Thread, author, n: int) -> None:
    now = timezone.now()
    have = thread.posts.count()
    Post.objects.bulk_create(
        [
            Post(
                thread=thread, author=author, body=f"p{i}", html=f"<p>post {i}</p>", created=now, position=have + i + 1
            )
            for i in range(n)
        ]
    )
    Thread.objects.filter(pk=thread.pk).update(post_count=thread.posts.count())


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_long_thread_renders_with_the_same_number_of_queries_as_a_short_one(client, members, category, signed_in):
    alice, bob, _ = members
    short = services.thread_create(user=alice, category=category, title="short", body="s")
    long = services.thread_create(user=alice, category=category, title="long", body="l")
    _grow(short, bob, 9)
    _grow(long, bob, 999)
    if signed_in:
        client.force_login(bob)
    short_count = _queries(client, short.get_absolute_url())
    long_count = _queries(client, long.get_absolute_url())
    last_page = _queries(client, long.get_absolute_url() + "?page=40")
    assert short_count == long_count == last_page
    assert long_count <= 12


@pytest.mark.django_db
def test_a_post_link_redirects_to_the_page_that_shows_it(client, thread, bob):
    _grow(thread, bob, 59)  # 60 posts: the last one is on page 3
    last = thread.posts.order_by("-created", "-id").first()
    response = client.get(reverse("forum:post", args=[last.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{thread.get_absolute_url()}?page=3#post-{last.pk}"
    page = client.get(thread.get_absolute_url() + "?page=3").content.decode()
    assert f'id="post-{last.pk}"' in page


@pytest.mark.django_db
def test_the_page_size_is_the_one_in_the_settings(client, thread, bob, settings):
    settings.FORUM_POSTS_PER_PAGE = 4
    _grow(thread, bob, 9)  # 10 posts, 4 a page: the last one is on page 3
    last = thread.posts.order_by("-created", "-id").first()
    assert client.get(reverse("forum:post", args=[last.pk]))["Location"].endswith(f"?page=3#post-{last.pk}")
    page = client.get(thread.get_absolute_url() + "?page=3").content.decode()
    assert f'id="post-{last.pk}"' in page and page.count('<li class="post') == 2


@pytest.mark.django_db
def test_a_wrong_slug_redirects_to_the_canonical_url(client, thread):
    response = client.get(reverse("forum:thread", kwargs={"pk": thread.pk, "slug": "old-title"}))
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()


@pytest.mark.django_db
def test_quoting_prefills_the_reply_with_the_quoted_text(client, thread, first_post, bob):
    client.force_login(bob)
    page = client.get(thread.get_absolute_url(), {"quote": first_post.pk}).content.decode()
    assert "&gt; Sharpness rises" in page
    assert f'name="reply_to" value="{first_post.pk}"' in page


@pytest.mark.django_db
def test_a_bad_reply_shows_the_error_and_saves_nothing(client, thread, bob):
    client.force_login(bob)
    before = Post.objects.count()
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "   "})
    assert response.status_code == 400
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "x", "reply_to": "999999"})
    assert response.status_code == 400
    assert Post.objects.count() == before


@pytest.mark.django_db
def test_edits_keep_a_visible_history(client, first_post, alice):
    client.force_login(alice)
    client.post(reverse("forum:post_edit", args=[first_post.pk]), {"body": "Corrected: sharpness hovers near 2/eta."})
    first_post.refresh_from_db()
    assert first_post.edited is not None
    history = client.get(reverse("forum:post_history", args=[first_post.pk])).content.decode()
    assert "Sharpness rises to" in history and "Corrected" in history


@pytest.mark.django_db
def test_a_deleted_post_leaves_a_placeholder(client, thread, first_post, alice, bob):
    services.post_delete(user=alice, post=first_post)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "deleted by its author" in page
    assert "Sharpness rises" not in page


@pytest.mark.django_db
def test_a_discussion_can_be_started_on_an_open_question_and_is_listed_there(client, members, category):
    from django.template import Context, Template
    from django.test import RequestFactory

    from apps.questions.models import Question

    question = Question.objects.create(number=3, slug="q", title="Why muP?", statement="Explain.")
    bob = members[1]
    client.force_login(bob)
    url = reverse("forum:thread_new") + "?target=questions.question:" + str(question.pk)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"category": category.pk, "title": "On muP", "body": "Thoughts", "target": f"questions.question:{question.pk}"},
    )
    assert response.status_code == 302
    thread = Thread.objects.get(title="On muP")
    assert thread.target == question
    request = RequestFactory().get("/")
    request.user = bob
    html = Template('{% include "forum/includes/discussions.html" %}').render(
        Context({"object": question, "request": request, "user": bob})
    )
    assert "On muP" in html and "target=questions.question%3A" in html


@pytest.mark.django_db
def test_an_unknown_target_is_a_404_not_a_500(client, members):
    client.force_login(members[1])
    for target in ["auth.user:1", "questions.question:999", "nonsense", "forum.thread:x"]:
        assert client.get(reverse("forum:thread_new"), {"target": target}).status_code == 404


@pytest.mark.django_db
def test_category_pages_list_pinned_threads_first_and_paginate(client, members, category, mod):
    alice = members[0]
    threads = [Thread.objects.create(category=category, title=f"t{i}", author=alice) for i in range(35)]
    services.thread_pin(moderator=mod, thread=threads[0])
    page1 = client.get(category.get_absolute_url()).content.decode()
    assert page1.index(">t0<") < page1.index(">t34<")
    assert client.get(category.get_absolute_url(), {"page": 2}).status_code == 200
    assert client.get(category.get_absolute_url(), {"page": "junk"}).status_code == 200


@pytest.mark.django_db
def test_the_home_page_lists_recent_public_threads(client, thread, members, mod):
    secret = services.thread_create(user=members[1], category=thread.category, title="SECRET-THREAD", body="x")
    services.thread_hide(moderator=mod, thread=secret)
    page = client.get("/").content.decode()
    assert thread.title in page
    assert "SECRET-THREAD" not in page


@pytest.mark.django_db
def test_the_site_nav_shows_the_unread_count_on_every_page(client, thread, members, charlie):
    services.post_create(user=members[1], thread=thread, body="hello @charlie")
    client.force_login(charlie)
    assert 'aria-label="1 unread"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_article_pages_list_discussions_of_any_of_their_versions(client, members, category):
    from apps.perspectives.models import Article
    from apps.perspectives.services import article_publish

    article = Article.objects.create(title="Muon", slug="muon", summary="s", body="first body")
    v1 = article_publish(article=article, changelog="first", by=None)
    discussion = services.thread_create(
        user=members[1], category=category, title="On version one", body="hm", target=v1
    )
    assert "Discussion of" in client.get(discussion.get_absolute_url()).content.decode()
    assert "Muon, version 1" in client.get(discussion.get_absolute_url()).content.decode()
    article.body = "second body"
    article.save()
    article_publish(article=article, changelog="second", by=None)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "On version one" in page
    assert "Start a discussion" in page


@pytest.mark.django_db
def test_question_pages_list_their_discussions(client, members, category):
    from apps.questions.models import Question

    question = Question.objects.create(number=11, slug="q", title="Why Adam?", statement="Explain.")
    services.thread_create(user=members[1], category=category, title="Progress on Adam", body="hm", target=question)
    assert "Progress on Adam" in client.get(question.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_author_is_told_about_malformed_math_after_posting(client, thread, members):
    client.force_login(members[1])
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "Broken $\\frac{1}{$ math"}, follow=True)
    assert response.status_code == 200
    assert Post.objects.filter(body__startswith="Broken").exists()
    assert "Check your post" in response.content.decode()


@pytest.mark.django_db
def test_a_run_can_carry_a_discussion_shown_on_its_page(client, members, category):
    from apps.experiments.models import Experiment, Run

    experiment = Experiment.objects.create(name="deep_linear", title="Deep linear network")
    run = Run.objects.create(
        experiment=experiment, config={}, config_hash="c", code_hash="d", cache_key="k", status="succeeded"
    )
    bob = members[1]
    client.force_login(bob)
    url = reverse("forum:thread_new") + f"?target=experiments.run:{run.pk}"
    assert f"run {run.pk} of deep_linear" in client.get(url).content.decode()
    client.post(url, {"category": category.pk, "title": "Odd plateau", "body": "Why the plateau at step 300?"})
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200
    assert "Odd plateau" in page.content.decode()
