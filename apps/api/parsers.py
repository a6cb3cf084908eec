"""The API's JSON parser: DRF's, refusing a document nested deeper than any request needs.

Python's json module recurses once per level of nesting, so a body of a few
thousand "[" would end in a RecursionError (a 500). The nesting is measured
first, in one pass over the bytes that skips strings, and a body deeper than
MAX_JSON_DEPTH is a 400 that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from apps.core.jsondepth import json_depth

# Every request body of this API is an object of at most a few levels (run parameters are flat or lists).
MAX_JSON_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """JSON bodies up to MAX_JSON_DEPTH levels deep; deeper ones are refused before parsing."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read()
        depth = json_depth(raw)
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"The JSON body is nested {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted.")
        return super().parse(BytesIO(raw), media_type, dict(parser_context or {}))
