"""Category names and thread titles become one clean line.

Control characters are dropped, runs of whitespace and line breaks become one space.
The fields refuse such text from now on (apps.core.validators); rows written before
are mended here.
"""

import apps.core.validators
from apps.core.validators import mend_rows
from django.db import migrations, models


def mend(apps, schema_editor):
    mend_rows(apps.get_model("forum", "Category"), one_line=["name"])
    mend_rows(apps.get_model("forum", "Thread"), one_line=["title"])


class Migration(migrations.Migration):

    dependencies = [
        ('forum', '0003_post_position'),
    ]

    operations = [
        migrations.AlterField(
            model_name='category',
            name='name',
            field=models.CharField(max_length=100, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='thread',
            name='title',
            field=models.CharField(max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.RunPython(mend, migrations.RunPython.noop),
    ]
