"""Every sandbox test needs root and bubblewrap: without them it skips, and fails under CI=true.

A test holds its slot (tests/sandbox/__init__.py) for its whole length, so a test
run in another checkout on this machine never uses that slot's user meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from compute import sandbox
from tests.sandbox import SLOT


@pytest.fixture(autouse=True, scope="session")
def _sandbox_available() -> None:
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the sandbox must run under CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(autouse=True)
def _slot_held(machine_lock: Callable[[str], AbstractContextManager[None]]) -> Iterator[None]:
    with machine_lock(f"sandbox-slot-{SLOT}"):
        yield
