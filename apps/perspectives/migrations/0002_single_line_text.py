"""Article and sequence titles and author names become one clean line.

Control characters are dropped, runs of whitespace and line breaks become one space.
The fields refuse such text from now on (apps.core.validators); rows written before
are mended here.
"""

import apps.core.validators
from apps.core.validators import mend_rows
from django.db import migrations, models


def mend(apps, schema_editor):
    mend_rows(apps.get_model("perspectives", "Article"), one_line=["title"])
    mend_rows(apps.get_model("perspectives", "Authorship"), one_line=["name"])
    # Versions are the record of what was published and are never rewritten; feeds and pages
    # cope with whatever they hold (apps.core.feeds, escaping).
    mend_rows(apps.get_model("perspectives", "Sequence"), one_line=["title"])


class Migration(migrations.Migration):

    dependencies = [
        ('perspectives', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='article',
            name='title',
            field=models.CharField(max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='authorship',
            name='name',
            field=models.CharField(blank=True, help_text='For authors without an account; leave user empty.', max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='sequence',
            name='title',
            field=models.CharField(max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='version',
            name='changelog',
            field=models.CharField(help_text='One line: what this version changed.', max_length=300, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='version',
            name='title',
            field=models.CharField(max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.RunPython(mend, migrations.RunPython.noop),
    ]
