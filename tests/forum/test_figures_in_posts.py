"""A figure directive in a forum post shows existing runs but never requests new ones."""

from __future__ import annotations

import pytest

from apps.experiments.models import Run
from apps.forum import services

DIRECTIVE = """Look at this:

```figure
experiment: deep_linear
preset: smoke
grid: {init_scale: [0.001, 0.01]}
caption: Mode strengths.
```
"""


@pytest.mark.django_db
def test_a_post_with_a_figure_requests_no_run(bob, category):
    thread = services.thread_create(user=bob, category=category, title="A figure", body=DIRECTIVE)
    post = thread.posts.first()
    assert Run.objects.count() == 0
    assert "lm-figure" in post.html
    assert "Mode strengths." in post.html


@pytest.mark.django_db
def test_headings_in_posts_cannot_take_the_pages_ids(bob, category):
    thread = services.thread_create(user=bob, category=category, title="Ids", body="## Reply form\n\ntext")
    assert 'id="reply-form"' not in thread.posts.first().html
