"""The data migrations mend what rows already hold: each one-line field becomes one clean line."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from apps.accounts.models import User
from apps.core.models import Page, Tag
from apps.forum.models import Category, Thread
from apps.perspectives.models import Article, Authorship
from apps.questions.models import ProgressEntry, Question
from apps.submissions.models import Submission
from tests.factories import CategoryFactory, QuestionFactory, ThreadFactory, make_article

pytestmark = pytest.mark.django_db

DIRTY = "Edge\x01 of\r\n\tstability\u202e "
CLEAN = "Edge of stability"

MIGRATIONS = [
    "apps.accounts.migrations.0005_single_line_names",
    "apps.core.migrations.0002_single_line_text",
    "apps.forum.migrations.0004_single_line_text",
    "apps.perspectives.migrations.0002_single_line_text",
    "apps.questions.migrations.0002_single_line_text",
    "apps.submissions.migrations.0004_single_line_text",
]


def test_every_cleaning_migration_leaves_one_clean_line(alice, bob) -> None:
    article = make_article("edge", authors=[(None, "Ada")])
    question = QuestionFactory()
    progress = ProgressEntry.objects.create(question=question, date="2024-01-01", who="Saxe", summary="Solved.")
    thread = ThreadFactory(category=CategoryFactory())
    submission = Submission.objects.create(owner=alice, title="t", slug="t", summary="s")
    page = Page.objects.create(slug="about", title="About")
    tag = Tag.objects.create(slug="eos", name="EoS")
    # As rows from before the validators may hold them, written past the services.
    User.objects.filter(pk=bob.pk).update(display_name=DIRTY, affiliation=DIRTY)
    Tag.objects.filter(pk=tag.pk).update(name=DIRTY)
    Page.objects.filter(pk=page.pk).update(title=DIRTY)
    Category.objects.filter(pk=thread.category_id).update(name=DIRTY)
    Thread.objects.filter(pk=thread.pk).update(title=DIRTY)
    Authorship.objects.filter(article=article).update(name=DIRTY)
    Article.objects.filter(pk=article.pk).update(title=DIRTY)
    Question.objects.filter(pk=question.pk).update(title=DIRTY)
    ProgressEntry.objects.filter(pk=progress.pk).update(who=DIRTY)
    Submission.objects.filter(pk=submission.pk).update(title=DIRTY, changelog=DIRTY, summary="One\x07.\n\nTwo\x1b.")

    for name in MIGRATIONS:
        importlib.import_module(name).mend(django_apps, None)

    bob.refresh_from_db()
    submission.refresh_from_db()
    assert (bob.display_name, bob.affiliation) == (CLEAN, CLEAN)
    assert Tag.objects.get(pk=tag.pk).name == CLEAN
    assert Page.objects.get(pk=page.pk).title == CLEAN
    assert Category.objects.get(pk=thread.category_id).name == CLEAN
    assert Thread.objects.get(pk=thread.pk).title == CLEAN
    assert Authorship.objects.get(article=article).name == CLEAN
    assert Article.objects.get(pk=article.pk).title == CLEAN
    assert Question.objects.get(pk=question.pk).title == CLEAN
    assert ProgressEntry.objects.get(pk=progress.pk).who == CLEAN
    assert (submission.title, submission.changelog) == (CLEAN, CLEAN)
    assert submission.summary == "One.\n\nTwo."
