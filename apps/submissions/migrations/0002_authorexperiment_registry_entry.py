"""Author experiments point at their Experiment row (kind "author") instead of sharing a name convention."""

import django.db.models.deletion
from django.db import migrations, models


def link_entries(apps, schema_editor):
    AuthorExperiment = apps.get_model("submissions", "AuthorExperiment")
    Experiment = apps.get_model("experiments", "Experiment")
    for author_experiment in AuthorExperiment.objects.select_related("submission"):
        entry, _ = Experiment.objects.update_or_create(
            name=f"author-{author_experiment.pk}",
            defaults={
                "kind": "author",
                "available": False,
                "title": f"{author_experiment.submission.title}: {author_experiment.name}"[:200],
                "summary": "An author experiment of a submission, run in the sandbox.",
            },
        )
        author_experiment.registry_entry = entry
        author_experiment.save(update_fields=["registry_entry"])


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0002_experiment_kind"),
        ("submissions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="authorexperiment",
            name="registry_entry",
            field=models.OneToOneField(
                blank=True,
                help_text="The Experiment row (kind author, unlisted) that this module's runs belong to.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="author_experiment",
                to="experiments.experiment",
            ),
        ),
        migrations.RunPython(link_entries, migrations.RunPython.noop),
    ]
