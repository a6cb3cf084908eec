"""Experiments carry their kind as a field; the ``author-`` name prefix no longer decides it."""

from django.db import migrations, models


def kind_from_prefix(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    Experiment.objects.filter(name__startswith="author-").update(kind="author")


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="experiment",
            name="kind",
            field=models.CharField(
                choices=[("reference", "Reference experiment"), ("author", "Author experiment")],
                default="reference",
                help_text="Reference experiments run trusted code from compute/; author experiments run in the sandbox.",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="experiment",
            name="available",
            field=models.BooleanField(
                default=True, help_text="Listed on the experiments page; False when the code no longer registers it."
            ),
        ),
        migrations.RunPython(kind_from_prefix, migrations.RunPython.noop),
    ]
