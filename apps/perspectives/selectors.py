"""Reads for article pages that span several models."""

from __future__ import annotations

import dataclasses
import difflib

from django.db.models import Count, Max

from apps.perspectives.models import Article, Sequence, SequenceItem, Version
from apps.perspectives.pages import PageState, discussion_state

# What our figure template leaves in a version's cached HTML while a figure's runs are unfinished;
# the article page fills those no-script tables in as the runs finish (figure_tables).
PENDING_FIGURE_TABLES = 'data-lm-table-complete="false"'


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


def article_page_state(article: Article, version: Version) -> PageState | None:
    """The validators of the page showing this version to anonymous readers (four queries, no rendering).

    The article is one loaded for listing (tags and authors prefetched). None while a figure on the page
    still waits for runs: its no-script table changes as they finish, so the page is not cacheable yet.
    """
    if PENDING_FIGURE_TABLES in version.rendered_html:
        return None
    questions = article.questions.aggregate(count=Count("id"), changed=Max("updated_at"))
    # Editing a sequence replaces its items, so new item ids stand for any change to the navigation.
    navigation = SequenceItem.objects.filter(sequence__items__article=article).aggregate(
        count=Count("id"), newest=Max("id")
    )
    discussions, discussed_at = discussion_state(version)
    parts = (
        "article",
        article.pk,
        version.pk,
        article.latest_version_id,  # a new version changes the history list and the "old version" notice
        article.updated_at,
        tuple(sorted(tag.pk for tag in article.tags.all())),
        tuple((a.user_id, a.name) for a in article.authorships.all()),
        questions["count"],
        questions["changed"],
        navigation["count"],
        navigation["newest"],
        discussions,
    )
    times = (version.published_at, article.updated_at, questions["changed"], discussed_at)
    return PageState(parts=parts, last_modified=max(t for t in times if t is not None))
