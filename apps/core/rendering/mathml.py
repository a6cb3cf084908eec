"""LaTeX to MathML, offline, with readable errors.

latex2mathml does the conversion. Two of its habits need correcting here:

* ``convert()`` unescapes the whole serialised tree, so ``\\text{<b>}`` would
  come out as a live tag. We serialise the element ourselves (text stays
  escaped) and only turn its own numeric character references back into
  references.
* Some environments authors use every day (``aligned``, ``gathered``) are
  not known to it; we map them onto the ones it does know.

Every expression keeps its TeX source as MathML's own annotation,
``<semantics>…<annotation encoding="application/x-tex">…</annotation></semantics>``,
which browsers never display: the copy handler in static/js/reading.js puts it
on the clipboard, so copying a formula gives its TeX.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element, tostring

from latex2mathml.converter import convert_to_element

from .sanitize import TEX_ENCODING

# Longer expressions are almost certainly a mistake (an unclosed `$`), and
# the converter's cost grows with length.
MAX_EXPRESSION_CHARS = 4000

_ENV_ALIASES = {
    "aligned": "align*",
    "align": "align*",
    "gathered": "gather*",
    "gather": "gather*",
    "equation": "",
    "equation*": "",
}
_ENV_RE = re.compile(r"\\(begin|end)\{(aligned|align|gathered|gather|equation\*?)\}")
# latex2mathml writes symbols as text like "&#x003B8;", which tostring()
# escapes to "&amp;#x003B8;". Undo exactly that, nothing else.
_COMMAND_RE = re.compile(r"^\\[A-Za-z]+$")
_ESCAPED_CHARREF_RE = re.compile(r"&amp;(#x[0-9A-Fa-f]{1,6};)")


@dataclass(frozen=True)
class MathResult:
    html: str
    error: str = ""


def _normalise(latex: str) -> str:
    def repl(m: re.Match[str]) -> str:
        target = _ENV_ALIASES[m.group(2)]
        if not target:
            return ""
        return f"\\{m.group(1)}{{{target}}}"

    return _ENV_RE.sub(repl, latex)


def _check_balance(latex: str) -> str:
    """Return a reason when braces or environments obviously do not match.

    latex2mathml silently accepts some unbalanced input (``\\frac{1}{2``),
    which would hide an author's typo; a cheap count catches most of it.
    """
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return "unexpected '}'"
        i += 1
    if depth > 0:
        return "missing '}'"
    begins = re.findall(r"\\begin\{([^}]*)\}", latex)
    ends = re.findall(r"\\end\{([^}]*)\}", latex)
    if sorted(begins) != sorted(ends):
        return "\\begin and \\end do not match"
    return ""


# Articles repeat the same symbols ($W$, $t$, $\\eta$) many times.
@lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, *, display: bool) -> MathResult:
    """Convert one expression; on failure return an error span and the reason."""
    source = latex.strip()
    reason = ""
    if not source:
        reason = "empty expression"
    elif len(source) > MAX_EXPRESSION_CHARS:
        reason = f"expression longer than {MAX_EXPRESSION_CHARS} characters"
    else:
        reason = _check_balance(source)
    if not reason:
        try:
            element = convert_to_element(_normalise(source), display="block" if display else "inline")
        except RecursionError:
            reason = "expression nested too deeply"
        except Exception as exc:  # the converter raises many unrelated types on bad input
            reason = _describe(exc)
        else:
            # latex2mathml keeps a command it does not know as literal text ("\\foo");
            # that is almost always a typo the author wants to hear about.
            unknown = sorted(
                {el.text for el in element.iter() if el.tag in ("mi", "mo") and el.text and _COMMAND_RE.match(el.text)}
            )
            if unknown:
                reason = "unknown command " + ", ".join(unknown)
                return MathResult(html=error_span(source, reason, display=display), error=reason)
            element.attrib.pop("xmlns", None)  # implied in HTML; keeps the allowlist simple
            _tidy_spacing(element)
            return MathResult(html=_with_source(element, source, display=display))
    return MathResult(html=error_span(source, reason, display=display), error=reason)


# Elements taller than a line of text: only around these do \left( \right) need to stretch.
_TALL = {"mfrac", "mtable", "munder", "mover", "munderover", "msqrt", "mroot"}
_PERIOD = {".", "&#x0002E;"}


def _tidy_spacing(element: Element) -> None:
    """Spacing as TeX sets it, where MathML's defaults differ visibly.

    A full stop is ordinary in TeX but an unknown operator in MathML, which
    puts a thick space before it. And ``\\left( x \\right)`` becomes stretchy
    fences, which browsers draw from a size variant with wide side bearings
    even when there is nothing tall to stretch around: ``L ( x )``.
    """
    for mo in element.iter("mo"):
        if mo.text in _PERIOD:
            mo.set("lspace", "0")
            mo.set("rspace", "0")
    for row in element.iter("mrow"):
        kids = list(row)
        if len(kids) < 2 or not all(k.tag == "mo" and k.get("fence") == "true" for k in (kids[0], kids[-1])):
            continue
        if not any(el.tag in _TALL for kid in kids[1:-1] for el in kid.iter()):
            kids[0].set("stretchy", "false")
            kids[-1].set("stretchy", "false")


def _with_source(element: Element, source: str, *, display: bool) -> str:
    """Serialise ``<math>`` with its presentation in ``<semantics>`` and the TeX source as an annotation."""
    children = list(element)
    # <semantics> renders its first child only, so the presentation must be one element.
    if len(children) == 1:
        presentation = children[0]
    else:
        presentation = Element("mrow")
        presentation.extend(children)
    body = _ESCAPED_CHARREF_RE.sub(r"&\1", tostring(presentation, encoding="unicode"))
    mode = "block" if display else "inline"
    tex = html.escape(source, quote=False)
    return (
        f'<math display="{mode}"><semantics>{body}'
        f'<annotation encoding="{TEX_ENCODING}">{tex}</annotation></semantics></math>'
    )


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower().removesuffix(" error")
    detail = str(exc).strip()
    if detail and len(detail) < 80:
        return f"{words}: {detail}"
    return words or "cannot be converted"


def error_span(source: str, reason: str, *, display: bool) -> str:
    delim = "$$" if display else "$"
    return (
        f'<span class="math-error" title="{html.escape("Math error: " + reason)}">'
        f"{html.escape(delim + source + delim)}</span>"
    )
