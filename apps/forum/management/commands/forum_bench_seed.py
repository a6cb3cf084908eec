from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from apps.core import pagecache
from apps.core.requesters import SystemRequest
from apps.forum.indexing import thread_index
from apps.forum.models import Category, Post, Thread
from apps.forum.rendering import render_body

TITLE = "Benchmark thread with many posts"
BODIES = [
    "With a learning rate above $2/\\lambda_{max}$ the loss first spikes, then sharpness falls: a catapult.",
    "Progressive sharpening stops at the edge of stability; does the same hold with momentum?",
    "I reproduced the deep linear network mode-by-mode learning with a small initialisation. **Exactly** sigmoidal.",
    "Under muP the optimal learning rate transfers across width; under standard parametrisation it drifts.",
    "Quoting the earlier post:\n\n> the kernel regime is lazy\n\nOnly at large width and small learning rate.",
]


class Command(BaseCommand):
    help = "Create (or top up) one forum thread with many posts, for benchmarks; prints its path."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--posts", type=int, default=1000, help="posts the thread should have")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        wanted = max(1, options["posts"])
        user, created = get_user_model().objects.get_or_create(
            username="bench-forum", defaults={"display_name": "Benchmark member", "email": "bench@example.org"}
        )
        if created:
            user.set_unusable_password()
            user.save()
        category = Category.objects.order_by("position").first() or Category.objects.create(
            slug="general", name="General"
        )
        thread, _ = Thread.objects.get_or_create(title=TITLE, defaults={"category": category, "author": user})
        # Rendered once each and shared: these bodies have no heading or footnote, so the post id
        # that prefixes ids made inside a post never appears in their HTML.
        seeding = SystemRequest("seeding the forum benchmark")
        rendered = [(body, render_body(body, author=seeding, post_id=0)[0]) for body in BODIES]
        have = thread.posts.count()
        now = timezone.now()
        # Positions continue the thread's numbering (apps/forum/paging.py); the posts are indexed for search.
        Post.objects.bulk_create(
            [
                Post(
                    thread=thread,
                    author=user,
                    body=rendered[i % len(rendered)][0],
                    html=rendered[i % len(rendered)][1],
                    created=now,
                    position=i + 1,
                )
                for i in range(have, wanted)
            ],
            batch_size=500,
        )
        Thread.objects.filter(pk=thread.pk).update(post_count=thread.posts.count(), last_activity=now)
        thread.refresh_from_db()
        thread_index(thread)
        pagecache.invalidate(pagecache.thread(thread.pk), pagecache.FORUM, pagecache.category(category.slug))
        self.stdout.write(thread.get_absolute_url())
