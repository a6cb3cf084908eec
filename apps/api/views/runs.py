"""Experiments and runs: request, watch, download, cancel and reproduce, all through apps.experiments.services."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api import serializers as s
from apps.api.base import ApiMixin
from apps.api.etags import conditional
from apps.api.schema import LIST, READ, WRITE
from apps.experiments.data_views import run_download
from apps.experiments.filters import RunFilter
from apps.experiments.models import Experiment, Run, RunStatus
from apps.experiments.services import experiment_sync, run_cancel, run_reproduce, run_request


@extend_schema(tags=["experiments"], responses={200: s.ExperimentSerializer(many=True), **LIST})
class ExperimentList(ApiMixin, generics.ListAPIView):
    """The reference experiments the site can run."""

    serializer_class = s.ExperimentSerializer
    ordering = ("name",)
    filter_backends: list = []

    def get_queryset(self) -> Any:
        experiment_sync()
        return Experiment.objects.filter(available=True)


@extend_schema(tags=["experiments"], responses={200: s.ExperimentDetailSerializer, **READ})
class ExperimentDetail(ApiMixin, generics.GenericAPIView):
    """One experiment with the JSON Schema of its configuration and its presets."""

    serializer_class = s.ExperimentDetailSerializer
    pagination_class = None

    def get(self, request: Request, name: str) -> Response:
        from compute import registry

        experiment_sync()
        experiment = get_object_or_404(Experiment, name=name, available=True)
        try:
            registry.get(name)
        except registry.UnknownExperiment:
            raise Http404("No such experiment") from None
        return Response(s.ExperimentDetailSerializer(experiment).data)


class RunList(ApiMixin, generics.ListAPIView):
    """Runs, newest first. POST requests a run: 202 and a Location for a new one, 200 for an identical request."""

    serializer_class = s.RunSerializer
    filterset_class = RunFilter
    ordering = ("-created_at", "-id")
    throttle_scope = "runs"

    def get_queryset(self) -> Any:
        return Run.objects.visible_to(self.request.user).select_related("requested_by").defer("provenance", "traceback")

    @extend_schema(tags=["runs"], responses={200: s.RunSerializer(many=True), **LIST})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["runs"],
        request=s.RunRequestSerializer,
        responses={
            202: OpenApiResponse(s.RunDetailSerializer, description="A new run was created and queued."),
            200: OpenApiResponse(s.RunDetailSerializer, description="An identical run already exists; here it is."),
            **WRITE,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = s.RunRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run, created = run_request(
            requester=request.user,
            experiment=data["experiment"],
            params=data["params"],
            preset=data["preset"] or None,
        )
        body = s.RunDetailSerializer(run, context={"request": request}).data
        if created:
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
        return Response(body, status=status.HTTP_200_OK, headers={"Content-Location": body["url"]})


def _run(request: Request, pk: int) -> Run:
    """The run, if the caller may see it (404 otherwise, as for a run that does not exist)."""
    return get_object_or_404(Run.objects.visible_to(request.user).select_related("requested_by", "experiment"), pk=pk)


@extend_schema(tags=["runs"], responses={200: s.RunDetailSerializer, 304: OpenApiResponse(None), **READ})
class RunDetail(ApiMixin, generics.GenericAPIView):
    """Status, progress, configuration and provenance of a run; poll it until `finished` is true.

    Finished runs never change, so they carry an ETag.
    """

    serializer_class = s.RunDetailSerializer
    pagination_class = None

    def get(self, request: Request, pk: int) -> HttpResponseBase:
        run = _run(request, pk)
        return conditional(
            request, s.RunDetailSerializer(run, context={"request": request}).data, cacheable=run.is_finished
        )


def _as_api_read(response: HttpResponseBase) -> HttpResponseBase:
    # Like every API read: what is sent may depend on who asks, so caches key on credentials too.
    patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
    return response


def _result(request: Request, pk: int) -> tuple[Run, Any]:
    run = _run(request, pk)
    result = getattr(run, "result", None) if run.status == RunStatus.SUCCEEDED else None
    if result is None:
        raise Http404("This run has no result (yet).")
    return run, result.data


@extend_schema(tags=["runs"], responses={200: s.RunResultSerializer, 304: OpenApiResponse(None), **READ})
class RunResult(ApiMixin, generics.GenericAPIView):
    """The result of a succeeded run as JSON, with its configuration and provenance. Sends an ETag."""

    serializer_class = s.RunResultSerializer
    pagination_class = None

    def get(self, request: Request, pk: int) -> HttpResponseBase:
        run, _ = _result(request, pk)
        # The run page's file: written once, sent compressed, validated by the result digest, rate-limited alike.
        return _as_api_read(run_download(request._request, run, "result-json"))


@extend_schema(tags=["runs"], responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), **READ})
class RunResultCsv(ApiMixin, generics.GenericAPIView):
    """Every numeric series of a succeeded run's result as a CSV column (the same file as the run page's)."""

    serializer_class = None
    pagination_class = None

    def get(self, request: Request, pk: int) -> HttpResponseBase:
        run, _ = _result(request, pk)  # 404 in the API's error format when there is nothing to download
        return _as_api_read(run_download(request._request, run, "result-csv"))  # the same file as the run page's


class RunCancel(ApiMixin, generics.GenericAPIView):
    """Cancel a queued or running run (the person who requested it, or staff). A finished run is left as it is."""

    serializer_class = s.RunDetailSerializer
    pagination_class = None

    @extend_schema(tags=["runs"], request=None, responses={200: s.RunDetailSerializer, **WRITE})
    def post(self, request: Request, pk: int) -> Response:
        run = run_cancel(run=_run(request, pk), user=request.user)
        return Response(s.RunDetailSerializer(run, context={"request": request}).data)


class RunReproduce(ApiMixin, generics.GenericAPIView):
    """Run a succeeded run again, ignoring the cache; the new run records whether it matched."""

    serializer_class = s.RunDetailSerializer
    pagination_class = None
    throttle_scope = "runs"

    @extend_schema(
        tags=["runs"],
        request=None,
        responses={202: OpenApiResponse(s.RunDetailSerializer, description="The reproduction, queued."), **WRITE},
    )
    def post(self, request: Request, pk: int) -> Response:
        copy = run_reproduce(run=_run(request, pk), user=request.user)
        body = s.RunDetailSerializer(copy, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
