"""Who may spend the site's compute, told before the form: new members get starter runs, established members any."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.experiments.models import Run
from apps.experiments.services import run_request

pytestmark = pytest.mark.django_db

PAGE = "/experiments/deep_linear/"


def test_a_verified_new_member_can_run_the_smoke_preset_at_once(charlie):
    run, created = run_request(requester=charlie, experiment="deep_linear", params={"lr": 0.04}, preset="smoke")
    assert created and run.requested_by == charlie


def test_a_new_member_cannot_run_anything_larger_than_the_smoke_preset(charlie):
    with pytest.raises(PermissionDenied, match="larger than a starter run"):
        run_request(requester=charlie, experiment="deep_linear", params={"steps": 100_000}, preset="smoke")
    with pytest.raises(PermissionDenied, match="larger than a starter run"):
        run_request(requester=charlie, experiment="deep_linear", params={}, preset="full")
    assert not Run.objects.exists()


def test_a_new_members_starter_runs_are_few_and_one_at_a_time(charlie, settings):
    run_request(requester=charlie, experiment="deep_linear", params={"lr": 0.04}, preset="smoke")
    with pytest.raises(ValidationError, match="limit is 1"):
        run_request(requester=charlie, experiment="deep_linear", params={"lr": 0.03}, preset="smoke")
    Run.objects.update(status="succeeded")
    settings.RUNS_STARTER_PER_DAY = 1
    with pytest.raises(ValidationError, match="may request 1 in all"):
        run_request(requester=charlie, experiment="deep_linear", params={"lr": 0.03}, preset="smoke")


def test_a_new_member_without_a_verified_address_cannot_run(make_user):
    dora = make_user("dora", verified=False, trusted=False)
    with pytest.raises(PermissionDenied, match="Verify your email address"):
        run_request(requester=dora, experiment="deep_linear", params={}, preset="smoke")


def test_an_established_member_can_request_a_larger_run(bob):
    run, created = run_request(requester=bob, experiment="deep_linear", params={"steps": 3000}, preset="smoke")
    assert created and run.requested_by == bob


@pytest.mark.parametrize(
    ("who", "told"),
    [
        (None, "Sign in to run this experiment."),
        ("charlie", "You can run the smoke preset"),
        ("dora", "You cannot request runs yet."),
        ("bob", "more runs today"),
    ],
)
def test_the_page_says_before_the_form_whether_and_what_the_reader_may_run(client, make_user, charlie, bob, who, told):
    people = {"charlie": charlie, "bob": bob, "dora": make_user("dora", verified=False, trusted=False)}
    if who:
        client.force_login(people[who], backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(PAGE).content.decode()
    box, form = html.index('id="run-eligibility"'), html.index('class="config-form"')
    assert box < form and told in html[box:form]
    assert ("disabled" in html[form : html.index("</form>", form)]) == (who == "dora")


def test_the_form_tells_a_new_member_why_a_larger_run_is_refused_and_saves_nothing(client, charlie):
    client.force_login(charlie, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("experiments:detail", args=["deep_linear"]), {"preset": "full"})
    assert response.status_code == 403
    assert b"larger than a starter run" in response.content and b"any run opens once" in response.content
    assert Run.objects.count() == 0


def test_an_unknown_preset_is_an_error_on_the_form_never_another_preset(client, bob):
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(PAGE, {"preset": "gigantic"})
    assert response.status_code == 400 and b"There is no preset &#x27;gigantic&#x27;" in response.content
    assert Run.objects.count() == 0
    assert client.get(f"{PAGE}?preset=gigantic").status_code == 400
