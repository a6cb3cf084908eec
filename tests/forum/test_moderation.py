"""Moderator actions: each has its effect and leaves a line in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.forum import services
from apps.forum.models import Flag, ModerationLog, Notification, Post, Suspension


@pytest.mark.django_db
def test_every_moderator_action_writes_the_audit_log(thread, first_post, other_category, members, mod):
    bob = members[1]
    other = services.thread_create(user=bob, category=thread.category, title="Duplicate", body="same question")
    services.post_flag(user=bob, post=first_post, reason="off_topic")
    steps = [
        ("post_hide", lambda: services.post_hide(moderator=mod, post=first_post, reason="off topic")),
        ("post_restore", lambda: services.post_restore(moderator=mod, post=first_post)),
        ("flags_dismiss", lambda: services.flag_dismiss(moderator=mod, post=first_post)),
        ("thread_lock", lambda: services.thread_lock(moderator=mod, thread=thread)),
        ("thread_unlock", lambda: services.thread_lock(moderator=mod, thread=thread, locked=False)),
        ("thread_pin", lambda: services.thread_pin(moderator=mod, thread=thread)),
        ("thread_move", lambda: services.thread_move(moderator=mod, thread=thread, category=other_category)),
        ("thread_merge", lambda: services.thread_merge(moderator=mod, thread=other, into=thread)),
        ("thread_hide", lambda: services.thread_hide(moderator=mod, thread=other)),
        ("post_edit", lambda: services.post_edit(user=mod, post=first_post, body="Edited by a moderator.")),
        (
            "user_suspend",
            lambda: services.user_suspend(
                moderator=mod, user=bob, reason="spam", until=timezone.now() + timedelta(days=2)
            ),
        ),
        ("user_unsuspend", lambda: services.user_unsuspend(moderator=mod, user=bob)),
    ]
    for action, step in steps:
        before = ModerationLog.objects.count()
        step()
        entry = ModerationLog.objects.order_by("-id").first()
        assert ModerationLog.objects.count() == before + 1, action
        assert entry.action == action and entry.actor == mod


@pytest.mark.django_db
def test_the_audit_log_page_lists_actions_for_moderators_only(client, thread, mod, bob):
    services.thread_lock(moderator=mod, thread=thread, reason="heated")
    client.force_login(mod)
    page = client.get(reverse("forum:moderation_log")).content.decode()
    assert "thread_lock" in page and "heated" in page
    client.force_login(bob)
    assert client.get(reverse("forum:moderation_log")).status_code == 403


@pytest.mark.django_db
def test_hiding_a_flagged_post_resolves_its_flags_and_tells_the_author(thread, first_post, members, mod):
    alice, bob, _ = members
    services.post_flag(user=bob, post=first_post, reason="spam")
    services.post_hide(moderator=mod, post=first_post, reason="spam")
    flag = Flag.objects.get()
    assert flag.resolution == "hidden" and flag.resolved_by == mod
    assert Notification.objects.filter(user=alice, kind="moderation").exists()


@pytest.mark.django_db
def test_the_queue_shows_flagged_posts_with_reasons(client, first_post, members, mod):
    services.post_flag(user=members[1], post=first_post, reason="other", text="Plagiarised from a blog")
    client.force_login(mod)
    page = client.get(reverse("forum:moderation")).content.decode()
    assert "Plagiarised from a blog" in page


@pytest.mark.django_db
def test_a_flag_with_reason_other_needs_words(first_post, members):
    with pytest.raises(ValidationError) as excinfo:
        services.post_flag(user=members[1], post=first_post, reason="other", text="  ")
    assert "text" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        services.post_flag(user=members[1], post=first_post, reason="not-a-reason")
    assert not Flag.objects.exists()


@pytest.mark.django_db
def test_merging_moves_posts_in_time_order_and_redirects_the_old_thread(client, thread, members, mod):
    bob = members[1]
    other = services.thread_create(user=bob, category=thread.category, title="Dup", body="dup body")
    services.thread_merge(moderator=mod, thread=other, into=thread)
    thread.refresh_from_db()
    assert thread.post_count == 2
    assert list(thread.posts.in_order().values_list("body", flat=True))[-1] == "dup body"
    response = client.get(other.get_absolute_url())
    assert response.status_code == 302
    with pytest.raises(ValidationError):
        services.thread_merge(moderator=mod, thread=thread, into=thread)


@pytest.mark.django_db
def test_suspension_needs_a_reason_and_a_future_end(members, mod):
    bob = members[1]
    with pytest.raises(ValidationError) as excinfo:
        services.user_suspend(moderator=mod, user=bob, reason="", until=timezone.now() - timedelta(days=1))
    assert set(excinfo.value.message_dict) == {"reason", "until"}
    assert not Suspension.objects.exists()


@pytest.mark.django_db
def test_a_suspension_ends_on_its_date(thread, members, mod):
    bob = members[1]
    suspension = services.user_suspend(moderator=mod, user=bob, reason="x", until=timezone.now() + timedelta(hours=1))
    Suspension.objects.filter(pk=suspension.pk).update(until=timezone.now() - timedelta(seconds=1))
    services.post_create(user=bob, thread=thread, body="back again")
    assert Post.objects.filter(body="back again").exists()


@pytest.mark.django_db
def test_members_cannot_call_moderator_services(thread, first_post, bob):
    for call in [
        lambda: services.post_hide(moderator=bob, post=first_post),
        lambda: services.thread_lock(moderator=bob, thread=thread),
        lambda: services.user_suspend(moderator=bob, user=bob, reason="x", until=timezone.now() + timedelta(days=1)),
    ]:
        with pytest.raises(PermissionDenied):
            call()
    assert not ModerationLog.objects.exists()
