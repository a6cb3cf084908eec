"""How deeply a JSON text nests, measured without parsing it.

Python's json module recurses once per level of nesting, so a few thousand
"[" end in a RecursionError. Callers that parse JSON from people measure
first and refuse what no honest input needs.
"""

from __future__ import annotations


def json_depth(raw: bytes | str) -> int:
    """The deepest nesting of objects and arrays in a JSON text (brackets inside strings do not count)."""
    data = raw.encode() if isinstance(raw, str) else raw
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest
