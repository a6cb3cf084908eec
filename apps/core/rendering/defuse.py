"""Keep Markdown parsing linear in the length of a paragraph full of brackets.

Python-Markdown scans ahead from every unmatched '[' or '<' to the end of the
paragraph, so a paragraph of many of them costs (openers x length) and a few
kilobytes of "[a [a [a" take minutes. When a paragraph's cost passes
DEFUSE_BUDGET its brackets are escaped (outside code, math and citations): it then
renders as the same text, only without links or inline HTML.
"""

from __future__ import annotations

import re

DEFUSE_BUDGET = 200_000
_PROTECTED_RE = re.compile(r"(`+).+?\1|\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\$[^$\n]+\$|\[\s*@[^\[\]\n]*\]", re.DOTALL)
_OPENER_RE = re.compile(r"(?<!\\)[\[\]<]")


def _entity(m: re.Match[str]) -> str:
    # Character references, not backslashes: "\\[" would open display math.
    return f"&#{ord(m.group(0))};"


def _defuse_text(text: str) -> str:
    pieces: list[str] = []
    pos = 0
    for m in _PROTECTED_RE.finditer(text):
        pieces.append(_OPENER_RE.sub(_entity, text[pos : m.start()]))
        pieces.append(m.group(0))
        pos = m.end()
    pieces.append(_OPENER_RE.sub(_entity, text[pos:]))
    return "".join(pieces)


def defuse_blocks(lines: list[str], verbatim: list[bool]) -> list[str]:
    """Escape the brackets of every paragraph too costly to parse; `verbatim` lines (fenced code) are left alone."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            text = "\n".join(block)
            openers = text.count("[") + text.count("<")
            if openers * len(text) > DEFUSE_BUDGET:
                text = _defuse_text(text)
            out.extend(text.split("\n"))
            block.clear()

    for line, keep in zip(lines, verbatim, strict=True):
        if keep or not line.strip():
            flush()
            out.append(line)
        else:
            block.append(line)
    flush()
    return out
