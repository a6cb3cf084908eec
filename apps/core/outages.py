"""Which failures are outages of something the site depends on, and what to tell people about them.

A request that meets an unreachable database, or a full disk, is not
a bug in the site: the honest answer is 503 with a Retry-After and a sentence
naming what is missing, never a 500 or a traceback. The error views
(config/errors.py) and the API's error handler (apps/api/errors.py) both ask
here, so pages and API say the same thing.
"""

from __future__ import annotations

import errno

from django.db import InterfaceError, OperationalError

# Seconds a client is asked to wait before trying again.
RETRY_AFTER_S = 30

DATABASE_DOWN = "The site's database cannot be reached just now. Please try again in a minute."
DISK_FULL = "The server's disk is full, so nothing can be saved just now. Please try again later."

_DISK_FULL_SIGNS = ("disk is full", "no space left on device", "could not extend file", "database or disk is full")


def outage_message(exc: BaseException | None) -> str | None:
    """The sentence for people when ``exc`` (or an exception it was raised from) is an outage; None for a bug.

    Outages are Django's OperationalError and InterfaceError (the database
    refused or dropped the connection, or could not write) and a full disk
    (ENOSPC, EDQUOT: saving a file, a download's stored copy); any other
    error, an IntegrityError or ProgrammingError included, is a bug and stays a 500.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (OperationalError, InterfaceError)):
            text = str(exc).lower()
            return DISK_FULL if any(sign in text for sign in _DISK_FULL_SIGNS) else DATABASE_DOWN
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return DISK_FULL
        exc = exc.__cause__ or exc.__context__
    return None
