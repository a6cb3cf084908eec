"""Without DJANGO_SECRET_KEY in development the site makes a random key once, keeps it in VAR_DIR readable
only by its owner, and reads it back; it never falls back to a key written in the source."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from config.dev_secret import development_secret_key

ROOT = Path(__file__).resolve().parent.parent


def _started_key(var_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Start the settings as a fresh process would, and print the key it chose."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "VAR_DIR"}
    env.update({"VAR_DIR": str(var_dir), "DJANGO_DEBUG": "1", **extra})
    return subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.SECRET_KEY)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_fresh_var_dir_gets_a_new_key_that_the_next_start_reads_again(tmp_path: Path) -> None:
    first = _started_key(tmp_path / "one")
    assert first.returncode == 0, first.stderr
    again = _started_key(tmp_path / "one")
    other = _started_key(tmp_path / "two")
    key = first.stdout.strip()
    assert len(key) >= 50
    assert again.stdout.strip() == key
    assert other.stdout.strip() != key
    assert (tmp_path / "one" / "secret_key").read_text().strip() == key


def test_processes_starting_together_on_a_fresh_var_dir_agree_on_one_key(tmp_path: Path) -> None:
    # The web server, its worker and test workers all start at once after a fresh checkout.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _started_key(tmp_path), range(4)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert len({r.stdout.strip() for r in results}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_the_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask would leave a new file readable by everyone
    try:
        development_secret_key(tmp_path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_a_key_file_opened_to_others_is_closed_again(tmp_path: Path) -> None:
    key = development_secret_key(tmp_path)
    (tmp_path / "secret_key").chmod(0o644)
    assert development_secret_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_a_key_from_the_environment_wins_and_writes_no_file(tmp_path: Path) -> None:
    result = _started_key(tmp_path, DJANGO_SECRET_KEY="k" * 60)
    assert result.stdout.strip() == "k" * 60
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_a_key_and_makes_none(tmp_path: Path) -> None:
    result = _started_key(tmp_path, DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert not (tmp_path / "secret_key").exists()
