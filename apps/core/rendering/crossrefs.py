"""Display equations, their numbers, and the ``@fig:``/``@eq:`` references that point at them.

A display formula becomes ``<span class="math-display">`` around its
``<math>`` (a box of its own, which scrolls sideways when the formula is wider
than the column). One with ``\\label{name}`` gets the id ``eq-name`` and a
number; a figure directive with ``label: name`` gets ``fig-name`` (the
pipeline wraps it). ``@eq:name`` and ``@fig:name`` in the text become links
reading "Eq. (2)" and "Figure 3".

Numbers and links are decided after the whole text is parsed: a reference may
come before its target, and multi-line ``$$`` blocks are converted before the
paragraphs around them. Until then both are tokens carrying the call's nonce.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import markdown
from markdown.inlinepatterns import InlineProcessor

from .directives import LABEL_RE, FigureDirective
from .mathml import latex_to_mathml

_LABEL_COMMAND_RE = re.compile(r"\\label\s*\{([^{}]*)\}")
# @fig:label and @eq:label, not inside a word or an e-mail address.
_XREF_RE = r"(?<![\w@.])@(fig|eq):([A-Za-z0-9_][A-Za-z0-9_-]{0,60})"


@dataclass
class Numbering:
    """What one rendering call has seen: labelled equations in parse order, and references."""

    nonce: str
    errors: list[str]
    equations: list[str] = field(default_factory=list)
    # One entry per @fig:/@eq: reference: (kind, label).
    xrefs: list[tuple[str, str]] = field(default_factory=list)

    def equation_token(self, index: int) -> str:
        return f"LMEQ{self.nonce}N{index}X"

    def xref_token(self, index: int) -> str:
        return f"LMXREF{self.nonce}N{index}X"


def short(text: str, limit: int = 60) -> str:
    """A formula or snippet on one line, cut to ``limit`` characters, for error messages."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_equation(source: str, numbering: Numbering) -> str:
    """The HTML of one display formula, numbered when its source has a ``\\label{name}``."""
    labels = [label.strip().removeprefix("eq:") for label in _LABEL_COMMAND_RE.findall(source)]
    tex = _LABEL_COMMAND_RE.sub("", source)
    result = latex_to_mathml(tex, display=True)
    if result.error:
        numbering.errors.append(f"Math error in $${short(tex)}$$: {result.error}")
    attrs = number = ""
    if labels:
        label = labels[0]
        if len(labels) > 1:
            numbering.errors.append(f"Equation $${short(tex)}$$ has {len(labels)} labels; give it one")
        elif not LABEL_RE.match(label):
            numbering.errors.append(f"Equation label {label!r}: use letters, digits, '-' and '_', like loss-decay")
        elif label in numbering.equations:
            numbering.errors.append(f"Equation label {label!r} is used twice")
        else:
            index = len(numbering.equations)
            numbering.equations.append(label)
            attrs = f' id="eq-{label}"'
            number = f'<span class="eq-number">({numbering.equation_token(index)})</span>'
    return f'<span class="math-display"{attrs}>{result.html}{number}</span>'


class CrossReferenceInline(InlineProcessor):
    """``@fig:name`` and ``@eq:name`` in running text, kept as tokens until the numbers are known."""

    def __init__(self, md: markdown.Markdown, numbering: Numbering) -> None:
        super().__init__(_XREF_RE, md)
        self.numbering = numbering

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # type: ignore[override]
        index = len(self.numbering.xrefs)
        self.numbering.xrefs.append((m.group(1), m.group(2)))
        return self.md.htmlStash.store(self.numbering.xref_token(index)), m.start(0), m.end(0)


def resolve_cross_references(body: str, numbering: Numbering, figures: list[FigureDirective]) -> tuple[str, set[str]]:
    """Number labelled equations in document order, turn reference tokens into links; return the target ids."""
    equation_numbers: dict[str, int] = {}

    def number_equation(m: re.Match[str]) -> str:
        label = numbering.equations[int(m.group(1))]
        equation_numbers[label] = len(equation_numbers) + 1
        return str(equation_numbers[label])

    body = re.sub(rf"LMEQ{numbering.nonce}N(\d+)X", number_equation, body)
    figure_numbers: dict[str, int] = {}
    for number, directive in enumerate(figures, start=1):
        if not directive.label:
            continue
        if directive.label in figure_numbers:
            numbering.errors.append(f"Figure label {directive.label!r} is used twice (line {directive.line})")
            continue
        figure_numbers[directive.label] = number
    reported: set[tuple[str, str]] = set()

    def link(m: re.Match[str]) -> str:
        index = int(m.group(1))
        if index >= len(numbering.xrefs):
            return m.group(0)
        kind, label = numbering.xrefs[index]
        numbers = figure_numbers if kind == "fig" else equation_numbers
        if label in numbers:
            text = f"Figure\u00a0{numbers[label]}" if kind == "fig" else f"Eq.\u00a0({numbers[label]})"
            return f'<a class="xref" href="#{kind}-{label}">{text}</a>'
        if (kind, label) not in reported:
            reported.add((kind, label))
            target = f"figure has 'label: {label}'" if kind == "fig" else f"equation has '\\label{{{label}}}'"
            numbering.errors.append(f"Unknown reference @{kind}:{label}: no {target}")
        return f'<span class="xref-missing" title="Unknown reference">??{kind}:{html.escape(label)}</span>'

    body = re.sub(rf"LMXREF{numbering.nonce}N(\d+)X", link, body)
    ids = {f"eq-{label}" for label in equation_numbers} | {f"fig-{label}" for label in figure_numbers}
    return body, ids
