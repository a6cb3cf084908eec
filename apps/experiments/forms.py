"""The re-run form, generated from an experiment's typed configuration (its JSON schema).

Bounds become ``min``/``max`` on number inputs, lists are comma-separated text,
booleans are checkboxes. Values go back to pydantic as text, which coerces and
validates them; its errors come back per field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from apps.core.jsondepth import json_depth
from compute.protocol import Experiment as ReferenceSpec

MAX_FORM_JSON_DEPTH = 16


@dataclass
class ConfigField:
    name: str
    label: str
    kind: str  # number, integer, boolean, list, choice, text
    value: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    choices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: bool = False

    @property
    def input_id(self) -> str:
        return f"id_{self.name}"


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _resolve(prop: dict[str, Any]) -> dict[str, Any]:
    # Optional fields come as anyOf [type, null]; the non-null branch carries the bounds.
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            return {**branch, **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


def _default(spec: ReferenceSpec, name: str, prop: dict[str, Any]) -> Any:
    # default_factory values (lists) are not in the JSON schema; ask the model.
    model_field = spec.config.model_fields.get(name)
    if model_field is not None:
        try:
            return model_field.get_default(call_default_factory=True)
        except TypeError:
            pass
    return prop.get("default")


def config_fields(
    spec: ReferenceSpec, *, values: dict[str, Any], errors: dict[str, list[str]] | None = None
) -> list[ConfigField]:
    """One ConfigField per configuration field, filled with ``values``."""
    schema = spec.json_schema()
    errors = errors or {}
    out: list[ConfigField] = []
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(raw)
        kind = prop.get("type", "text")
        value = values[name] if name in values else _default(spec, name, prop)
        item = ConfigField(
            name=name,
            label=prop.get("title", name.replace("_", " ")),
            kind="text",
            value=_as_text(value),
            help=prop.get("description", ""),
            errors=list(errors.get(name, [])),
        )
        if "enum" in prop:
            item.kind, item.choices = "choice", [str(c) for c in prop["enum"]]
        elif kind in ("integer", "number"):
            item.kind = kind
            item.minimum = prop.get("minimum", prop.get("exclusiveMinimum"))
            item.maximum = prop.get("maximum", prop.get("exclusiveMaximum"))
            item.step = "1" if kind == "integer" else "any"
        elif kind == "boolean":
            item.kind, item.checked = "boolean", bool(value)
        elif kind == "array":
            item.kind = "list"
        out.append(item)
    # Errors about the whole configuration or unknown names are shown above the form.
    return out


def parse_params(spec: ReferenceSpec, data: QueryDict) -> dict[str, Any]:
    """The configuration values a submitted form sets (empty fields are left to the preset)."""
    schema = spec.json_schema()
    params: dict[str, Any] = {}
    for name, raw in schema.get("properties", {}).items():
        prop = _resolve(raw)
        kind = prop.get("type")
        if kind == "boolean":
            params[name] = data.get(name) in ("on", "true", "1")
            continue
        text = (data.get(name) or "").strip()
        if text == "":
            continue
        if kind == "array":
            text = text.strip("[]")
            params[name] = [part.strip() for part in text.split(",") if part.strip()]
        elif kind in ("object",):
            try:
                # Too deep to be a configuration: left as text, which the typed config then refuses by name.
                params[name] = json.loads(text) if json_depth(text) <= MAX_FORM_JSON_DEPTH else text
            except json.JSONDecodeError:
                params[name] = text
        else:
            params[name] = text
    return params


def general_errors(errors: dict[str, list[str]], fields: list[ConfigField]) -> list[str]:
    """Messages not attached to any visible field (cross-field checks, quota, preset)."""
    names = {f.name for f in fields}
    return [f"{'' if k == '__all__' else k + ': '}{m}" for k, ms in errors.items() if k not in names for m in ms]
