"""The backup of docs/operations.md restores: ops/backup, then ops/restore into a fresh database and media folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.faults.conftest import base_env
from tests.faults.servers import ROOT, Postgres, manage

pytestmark = [pytest.mark.faults]

SEED = """
from apps.experiments.models import Experiment, Run, RunResult
exp, _ = Experiment.objects.get_or_create(name="deep_linear", defaults={"title": "Deep linear"})
for i in range(3):
    run = Run.objects.create(experiment=exp, config={"i": i}, config_hash=f"c{i}", code_hash="h",
                             cache_key=f"backup-{i}", status="succeeded", digest=f"d{i}")
    RunResult.objects.create(run=run, data={"metrics": {"i": i}, "series": list(range(100))})
"""


def test_a_backup_restores_into_a_fresh_database_with_its_runs_results_and_media(
    postgres: Postgres, template_database: tuple[str, str], faults_dir: Path
) -> None:
    postgres.sql(f"CREATE DATABASE lm_backed_up TEMPLATE {template_database[0]}")
    postgres.sql("CREATE DATABASE lm_restored")
    media = faults_dir / "backup-media"
    (media / "figures").mkdir(parents=True)
    (media / "figures" / "run-1.png").write_bytes(b"\x89PNG not really" * 100)
    env = {**base_env(faults_dir / "var-backup"), "DATABASE_URL": postgres.url("lm_backed_up")}
    manage(env, "shell", "-c", SEED)

    # The server's own client tools: pg_dump must be at least as new as the server.
    tools = {"PATH": f"{postgres.bin}:{os.environ['PATH']}", "MEDIA_ROOT": str(media)}
    backups = faults_dir / "backups"
    made = subprocess.run(
        [str(ROOT / "ops" / "backup"), str(backups)],
        env={**os.environ, **tools, "DATABASE_URL": postgres.url("lm_backed_up")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    assert {p.name for p in backup.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS"}

    restored_media = faults_dir / "restored-media"
    done = subprocess.run(
        [str(ROOT / "ops" / "restore"), str(backup)],
        env={**os.environ, **tools, "DATABASE_URL": postgres.url("lm_restored"), "MEDIA_ROOT": str(restored_media)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    def rows(database: str) -> list[tuple[object, ...]]:
        with psycopg.connect(postgres.url(database)) as conn:
            return conn.execute(
                "SELECT r.cache_key, r.status, r.digest, x.data FROM experiments_run r "
                "JOIN experiments_runresult x ON x.run_id = r.id ORDER BY r.cache_key"
            ).fetchall()

    assert len(rows("lm_restored")) == 3
    assert rows("lm_restored") == rows("lm_backed_up")
    assert (restored_media / "figures" / "run-1.png").read_bytes() == (media / "figures" / "run-1.png").read_bytes()
    # The restored database is the site's: its migrations are all applied, so the site starts on it.
    plan = manage({**env, "DATABASE_URL": postgres.url("lm_restored")}, "migrate", "--plan")
    assert "No planned migration operations" in plan

    # A damaged backup is refused before anything is written.
    (backup / "database.dump").write_bytes(b"damaged")
    postgres.sql("CREATE DATABASE lm_restored_again")
    refused = subprocess.run(
        [str(ROOT / "ops" / "restore"), str(backup)],
        env={**os.environ, **tools, "DATABASE_URL": postgres.url("lm_restored_again")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    with psycopg.connect(postgres.url("lm_restored_again")) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)
