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
