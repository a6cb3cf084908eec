"""``manage.py figure_images``: draw the static figure images of succeeded runs that lack a current one.

Workers draw a run's image when it finishes. Run this once after deploying a
change of the drawing code or the house theme (or the first version with
images), so that no reader waits for an image to be drawn on request:

    python manage.py figure_images            # missing and stale images only
    python manage.py figure_images --all      # every succeeded run again
    python manage.py figure_images --run 12 --run 40
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.experiments.images import runs_images_draw
from apps.experiments.models import Run


class Command(BaseCommand):
    help = "Draw the static figure images of succeeded runs that have none or a stale one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="draw every succeeded run's image again")
        parser.add_argument("--run", type=int, action="append", default=[], help="only this run (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        runs = list(Run.objects.filter(pk__in=options["run"])) if options["run"] else None
        drawn, failed = runs_images_draw(runs=runs, everything=options["all"])
        self.stdout.write(f"Drew {drawn} figure image(s); {failed} could not be drawn (see the log).")
