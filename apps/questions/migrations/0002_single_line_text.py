"""Question titles and who made progress become one clean line.

Control characters are dropped, runs of whitespace and line breaks become one space.
The fields refuse such text from now on (apps.core.validators); rows written before
are mended here.
"""

import apps.core.validators
from apps.core.validators import mend_rows
from django.db import migrations, models


def mend(apps, schema_editor):
    mend_rows(apps.get_model("questions", "Question"), one_line=["title"])
    mend_rows(apps.get_model("questions", "ProgressEntry"), one_line=["who"])


class Migration(migrations.Migration):

    dependencies = [
        ('questions', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='progressentry',
            name='who',
            field=models.CharField(help_text="Who made the progress, e.g. 'Saxe, McClelland and Ganguli'.", max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='question',
            name='title',
            field=models.CharField(max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.RunPython(mend, migrations.RunPython.noop),
    ]
