"""Plain, readable text from the HTML our rendering pipeline makes, for the search index and its snippets.

Search snippets must read as text: no Markdown markers, no TeX, no tags. The
index is therefore built from each object's *rendered* HTML (already
sanitised), reduced here to words: math (MathML) becomes linear text a reader
recognises (``η < 2/λ_max``, ``∑_i x_i^2``), figures keep only their caption,
and controls, scripts, footnote arrows and the TeX annotations kept for
copying are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements whose content is never prose.
_SKIP = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "button",
    "select",
    "option",
    "textarea",
    "form",
    "progress",
    "annotation",
    "annotation-xml",
}
_SKIP_CLASSES = {
    "headerlink",
    "footnote-ref",
    "footnote-backref",
    "lm-figure-controls",
    "lm-figure-status",
    "lm-figure-links",
    "lm-figure-plot",
}
_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base", "embed", "track"}
_BLOCK = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "details",
    "summary",
    "br",
    "hr",
}
# Operators that read better with a space on each side.
_SPACED_OPERATORS = set("=<>≤≥≠≈∼≃≡+−-×·→←↔⇒⇔∈∉⊂⊆∝") | {"\u2212"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """A forgiving tree of the HTML: enough structure to linearise math and skip whole elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _skipped(node: _Node) -> bool:
    if node.tag in _SKIP:
        return True
    classes = set(node.attrs.get("class", "").split())
    return bool(classes & _SKIP_CLASSES)


def _group(text: str) -> str:
    """A sub- or superscript or fraction part: bare when a single symbol, else in parentheses."""
    text = text.strip()
    return text if len(text) <= 1 or re.fullmatch(r"\w+", text) else f"({text})"


def _math(node: _Node | str) -> str:
    """MathML as linear text."""
    if isinstance(node, str):
        return node.strip()
    if _skipped(node):
        return ""
    parts = [_math(child) for child in node.children if not isinstance(child, str) or child.strip()]
    tag = node.tag
    if tag == "mo":
        op = "".join(parts)
        if op in _SPACED_OPERATORS:
            return f" {op} "
        return f"{op} " if op in (",", ";") else op
    if tag == "munder" and len(parts) >= 2:
        return f"{parts[0]}_{_group(parts[1])} "  # a big operator (∑, lim) before what it applies to
    if tag == "munderover" and len(parts) >= 3:
        return f"{parts[0]}_{_group(parts[1])}^{_group(parts[2])} "
    if tag == "msub" and len(parts) >= 2:
        return f"{parts[0]}_{_group(parts[1])}"
    if tag in ("msup", "mover") and len(parts) >= 2:
        return f"{parts[0]}^{_group(parts[1])}"
    if tag == "msubsup" and len(parts) >= 3:
        return f"{parts[0]}_{_group(parts[1])}^{_group(parts[2])}"
    if tag == "mfrac" and len(parts) >= 2:
        return f"{_group(parts[0])}/{_group(parts[1])}"
    if tag == "msqrt":
        return f"√{_group(''.join(parts))}"
    if tag == "mroot" and len(parts) >= 2:
        return f"{parts[1]}√{_group(parts[0])}"
    if tag == "mtd":
        return "".join(parts) + " "
    if tag == "mtr":
        return "".join(parts).strip() + "; "
    return "".join(parts)


def _text(node: _Node | str, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(node)
        return
    if _skipped(node):
        return
    if node.tag == "math":
        linear = re.sub(r"\s+", " ", _math(node)).strip().rstrip(";")
        block = node.attrs.get("display") == "block"
        out.append(f"\n{linear}\n" if block else f" {linear} ")
        return
    if node.tag in _BLOCK:
        out.append("\n")
    for child in node.children:
        _text(child, out)
    if node.tag in _BLOCK:
        out.append("\n")


def plain_text(html: str) -> str:
    """The words of rendered HTML, one paragraph a line, math as readable text."""
    builder = _TreeBuilder()
    builder.feed(html or "")
    builder.close()
    out: list[str] = []
    _text(builder.root, out)
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(out).split("\n"))
    text = "\n".join(line for line in lines if line)
    # Space before punctuation left where inline math met the next word.
    return re.sub(r" ([,.;:!?)])", r"\1", text)
