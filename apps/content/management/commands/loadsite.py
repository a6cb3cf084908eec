from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.content.errors import SiteContentError
from apps.content.loader import site_load
from apps.core.services import page_rerender_all
from apps.perspectives.services import version_rerender_all
from apps.questions.services import question_rerender_all


class Command(BaseCommand):
    help = "Load pages, perspectives, sequences, open questions and forum categories from SITE_CONTENT_DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="Content directory (default: the SITE_CONTENT_DIR setting).")
        parser.add_argument(
            "--rerender",
            action="store_true",
            help="Also refresh the cached HTML of every published version, question and page.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["dir"] or settings.SITE_CONTENT_DIR)
        try:
            report = site_load(root=root)
        except SiteContentError as exc:
            count = len(exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in site content; nothing was loaded:\n{exc}"
            ) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if options["rerender"]:
            rendered = version_rerender_all() + question_rerender_all() + page_rerender_all()
            self.stdout.write(f"re-rendered {rendered} cached documents")
        self.stdout.write(report.summary())
