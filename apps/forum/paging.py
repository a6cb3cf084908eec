"""A thread's pages, read by post position: the page a reader asks for is one index range lookup.

Django's Paginator counts every post and skips the earlier ones with OFFSET on
each page: fine for 30 posts, a scan for 1,000. Posts carry their position in
the thread (1, 2, 3 ... in time order, unique per thread, set by the
services), so page n is the posts with positions ((n - 1) * size, n * size],
and the number of pages comes from the largest position, both through the
(thread, position) index.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

from django.db.models import Max

from apps.forum.models import Post, PostQuerySet, Thread


@dataclasses.dataclass(frozen=True)
class PostPaginator:
    """What the pagination template asks of a paginator."""

    num_pages: int
    per_page: int


@dataclasses.dataclass(frozen=True)
class PostPage:
    """One page of a thread, with the attributes of Django's Page that the templates use."""

    object_list: list[Post]
    number: int
    paginator: PostPaginator

    def __iter__(self) -> Iterator[Post]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.number < self.paginator.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.paginator.num_pages > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0


def page_number_of(post: Post, per_page: int) -> int:
    """The page of its thread that shows the post."""
    return (post.position - 1) // per_page + 1


def thread_page(thread: Thread, posts: PostQuerySet, raw_number: object, per_page: int) -> PostPage:
    """The page a reader asked for (a bad number gives the first, one past the end the last).

    ``posts`` is the thread's posts (``thread.posts``, so each knows its thread) as the page wants them
    loaded (select_related and so on).
    """
    last = Post.objects.filter(thread=thread).aggregate(n=Max("position"))["n"] or 0
    num_pages = max(1, math.ceil(last / per_page))
    try:
        number = int(str(raw_number))
    except ValueError:
        number = 1
    number = min(max(number, 1), num_pages)
    first = (number - 1) * per_page + 1
    rows = list(posts.filter(position__gte=first, position__lt=first + per_page).order_by("position"))
    return PostPage(object_list=rows, number=number, paginator=PostPaginator(num_pages=num_pages, per_page=per_page))
