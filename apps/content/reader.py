"""Read and validate every file of site/ before anything is written.

Each file is parsed against its schema; then references between files are
checked (numbers and slugs unique, named articles and sequences exist). Every
problem in every file is collected, so an author sees them all at once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from apps.content.errors import SiteContentError, SiteProblem
from apps.content.schemas import (
    SLUG_RE,
    ArticleMeta,
    CategoryIn,
    PageMeta,
    QuestionMeta,
    SequenceIn,
    TagIn,
)
from apps.content.yamldoc import YamlDoc, parse_yaml, split_front_matter, validate, validate_items
from apps.perspectives.selectors import article_slugs, sequence_slugs

QUESTION_FILE_RE = re.compile(r"^(\d+)-([a-z0-9][a-z0-9_-]*)\.md$")


@dataclasses.dataclass
class PageFile:
    rel: str
    slug: str
    meta: PageMeta
    body: str


@dataclasses.dataclass
class ArticleFile:
    rel: str
    slug: str
    meta: ArticleMeta
    body: str
    bibliography: str
    doc: YamlDoc


@dataclasses.dataclass
class QuestionFile:
    rel: str
    slug: str
    meta: QuestionMeta
    body: str
    doc: YamlDoc


@dataclasses.dataclass
class SiteContent:
    """Everything in site/, parsed and validated, with the warnings an author should read."""

    pages: list[PageFile] = dataclasses.field(default_factory=list)
    articles: list[ArticleFile] = dataclasses.field(default_factory=list)
    questions: list[QuestionFile] = dataclasses.field(default_factory=list)
    sequences: list[SequenceIn] = dataclasses.field(default_factory=list)
    categories: list[CategoryIn] | None = None
    tags: list[TagIn] = dataclasses.field(default_factory=list)
    files: int = 0
    categories_rel: str = "forum/categories.yaml"
    sequence_slugs: set[str] = dataclasses.field(default_factory=set)
    article_stems: set[str] = dataclasses.field(default_factory=set)
    warnings: list[str] = dataclasses.field(default_factory=list)


def _warn_unknown(content: SiteContent, model: type[BaseModel], doc: YamlDoc, data: dict[str, Any], rel: str) -> None:
    for key in data:
        if key not in model.model_fields:
            content.warnings.append(f"{rel}:{doc.line((key,))}: {key}: unknown key, ignored")


def _check_slug_name(stem: str, rel: str) -> None:
    if not SLUG_RE.match(stem):
        raise SiteContentError([SiteProblem(rel, 1, "", f"file name '{stem}' is not a slug")])


def read_site(root: Path) -> SiteContent:
    """Parse and validate every content file under root; raise SiteContentError listing every problem."""
    content = SiteContent()
    problems: list[SiteProblem] = []

    def rel(path: Path) -> str:
        try:
            return str(Path(root.name) / path.relative_to(root))
        except ValueError:
            return str(path)

    def guarded(fn: Callable[[], None]) -> None:
        try:
            fn()
        except SiteContentError as exc:
            problems.extend(exc.problems)

    if not root.is_dir():
        raise SiteContentError([SiteProblem(str(root), 0, "", "the site content directory does not exist")])

    for path in sorted((root / "pages").glob("*.md")):

        def load_page(path: Path = path) -> None:
            r = rel(path)
            content.files += 1
            doc, body = split_front_matter(path.read_text(encoding="utf-8"), r)
            _check_slug_name(path.stem, r)
            meta = validate(PageMeta, doc, doc.data, r)
            _warn_unknown(content, PageMeta, doc, doc.data, r)
            content.pages.append(PageFile(r, path.stem, meta, body))

        guarded(load_page)

    content.article_stems = {p.stem for p in (root / "perspectives").glob("*.md")}
    for path in sorted((root / "perspectives").glob("*.md")):

        def load_article(path: Path = path) -> None:
            r = rel(path)
            content.files += 1
            doc, body = split_front_matter(path.read_text(encoding="utf-8"), r)
            _check_slug_name(path.stem, r)
            meta = validate(ArticleMeta, doc, doc.data, r)
            _warn_unknown(content, ArticleMeta, doc, doc.data, r)
            bib_name = meta.bibliography or f"{path.stem}.bib"
            bib_path = path.parent / bib_name
            bibliography = ""
            if bib_path.is_file():
                content.files += 1
                bibliography = bib_path.read_text(encoding="utf-8")
            elif meta.bibliography:
                raise SiteContentError(
                    [SiteProblem(r, doc.line(("bibliography",)), "bibliography", f"no file {bib_name} next to it")]
                )
            content.articles.append(ArticleFile(r, path.stem, meta, body, bibliography, doc))

        guarded(load_article)

    for path in sorted((root / "questions").glob("*.md")):

        def load_question(path: Path = path) -> None:
            r = rel(path)
            content.files += 1
            match = QUESTION_FILE_RE.match(path.name)
            if not match:
                raise SiteContentError([SiteProblem(r, 1, "", "question files are named <number>-<slug>.md")])
            doc, body = split_front_matter(path.read_text(encoding="utf-8"), r)
            meta = validate(QuestionMeta, doc, doc.data, r)
            _warn_unknown(content, QuestionMeta, doc, doc.data, r)
            if meta.number != int(match.group(1)):
                raise SiteContentError(
                    [SiteProblem(r, doc.line(("number",)), "number", f"{meta.number} does not match the file name")]
                )
            content.questions.append(QuestionFile(r, match.group(2), meta, body, doc))

        guarded(load_question)

    sequences_path = root / "sequences.yaml"
    sequence_doc: YamlDoc | None = None
    if sequences_path.is_file():

        def load_sequences() -> None:
            nonlocal sequence_doc
            r = rel(sequences_path)
            content.files += 1
            doc = parse_yaml(sequences_path.read_text(encoding="utf-8"), r, first_line=1)
            sequence_doc = doc
            data = doc.data or []
            if not isinstance(data, list):
                raise SiteContentError([SiteProblem(r, 1, "", "must be a list of sequences")])
            content.sequence_slugs = {str(item.get("slug")) for item in data if isinstance(item, dict)}
            content.sequences = validate_items(SequenceIn, doc, data, r)

        guarded(load_sequences)

    tags_path = root / "tags.yaml"
    if tags_path.is_file():

        def load_tags() -> None:
            r = rel(tags_path)
            content.files += 1
            doc = parse_yaml(tags_path.read_text(encoding="utf-8"), r, first_line=1)
            data = doc.data or []
            if not isinstance(data, list):
                raise SiteContentError([SiteProblem(r, 1, "", "must be a list of {slug, name}")])
            content.tags = validate_items(TagIn, doc, data, r)

        guarded(load_tags)

    categories_path = root / "forum" / "categories.yaml"
    if categories_path.is_file():

        def load_categories() -> None:
            r = rel(categories_path)
            content.categories_rel = r
            content.files += 1
            doc = parse_yaml(categories_path.read_text(encoding="utf-8"), r, first_line=1)
            data = doc.data or []
            if not isinstance(data, list):
                raise SiteContentError([SiteProblem(r, 1, "", "must be a list of categories")])
            content.categories = validate_items(CategoryIn, doc, data, r)

        guarded(load_categories)

    problems.extend(_cross_check(content, rel(sequences_path), sequence_doc))
    if problems:
        raise SiteContentError(problems)
    return content


def _cross_check(content: SiteContent, sequences_rel: str, sequence_doc: YamlDoc | None) -> list[SiteProblem]:
    """References between files: slugs and numbers unique, named articles and sequences exist."""
    problems: list[SiteProblem] = []
    # Files that failed to parse still count as existing, so one broken article
    # does not also show up as a dangling reference everywhere it is named.
    known_articles = content.article_stems | article_slugs()
    known_sequences = content.sequence_slugs | sequence_slugs()

    seen_numbers: dict[int, str] = {}
    for q in content.questions:
        if q.meta.number in seen_numbers:
            problems.append(
                SiteProblem(q.rel, q.doc.line(("number",)), "number", f"also used by {seen_numbers[q.meta.number]}")
            )
        seen_numbers.setdefault(q.meta.number, q.rel)
        for field, known in (("articles", known_articles), ("sequences", known_sequences)):
            for i, slug in enumerate(getattr(q.meta, field)):
                if slug not in known:
                    problems.append(
                        SiteProblem(q.rel, q.doc.line((field, i)), f"{field}.{i}", f"no {field[:-1]} '{slug}'")
                    )

    seen: set[str] = set()
    for i, s in enumerate(content.sequences):
        line = sequence_doc.line((i, "slug")) if sequence_doc else 1
        if s.slug in seen:
            problems.append(SiteProblem(sequences_rel, line, f"{i}.slug", f"sequence '{s.slug}' is listed twice"))
        seen.add(s.slug)
        for j, slug in enumerate(s.articles):
            if slug not in known_articles:
                line = sequence_doc.line((i, "articles", j)) if sequence_doc else 1
                problems.append(SiteProblem(sequences_rel, line, f"{i}.articles.{j}", f"no article '{slug}'"))
        if len(set(s.articles)) != len(s.articles):
            line = sequence_doc.line((i, "articles")) if sequence_doc else 1
            problems.append(SiteProblem(sequences_rel, line, f"{i}.articles", "an article is listed twice"))
    return problems
