"""Sandbox tests. They run as the user of one sandbox slot and check that none of its processes is left.

So two tests must never use one slot at once: each test process takes a slot
of its own, 6 + its pytest-xdist worker number (6 without xdist). Slots below
6 are left to the workers of a developer's machine; `make sandbox-users`
creates the users, and compute.sandbox creates any that is missing.
"""

from __future__ import annotations

import os

FIRST_TEST_SLOT = 6
SLOT = FIRST_TEST_SLOT + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
