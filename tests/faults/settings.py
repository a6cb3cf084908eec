"""Settings of the servers the fault-injection suite starts: the site's own, with plain static files.

Production serves hashed static files collected by ``collectstatic`` (minutes of
compressing BokehJS on a small machine); the outages tested here have nothing
to do with static files, so the servers resolve them by name instead, as the
rest of the test suite does. Everything else is config.settings, read from the
environment the suite sets.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
