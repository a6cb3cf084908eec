"""A submission's title, changelog and new tag names are one line without control characters; its summary
keeps line breaks but no other control character; and a title stored before that rule still lets the
workflow's emails go out."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core.models import Tag
from apps.submissions import services
from apps.submissions.models import Submission

pytestmark = pytest.mark.django_db

FIELDS = {"title": "On plateaus", "summary": "Why loss curves pause.", "body": "Text."}


def test_the_draft_form_refuses_a_control_character_in_the_title_under_the_title(client, alice) -> None:
    client.force_login(alice)
    response = client.post(reverse("submissions:create"), {**FIELDS, "title": "On\x01plateaus", "kind": "tutorial"})
    assert response.status_code == 400
    assert "U+0001" in response.context["errors"]["title"][0]
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [("title", "On\r\nplateaus"), ("changelog", "Fixed\nBcc: x"), ("summary", "Why loss\x07 pauses.")],
)
def test_the_service_refuses_the_field_by_name(alice, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.submission_create(author=alice, fields={**FIELDS, field: value})
    assert list(caught.value.message_dict) == [field]


def test_a_summary_may_run_over_several_lines(alice) -> None:
    draft = services.submission_create(author=alice, fields={**FIELDS, "summary": "One.\n\nTwo."})
    assert draft.summary == "One.\n\nTwo."


def test_a_new_tag_named_with_a_control_character_is_refused(alice) -> None:
    with pytest.raises(ValidationError) as caught:
        services.submission_create(author=alice, fields=FIELDS, tags=["Scaling\x1blaws"])
    assert list(caught.value.message_dict) == ["tags"]
    assert not Tag.objects.exists()


def test_a_title_stored_with_a_line_break_still_lets_the_emails_go(
    draft: Any, alice: Any, ed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Written past the services, as a row from before the rule may be; Django would refuse
    # the subject "…\r\nBcc: …" and, silently, every message of the move.
    Submission.objects.filter(pk=draft.pk).update(title="Saddles\r\nBcc: everyone@example.org")
    draft.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_submit(submission=draft, user=alice)
    assert [m.to for m in mail.outbox] == [[ed.email]]
    subject = mail.outbox[0].subject
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[learningmechanics.pub] “Saddles Bcc: everyone@example.org”")
    assert mail.outbox[0].message()["Bcc"] is None
