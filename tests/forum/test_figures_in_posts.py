"""A figure block in a forum post requests its runs on behalf of the member who wrote it, within their quota."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.experiments.models import Run
from apps.forum import services
from apps.forum.models import Post, Thread

pytestmark = pytest.mark.django_db

DIRECTIVE = """Look at this:

```figure
experiment: deep_linear
preset: smoke
grid: {init_scale: [0.001, 0.01]}
caption: Mode strengths.
```
"""


def test_a_figure_in_a_post_is_charged_to_its_author(bob, category):
    thread = services.thread_create(user=bob, category=category, title="A figure", body=DIRECTIVE)
    post = thread.posts.get()
    runs = list(Run.objects.order_by("pk"))
    assert [r.config["init_scale"] for r in runs] == [0.001, 0.01]
    assert {r.requested_by for r in runs} == {bob}
    assert "lm-figure" in post.html and "Mode strengths." in post.html
    assert all(f"/experiments/runs/{r.pk}/figure.json" in post.html for r in runs)


def test_a_post_whose_figure_exceeds_the_quota_is_refused_and_nothing_is_saved(bob, category, settings):
    settings.RUNS_MAX_PER_DAY_PER_USER = 1  # the grid needs two runs
    with pytest.raises(ValidationError) as info:
        services.thread_create(user=bob, category=category, title="A figure", body=DIRECTIVE)
    assert "2 new runs" in " ".join(info.value.message_dict["body"])
    assert not Thread.objects.filter(title="A figure").exists()
    assert not Run.objects.exists()


def test_a_figure_added_by_an_edit_is_charged_to_the_editor(bob, mod, category):
    thread = services.thread_create(user=bob, category=category, title="Plain", body="No figure yet.")
    post = thread.posts.get()
    services.post_edit(user=mod, post=post, body=DIRECTIVE)
    assert {r.requested_by for r in Run.objects.all()} == {mod}
    assert "lm-figure" in Post.objects.get(pk=post.pk).html


def test_a_figure_already_computed_costs_nothing(bob, mallory, category, settings):
    services.thread_create(user=bob, category=category, title="First", body=DIRECTIVE)
    settings.RUNS_MAX_PER_DAY_PER_USER = 1  # mallory could not pay for two new runs
    thread = services.thread_create(user=mallory, category=category, title="Same figure", body=DIRECTIVE)
    assert Run.objects.count() == 2 and not Run.objects.filter(requested_by=mallory).exists()
    assert "lm-figure" in thread.posts.get().html


def test_headings_in_posts_cannot_take_the_pages_ids(bob, category):
    thread = services.thread_create(user=bob, category=category, title="Ids", body="## Reply form\n\ntext")
    assert 'id="reply-form"' not in thread.posts.first().html
