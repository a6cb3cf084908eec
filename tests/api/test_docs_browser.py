"""The API documentation page in headless Chromium: Swagger UI starts under the strict CSP, with no console errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.chrome import missing, start_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium(tmp_path) -> Iterator[Any]:
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must provide it)")
        pytest.skip(reason)
    driver = start_chromium(str(tmp_path / "profile"))
    try:
        yield driver
    finally:
        driver.quit()


def test_swagger_ui_renders_every_section_without_console_errors(live_server, chromium) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chromium.get(live_server.url + "/api/v1/docs/")
    WebDriverWait(chromium, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock-tag"))
    title = chromium.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    assert "learningmechanics.pub API" in title
    tags = {e.text.split("\n")[0].strip() for e in chromium.find_elements(By.CSS_SELECTOR, ".opblock-tag")}
    assert {"perspectives", "runs", "forum"} <= tags
    errors = [
        e["message"]
        for e in chromium.get_log("browser")
        if e["level"] in ("SEVERE", "ERROR") and "favicon.ico" not in e["message"]
    ]
    assert errors == []
