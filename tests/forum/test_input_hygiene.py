"""Thread titles and category names are one line without control characters: on the page, in the API and
in the services; and a title stored before that rule can no longer stop a thread's emails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.forum import notify, services
from apps.forum.models import ForumProfile, Notification, Thread
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("title", ["Edge\x01of stability", "Edge of\r\nstability", "Edge\u202eytilibats"])
def test_the_new_thread_page_refuses_the_title_and_says_why(client, members, category, title: str) -> None:
    client.force_login(members[1])
    response = client.post(reverse("forum:thread_new"), {"category": category.pk, "title": title, "body": "Text."})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["title"]
    assert "one line" in form.errors["title"][0] or "control character" in form.errors["title"][0]
    assert not Thread.objects.filter(title__startswith="Edge").exists()


def test_the_api_answers_400_naming_the_title(members, category) -> None:
    response = client_for(members[1]).post(
        "/api/v1/forum/threads/",
        {"category": category.slug, "title": "Edge\nBcc: everyone@example.org", "body": "Text."},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["title"]
    assert error["message"].startswith("title: ")
    assert not Thread.objects.filter(title__startswith="Edge").exists()


def test_the_service_refuses_a_control_character_in_the_title_by_field(members, category) -> None:
    with pytest.raises(ValidationError) as caught:
        services.thread_create(user=members[1], category=category, title="Edge\x1bof stability", body="Text.")
    assert list(caught.value.message_dict) == ["title"]
    assert "U+001B" in caught.value.message_dict["title"][0]


def test_loading_a_category_whose_name_has_a_line_break_is_refused(db) -> None:
    with pytest.raises(ValidationError) as caught:
        services.category_sync(categories=[{"slug": "general", "name": "General\nroom"}])
    assert "general" in caught.value.message_dict["categories"][0]


def test_a_title_stored_with_a_line_break_still_reaches_followers_by_email(thread, bob) -> None:
    # The old failure: Django refuses a subject with a line break (header injection), so the
    # thread's emails were never sent. The stored row is written past the services.
    ForumProfile.objects.filter(user=bob).update(email_mode=ForumProfile.EmailMode.IMMEDIATE)
    services.follow(user=bob, thread=thread)
    Thread.objects.filter(pk=thread.pk).update(title="Edge of\r\nBcc: everyone@example.org\x01")
    thread.refresh_from_db()
    services.post_create(user=thread.author, thread=thread, body="A reply bob follows.")
    notification = Notification.objects.get(user=bob)

    assert notify.send_immediate(notification_ids=[notification.pk]) == 1

    [message] = mail.outbox
    assert message.subject == "[learningmechanics.pub] Edge of Bcc: everyone@example.org"
    assert message.to == [bob.email]
    assert message.message()["Bcc"] is None
