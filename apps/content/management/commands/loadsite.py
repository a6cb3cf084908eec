from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.content.reader import SiteContentError, site_load


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
            self.stdout.write(f"re-rendered {rerender_all()} cached documents")
        self.stdout.write(report.summary())


def rerender_all() -> int:
    from apps.core.models import Page
    from apps.core.services import source_render
    from apps.perspectives.models import Version
    from apps.perspectives.services import version_rerender
    from apps.questions.models import Question

    n = 0
    for version in Version.objects.all():
        version_rerender(version=version)
        n += 1
    for question in Question.objects.all():
        Question.objects.filter(pk=question.pk).update(rendered_html=source_render(source=question.discussion).html)
        n += 1
    for page in Page.objects.all():
        Page.objects.filter(pk=page.pk).update(rendered_html=source_render(source=page.body).html)
        n += 1
    return n
