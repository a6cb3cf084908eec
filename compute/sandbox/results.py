"""Reading and validating the one thing a sandboxed run hands back: ``result.json``.

The file was written by untrusted code, so nothing here recurses on its
shape: the nesting depth is measured on the raw bytes (outside strings)
before the JSON parser, which recurses once per level, ever sees them, and
the validator walks the parsed value with an explicit stack.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable
from itertools import accumulate
from pathlib import Path
from typing import Any

from compute.sandbox.limits import Limits

RESULT_NAME = "result.json"

# Keys become column names and JavaScript property names: letters first.
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# A JSON string, escapes included; what is inside does not nest anything.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class ResultInvalid(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise ResultInvalid(f"result contains {name}, which is not a finite number")


def nesting_depth(raw: bytes) -> int:
    """How many arrays and objects the deepest point of a JSON text sits inside, counted without recursion."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_STEP.__getitem__, brackets), initial=0))


def _place(where: str, name: str | int) -> str:
    return f"{where}[{name}]" if isinstance(name, int) else f"{where}.{name}"


def validate_result(data: Any, limits: Limits) -> dict[str, Any]:
    """Check that a result is a dict of numbers, lists of numbers and nested dicts thereof.

    A value's depth is the number of arrays and objects around it; nothing may
    sit deeper than ``limits.max_depth`` (so an array or object, whose items sit
    one deeper, at most ``max_depth - 1``). The walk keeps its own stack, so no
    shape of input makes it recurse.
    """
    if not isinstance(data, dict):
        raise ResultInvalid("result must be a JSON object")
    count = 0
    # Containers still to look into: (value, its depth, where it is). Depth 0 is the result itself.
    stack: list[tuple[dict[str, Any] | list[Any], int, str]] = [(data, 0, "result")]
    while stack:
        container, depth, where = stack.pop()
        if isinstance(container, dict):
            for key in container:
                if not isinstance(key, str) or not _KEY.fullmatch(key):
                    raise ResultInvalid(f"{where}: keys must be short identifiers, found {key!r:.80}")
            items: Iterable[tuple[str | int, Any]] = container.items()
        else:
            items = enumerate(container)
        children = []
        # Names of places are built only for containers and errors: a result may hold millions of numbers.
        for name, item in items:
            if isinstance(item, (list, dict)):
                if depth + 2 > limits.max_depth:  # its items would sit deeper than allowed
                    raise ResultInvalid(
                        f"the result is nested deeper than {limits.max_depth} levels at {_place(where, name)}"
                    )
                children.append((item, depth + 1, _place(where, name)))
                continue
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise ResultInvalid(f"{_place(where, name)}: only numbers are allowed, found {type(item).__name__}")
            if depth + 1 > limits.max_depth:
                raise ResultInvalid(
                    f"the result is nested deeper than {limits.max_depth} levels at {_place(where, name)}"
                )
            if isinstance(item, float) and not math.isfinite(item):
                raise ResultInvalid(f"{_place(where, name)}: not a finite number")
            count += 1
            if count > limits.max_numbers:
                raise ResultInvalid(f"result has more than {limits.max_numbers} numbers")
        stack.extend(reversed(children))  # so the first problem reported is the first in the file
    return data


def parse_result(raw: bytes, limits: Limits) -> dict[str, Any]:
    """Parse and validate the bytes of a result file, refusing a too-deep one before the parser sees it."""
    depth = nesting_depth(raw)
    if depth > limits.max_depth:
        raise ResultInvalid(f"the result is nested {depth} levels deep; at most {limits.max_depth} are allowed")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except ResultInvalid:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultInvalid(f"the result file is not valid JSON: {exc}") from None
    return validate_result(data, limits)


def read_result(directory: Path, limits: Limits) -> dict[str, Any]:
    """Open the result file without following links, read it with a bound, and validate it."""
    path = directory / RESULT_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ResultInvalid("the experiment wrote no result file") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the name is a symbolic link
            raise ResultInvalid("the result file is a symbolic link; refused") from None
        raise ResultInvalid(f"the result file cannot be opened: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ResultInvalid("the result file is not a regular file; refused")
        if info.st_size > limits.result_bytes:
            raise ResultInvalid(f"the result file is {info.st_size} bytes, over the {limits.result_bytes}-byte limit")
        chunks = []
        remaining = limits.result_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        raw = b"".join(chunks)
    finally:
        os.close(fd)
    if len(raw) > limits.result_bytes:
        raise ResultInvalid(f"the result file is over the {limits.result_bytes}-byte limit")
    return parse_result(raw, limits)
