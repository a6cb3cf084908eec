"""YAML documents and Markdown front matter that remember on which line of the file each key stands.

Validation errors then point at the offending key, list item or broken
construct, as `site/<file>:<line>: <field>: <problem>`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from apps.content.errors import SiteContentError, SiteProblem

M = TypeVar("M", bound=BaseModel)

# A key path into a document: mapping keys and list indices, e.g. ("authors", 1, "name").
KeyPath = tuple[Any, ...]


def _line_map(node: yaml.Node | None, first_line: int) -> dict[KeyPath, int]:
    """Map each key path in a YAML document to its 1-based line in the file."""
    lines: dict[KeyPath, int] = {}

    def walk(n: yaml.Node, path: KeyPath) -> None:
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
    lines: dict[KeyPath, int]
    default_line: int

    def line(self, path: KeyPath) -> int:
        """The line of the key at `path`, or of its nearest enclosing key that has one."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return self.default_line


def parse_yaml(text: str, rel: str, first_line: int) -> YamlDoc:
    """Parse one YAML document; first_line is the line of the file on which `text` starts (1-based)."""
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


def split_front_matter(text: str, rel: str) -> tuple[YamlDoc, str]:
    """The front matter between the opening and closing `---` lines, and the Markdown body after it."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SiteContentError([SiteProblem(rel, 1, "", "the file must start with '---' front matter")])
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            doc = parse_yaml("".join(lines[1:i]), rel, first_line=2)
            if not isinstance(doc.data, dict):
                raise SiteContentError([SiteProblem(rel, 1, "", "the front matter must be a mapping of key: value")])
            doc.default_line = 1
            return doc, "".join(lines[i + 1 :]).strip("\n") + "\n"
    raise SiteContentError([SiteProblem(rel, 1, "", "the front matter is never closed with '---'")])


def validate(model: type[M], doc: YamlDoc, data: Any, rel: str, base: KeyPath = ()) -> M:
    """`data` (found at `base` in `doc`) as a `model`, or SiteContentError naming the line of every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = (*base, *err["loc"])
            field = ".".join(str(p) for p in loc) or "(document)"
            message = "is required" if err["type"] == "missing" else err["msg"]
            problems.append(SiteProblem(rel, doc.line(loc), field, message))
        raise SiteContentError(problems) from None


def validate_items(model: type[M], doc: YamlDoc, data: list[Any], rel: str) -> list[M]:
    """Every item of a top-level YAML list as a `model`; the problems of all items are reported together."""
    items: list[M] = []
    problems: list[SiteProblem] = []
    for i, item in enumerate(data):
        try:
            items.append(validate(model, doc, item, rel, (i,)))
        except SiteContentError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SiteContentError(problems)
    return items
