"""The allowlist sanitiser for every piece of user HTML on the site.

nh3 (ammonia, html5ever) parses the HTML the way a browser does, so tricks
that rely on parser differences (mXSS through MathML or SVG, broken quoting,
entity-encoded schemes) are resolved before the allowlist is applied.
"""

from __future__ import annotations

import re

import nh3
from pygments.token import STANDARD_TYPES

_MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mtext",
    "mspace", "mtable", "mtr", "mtd", "mover", "munder", "munderover", "mstyle", "mpadded", "mphantom",
    "menclose", "semantics", "annotation",
}  # fmt: skip
_HTML_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "em", "strong", "b", "i", "code", "pre", "kbd", "samp", "var",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "img",
    "figure", "figcaption", "sup", "sub", "span", "div", "section", "hr", "br", "dl", "dt", "dd", "details",
    "summary", "del", "ins", "abbr", "mark", "small", "cite", "q",
}  # fmt: skip
ALLOWED_TAGS = frozenset(_HTML_TAGS | _MATHML_TAGS)

_MATHML_ATTRS = {
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent", "accentunder",
    "columnalign", "rowalign", "rowspacing", "columnspacing", "displaystyle", "scriptlevel", "width", "height",
    "depth", "linethickness", "notation", "form", "largeop", "movablelimits", "symmetric", "minsize", "maxsize",
    "columnspan", "rowspan", "linebreak",
}  # fmt: skip
# A formula's TeX source rides along as <annotation encoding="application/x-tex">
# (apps/core/rendering/mathml.py). That one encoding is allowed, on that one tag;
# annotation-xml, which can switch the parser back to HTML, is not allowed at all.
TEX_ENCODING = "application/x-tex"
_GLOBAL_ATTRS = {"class", "id", "title", "lang", "dir", "aria-hidden", "aria-label", "aria-labelledby", "role"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GLOBAL_ATTRS,
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "reversed"},
    "abbr": set(),
    "details": {"open"},
    **{tag: set(_MATHML_ATTRS) for tag in _MATHML_TAGS},
    "annotation": {"encoding"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Classes the pipeline itself emits, plus Pygments' short token classes.
# Anything else is dropped, so user HTML cannot opt into a hook that site
# JavaScript looks for (e.g. the figure loader).
_ALLOWED_CLASSES = {
    "codehilite", "highlight", "toc", "toclink", "headerlink", "footnote", "footnote-ref", "footnote-backref",
    "footnotes", "citation", "citation-missing", "references", "ref-authors", "ref-title", "math-error",
    "render-error", "figure-error", "table", "task-list", "math-display", "math-inline", "eq-number", "xref",
    "xref-missing", "figure-number", "ref-backlinks", "ref-backlink",
}  # fmt: skip
_ALLOWED_CLASSES |= {c for c in STANDARD_TYPES.values() if c} | {"hll"}
_LANGUAGE_CLASS_RE = re.compile(r"^language-[a-z0-9+#-]{1,30}$")
_ROLES = {"note", "doc-noteref", "doc-backlink", "doc-endnotes", "doc-footnote", "presentation", "math"}
_ID_RE = re.compile(r"^\w[\w.:-]{0,100}$")  # \w: heading slugs keep non-Latin letters
USER_ID_PREFIX = "user-"
_STRIP_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _attribute_filter(generated_ids: frozenset[str]):  # type: ignore[no-untyped-def]
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr == "class":
            kept = [c for c in value.split() if c in _ALLOWED_CLASSES or _LANGUAGE_CLASS_RE.match(c)]
            return " ".join(kept) or None
        if attr == "id":
            if not _ID_RE.match(value):
                return None
            # Ids the pipeline made (headings, footnotes, references) stay as they
            # are; any other id is namespaced so it cannot clobber one the site uses.
            if value in generated_ids or value.startswith(USER_ID_PREFIX):
                return value
            return USER_ID_PREFIX + value
        if attr == "encoding":
            return value if tag == "annotation" and value == TEX_ENCODING else None
        if attr == "role":
            return value if value in _ROLES else None
        if attr in ("href", "src"):
            # nh3 already enforces URL_SCHEMES; this is a second, independent check
            # on the decoded value with whitespace and control characters removed.
            probe = _STRIP_RE.sub("", value).lower()
            if probe.startswith(("javascript:", "vbscript:", "data:")):
                return None
            return value
        return value

    return attribute_filter


# nh3 serialises every attribute as name="value" with quotes escaped, so the
# attribute list of an <a> tag can be matched exactly.
_A_TAG_RE = re.compile(r'<a((?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*="[^"]*")*)\s*>')
_EXTERNAL_HREF_RE = re.compile(r'\shref="(?:https?:)?//', re.IGNORECASE)


def _add_rel(match: re.Match[str]) -> str:
    attrs = match.group(1)
    if _EXTERNAL_HREF_RE.search(attrs):
        return f'<a{attrs} rel="nofollow noopener">'
    return match.group(0)


def sanitize_html(html: str, *, generated_ids: frozenset[str] | set[str] = frozenset()) -> str:
    """Return ``html`` reduced to the allowlist: safe to ``mark_safe``.

    External links get ``rel="nofollow noopener"``. Ids not in ``generated_ids``
    are prefixed with ``user-``.
    """
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        # Only these lose their content: it is code, never prose. Other unknown tags are
        # unwrapped, so an unclosed <iframe> cannot swallow the rest of an article.
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(frozenset(generated_ids)),
        strip_comments=True,
        link_rel=None,
        url_schemes=set(URL_SCHEMES),
    )
    return _A_TAG_RE.sub(_add_rel, cleaned)
