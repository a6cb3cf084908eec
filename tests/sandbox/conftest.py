"""Every sandbox test needs root and bubblewrap: without them it skips, and fails under CI=true."""

from __future__ import annotations

import os

import pytest

from compute import sandbox


@pytest.fixture(autouse=True, scope="session")
def _sandbox_available() -> None:
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the sandbox must run under CI: {exc}")
        pytest.skip(str(exc))
