"""The API documentation page in headless Chromium: Swagger UI starts under the strict CSP, with no console errors."""

from __future__ import annotations

import pytest

from tests.browser.chrome import console_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_every_section_without_console_errors(live_server, chromium) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    chromium.get(live_server.url + "/api/v1/docs/")
    WebDriverWait(chromium, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock-tag"))
    title = chromium.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    assert "learningmechanics.pub API" in title
    tags = {e.text.split("\n")[0].strip() for e in chromium.find_elements(By.CSS_SELECTOR, ".opblock-tag")}
    assert {"perspectives", "runs", "forum"} <= tags
    assert console_errors(chromium) == []
