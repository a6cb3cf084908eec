"""Number each thread's posts in time order, so that a thread's pages are index range lookups."""

from django.db import migrations, models


def number_posts(apps, schema_editor):
    Post = apps.get_model("forum", "Post")
    Thread = apps.get_model("forum", "Thread")
    for thread_id in Thread.objects.values_list("pk", flat=True).iterator():
        posts = list(Post.objects.filter(thread_id=thread_id).order_by("created", "id").only("pk"))
        for number, post in enumerate(posts, start=1):
            post.position = number
        Post.objects.bulk_update(posts, ["position"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("forum", "0002_run_notifications")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="position",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(number_posts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="post",
            name="position",
            field=models.PositiveIntegerField(
                help_text="1, 2, 3 ... in the thread in time order; a thread's pages read their posts by it."
            ),
        ),
        migrations.AddConstraint(
            model_name="post",
            constraint=models.UniqueConstraint(fields=("thread", "position"), name="forum_post_position_in_thread"),
        ),
    ]
