"""``manage.py recheck_figures``: queue re-checks of published figures that are due (for cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Queue reproductions of the runs behind published figures whose code changed or that a week left unchecked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--budget-cpu-s",
            type=float,
            default=None,
            help="Estimated compute this pass may queue (default: the RUNS_RECHECK_CPU_BUDGET_S setting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from apps.experiments.reproducibility import recheck_published_figures

        report = recheck_published_figures(cpu_budget_s=options["budget_cpu_s"])
        for run, why in report.queued:
            self.stdout.write(f"queued run #{run.pk}, a re-check of run #{run.reproduction_of_id}: {why}")
        self.stdout.write(
            f"{len(report.queued)} queued ({report.spent_s:.0f} s of {report.budget_s:.0f} s); "
            f"{report.over_budget} due but over the budget, left for the next pass"
        )
