"""A submission is one of the kinds of article the site publishes, as perspectives.models.Kind defines them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.perspectives.models import Kind
from apps.submissions import services

FIELDS = {"title": "On plateaus", "summary": "Why loss curves pause.", "body": "Text."}


@pytest.mark.parametrize("kind", Kind.values)
def test_a_draft_may_be_any_kind_of_article(alice: Any, kind: str) -> None:
    assert services.submission_create(author=alice, fields={**FIELDS, "kind": kind}).kind == kind


def test_a_kind_articles_do_not_have_is_refused_naming_those_they_do(alice: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.submission_create(author=alice, fields={**FIELDS, "kind": "essay"})
    assert excinfo.value.message_dict["kind"] == ["Choose perspective, tutorial or guide."]


def test_the_writing_form_offers_exactly_the_kinds_of_article_with_perspective_chosen(client: Any, alice: Any) -> None:
    client.force_login(alice)
    html = client.get(reverse("submissions:create")).content.decode()
    select = re.search(r'<select id="id_kind" name="kind">(.*?)</select>', html, re.S)
    assert select is not None
    options = re.findall(r'<option value="([a-z]+)"( selected)?>([^<]+)</option>', select.group(1))
    assert [(value, label) for value, _, label in options] == Kind.choices
    assert [value for value, selected, _ in options if selected] == [Kind.PERSPECTIVE]
