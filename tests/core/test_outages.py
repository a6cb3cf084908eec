"""Which failures are outages (503, naming the database or the disk) and which are bugs (500)."""

from __future__ import annotations

import errno

from django.db import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from apps.core.outages import DATABASE_DOWN, DISK_FULL, outage_message


def _raised_from(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise RuntimeError("while rendering the page") from inner
    except RuntimeError as outer:
        return outer


def test_an_unreachable_database_is_named_as_such() -> None:
    assert outage_message(OperationalError("connection failed: Connection refused")) == DATABASE_DOWN
    assert outage_message(InterfaceError("connection already closed")) == DATABASE_DOWN


def test_a_full_disk_is_named_as_such_whether_the_database_or_a_file_met_it() -> None:
    assert outage_message(OperationalError("database or disk is full")) == DISK_FULL
    assert outage_message(OperationalError('could not extend file "base/16384/2619": No space left on device')) == (
        DISK_FULL
    )
    assert outage_message(OSError(errno.ENOSPC, "No space left on device")) == DISK_FULL
    assert outage_message(OSError(errno.EDQUOT, "Disk quota exceeded")) == DISK_FULL


def test_an_outage_raised_from_deeper_down_is_still_found() -> None:
    assert outage_message(_raised_from(OperationalError("server closed the connection unexpectedly"))) == DATABASE_DOWN


def test_bugs_stay_bugs() -> None:
    assert outage_message(IntegrityError("duplicate key value")) is None
    assert outage_message(ProgrammingError('relation "x" does not exist')) is None
    assert outage_message(OSError(errno.ENOENT, "No such file or directory")) is None
    assert outage_message(ValueError("bad")) is None
    assert outage_message(None) is None
