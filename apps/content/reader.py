"""Load the site's content from Markdown and YAML files under SITE_CONTENT_DIR.

Two phases: every file is parsed and validated first, and only when all of
them are valid is anything written, in one transaction. A second load of the
same files writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
QUESTION_FILE_RE = re.compile(r"^(\d+)-([a-z0-9][a-z0-9_-]*)\.md$")

# --- Errors -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SiteProblem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class SiteContentError(Exception):
    """One or more content files are invalid; nothing was loaded."""

    def __init__(self, problems: list[SiteProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- Schemas of the front matter -----------------------------------------------

NonEmpty = Field(min_length=1)


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"'{value}' is not a slug (lower-case letters, digits and hyphens)")
    return value


class _Strict(BaseModel):
    # Unknown keys are reported as warnings by the loader, not rejected here.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class AuthorIn(_Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = None
    username: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AuthorIn:
        if bool(self.name) == bool(self.username):
            raise ValueError("give exactly one of 'name' or 'username'")
        return self


class PageMeta(_Strict):
    title: str = NonEmpty


class ArticleMeta(_Strict):
    title: str = Field(min_length=1, max_length=200)
    summary: str = NonEmpty
    kind: Literal["perspective", "tutorial", "guide"]
    status: Literal["published", "draft"] = "published"
    authors: list[AuthorIn] = Field(min_length=1)
    tags: list[str] = []
    changelog: str | None = Field(default=None, max_length=300)
    published: datetime.date | None = None
    bibliography: str | None = None

    @field_validator("tags")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return [_check_slug(v) for v in value]


class ProgressIn(_Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    date: datetime.date
    who: str = NonEmpty
    summary: str = NonEmpty
    link: str | None = None

    @field_validator("link")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except DjangoValidationError:
                raise ValueError(f"'{value}' is not an http(s) URL") from None
        return value


class QuestionMeta(_Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    statement: str = NonEmpty
    status: Literal["open", "partial", "resolved"] = "open"
    tags: list[str] = []
    articles: list[str] = []
    sequences: list[str] = []
    progress: list[ProgressIn] = []

    @field_validator("tags", "articles", "sequences")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return [_check_slug(v) for v in value]


class SequenceIn(_Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slug: str
    title: str = NonEmpty
    description: str = ""
    articles: list[str] = []

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)


class TagIn(_Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slug: str
    name: str = Field(min_length=1, max_length=80)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)


class CategoryIn(_Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    slug: str
    name: str = NonEmpty
    description: str = ""

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)


# --- YAML with line numbers ----------------------------------------------------

Path_ = tuple[Any, ...]


def _line_map(node: yaml.Node | None, first_line: int) -> dict[Path_, int]:
    """Map each key path in a YAML document to its 1-based line in the file."""
    lines: dict[Path_, int] = {}

    def walk(n: yaml.Node, path: Path_) -> None:
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                sub = (*path, key.value)
                lines[sub] = key.start_mark.line + first_line
                walk(value, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[(*path, i)] = item.start_mark.line + first_line
                walk(item, (*path, i))

    if node is not None:
        lines[()] = node.start_mark.line + first_line
        walk(node, ())
    return lines


@dataclasses.dataclass
class YamlDoc:
    data: Any
    lines: dict[Path_, int]
    default_line: int

    def line(self, path: Path_) -> int:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return self.default_line


def _parse_yaml(text: str, rel: str, first_line: int) -> YamlDoc:
    """first_line: the file line on which `text` starts (1-based)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct began (an unclosed
        # bracket or quote), which is where the author has to look.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark is not None else first_line
        problem = getattr(exc, "problem", None) or str(exc)
        if getattr(exc, "context", None):
            problem = f"{problem} ({exc.context})"  # type: ignore[attr-defined]
        raise SiteContentError([SiteProblem(rel, line, "", f"YAML error: {problem}")]) from None
    return YamlDoc(data=data, lines=_line_map(node, first_line), default_line=first_line)


def _split_front_matter(text: str, rel: str) -> tuple[YamlDoc, str]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SiteContentError([SiteProblem(rel, 1, "", "the file must start with '---' front matter")])
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            doc = _parse_yaml("".join(lines[1:i]), rel, first_line=2)
            if not isinstance(doc.data, dict):
                raise SiteContentError([SiteProblem(rel, 1, "", "the front matter must be a mapping of key: value")])
            doc.default_line = 1
            return doc, "".join(lines[i + 1 :]).strip("\n") + "\n"
    raise SiteContentError([SiteProblem(rel, 1, "", "the front matter is never closed with '---'")])


def _validate(model: type[BaseModel], doc: YamlDoc, data: Any, rel: str, base: Path_ = ()) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = (*base, *err["loc"])
            field = ".".join(str(p) for p in loc) or "(document)"
            message = err["msg"]
            if err["type"] == "missing":
                message = "is required"
            problems.append(SiteProblem(rel, doc.line(loc), field, message))
        raise SiteContentError(problems) from None


def _validate_items(model: type[BaseModel], doc: YamlDoc, data: list[Any], rel: str) -> list[Any]:
    items, problems = [], []
    for i, item in enumerate(data):
        try:
            items.append(_validate(model, doc, item, rel, (i,)))
        except SiteContentError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SiteContentError(problems)
    return items


# --- Parsed content --------------------------------------------------------------


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
            doc, body = _split_front_matter(path.read_text(encoding="utf-8"), r)
            _check_slug_name(path.stem, r)
            meta = _validate(PageMeta, doc, doc.data, r)
            _warn_unknown(content, PageMeta, doc, doc.data, r)
            content.pages.append(PageFile(r, path.stem, meta, body))

        guarded(load_page)

    content.article_stems = {p.stem for p in (root / "perspectives").glob("*.md")}
    for path in sorted((root / "perspectives").glob("*.md")):

        def load_article(path: Path = path) -> None:
            r = rel(path)
            content.files += 1
            doc, body = _split_front_matter(path.read_text(encoding="utf-8"), r)
            _check_slug_name(path.stem, r)
            meta = _validate(ArticleMeta, doc, doc.data, r)
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
            doc, body = _split_front_matter(path.read_text(encoding="utf-8"), r)
            meta = _validate(QuestionMeta, doc, doc.data, r)
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
            doc = _parse_yaml(sequences_path.read_text(encoding="utf-8"), r, first_line=1)
            sequence_doc = doc
            data = doc.data or []
            if not isinstance(data, list):
                raise SiteContentError([SiteProblem(r, 1, "", "must be a list of sequences")])
            content.sequence_slugs = {str(item.get("slug")) for item in data if isinstance(item, dict)}
            content.sequences = _validate_items(SequenceIn, doc, data, r)

        guarded(load_sequences)

    tags_path = root / "tags.yaml"
    if tags_path.is_file():

        def load_tags() -> None:
            r = rel(tags_path)
            content.files += 1
            doc = _parse_yaml(tags_path.read_text(encoding="utf-8"), r, first_line=1)
            data = doc.data or []
            if not isinstance(data, list):
                raise SiteContentError([SiteProblem(r, 1, "", "must be a list of {slug, name}")])
            content.tags = _validate_items(TagIn, doc, data, r)

        guarded(load_tags)

    categories_path = root / "forum" / "categories.yaml"
    if categories_path.is_file():

        def load_categories() -> None:
            r = rel(categories_path)
            content.categories_rel = r
            content.files += 1
            doc = _parse_yaml(categories_path.read_text(encoding="utf-8"), r, first_line=1)
            data = doc.data or []
            if not isinstance(data, list):
                raise SiteContentError([SiteProblem(r, 1, "", "must be a list of categories")])
            content.categories = _validate_items(CategoryIn, doc, data, r)

        guarded(load_categories)

    problems.extend(_cross_check(content, rel(sequences_path), sequence_doc))
    if problems:
        raise SiteContentError(problems)
    return content


def _check_slug_name(stem: str, rel: str) -> None:
    if not SLUG_RE.match(stem):
        raise SiteContentError([SiteProblem(rel, 1, "", f"file name '{stem}' is not a slug")])


def _cross_check(content: SiteContent, sequences_rel: str, sequence_doc: YamlDoc | None) -> list[SiteProblem]:
    """References between files: slugs and numbers unique, named articles and sequences exist."""
    from apps.perspectives.models import Article, Sequence

    problems: list[SiteProblem] = []
    # Files that failed to parse still count as existing, so one broken article
    # does not also show up as a dangling reference everywhere it is named.
    article_slugs = content.article_stems | set(Article.objects.values_list("slug", flat=True))
    sequence_slugs = content.sequence_slugs | set(Sequence.objects.values_list("slug", flat=True))

    seen_numbers: dict[int, str] = {}
    for q in content.questions:
        if q.meta.number in seen_numbers:
            problems.append(
                SiteProblem(q.rel, q.doc.line(("number",)), "number", f"also used by {seen_numbers[q.meta.number]}")
            )
        seen_numbers.setdefault(q.meta.number, q.rel)
        for field, known in (("articles", article_slugs), ("sequences", sequence_slugs)):
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
            if slug not in article_slugs:
                line = sequence_doc.line((i, "articles", j)) if sequence_doc else 1
                problems.append(SiteProblem(sequences_rel, line, f"{i}.articles.{j}", f"no article '{slug}'"))
        if len(set(s.articles)) != len(s.articles):
            line = sequence_doc.line((i, "articles")) if sequence_doc else 1
            problems.append(SiteProblem(sequences_rel, line, f"{i}.articles", "an article is listed twice"))
    return problems


# --- Writing ----------------------------------------------------------------------

Outcome = Literal["created", "updated", "unchanged"]


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


def _as_datetime(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def _sync_article(f: ArticleFile, warnings: list[str]) -> Outcome:
    from apps.accounts.models import User
    from apps.core.services import tags_ensure
    from apps.perspectives import services
    from apps.perspectives.models import Article

    authors: list[tuple[Any | None, str]] = []
    for i, a in enumerate(f.meta.authors):
        if a.username:
            user = User.objects.filter(username=a.username).first()
            if user is None:
                warnings.append(
                    f"{f.rel}:{f.doc.line(('authors', i))}: authors.{i}: no user '{a.username}'; stored as a name"
                )
                authors.append((None, a.username))
            else:
                authors.append((user, ""))
        else:
            authors.append((None, a.name or ""))

    article = Article.objects.filter(slug=f.slug).select_related("latest_version").first()
    created = article is None
    if article is None:
        article = Article.objects.create(
            slug=f.slug,
            title=f.meta.title,
            summary=f.meta.summary,
            kind=f.meta.kind,
            status="draft",
            body=f.body,
            bibliography=f.bibliography,
        )
    changed = False
    fields = {
        "title": f.meta.title,
        "summary": f.meta.summary,
        "kind": f.meta.kind,
        "body": f.body,
        "bibliography": f.bibliography,
    }
    if f.meta.status == "draft":
        fields["status"] = "draft"
    dirty = [k for k, v in fields.items() if getattr(article, k) != v]
    if dirty:
        for k in dirty:
            setattr(article, k, fields[k])
        article.save()
        changed = True

    tags = tags_ensure(slugs=f.meta.tags)
    if {t.pk for t in article.tags.all()} != {t.pk for t in tags}:
        article.tags.set(tags)
        changed = True
    if not services.authors_match(article, authors):
        services.article_set_authors(article=article, authors=authors)
        changed = True

    if f.meta.status == "published":
        latest = article.latest_version
        content_now = (f.meta.title, f.meta.summary, f.body, f.bibliography)
        if latest is None or (latest.title, latest.summary, latest.body, latest.bibliography) != content_now:
            if latest is None:
                changelog = f.meta.changelog or "First published version"
                when = _as_datetime(f.meta.published)
            else:
                fresh = f.meta.changelog and f.meta.changelog != latest.changelog
                changelog = f.meta.changelog if f.meta.changelog and fresh else "Updated from site/"
                when = None
            try:
                version = services.article_publish(article=article, changelog=changelog, by=None, published_at=when)
            except DjangoValidationError as exc:  # e.g. a figure directive that does not validate
                raise SiteContentError([SiteProblem(f.rel, 1, "body", m) for m in exc.messages]) from None
            changed = True
            # Rendering problems are the author's to fix; they do not stop a load.
            warnings.extend(f"{f.rel}: {e}" for e in getattr(version, "render_errors", []))
        elif article.status != "published":
            article.status = "published"
            article.save()
            changed = True
    return "created" if created else ("updated" if changed else "unchanged")


def _sync_question(f: QuestionFile) -> Outcome:
    from apps.core.services import source_render, tags_ensure
    from apps.perspectives.models import Article, Sequence
    from apps.questions.models import Question
    from apps.questions.services import question_progress_sync

    m = f.meta
    question = Question.objects.filter(number=m.number).first()
    created = question is None
    fields = {"slug": f.slug, "title": m.title, "statement": m.statement, "status": m.status, "discussion": f.body}
    changed = False
    if question is None:
        question = Question.objects.create(number=m.number, rendered_html=source_render(source=f.body).html, **fields)
    else:
        dirty = [k for k, v in fields.items() if getattr(question, k) != v]
        if dirty:
            for k in dirty:
                setattr(question, k, fields[k])
            if "discussion" in dirty:
                question.rendered_html = source_render(source=f.body).html
            question.save()
            changed = True
    tags = tags_ensure(slugs=m.tags)
    if {t.pk for t in question.tags.all()} != {t.pk for t in tags}:
        question.tags.set(tags)
        changed = True
    articles = list(Article.objects.filter(slug__in=m.articles))
    if set(question.articles.values_list("pk", flat=True)) != {a.pk for a in articles}:
        question.articles.set(articles)
        changed = True
    sequences = list(Sequence.objects.filter(slug__in=m.sequences))
    if set(question.sequences.values_list("pk", flat=True)) != {s.pk for s in sequences}:
        question.sequences.set(sequences)
        changed = True
    if question_progress_sync(question=question, entries=[p.model_dump() for p in m.progress]):
        changed = True
    return "created" if created else ("updated" if changed else "unchanged")


def _sync_categories(categories: list[CategoryIn], warnings: list[str]) -> int | None:
    try:
        from apps.forum.services import category_sync  # type: ignore[import-not-found,attr-defined]
    except ImportError:
        warnings.append("forum categories were not loaded: apps.forum.services.category_sync does not exist yet")
        return None
    return int(category_sync(categories=[c.model_dump() for c in categories]))


def site_load(*, root: Path) -> LoadReport:
    """Validate every content file under root, then create or update pages, articles, sequences and questions.

    Raises SiteContentError (and writes nothing) if any file is invalid.
    """
    from apps.core.services import page_upsert, tag_upsert
    from apps.perspectives.models import Article
    from apps.perspectives.services import sequence_upsert

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
            count("perspectives", _sync_article(a, warnings))
        by_slug = {a.slug: a for a in Article.objects.all()}
        for i, s in enumerate(content.sequences):
            _, outcome = sequence_upsert(
                slug=s.slug,
                title=s.title,
                description=s.description,
                position=i,
                articles=[by_slug[slug] for slug in s.articles],
            )
            count("sequences", outcome)
        for q in content.questions:
            count("questions", _sync_question(q))
        if content.categories is not None:
            try:
                changed = _sync_categories(content.categories, warnings)
            except DjangoValidationError as exc:
                # Raising inside the transaction undoes everything loaded so far.
                raise SiteContentError([SiteProblem(content.categories_rel, 1, "", m) for m in exc.messages]) from None
            if changed is not None:
                total = len(content.categories)
                counts["forum categories"] = {"changed": changed, "unchanged": total - min(changed, total)}
    return LoadReport(files=content.files, counts=counts, warnings=warnings)
