"""Brand-new accounts may not spend the site's compute; established members may."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.experiments.models import Run
from apps.experiments.services import run_request


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("apps.experiments.tasks.execute_run.apply_async", lambda *a, **kw: None)


@pytest.mark.django_db
def test_a_brand_new_member_cannot_request_a_run(charlie):
    with pytest.raises(PermissionDenied, match="New accounts"):
        run_request(requester=charlie, experiment="deep_linear", params={}, preset="smoke")
    assert Run.objects.count() == 0


@pytest.mark.django_db
def test_an_established_member_can_request_a_run(bob):
    run, created = run_request(requester=bob, experiment="deep_linear", params={}, preset="smoke")
    assert created and run.requested_by == bob


@pytest.mark.django_db
def test_the_form_tells_a_new_member_why_and_saves_nothing(client, charlie):
    client.force_login(charlie, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("experiments:detail", args=["deep_linear"]), {"preset": "smoke"})
    assert response.status_code == 403
    assert b"New accounts can request runs" in response.content
    assert Run.objects.count() == 0
