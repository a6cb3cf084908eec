"""Forum posts in the site search index: only those every reader may see, under their thread's title."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.urls import reverse

from apps.forum.models import Post, Thread
from apps.search.index import Document, index_sync
from apps.search.models import Kind


def _key(post: Post) -> str:
    return f"post:{post.pk}"


def _searchable(post: Post) -> bool:
    thread = post.thread
    return not (post.is_deleted or post.is_hidden or thread.is_hidden or thread.merged_into_id)


def _document(post: Post) -> Document:
    return Document(
        key=_key(post),
        kind=Kind.POST,
        title=post.thread.title,
        html=post.html,
        url=reverse("forum:post", kwargs={"pk": post.pk}),
        when=post.created,
    )


def posts_index(posts: Iterable[Post]) -> None:
    """Bring these posts' search entries in line with what readers may see of them now (thread loaded)."""
    posts = list(posts)
    index_sync(
        (_document(p) for p in posts if _searchable(p)),
        removed=[_key(p) for p in posts if not _searchable(p)],
    )


def thread_index(thread: Thread) -> None:
    """Re-index every post of a thread (after it was hidden, restored or merged)."""
    posts_index(Post.objects.filter(thread_id=thread.pk).select_related("thread").iterator(chunk_size=500))


def all_documents() -> Iterator[Document]:
    """Every post readers may see, for index_rebuild."""
    visible = Post.objects.filter(
        is_deleted=False, is_hidden=False, thread__is_hidden=False, thread__merged_into__isnull=True
    )
    for post in visible.select_related("thread").iterator(chunk_size=500):
        yield _document(post)
