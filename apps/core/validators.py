"""What a person may type into a title, a name or any other one-line field, and how old text is mended.

Control characters are invisible, some break things far from where they were
typed (XML feeds refuse most C0 characters; a line break in an email subject
makes Django refuse to send it) and others reorder what a reader sees (the
bidirectional overrides). One-line fields refuse them all with a message a
person can act on; prose fields (summaries, bodies) keep their line breaks and
tabs and refuse the rest.

``single_line`` mends text already stored (the data migrations that clean old
rows use it) and builds text for places that must be one line, such as email
subjects. ``xml_safe`` keeps only what XML 1.0 can carry: feeds use it on
whatever a database may still hold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import models

# Characters that end a line for str.splitlines(), which is how browsers, mail
# clients and Python all see them: LF, VT, FF, CR, the C0 separators FS/GS/RS,
# NEL (C1) and the Unicode line and paragraph separators.
LINE_BREAKS = "\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029"

# Embeddings, overrides and isolates: they make text display in another order than it is stored.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_LINE_BREAK_RE = re.compile(f"[{re.escape(LINE_BREAKS)}]")
# C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F), then the bidirectional controls.
_FORBIDDEN_RE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
# In prose, tab, LF and CR are writing; every other control character is still refused.
_FORBIDDEN_IN_TEXT_RE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_WHITESPACE_RUN_RE = re.compile(r"\s+")
# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and U+FFFE/U+FFFF.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _codepoint(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def validate_single_line(value: str) -> None:
    """Refuse line breaks and control characters (C0, C1, bidirectional controls) in a one-line field."""
    if not value:
        return
    if _LINE_BREAK_RE.search(value):
        raise ValidationError("Write this on one line: it contains a line break.", code="line_break")
    match = _FORBIDDEN_RE.search(value)
    if match:
        raise ValidationError(
            "Remove the invisible control character %(char)s: it has no place in this field.",
            code="control_character",
            params={"char": _codepoint(match.group())},
        )


def validate_text(value: str) -> None:
    """Refuse control characters in prose, where line breaks and tabs are welcome."""
    if not value:
        return
    match = _FORBIDDEN_IN_TEXT_RE.search(value)
    if match:
        raise ValidationError(
            "Remove the invisible control character %(char)s from the text.",
            code="control_character",
            params={"char": _codepoint(match.group())},
        )


def require_single_line(**fields: str) -> None:
    """Raise one ValidationError naming each field whose value is not a clean single line (for services)."""
    errors: dict[str, list[ValidationError]] = {}
    for field, value in fields.items():
        try:
            validate_single_line(value)
        except ValidationError as exc:
            errors[field] = [exc]
    if errors:
        raise ValidationError(errors)


def single_line(value: str) -> str:
    """The text as one clean line: control characters dropped, runs of whitespace and line breaks one space."""
    spaced = _LINE_BREAK_RE.sub(" ", value or "").replace("\t", " ")
    return _WHITESPACE_RUN_RE.sub(" ", _FORBIDDEN_RE.sub("", spaced)).strip()


def clean_text(value: str) -> str:
    """Prose with its control characters dropped; line breaks and tabs stay."""
    return _FORBIDDEN_IN_TEXT_RE.sub("", value or "")


def xml_safe(value: str) -> str:
    """The text without the characters XML 1.0 cannot carry (most of C0, lone surrogates, U+FFFE/U+FFFF)."""
    return _XML_ILLEGAL_RE.sub("", value)


def mend_rows(model: type[models.Model], *, one_line: Sequence[str] = (), prose: Sequence[str] = ()) -> int:
    """Clean stored rows as the validators would have them: ``one_line`` fields through ``single_line``,
    ``prose`` fields through ``clean_text``. Writes only the rows that change; returns how many.

    For data migrations, given the historical model (``apps.get_model``).
    """
    fields = [*one_line, *prose]
    mended = 0
    for row in model._default_manager.only("pk", *fields).iterator():
        changes: dict[str, str] = {}
        for name in fields:
            value = getattr(row, name)
            if not value:
                continue
            clean = single_line(value) if name in one_line else clean_text(value)
            if clean != value:
                changes[name] = clean
        if changes:
            model._default_manager.filter(pk=row.pk).update(**changes)
            mended += 1
    return mended
