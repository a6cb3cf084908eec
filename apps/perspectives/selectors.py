"""Reads for article pages that span several models."""

from __future__ import annotations

import dataclasses
import difflib

from apps.perspectives.models import Article, Sequence, SequenceItem


@dataclasses.dataclass(frozen=True)
class SequenceNav:
    sequence: Sequence
    position: int
    total: int
    previous: Article | None
    next: Article | None


def sequence_navigation(article: Article) -> list[SequenceNav]:
    """Previous/next published neighbours of the article in every sequence it belongs to (two queries)."""
    sequence_ids = list(SequenceItem.objects.filter(article=article).values_list("sequence_id", flat=True))
    if not sequence_ids:
        return []
    items = (
        SequenceItem.objects.filter(sequence_id__in=sequence_ids)
        .select_related("sequence", "article")
        .order_by("sequence__position", "sequence_id", "position")
    )
    by_sequence: dict[int, list[SequenceItem]] = {}
    for item in items:
        if item.article_id == article.pk or item.article.status == "published":
            by_sequence.setdefault(item.sequence_id, []).append(item)
    navs = []
    for group in by_sequence.values():
        index = next(i for i, it in enumerate(group) if it.article_id == article.pk)
        navs.append(
            SequenceNav(
                sequence=group[index].sequence,
                position=index + 1,
                total=len(group),
                previous=group[index - 1].article if index > 0 else None,
                next=group[index + 1].article if index + 1 < len(group) else None,
            )
        )
    return navs


@dataclasses.dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk", "ctx" or "file"
    text: str


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> list[DiffLine]:
    """Line diff of two Markdown sources; the template escapes the text."""
    lines = []
    for raw in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3
    ):
        if raw.startswith(("---", "+++")):
            kind = "file"
        elif raw.startswith("@@"):
            kind = "hunk"
        elif raw.startswith("+"):
            kind = "add"
        elif raw.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append(DiffLine(kind=kind, text=raw))
    return lines


def side_by_side_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """An HTML table comparing the sources; difflib escapes &, < and > in every line."""
    return difflib.HtmlDiff(tabsize=4, wrapcolumn=72).make_table(
        old.splitlines(), new.splitlines(), fromdesc=old_label, todesc=new_label, context=True, numlines=3
    )


def article_slugs() -> set[str]:
    """The slug of every article, drafts included."""
    return set(Article.objects.values_list("slug", flat=True))


def sequence_slugs() -> set[str]:
    """The slug of every reading sequence."""
    return set(Sequence.objects.values_list("slug", flat=True))
