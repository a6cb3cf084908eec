"""The history shown to authors named the reviewer when one was assigned; it no longer does (single-blind review)."""

from django.db import migrations


def forget_reviewer_names(apps, schema_editor):
    Transition = apps.get_model("submissions", "Transition")
    Transition.objects.filter(note__startswith="Reviewer assigned: ").update(note="A reviewer was assigned.")


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0002_authorexperiment_registry_entry"),
    ]

    operations = [
        migrations.RunPython(forget_reviewer_names, migrations.RunPython.noop),
    ]
