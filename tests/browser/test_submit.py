"""An author writes a draft in Chromium, sees the live preview render the math, saves and submits it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.submissions.models import State, Submission
from tests.browser.chrome import console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(driver: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    driver.get(f"{live_server.url}/healthz/")
    driver.add_cookie(
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "path": "/"}
    )


def test_an_author_writes_previews_and_submits_a_draft(
    live_server: Any, chromium: Any, alice: Any, ed: Any, screenshot_dir: Any
) -> None:
    driver = chromium
    _log_in(driver, live_server, alice)
    driver.get(f"{live_server.url}/write/new/")
    driver.find_element(By.ID, "id_title").send_keys("Plateaus in deep linear networks")
    driver.find_element(By.ID, "id_summary").send_keys("Why the loss pauses before each drop.")
    driver.find_element(By.ID, "id_body").send_keys(
        "# Plateaus\n\nEach mode grows as $u(t) = \\frac{s}{1 + e^{-2st}}$ once it escapes.\n"
    )

    preview = driver.find_element(By.ID, "write-preview")
    WebDriverWait(driver, 20).until(lambda d: preview.find_elements(By.TAG_NAME, "math"))
    assert preview.find_element(By.TAG_NAME, "h1").text == "Plateaus"
    driver.save_screenshot(str(screenshot_dir / "submit-preview.png"))

    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: "/edit/" in d.current_url and "Draft saved" in d.page_source)
    submission = Submission.objects.get()
    assert "\\frac{s}" in submission.body

    driver.get(f"{live_server.url}/write/{submission.pk}/")
    driver.find_element(By.ID, "submit-note").send_keys("Ready for review.")
    driver.find_element(By.CSS_SELECTOR, f"form[action='/write/{submission.pk}/submit/'] button").click()
    WebDriverWait(driver, 20).until(lambda d: "Submitted to the editors" in d.page_source)
    submission.refresh_from_db()
    assert submission.state == State.SUBMITTED
    assert submission.transitions.get().note == "Ready for review."
    assert console_errors(driver) == []


def test_an_author_experiment_figure_is_drawn_from_its_spec(
    live_server: Any, chromium: Any, alice: Any, ed: Any
) -> None:
    from apps.experiments.models import Run, RunResult
    from apps.submissions import services
    from tests.browser.chrome import DRAWN_PIXELS_JS
    from tests.factories import GOOD_SOURCE, SPEC

    draft = services.submission_create(author=alice, fields={"title": "T", "summary": "S", "body": "B"})
    exp = services.author_experiment_save(
        submission=draft, user=alice, name="squares", source=GOOD_SOURCE, figure_spec=SPEC
    )
    services.author_experiment_approve(
        experiment=exp, editor=ed, sha256=exp.sha256, spec_sha256=services.spec_fingerprint(exp.figure_spec)
    )
    run, _ = services.author_experiment_run(experiment=exp, user=alice)
    RunResult.objects.create(run=run, data={"x": [0.0, 1.0, 2.0, 3.0], "y": [0.0, 1.0, 4.0, 9.0]})
    Run.objects.filter(pk=run.pk).update(status="succeeded", digest="browser-squares")

    _log_in(chromium, live_server, alice)
    for page in (f"/write/experiments/{exp.pk}/", f"/experiments/runs/{run.pk}/"):
        chromium.get(live_server.url + page)
        plot = chromium.find_element(By.CSS_SELECTOR, ".lm-figure-plot")
        WebDriverWait(chromium, 30).until(lambda d, p=plot: max(d.execute_script(DRAWN_PIXELS_JS, p) or [0]) > 1000)
        assert console_errors(chromium) == [], page
