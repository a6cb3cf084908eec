"""Display names and affiliations become one clean line.

Control characters are dropped, runs of whitespace and line breaks become one space.
The fields refuse such text from now on (apps.core.validators); rows written before
are mended here.
"""

import apps.core.validators
from apps.core.validators import mend_rows
from django.db import migrations, models


def mend(apps, schema_editor):
    mend_rows(apps.get_model("accounts", "User"), one_line=["display_name", "affiliation"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_site_name'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='affiliation',
            field=models.CharField(blank=True, help_text='University, lab or company, if any.', max_length=200, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='user',
            name='display_name',
            field=models.CharField(blank=True, help_text='Name shown on articles and posts, always beside your username.', max_length=120, validators=[apps.core.validators.validate_single_line]),
        ),
        migrations.RunPython(mend, migrations.RunPython.noop),
    ]
