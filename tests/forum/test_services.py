"""Services that are not about permissions: loading categories, votes, answers, feeds."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.forum import services
from apps.forum.models import Category, Post

CATEGORIES = [
    {"slug": "announcements", "name": "Announcements", "description": "News."},
    {"slug": "meta", "name": "Meta", "description": "About the site."},
]


@pytest.mark.django_db
def test_category_sync_upserts_by_slug_and_reports_changes():
    assert services.category_sync(categories=CATEGORIES) == 2
    assert services.category_sync(categories=CATEGORIES) == 0
    changed = [CATEGORIES[1] | {"name": "Site meta"}, CATEGORIES[0]]
    assert services.category_sync(categories=changed) == 2  # renamed, and both swapped positions
    assert list(Category.objects.values_list("slug", flat=True)) == ["meta", "announcements"]


@pytest.mark.django_db
def test_category_sync_rejects_a_malformed_entry_and_writes_nothing():
    with pytest.raises(ValidationError):
        services.category_sync(categories=[CATEGORIES[0], {"name": "no slug"}])
    assert not Category.objects.exists()


@pytest.mark.django_db
def test_the_launch_categories_file_loads():
    import yaml
    from django.conf import settings

    path = settings.SITE_CONTENT_DIR / "forum" / "categories.yaml"
    data = yaml.safe_load(path.read_text())
    assert services.category_sync(categories=data) == len(data) >= 1


@pytest.mark.django_db
def test_votes_count_once_and_can_be_withdrawn(first_post, members):
    bob = members[1]
    services.post_vote(user=bob, post=first_post)
    services.post_vote(user=bob, post=first_post)
    assert Post.objects.get(pk=first_post.pk).score == 1
    services.post_vote(user=bob, post=first_post, up=False)
    assert Post.objects.get(pk=first_post.pk).score == 0


@pytest.mark.django_db
def test_members_cannot_vote_for_themselves(first_post, members):
    with pytest.raises(ValidationError):
        services.post_vote(user=members[0], post=first_post)


@pytest.mark.django_db
def test_only_question_threads_accept_answers(thread, first_post, members):
    with pytest.raises(ValidationError):
        services.answer_accept(user=members[0], post=first_post)


@pytest.mark.django_db
def test_feeds_leave_out_hidden_posts_and_hidden_threads(client, thread, members, mod):
    alice, bob, _ = members
    services.post_create(user=bob, thread=thread, body="VISIBLE-REPLY")
    hidden = services.post_create(user=bob, thread=thread, body="HIDDEN-REPLY")
    services.post_hide(moderator=mod, post=hidden)
    secret = services.thread_create(
        user=bob, category=thread.category, title="SECRET-THREAD", body="SECRET-BODY", tags=["sharpness"]
    )
    services.thread_hide(moderator=mod, thread=secret)
    services.thread_create(user=bob, category=thread.category, title="Tagged", body="TAGGED-BODY", tags=["sharpness"])
    client.force_login(mod)  # feeds are public: even a moderator's feed shows only public posts
    feeds = [
        client.get(reverse("forum:category_feed", args=[thread.category.slug])),
        client.get(reverse("forum:user_feed", args=["bob"])),
        client.get(reverse("forum:tag_feed", args=["sharpness"])),
    ]
    for response in feeds:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        body = response.content.decode()
        assert "HIDDEN-REPLY" not in body and "SECRET" not in body
    assert "VISIBLE-REPLY" in feeds[0].content.decode()
    assert "TAGGED-BODY" in feeds[2].content.decode()


@pytest.mark.django_db
def test_bad_tags_are_refused(members, category):
    with pytest.raises(ValidationError) as excinfo:
        services.thread_create(
            user=members[0], category=category, title="t", body="b", tags=[f"t{i}" for i in range(6)]
        )
    assert "tags" in excinfo.value.message_dict
