"""``manage.py runlocal``: the web server and one local Celery worker, together.

Precomputes the smoke preset of every registered experiment in the
background (cached: a second start finds the existing runs at once) while the
site is already being served. Ctrl-C stops the server and the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def worker_command(*, concurrency: int = 1, name: str = "local", loglevel: str = "WARNING") -> list[str]:
    """The command line of a local worker that serves both queues."""
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        "experiments,default",
        "-c",
        str(concurrency),
        "-n",
        f"{name}@%h",
        "--loglevel",
        loglevel,
    ]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # The filesystem transport has no fanout: no gossip, mingle or remote control.
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return cmd


class Command(BaseCommand):
    help = "Start one local Celery worker and the development server; precompute smoke presets in the background."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Where to serve (host:port).")
        parser.add_argument("--no-precompute", action="store_true", help="Do not request the smoke presets.")
        parser.add_argument("--no-worker", action="store_true", help="Use workers started elsewhere.")

    def handle(self, *args: Any, **options: Any) -> None:
        from apps.experiments.services import experiment_sync
        from config.celery import ensure_broker_folders

        ensure_broker_folders()
        count = experiment_sync(force=True)
        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        children: list[subprocess.Popen[bytes]] = []
        stop = threading.Event()

        if not options["no_worker"]:
            log_path = log_dir / "worker.log"
            worker = subprocess.Popen(
                worker_command(),
                cwd=settings.BASE_DIR,
                stdout=log_path.open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches it through us, so it can finish its warm shutdown
            )
            children.append(worker)
            self.stdout.write(
                f"worker started (pid {worker.pid}, broker {settings.CELERY_BROKER_URL}); log: {log_path}"
            )

        if not options["no_precompute"]:
            thread = threading.Thread(target=self._precompute, args=(stop, options["addrport"], count), daemon=True)
            thread.start()

        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", options["addrport"]],
            cwd=settings.BASE_DIR,
        )
        children.append(server)

        def shutdown(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGINT, shutdown)
        signal.signal(signal.SIGTERM, shutdown)
        try:
            while not stop.is_set():
                if any(child.poll() is not None for child in children):
                    self.stderr.write("a child process exited; stopping")
                    break
                stop.wait(0.5)
        finally:
            stop.set()
            for child in children:
                if child.poll() is None:
                    if child is server:
                        child.terminate()
                    else:
                        os.killpg(child.pid, signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    # A run still going: stop it hard. Its lease expires and the
                    # next start's reaper hands it to the new worker.
                    if child is server:
                        child.kill()
                    else:
                        os.killpg(child.pid, signal.SIGKILL)
                    child.wait(timeout=10)
            self.stdout.write("stopped the server and the worker")

    def _precompute(self, stop: threading.Event, addrport: str, count: int) -> None:
        """Request every smoke preset (a system request) and follow the runs' progress with a bar."""
        from django.db import connection
        from tqdm import tqdm

        from apps.core.requesters import PRECOMPUTE
        from apps.experiments.models import Run
        from apps.experiments.services import run_request
        from compute import registry

        try:
            ids: list[int] = []
            created = 0
            for name, exp in registry.all_experiments().items():
                if "smoke" not in exp.presets:
                    continue
                run, new = run_request(requester=PRECOMPUTE, experiment=name, params={}, preset="smoke")
                ids.append(run.pk)
                created += int(new)
            self.stdout.write(
                f"precompute: {len(ids)} smoke runs of {count} experiments, {created} new; "
                f"watch them at http://{addrport}/experiments/"
            )
            bar = tqdm(
                total=len(ids),
                desc="precompute",
                unit="run",
                file=sys.stderr,
                bar_format="{desc}: {n:.1f}/{total} runs |{bar}| {elapsed}",
            )
            while not stop.is_set():
                rows = list(Run.objects.filter(pk__in=ids).values_list("status", "progress"))
                done = sum(1.0 if s in ("succeeded", "failed", "cancelled") else p for s, p in rows)
                bar.n = round(done, 1)
                bar.refresh()
                if all(s in ("succeeded", "failed", "cancelled") for s, _ in rows):
                    failed = sum(1 for s, _ in rows if s != "succeeded")
                    bar.close()
                    self.stdout.write(
                        f"precompute finished; {failed} run(s) failed" if failed else "precompute finished"
                    )
                    break
                stop.wait(1.0)
        except Exception as exc:  # the server keeps running even if precompute cannot
            self.stderr.write(f"precompute stopped: {exc}")
        finally:
            connection.close()
