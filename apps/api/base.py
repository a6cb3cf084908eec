"""What every API view shares: authentication order, throttles, pagination, permissions and errors."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import BasePagination
from rest_framework.permissions import IsAuthenticatedOrReadOnly

from apps.api.errors import exception_handler
from apps.api.pagination import Cursor
from apps.api.throttles import ReadThrottle, RunRequestThrottle, WriteThrottle


class Metadata(SimpleMetadata):
    """OPTIONS answers with names and media types only: the OpenAPI schema documents the inputs."""

    def determine_actions(self, request: Any, view: Any) -> dict:
        return {}


class ApiMixin:
    # Token first: DRF answers 401 with "WWW-Authenticate: Token" only when the
    # first authenticator names a scheme; session first would turn 401 into 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_classes = [ReadThrottle, WriteThrottle, RunRequestThrottle]
    pagination_class: type[BasePagination] | None = Cursor  # detail views set None
    metadata_class = Metadata

    def get_exception_handler(self) -> Any:
        return exception_handler
