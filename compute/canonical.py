"""Canonical JSON and digests: same result, same bytes, same hash."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any


class NotSerialisable(TypeError):
    pass


def to_plain(value: Any) -> Any:
    """Convert tensors, numpy values and tuples into plain JSON types.

    Floats that are not finite become None: JSON has no NaN, and a silent NaN
    in a stored result is worse than an explicit gap.
    """
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # torch.Tensor, numpy.ndarray and numpy scalars
        return to_plain(tolist())
    raise NotSerialisable(f"cannot store a value of type {type(value).__name__} in a result")


def canonical_json(value: Any) -> str:
    return json.dumps(to_plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def max_relative_difference(a: Any, b: Any) -> float:
    """Largest |x - y| / max(|x|, |y|, 1e-300) over matching numbers of two results.

    Any difference in structure, strings or booleans counts as infinite: two
    results that disagree in shape do not agree within any tolerance.
    """
    a, b = to_plain(a), to_plain(b)
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return math.inf
        return max((max_relative_difference(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return math.inf
        return max((max_relative_difference(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool) and not isinstance(b, bool):
        scale = max(abs(a), abs(b), 1e-300)
        return abs(a - b) / scale
    return 0.0 if a == b else math.inf
