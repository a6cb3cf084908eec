"""BibTeX bibliographies and the numbered reference list.

Citations are numbered in the order they are first cited; the reference list
shows only cited entries. Every field is treated as untrusted text: it is
escaped here and the whole page is sanitised afterwards anyway.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import bibtexparser

# `\"o` -> ö and friends: the handful of accents that appear in author names.
_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
}
_ACCENT_RE = re.compile(r"""\\(["'`^~=.]|[cvuH](?=[\s{]))\s*\{?\s*([A-Za-z])\}?""")
_SPECIAL = {
    r"\&": "&",
    r"\%": "%",
    r"\$": "$",
    r"\_": "_",
    r"\#": "#",
    r"\ss": "ß",
    r"\o": "ø",
    r"\O": "Ø",
    r"\l": "ł",
    r"\L": "Ł",
    r"\aa": "å",
    r"\AA": "Å",
    r"\ae": "æ",
    "--": "–",
    "~": "\u00a0",
}
_COMMAND_RE = re.compile(r"\\(?:emph|textit|textbf|textrm|textsc|mathrm|url)\s*")
# $...$ with neither dollar escaped: \$ is a literal dollar sign, not math.
_MATH_SPAN_RE = re.compile(r"(?<!\\)\$[^$]+?(?<!\\)\$")

_DOI_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_SAFE_URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
_ARXIV_ID_RE = re.compile(r"^(?:arxiv:)?([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(v\d+)?$", re.IGNORECASE)


def _plain(text: str) -> str:
    text = _ACCENT_RE.sub(lambda m: m.group(2) + _ACCENTS[m.group(1)], text)
    for src, dst in _SPECIAL.items():
        text = text.replace(src, dst)
    text = _COMMAND_RE.sub("", text)
    return text.replace("{", "").replace("}", "")


def latex_to_text(value: str) -> str:
    """Turn a BibTeX field into plain text: accents resolved, braces dropped, math left as written.

    Inside ``$...$`` the braces and commands are the formula (``$O(\\sqrt{n})$``),
    so math spans pass through untouched; only the text around them is simplified.
    """
    pieces: list[str] = []
    start = 0
    for span in _MATH_SPAN_RE.finditer(value):
        pieces.append(_plain(value[start : span.start()]))
        pieces.append(span.group(0))
        start = span.end()
    pieces.append(_plain(value[start:]))
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
    return unicodedata.normalize("NFC", text)


def _format_name(name: str) -> str:
    name = name.strip()
    if "," in name:
        parts = [p.strip() for p in name.split(",")]
        # "Last, First" or "Last, Jr, First"
        last, first = parts[0], parts[-1]
        suffix = f" {parts[1]}" if len(parts) == 3 else ""
        return f"{first} {last}{suffix}".strip()
    return name


def format_authors(raw: str) -> str:
    names = [_format_name(n) for n in re.split(r"\s+and\s+", latex_to_text(raw)) if n.strip()]
    if not names:
        return ""
    if names[-1].lower() == "others":
        names = names[:-1]
        return ", ".join(names) + " et al."
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def entry_url(fields: dict[str, str]) -> str:
    """The best link for an entry: DOI, then an http(s) url, then arXiv. Never another scheme."""
    doi = fields.get("doi", "").strip()
    if doi:
        doi = _DOI_PREFIX_RE.sub("", doi)
        if re.fullmatch(r"10\.\d{3,9}/\S+", doi):
            return "https://doi.org/" + doi
    url = fields.get("url", "").strip()
    if url and _SAFE_URL_RE.match(url):
        return url
    eprint = fields.get("eprint", "").strip()
    archive = fields.get("archiveprefix", fields.get("eprinttype", "")).strip().lower()
    if eprint and (archive in ("", "arxiv")):
        m = _ARXIV_ID_RE.match(eprint)
        if m:
            return "https://arxiv.org/abs/" + m.group(1) + (m.group(2) or "")
    return ""


def _venue(entry_type: str, fields: dict[str, str]) -> str:
    for name in ("journal", "booktitle", "publisher", "school", "institution", "howpublished"):
        value = fields.get(name, "")
        if value:
            return latex_to_text(value)
    if fields.get("eprint") and fields.get("archiveprefix", "arxiv").lower() == "arxiv":
        return "arXiv:" + latex_to_text(fields["eprint"])
    return ""


@dataclass
class Bibliography:
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_bibliography(source: str) -> Bibliography:
    """Parse BibTeX text; syntax problems become errors, never exceptions."""
    bib = Bibliography()
    if not source.strip():
        return bib
    try:
        library = bibtexparser.parse_string(source)
    except Exception as exc:  # the parser is strict but should not take the page down
        bib.errors.append(f"Bibliography could not be read: {exc}")
        return bib
    for block in library.failed_blocks:
        first = (getattr(block, "raw", "") or "").strip().splitlines()[:1]
        start = getattr(block, "start_line", None)
        where = f" near line {start + 1}" if isinstance(start, int) else ""
        error = getattr(block, "error", None)
        text = str(getattr(error, "abort_reason", "") or error or "")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        reason = lines[-1] if lines else "syntax error"
        snippet = f" ({first[0][:60]})" if first else ""
        bib.errors.append(f"Bibliography entry could not be read{where}{snippet}: {reason}")
    for entry in library.entries:
        fields = {k.lower(): str(f.value) for k, f in entry.fields_dict.items()}
        fields["_type"] = entry.entry_type.lower()
        bib.entries[entry.key] = fields
    return bib


def reference_record(key: str, number: int, fields: dict[str, str]) -> dict[str, Any]:
    """The plain-data description of a cited entry, as exposed in ``Rendered.references``."""
    return {
        "key": key,
        "number": number,
        "authors": format_authors(fields.get("author", "") or fields.get("editor", "")),
        "title": latex_to_text(fields.get("title", "")),
        "year": latex_to_text(fields.get("year", "")),
        "venue": _venue(fields.get("_type", ""), fields),
        "url": entry_url(fields),
    }


def anchor_id(key: str) -> str:
    return "ref-" + re.sub(r"[^A-Za-z0-9_.:-]", "-", key)


def _backlinks(places: list[str]) -> str:
    """Links from a reference back to each place that cites it: one arrow, or lettered like an encyclopaedia's."""
    if not places:
        return ""
    if len(places) == 1:
        return (
            f' <span class="ref-backlinks"><a class="ref-backlink" href="#{places[0]}" '
            'aria-label="Back to where this is cited" title="Back to where this is cited">↩</a></span>'
        )
    letters = "abcdefghijklmnopqrstuvwxyz"
    links = " ".join(
        f'<a class="ref-backlink" href="#{place}" aria-label="Back to citation {i + 1}">{letters[i % 26]}</a>'
        for i, place in enumerate(places)
    )
    return f' <span class="ref-backlinks" title="Back to where this is cited">↩ {links}</span>'


def references_html(records: list[dict[str, Any]], *, cited_at: dict[str, list[str]] | None = None) -> str:
    """The reference list section, one item per cited entry, in citation order.

    ``cited_at`` maps a key to the ids of the citations that cite it; each
    item then links back to them.
    """
    if not records:
        return ""
    cited_at = cited_at or {}
    items = []
    for rec in records:
        parts = []
        if rec["authors"]:
            parts.append(f'<span class="ref-authors">{html.escape(rec["authors"])}</span>.')
        if rec["title"]:
            parts.append(f'<span class="ref-title">{html.escape(rec["title"])}</span>.')
        if rec["venue"]:
            parts.append(f"<em>{html.escape(rec['venue'])}</em>{',' if rec['year'] else '.'}")
        if rec["year"]:
            parts.append(f"{html.escape(rec['year'])}.")
        if rec["url"]:
            url = html.escape(rec["url"], quote=True)
            parts.append(f'<a href="{url}">{url}</a>')
        back = _backlinks(cited_at.get(rec["key"], []))
        items.append(f'<li id="{html.escape(anchor_id(rec["key"]))}">{" ".join(parts)}{back}</li>')
    return (
        '<section class="references" aria-labelledby="references">'
        '<h2 id="references">References</h2><ol>' + "".join(items) + "</ol></section>"
    )


def resolve_citations(
    body: str, *, token: str, groups: list[list[tuple[str, str]]], bibliography: Bibliography, errors: list[str]
) -> tuple[str, list[dict[str, Any]], dict[str, list[str]]]:
    """Replace citation tokens (``token``: a pattern whose group 1 indexes ``groups``) with numbered links.

    Returns the new body, the cited records in citation order, and for each key
    the ids of the places citing it. Unknown keys are added to ``errors``.
    """
    numbers: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    reported: set[str] = set()
    entries = bibliography.entries
    cited_at: dict[str, list[str]] = {}

    def repl(m: re.Match[str]) -> str:
        index = int(m.group(1))
        if index >= len(groups):
            return m.group(0)
        parts = []
        group = groups[index]
        anchor = f"cite-{index + 1}"
        for key, locator in group:
            suffix = f", {html.escape(locator)}" if locator else ""
            if key not in entries:
                if key not in reported:
                    reported.add(key)
                    hint = ""
                    if key.startswith(("fig:", "eq:")):
                        hint = f" (to refer to a figure or an equation write @{key} without brackets)"
                    errors.append(f"Unknown citation key @{key}: it is not in the bibliography{hint}")
                missing = f'<span class="citation-missing" title="Unknown citation">?{html.escape(key)}</span>'
                parts.append(missing + suffix)
                continue
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                records.append(reference_record(key, numbers[key], entries[key]))
            places = cited_at.setdefault(key, [])
            if anchor not in places:
                places.append(anchor)
            parts.append(f'<a href="#{html.escape(anchor_id(key))}">{numbers[key]}</a>{suffix}')
        separator = "; " if any(locator for _, locator in group) else ", "
        return f'<span class="citation" id="{anchor}">[{separator.join(parts)}]</span>'

    body = re.sub(token, repl, body)
    return body, records, cited_at
