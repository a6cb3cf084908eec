"""Browser tests drive headless Chromium; they skip where it is missing and fail under CI=true."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chrome import missing, start_chromium
from tests.figures.conftest import (  # noqa: F401  (shared fixtures; task messages go to a temporary broker)
    _broker_in_tmp,
    deep_linear_outcomes,
    finished_run,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"


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


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
