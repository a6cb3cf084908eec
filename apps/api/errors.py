"""One error format for every failure: {"error": {"code", "message", "fields"}}.

Services raise Django's ValidationError (with a field dict) and
PermissionDenied; the forum raises RateLimited. They are translated here, so
views never catch them and the API says exactly what the web pages say.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.outages import RETRY_AFTER_S, outage_message
from apps.forum.trust import RateLimited

NON_FIELD = "__all__"


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. not_found, invalid, throttled.")
    message = serializers.CharField(help_text="One sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field; '__all__' for the request as a whole.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


def error_response(
    code: str,
    message: str,
    status_code: int,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(body, status=status_code, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {field path: [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key in ("non_field_errors", NON_FIELD) else str(key)
            for field, messages in _flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}").items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        for i, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                for field, messages in _flatten(item, f"{prefix}[{i}]" if prefix else str(i)).items():
                    out.setdefault(field, []).extend(messages)
            else:
                out.setdefault(prefix or NON_FIELD, []).append(str(item))
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return out


def _first(fields: dict[str, list[str]], default: str) -> str:
    for field, messages in fields.items():
        if messages:
            return messages[0] if field == NON_FIELD else f"{field}: {messages[0]}"
    return default


def _django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {NON_FIELD: [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler with Django's exceptions mapped and every body in the one error format."""
    if isinstance(exc, DjangoValidationError):
        fields = _django_validation_fields(exc)
        code = "quota_exceeded" if "quota" in fields else "invalid"
        return error_response(code, _first(fields, "Invalid input."), status.HTTP_400_BAD_REQUEST, fields)
    if isinstance(exc, RateLimited):
        return error_response(
            "throttled", exc.message, status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, SuspiciousOperation):
        # Too many form fields, an oversized body: Django would answer with its HTML 400 page.
        return error_response("bad_request", str(exc) or "Bad request.", status.HTTP_400_BAD_REQUEST)
    outage = outage_message(exc)
    if outage is not None:
        # The database is down or its disk full: not the client's fault nor a bug; say when to come back.
        return error_response(
            "unavailable", outage, status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django answer 500 and log it
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = _first(fields, "Invalid input.")
        code = "invalid"
    else:
        fields = {}
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "Request failed."
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response
