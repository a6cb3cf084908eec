"""Submission titles and changelogs become one clean line; summaries lose their control characters.

In titles and changelogs, control characters are dropped and runs of whitespace and
line breaks become one space; summaries keep their line breaks and tabs. The fields
refuse such text from now on (apps.core.validators); rows written before are mended here.
"""

import apps.core.validators
from apps.core.validators import mend_rows
from django.db import migrations, models


def mend(apps, schema_editor):
    mend_rows(apps.get_model("submissions", "Submission"), one_line=["title", "changelog"], prose=["summary"])


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0003_anonymous_reviewer_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='submission',
            name='changelog',
            field=models.CharField(blank=True, help_text='One line on what the version published from this draft changes.', max_length=300, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='submission',
            name='summary',
            field=models.TextField(help_text='One or two sentences shown in lists and feeds.', validators=[apps.core.validators.validate_text]),
        ),
        migrations.AlterField(
            model_name='submission',
            name='title',
            field=models.CharField(help_text="The article's title.", max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.RunPython(mend, migrations.RunPython.noop),
    ]
