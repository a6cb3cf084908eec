"""Markdown to safe HTML: the one rendering pipeline of the site.

Order of work, and why:

1. A fence-aware preprocessor pulls out ```figure blocks (replaced by a
   per-call random token) and multi-line ``$$`` display math (converted to
   MathML and stashed), before Markdown could read ``_`` as emphasis.
2. Python-Markdown with inline processors for ``$..$``/``\\(..\\)``/``\\[..\\]``
   math (run after code spans, before everything else) and ``[@key]``
   citations (emitted as tokens, numbered afterwards in document order).
3. Citation tokens become numbered links with back-links from the
   reference list; labelled equations are numbered in document order and
   ``@fig:``/``@eq:`` cross-references become links to them.
4. nh3 sanitises the whole document against the allowlist.
5. Figure tokens are swapped for trusted HTML (the resolver's, or a static
   placeholder). Only tokens carrying this call's nonce are replaced, so an
   author cannot forge one, and the inserted HTML is never re-scanned.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from .citations import Bibliography, anchor_id, parse_bibliography, references_html, resolve_citations
from .crossrefs import CrossReferenceInline, Numbering, display_equation, resolve_cross_references, short
from .defuse import defuse_blocks
from .directives import (
    DirectiveError,
    FigureDirective,
    FigureError,
    FigureRefused,
    error_box,
    parse_directive,
    static_figure,
)
from .mathml import latex_to_mathml
from .sanitize import sanitize_html

logger = logging.getLogger(__name__)

WORDS_PER_MINUTE = 230
MAX_SOURCE_CHARS = 2_000_000


@dataclass(frozen=True)
class TocEntry:
    level: int
    id: str
    title: str


@dataclass
class Rendered:
    """The result of rendering: ``html`` is sanitised and safe to ``mark_safe``."""

    html: str
    toc: list[TocEntry] = field(default_factory=list)
    word_count: int = 0
    reading_minutes: int = 1
    figures: list[FigureDirective] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    # Figures whose runs were refused to the requester (also listed in errors).
    refusals: list[str] = field(default_factory=list)


FigureResolver = Callable[[FigureDirective], str]


@dataclass
class _State:
    nonce: str
    bibliography: Bibliography
    errors: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # Each figure slot holds a directive, or the error message for a bad block.
    figure_slots: list[FigureDirective | str] = field(default_factory=list)
    # One entry per [@...] group: (key, locator) pairs, e.g. ("saxe2014", "p. 3").
    citation_groups: list[list[tuple[str, str]]] = field(default_factory=list)
    # Labelled equations and @fig:/@eq: references (crossrefs.py); shares `errors`.
    numbering: Numbering = field(init=False)

    def __post_init__(self) -> None:
        self.numbering = Numbering(nonce=self.nonce, errors=self.errors)

    def figure_token(self, index: int) -> str:
        return f"LMFIG{self.nonce}N{index}X"

    def citation_token(self, index: int) -> str:
        return f"LMCITE{self.nonce}N{index}X"


# --- preprocessing: figure blocks and multi-line display math ----------------------------------------------------

_FENCE_OPEN_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")


class _BlockPreprocessor(Preprocessor):
    def __init__(self, md: markdown.Markdown, state: _State) -> None:
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        # Lines of fenced code pass through untouched, also by the defusing step.
        verbatim: list[bool] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            m = _FENCE_OPEN_RE.match(line)
            if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
                fence = m.group("fence")
                close_re = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
                end = i + 1
                while end < len(lines) and not close_re.match(lines[end]):
                    end += 1
                info = m.group("info").strip().lstrip("{").lstrip(".").split()
                if info and info[0].rstrip("}") == "figure":
                    closed = end < len(lines)
                    token = self._figure("\n".join(lines[i + 1 : end]), line_no=i + 1, closed=closed)
                    out.extend(["", token, ""])
                    verbatim.extend([False, True, False])
                else:
                    block = lines[i : end + 1]
                    out.extend(block)
                    verbatim.extend([True] * len(block))
                i = end + 1
                continue
            stripped = line.strip()
            if stripped.startswith("$$") and stripped.count("$$") == 1:
                end = i + 1
                while end < len(lines) and "$$" not in lines[end]:
                    end += 1
                if end < len(lines):
                    closing = lines[end]
                    before, _, after = closing.partition("$$")
                    body = "\n".join([stripped[2:], *(ln for ln in lines[i + 1 : end] if ln.strip()), before])
                    indent = line[: len(line) - len(line.lstrip())]
                    out.append(indent + self._display_math(body) + after)
                    verbatim.append(False)
                    i = end + 1
                    continue
            out.append(line)
            verbatim.append(False)
            i += 1
        return defuse_blocks(out, verbatim)

    def _figure(self, body: str, *, line_no: int, closed: bool) -> str:
        index = len(self.state.figure_slots)
        try:
            if not closed:
                raise DirectiveError("the block is never closed with ```")
            directive = parse_directive(body, index=index, line=line_no)
        except DirectiveError as exc:
            message = f"Figure directive on line {line_no}: {exc}"
            self.state.errors.append(message)
            self.state.figure_slots.append(message)
        else:
            self.state.figure_slots.append(directive)
        return self.state.figure_token(index)

    def _display_math(self, body: str) -> str:
        return self.md.htmlStash.store(display_equation(body, self.state.numbering))


# --- inline math and citations ------------------------------------------------------------------------------------

# Alternatives, tried left to right at each position: $$..$$, \[..\], \(..\), $..$.
# Inline $..$ follows Pandoc: no space just inside the dollars, no digit right after
# the closing one, so "costs $5 and $10" stays text.
_MATH_RE = (
    r"(?<![\\$])(?:"
    r"\$\$(?P<d1>.+?)\$\$"
    r"|\\\[(?P<d2>.+?)\\\]"
    r"|\\\((?P<i2>.+?)\\\)"
    r"|\$(?![\s$])(?P<i1>(?:\\.|[^\\$])+?)(?<!\s)\$(?!\d)"
    r")"
)


# Dollars inside an inline HTML attribute value or a link destination are not math.
_OPEN_ATTRIBUTE_RE = re.compile(r"<[A-Za-z][\w:-]*\s[^<>]*=\s*[\"']?[^\"'<>]*$")
_OPEN_LINK_DESTINATION_RE = re.compile(r"\]\([^()\s]*$")


def _inside_markup(data: str, pos: int) -> bool:
    before = data[max(0, pos - 2000) : pos]
    return bool(_OPEN_ATTRIBUTE_RE.search(before) or _OPEN_LINK_DESTINATION_RE.search(before))


_TRAILING_PUNCTUATION_RE = re.compile(r"[.,;:!?)]{1,3}")


class _MathInline(InlineProcessor):
    def __init__(self, md: markdown.Markdown, state: _State) -> None:
        super().__init__(_MATH_RE, md)
        self.state = state

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[str, int, int] | tuple[None, None, None]:
        if _inside_markup(data, m.start(0)):
            return None, None, None
        display = m.group("d1") is not None or m.group("d2") is not None
        source = next(g for g in (m.group("d1"), m.group("d2"), m.group("i1"), m.group("i2")) if g is not None)
        # Inline placeholders (code spans) inside math would be meaningless; restore their text.
        source = self.unescape(source)
        if display:
            return self.md.htmlStash.store(display_equation(source, self.state.numbering)), m.start(0), m.end(0)
        result = latex_to_mathml(source, display=False)
        if result.error:
            self.state.errors.append(f"Math error in ${short(source)}$: {result.error}")
        # Punctuation right after a formula stays on its line: "$t/\eta$." never wraps before the dot.
        tail = _TRAILING_PUNCTUATION_RE.match(data, m.end(0))
        if tail:
            kept = f'<span class="math-inline">{result.html}{html.escape(tail.group(0))}</span>'
            return self.md.htmlStash.store(kept), m.start(0), tail.end()
        return self.md.htmlStash.store(result.html), m.start(0), m.end(0)


_KEY = r"@[A-Za-z0-9_][A-Za-z0-9_:.\-/+]*"
# An optional locator after a comma, as in Pandoc: [@saxe2014, sec. 3; @jacot2018].
_CITE_ITEM = _KEY + r"(?:\s*,\s*[^;\[\]\n@]{1,60})?"
_CITE_RE = r"\[\s*(" + _CITE_ITEM + r"(?:\s*;\s*" + _CITE_ITEM + r")*)\s*\](?!\()"


class _CitationInline(InlineProcessor):
    def __init__(self, md: markdown.Markdown, state: _State) -> None:
        super().__init__(_CITE_RE, md)
        self.state = state

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # type: ignore[override]
        items = []
        for item in m.group(1).split(";"):
            key, _, locator = item.strip().lstrip("@").partition(",")
            items.append((key.strip(), " ".join(locator.split())))
        index = len(self.state.citation_groups)
        self.state.citation_groups.append(items)
        return self.md.htmlStash.store(self.state.citation_token(index)), m.start(0), m.end(0)


class _LearningMechanicsExtension(Extension):
    def __init__(self, state: _State) -> None:
        super().__init__()
        self.state = state

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.ESCAPED_CHARS.append("$")
        # fenced_code's preprocessor has priority 25: we must see fences first.
        md.preprocessors.register(_BlockPreprocessor(md, self.state), "lm_blocks", 28)
        # backtick (code spans) is 190 and escapes are 180.
        md.inlinePatterns.register(_MathInline(md, self.state), "lm_math", 185)
        md.inlinePatterns.register(_CitationInline(md, self.state), "lm_cite", 175)
        # After citations, so that [@fig:x] stays a (reported) citation key rather than half of one.
        md.inlinePatterns.register(CrossReferenceInline(md, self.state.numbering), "lm_xref", 174)


def _markdown(state: _State) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "toc",
            "footnotes",
            "tables",
            "fenced_code",
            "codehilite",
            "sane_lists",
            "def_list",
            "abbr",
            "md_in_html",
            _LearningMechanicsExtension(state),
        ],
        extension_configs={
            "toc": {
                "permalink": "¶",
                "permalink_class": "headerlink",
                "permalink_title": "Link to this section",
                "slugify": slugify_unicode,
            },
            "footnotes": {"SEPARATOR": "-", "BACKLINK_TITLE": "Back to the text"},
            "codehilite": {"css_class": "codehilite", "guess_lang": False, "noclasses": False},
        },
        output_format="html",
    )


# --- post-processing ------------------------------------------------------------------------------------------------


_FOOTNOTE_ID_RE = re.compile(r'id="((?:fn|fnref\d*)-[^"]+)"')


def _toc_entries(tokens: list[dict[str, Any]], state: _State) -> tuple[list[TocEntry], set[str]]:
    entries: list[TocEntry] = []
    ids: set[str] = set()

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            ids.add(item["id"])
            if item["level"] in (2, 3):
                title = re.sub(rf"LM(?:CITE|XREF){state.nonce}N\d+X", "", html.unescape(item["name"])).strip()
                entries.append(TocEntry(level=item["level"], id=item["id"], title=title))
            walk(item.get("children", []))

    walk(tokens)
    return entries, ids


# The input is nh3's output: well-formed, attributes double-quoted, and <math>
# and <pre> never nest in themselves, so these patterns are exact.
_UNCOUNTED_RE = re.compile(
    r"<math\b.*?</math>|<pre\b.*?</pre>|<span class=\"citation\"[^>]*>\[.*?\]</span>"
    r"|<span class=\"eq-number\">.*?</span>"
    r"|<section class=\"references\".*?</section>",
    re.DOTALL,
)
_TAG_RE = re.compile(r"<[^>]*>")
_WORD_RE = re.compile(r"[\w'’-]+")


def count_words(safe_html: str) -> int:
    """Words of running text in sanitised HTML: math, code blocks, citation marks and references are skipped."""
    text = _TAG_RE.sub(" ", _UNCOUNTED_RE.sub(" ", safe_html))
    return len(_WORD_RE.findall(html.unescape(text)))


def _insert_figures(safe: str, state: _State, resolver: FigureResolver | None, id_prefix: str) -> str:
    def html_for(index: int) -> str:
        slot = state.figure_slots[index]
        if isinstance(slot, str):
            return error_box(slot)
        figure = static_figure(slot) if resolver is None else resolved(slot)
        if slot.label:
            # The target of @fig:<label>; a wrapper, because the resolver's <figure> has an id of its own.
            return f'<div class="figure-anchor" id="{id_prefix}fig-{slot.label}">{figure}</div>'
        return figure

    def resolved(slot: FigureDirective) -> str:
        assert resolver is not None
        try:
            return resolver(slot)
        except FigureError as exc:
            message = f"Figure {slot.index + 1} ({slot.experiment}, line {slot.line}): {exc}"
            if isinstance(exc, FigureRefused):
                state.refusals.append(message)
        except Exception:  # a bug in a resolver must not take the article down
            logger.exception("figure resolver failed for %r", slot)
            message = f"Figure {slot.index + 1} ({slot.experiment}, line {slot.line}) could not be drawn"
        state.errors.append(message)
        return error_box(message)

    def repl(m: re.Match[str]) -> str:
        index = int(m.group(1) or m.group(2))
        if index >= len(state.figure_slots):
            return m.group(0)
        return html_for(index)

    token = rf"LMFIG{state.nonce}N(\d+)X"
    # One pass: the inserted HTML is never scanned for tokens again.
    return re.sub(rf"<p>{token}</p>|{token}", repl, safe)


_ID_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
_ID_OR_FRAGMENT_RE = re.compile(r'\b(id|href)="(#?)([^"]+)"')


def _prefix_ids(body: str, ids: set[str], prefix: str) -> tuple[str, set[str]]:
    def repl(m: re.Match[str]) -> str:
        attr, hash_, value = m.groups()
        if value in ids and (attr == "id") != bool(hash_):
            return f'{attr}="{hash_}{prefix}{value}"'
        return m.group(0)

    return _ID_OR_FRAGMENT_RE.sub(repl, body), {prefix + i for i in ids}


def _caption_html(caption: str) -> tuple[str, list[str]]:
    if not caption:
        return "", []
    inner = render_markdown(caption, _figures=False)
    html_out = inner.html.strip()
    if html_out.startswith("<p>") and html_out.endswith("</p>") and html_out.count("<p>") == 1:
        html_out = html_out[3:-4]
    return html_out, inner.errors


def figure_directives(source: str) -> list[FigureDirective]:
    """The valid figure directives of a Markdown text, in order, without rendering it (no captions, no math)."""
    state = _State(nonce=secrets.token_hex(8), bibliography=Bibliography())
    _BlockPreprocessor(_markdown(state), state).run((source or "").replace("\r\n", "\n").split("\n"))
    return [slot for slot in state.figure_slots if isinstance(slot, FigureDirective)]


def render_markdown(
    source: str,
    *,
    bibliography: str = "",
    figure_resolver: FigureResolver | None = None,
    id_prefix: str = "",
    _figures: bool = True,
) -> Rendered:
    """Render author Markdown (math, citations, footnotes, figure directives) to sanitised HTML.

    Pure function: nothing is stored. Problems an author must fix are listed
    in ``Rendered.errors`` and shown inline; rendering never raises on bad input.
    ``figure_resolver(directive)`` returns trusted HTML for a figure and may
    raise ``FigureError`` with a message for the author.

    ``id_prefix`` (e.g. ``"post-12-"``) namespaces every id the pipeline makes
    (headings, footnotes, references) and the links to them: use it where many
    rendered texts share a page, such as forum posts, so their ids stay unique.
    """
    if id_prefix and not _ID_PREFIX_RE.match(id_prefix):
        raise ValueError("id_prefix must be lowercase letters, digits and dashes, starting with a letter")
    source = source or ""
    state = _State(nonce=secrets.token_hex(8), bibliography=parse_bibliography(bibliography))
    state.errors.extend(state.bibliography.errors)
    if len(source) > MAX_SOURCE_CHARS:
        state.errors.append(f"The text is longer than {MAX_SOURCE_CHARS:,} characters; the rest is not shown")
        source = source[:MAX_SOURCE_CHARS]
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    md = _markdown(state)
    body = md.convert(source)
    body, records, cited_at = resolve_citations(
        body,
        token=rf"LMCITE{state.nonce}N(\d+)X",
        groups=state.citation_groups,
        bibliography=state.bibliography,
        errors=state.errors,
    )
    valid_figures = [slot for slot in state.figure_slots if isinstance(slot, FigureDirective)]
    body, target_ids = resolve_cross_references(body, state.numbering, valid_figures)
    toc, ids = _toc_entries(getattr(md, "toc_tokens", []), state)
    ids.update(_FOOTNOTE_ID_RE.findall(body))
    ids.update(target_ids)
    ids.update(f"cite-{i + 1}" for i in range(len(state.citation_groups)))
    if records:
        ids.add("references")
        ids.update(anchor_id(r["key"]) for r in records)
        body += references_html(records, cited_at=cited_at)
    if id_prefix:
        body, ids = _prefix_ids(body, ids, id_prefix)
        toc = [TocEntry(level=e.level, id=id_prefix + e.id, title=e.title) for e in toc]
    safe = sanitize_html(body, generated_ids=ids)
    word_count = count_words(safe)

    figures: list[FigureDirective] = []
    for i, slot in enumerate(state.figure_slots):
        if isinstance(slot, FigureDirective):
            caption_html, caption_errors = _caption_html(slot.caption) if _figures else ("", [])
            state.errors.extend(f"Figure {i + 1} caption: {e}" for e in caption_errors)
            number = len(figures) + 1
            if caption_html or slot.label:
                caption_html = f'<span class="figure-number">Figure {number}.</span> {caption_html}'.rstrip()
            # index counts valid directives only, so rendered.figures[d.index] is d.
            fields = {**slot.__dict__, "caption_html": caption_html, "index": len(figures), "number": number}
            slot = FigureDirective(**fields)
            state.figure_slots[i] = slot
            figures.append(slot)
    safe = _insert_figures(safe, state, figure_resolver, id_prefix)
    return Rendered(
        html=safe,
        toc=toc,
        word_count=word_count,
        reading_minutes=max(1, round(word_count / WORDS_PER_MINUTE)),
        figures=figures,
        errors=state.errors,
        references=records,
        refusals=state.refusals,
    )
