"""Tag names and page titles become one clean line.

Control characters are dropped, runs of whitespace and line breaks become one space.
The fields refuse such text from now on (apps.core.validators); rows written before
are mended here.
"""

import apps.core.validators
from apps.core.validators import mend_rows
from django.db import migrations, models


def mend(apps, schema_editor):
    mend_rows(apps.get_model("core", "Tag"), one_line=["name"])
    mend_rows(apps.get_model("core", "Page"), one_line=["title"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='page',
            name='title',
            field=models.CharField(max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='tag',
            name='name',
            field=models.CharField(help_text="Shown to readers, e.g. 'Scaling laws'.", max_length=80, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.RunPython(mend, migrations.RunPython.noop),
    ]
