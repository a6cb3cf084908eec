"""Notifications: mentions, replies, followed threads and categories, immediate email, digests, unsubscribing."""

from __future__ import annotations

import base64
import json

import pytest
from celery import current_app
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from apps.forum import services
from apps.forum.models import ForumProfile, Notification
from apps.forum.notify import digest_send_all, unsubscribe_url
from apps.forum.tasks import send_notification_emails


@pytest.mark.django_db
def test_a_mention_notifies_the_mentioned_member(thread, bob, charlie):
    services.post_create(user=bob, thread=thread, body="@charlie have you seen this? Email me: bob@example.org")
    note = Notification.objects.get(user=charlie)
    assert note.kind == Notification.Kind.MENTION and note.actor == bob
    assert not Notification.objects.filter(user__username="example.org").exists()


@pytest.mark.django_db
def test_a_citation_is_not_a_mention(thread, bob, charlie):
    services.post_create(user=bob, thread=thread, body="As shown in [@charlie] and `@charlie` in code.")
    assert not Notification.objects.filter(user=charlie).exists()


@pytest.mark.django_db
def test_a_reply_notifies_the_author_of_the_replied_post(thread, first_post, bob, alice):
    services.unfollow(user=alice, thread=thread)  # so only the reply can explain the notification
    services.post_create(user=bob, thread=thread, body="I disagree.", reply_to=first_post)
    assert Notification.objects.get(user=alice).kind == Notification.Kind.REPLY


@pytest.mark.django_db
def test_followers_of_a_thread_hear_of_new_posts_but_not_of_their_own(thread, bob, charlie, alice):
    services.follow(user=charlie, thread=thread)
    services.post_create(user=bob, thread=thread, body="New data.")
    assert Notification.objects.get(user=charlie).kind == Notification.Kind.FOLLOWED
    assert Notification.objects.get(user=alice).kind == Notification.Kind.FOLLOWED  # authors follow their threads
    assert not Notification.objects.filter(user=bob).exists()


@pytest.mark.django_db
def test_followers_of_a_category_hear_of_new_threads(members, category, charlie):
    alice, bob, _ = members
    services.follow(user=charlie, category=category)
    services.thread_create(user=bob, category=category, title="Fresh", body="a new topic")
    assert Notification.objects.filter(user=charlie, kind="followed").count() == 1


@pytest.mark.django_db
def test_each_person_hears_once_by_the_most_specific_reason(thread, first_post, bob, alice):
    services.post_create(user=bob, thread=thread, body="@alice, replying to you.", reply_to=first_post)
    assert list(Notification.objects.filter(user=alice).values_list("kind", flat=True)) == ["mention"]


def _messages(folder):
    """The task messages that landed on the broker: (task name, queue, args), oldest first."""
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns):
        message = json.loads(path.read_text())
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], message["properties"]["delivery_info"]["routing_key"], args))
    return found


@pytest.mark.django_db
def test_a_mention_is_emailed_by_the_worker_not_within_the_request(
    client, django_capture_on_commit_callbacks, task_broker, thread, bob, charlie
):
    services.profile_update(user=charlie, email_mode="immediate")
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "ping @charlie"})
    assert response.status_code == 302
    assert mail.outbox == [], "the request itself sends no email"
    note = Notification.objects.get(user=charlie)
    assert _messages(task_broker) == [("forum.send_notification_emails", "default", [[note.pk]])]

    (task_name, _queue, args) = _messages(task_broker)[0]
    current_app.tasks[task_name].apply(args=args)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["charlie@example.org"]
    assert "mentioned you" in message.body and "/forum/unsubscribe/" in message.body
    assert "List-Unsubscribe" in message.extra_headers
    note.refresh_from_db()
    assert note.emailed_at is not None
    send_notification_emails.apply(args=args)
    assert len(mail.outbox) == 1, "a redelivered message sends no second email"


@pytest.mark.django_db
def test_a_post_whose_readers_all_chose_the_digest_puts_nothing_on_the_broker(
    django_capture_on_commit_callbacks, task_broker, thread, bob, charlie
):
    services.follow(user=charlie, thread=thread)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(user=bob, thread=thread, body="news for followers")
    assert Notification.objects.filter(user=charlie).exists()
    assert _messages(task_broker) == []


@pytest.mark.django_db
def test_digest_command_sends_one_email_with_the_unread_items(thread, bob, charlie, alice):
    services.follow(user=charlie, thread=thread)
    services.post_create(user=bob, thread=thread, body="first news")
    services.post_create(user=bob, thread=thread, body="second news, @charlie")
    services.profile_update(user=alice, email_mode="off")
    mail.outbox.clear()
    call_command("send_forum_digests")
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["charlie@example.org"]
    assert digest.body.count("/forum/p/") == 2
    assert "/forum/unsubscribe/" in digest.body
    call_command("send_forum_digests")
    assert len(mail.outbox) == 1, "a second run must not repeat the digest"


@pytest.mark.django_db
def test_read_notifications_are_left_out_of_the_digest(thread, bob, charlie):
    services.post_create(user=bob, thread=thread, body="hi @charlie")
    services.notifications_mark_read(user=charlie)
    digest_send_all()
    assert not [m for m in mail.outbox if m.to == ["charlie@example.org"]]


@pytest.mark.django_db
def test_the_unsubscribe_link_works_without_logging_in(client, charlie):
    url = unsubscribe_url(charlie)
    path = url.split("127.0.0.1:8000", 1)[-1]
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200
    assert ForumProfile.objects.get(user=charlie).email_mode == "off"


@pytest.mark.django_db
def test_a_tampered_unsubscribe_token_changes_nothing(client, charlie):
    services.profile_update(user=charlie, email_mode="immediate")
    response = client.post(reverse("forum:unsubscribe", kwargs={"token": "not-a-real-token"}))
    assert response.status_code == 400
    assert ForumProfile.objects.get(user=charlie).email_mode == "immediate"


@pytest.mark.django_db
def test_the_inbox_shows_the_unread_count_and_opening_marks_read(client, thread, bob, charlie):
    services.post_create(user=bob, thread=thread, body="@charlie look")
    client.force_login(charlie)
    page = client.get(reverse("forum:index")).content.decode()
    assert 'aria-label="1 unread"' in page
    note = Notification.objects.get(user=charlie)
    response = client.get(reverse("forum:notification", args=[note.pk]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.django_db
def test_a_mention_is_linked_in_the_post_but_not_inside_code(thread, bob, charlie):
    post = services.post_create(user=bob, thread=thread, body="Thanks @Charlie. In code: `@charlie`")
    assert post.html.count('class="mention"') == 1
    assert reverse("forum:user", args=["charlie"]) in post.html
    assert Notification.objects.filter(user=charlie, kind="mention").exists()


@pytest.mark.django_db
def test_mentioning_someone_who_does_not_exist_links_nothing(thread, bob):
    post = services.post_create(user=bob, thread=thread, body="Hello @nobody-here")
    assert 'class="mention"' not in post.html


@pytest.mark.django_db
def test_the_digest_task_sends_the_same_digest_as_the_command(thread, bob, charlie):
    from apps.forum.tasks import send_digests

    services.post_create(user=bob, thread=thread, body="@charlie news")
    mail.outbox.clear()
    send_digests.apply()
    assert [m.to for m in mail.outbox if m.to == ["charlie@example.org"]] == [["charlie@example.org"]]
    assert send_digests.queue == "default"


@pytest.mark.django_db
def test_a_mail_outage_does_not_break_posting_and_a_later_attempt_sends_the_email(
    client, django_capture_on_commit_callbacks, task_broker, thread, members, charlie, settings
):
    services.profile_update(user=charlie, email_mode="immediate")
    client.force_login(members[1])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "hello @charlie"})
    assert response.status_code == 302
    (_task, _queue, args) = _messages(task_broker)[0]
    # The SMTP server is outside the project: point the backend at a closed port.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert send_notification_emails.apply(args=args).failed()
    note = Notification.objects.get(user=charlie)
    assert note.emailed_at is None, "left for a later attempt"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_notification_emails.apply(args=args).get() == 1
    note.refresh_from_db()
    assert note.emailed_at is not None and [m.to for m in mail.outbox] == [["charlie@example.org"]]
