from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.perspectives.models import Article, Version, VersionImmutable
from apps.perspectives.services import article_publish, version_rerender
from tests.factories import make_article


def test_publishing_freezes_the_body_into_version_one(db, alice):
    article = make_article("a", status="draft", body="## One\n\nFirst text.\n")
    version = article_publish(article=article, changelog="First version", by=alice)
    assert version.number == 1
    assert version.body == "## One\n\nFirst text.\n"
    assert version.published_by == alice
    assert "First text." in version.rendered_html
    assert version.toc and version.toc[0]["title"] == "One"
    article.refresh_from_db()
    assert article.status == "published"
    assert article.latest_version_id == version.pk


def test_a_second_publish_creates_version_two_and_leaves_version_one_untouched(db, alice):
    article = make_article("a", body="Old words.\n")
    v1 = Version.objects.get(article=article, number=1)
    article.body = "New words.\n"
    article.save()
    v2 = article_publish(article=article, changelog="Rewrote it", by=alice)
    assert v2.number == 2
    assert v2.changelog == "Rewrote it"
    fresh_v1 = Version.objects.get(pk=v1.pk)
    assert fresh_v1.body == "Old words.\n"
    assert "Old words." in fresh_v1.rendered_html
    assert Article.objects.get(pk=article.pk).latest_version_id == v2.pk


def test_saving_a_published_version_again_raises(db):
    version = make_article("a").latest_version
    version.body = "Rewritten history."
    with pytest.raises(VersionImmutable):
        version.save()
    assert Version.objects.get(pk=version.pk).body != "Rewritten history."


def test_a_queryset_update_of_version_content_raises(db):
    version = make_article("a").latest_version
    with pytest.raises(VersionImmutable):
        Version.objects.filter(pk=version.pk).update(body="Rewritten history.")
    assert Version.objects.get(pk=version.pk).body != "Rewritten history."


def test_rerendering_refreshes_only_the_cache(db):
    version = make_article("a").latest_version
    Version.objects.filter(pk=version.pk).refresh_cache(rendered_html="stale")
    version_rerender(version=version)
    fresh = Version.objects.get(pk=version.pk)
    assert fresh.rendered_html != "stale"
    assert fresh.body == version.body


def test_publishing_needs_a_changelog_line(db):
    article = make_article("a", status="draft")
    with pytest.raises(ValidationError) as excinfo:
        article_publish(article=article, changelog="  ", by=None)
    assert "changelog" in excinfo.value.message_dict
    assert not Version.objects.exists()


def test_an_empty_article_cannot_be_published(db):
    article = make_article("a", status="draft", body="")
    with pytest.raises(ValidationError) as excinfo:
        article_publish(article=article, changelog="First", by=None)
    assert "body" in excinfo.value.message_dict
