"""The development secret key: random, made once per VAR_DIR, readable only by its owner.

A key written in the source is known to everyone who can read the source, and
anyone who knows it can sign what the site trusts (sessions, password reset and
unsubscribe links). While DEBUG is on and DJANGO_SECRET_KEY is not set, the site
uses a key of its own instead, kept in VAR_DIR so that sessions survive a restart.
Production never comes here: without DJANGO_SECRET_KEY it refuses to start.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE_NAME = "secret_key"
MIN_LENGTH = 50


def development_secret_key(var_dir: Path) -> str:
    """The key in ``var_dir/secret_key``, made (mode 0600) by the first process that asks for it."""
    path = var_dir / FILE_NAME
    if not path.exists():
        _create(path)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        # Someone loosened it (or a copy brought it so): only the site's own user may read it.
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        raise ImproperlyConfigured(f"{path} holds no usable secret key; delete it and start again to make a new one")
    return key


def _create(path: Path) -> None:
    # Written whole under a temporary name, then linked into place: link() fails if the
    # file exists, so of several processes starting at once (test workers, the web server
    # and its worker) exactly one key wins and nobody reads a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, (secrets.token_urlsafe(64) + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
