"""What the front matter and YAML files of site/ may say: one pydantic model per kind of entry."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from apps.core.validators import validate_single_line
from apps.perspectives.models import Kind

SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

NonEmpty = Field(min_length=1)


def check_one_line(value: str) -> str:
    """Titles and names are one line without control characters, as on the site's own forms."""
    try:
        validate_single_line(value)
    except DjangoValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    return value


OneLine = Annotated[str, AfterValidator(check_one_line)]


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"'{value}' is not a slug (lower-case letters, digits and hyphens)")
    return value


class _Strict(BaseModel):
    # Unknown keys of front matter are reported as warnings by the reader, not rejected here.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class _Closed(BaseModel):
    # Items of a list (an author, a progress entry, a sequence...) have no room for stray keys.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AuthorIn(_Closed):
    name: OneLine | None = None
    username: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AuthorIn:
        if bool(self.name) == bool(self.username):
            raise ValueError("give exactly one of 'name' or 'username'")
        return self


class PageMeta(_Strict):
    title: OneLine = NonEmpty


class ArticleMeta(_Strict):
    title: OneLine = Field(min_length=1, max_length=200)
    summary: str = NonEmpty
    kind: Kind
    status: Literal["published", "draft"] = "published"
    authors: list[AuthorIn] = Field(min_length=1)
    tags: list[str] = []
    changelog: OneLine | None = Field(default=None, max_length=300)
    published: datetime.date | None = None
    bibliography: str | None = None

    @field_validator("tags")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return [check_slug(v) for v in value]


class ProgressIn(_Closed):
    date: datetime.date
    who: OneLine = NonEmpty
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
    title: OneLine = Field(min_length=1, max_length=200)
    statement: str = NonEmpty
    status: Literal["open", "partial", "resolved"] = "open"
    tags: list[str] = []
    articles: list[str] = []
    sequences: list[str] = []
    progress: list[ProgressIn] = []

    @field_validator("tags", "articles", "sequences")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        return [check_slug(v) for v in value]


class SequenceIn(_Closed):
    slug: str
    title: OneLine = NonEmpty
    description: str = ""
    articles: list[str] = []

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


class TagIn(_Closed):
    slug: str
    name: OneLine = Field(min_length=1, max_length=80)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


class CategoryIn(_Closed):
    slug: str
    name: OneLine = NonEmpty
    description: str = ""

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)
