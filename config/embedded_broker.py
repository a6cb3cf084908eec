"""The embedded broker: Celery's filesystem transport, made safe against a full disk.

kombu's filesystem transport writes each message straight into the queue
folder, so a write that fails half-way (a full disk) leaves a truncated or
empty message file there, and the next worker to read it stops with an
unreadable-JSON error, on every restart, until someone deletes the file.
Here a message is written under a temporary name and renamed into the queue
only once complete (readers never see a partial message), a failed write
says what was full and cleans up, and a message that cannot be read is
moved to ``<broker>/quarantine/`` with its name logged instead of stopping
the worker. Messages are taken by priority, then in order (kombu's
transport ignores priorities), as Redis does. Selected by CELERY_BROKER_TRANSPORT in config/settings.py
whenever CELERY_BROKER_URL is ``filesystem://``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem

log = logging.getLogger(__name__)

# Readers take only files named "<stamp>_<uuid>.<queue>.msg"; this prefix never matches.
PARTIAL_PREFIX = "partial-"


class Channel(filesystem.Channel):
    # kombu's virtual base and its filesystem channel name this argument differently; callers pass it by position.
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Names sort by priority first (0, taken first, is what people wait for), then by time.
        priority = self._get_message_priority(message, reverse=False)
        name = f"{priority}-{int(filesystem.monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f"{PARTIAL_PREFIX}{name}"
        try:
            with open(partial, "wb") as handle:
                handle.write(json.dumps(message).encode())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, folder / name)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ChannelError(
                f"The embedded broker could not store a message in {folder}: {exc.strerror or exc}. "
                "Is the disk under VAR_DIR full?"
            ) from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """Take the oldest complete message of ``queue``; quarantine, log and skip one that cannot be read."""
        inbox = Path(self.data_folder_in)
        claimed = Path(self.processed_folder)
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(inbox)):
            if name.partition(".")[2] != wanted:
                continue
            mine = claimed / name
            try:
                os.replace(inbox / name, mine)  # atomic: exactly one consumer gets it
            except OSError:
                continue  # another consumer took it meanwhile
            try:
                payload = json.loads(mine.read_bytes())
            except (OSError, ValueError) as exc:
                quarantine = inbox.parent / "quarantine"
                quarantine.mkdir(parents=True, exist_ok=True)
                os.replace(mine, quarantine / name)
                log.error("unreadable broker message %s moved to %s: %s", name, quarantine, exc)
                continue
            if self.store_processed:
                return payload
            mine.unlink(missing_ok=True)
            return payload
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
