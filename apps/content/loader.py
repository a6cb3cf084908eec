"""Write what site/ says into every app, through each app's own services, in one transaction.

Two phases: every file is read and validated first (apps.content.reader), and
only when all of them are valid is anything written. Each kind of content is
synced by the app that owns it; this module only calls those services in order
and counts what they did. A second load of the same files writes nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.content.errors import SiteContentError, SiteProblem
from apps.content.reader import ArticleFile, QuestionFile, read_site
from apps.core.services import page_upsert, tag_upsert
from apps.forum.services import category_sync
from apps.perspectives.models import Status
from apps.perspectives.services import BylineEntry, article_sync, sequence_sync
from apps.questions.models import QuestionStatus
from apps.questions.services import question_sync


@dataclasses.dataclass
class LoadReport:
    files: int
    counts: dict[str, dict[str, int]]
    warnings: list[str]

    @property
    def changed(self) -> bool:
        return any(c.get("created", 0) or c.get("updated", 0) or c.get("changed", 0) for c in self.counts.values())

    def summary(self) -> str:
        if not self.changed:
            return f"site content is up to date ({self.files} files, no changes)"
        parts = []
        for kind, c in self.counts.items():
            parts.append(f"{kind}: " + ", ".join(f"{n} {outcome}" for outcome, n in c.items()))
        return f"loaded {self.files} files; " + "; ".join(parts)


def _load_article(f: ArticleFile, warnings: list[str]) -> str:
    m = f.meta
    try:
        synced = article_sync(
            slug=f.slug,
            title=m.title,
            summary=m.summary,
            kind=m.kind,
            status=Status(m.status),
            body=f.body,
            bibliography=f.bibliography,
            tags=m.tags,
            authors=[BylineEntry(username=a.username or "", name=a.name or "") for a in m.authors],
            changelog=m.changelog,
            published=m.published,
        )
    except ValidationError as exc:  # e.g. a figure directive that does not validate
        raise SiteContentError([SiteProblem(f.rel, 1, "body", message) for message in exc.messages]) from None
    for i in synced.unknown_usernames:
        username = m.authors[i].username
        warnings.append(f"{f.rel}:{f.doc.line(('authors', i))}: authors.{i}: no user '{username}'; stored as a name")
    # Rendering problems are the author's to fix; they do not stop a load.
    warnings.extend(f"{f.rel}: {e}" for e in synced.render_errors)
    return synced.outcome


def _load_question(f: QuestionFile) -> str:
    m = f.meta
    return question_sync(
        number=m.number,
        slug=f.slug,
        title=m.title,
        statement=m.statement,
        status=QuestionStatus(m.status),
        discussion=f.body,
        tags=m.tags,
        articles=m.articles,
        sequences=m.sequences,
        progress=[p.model_dump() for p in m.progress],
    )


def site_load(*, root: Path) -> LoadReport:
    """Validate every file under root, then make tags, pages, articles, sequences, questions and categories match.

    Raises SiteContentError (and writes nothing) if any file is invalid or a
    write is refused.
    """
    content = read_site(root)
    warnings = list(content.warnings)
    counts: dict[str, dict[str, int]] = {}

    def count(kind: str, outcome: str) -> None:
        counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})[outcome] += 1

    with transaction.atomic():
        for t in content.tags:
            count("tags", tag_upsert(slug=t.slug, name=t.name))
        for p in content.pages:
            count("pages", page_upsert(slug=p.slug, title=p.meta.title, body=p.body)[1])
        for a in content.articles:
            count("perspectives", _load_article(a, warnings))
        for i, s in enumerate(content.sequences):
            outcome = sequence_sync(
                slug=s.slug, title=s.title, description=s.description, position=i, article_slugs=s.articles
            )
            count("sequences", outcome)
        for q in content.questions:
            count("questions", _load_question(q))
        if content.categories is not None:
            try:
                changed = category_sync(categories=[c.model_dump() for c in content.categories])
            except ValidationError as exc:
                # Raising inside the transaction undoes everything loaded so far.
                raise SiteContentError([SiteProblem(content.categories_rel, 1, "", m) for m in exc.messages]) from None
            total = len(content.categories)
            counts["forum categories"] = {"changed": changed, "unchanged": total - min(changed, total)}
    return LoadReport(files=content.files, counts=counts, warnings=warnings)
