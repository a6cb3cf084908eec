"""Ids made inside a post now start with that post's id: ``post-<pk>-`` instead of ``post-``.

A heading "401" in any post took the id "post-401", which is post 401's own id on
the thread page, and the first footnote of every post was "post-fn-1". New posts
are rendered with the new prefix (apps.forum.rendering); this rewrites the stored
HTML of older posts the same way, without rendering them again: every id="post-..."
the post's HTML defines, and every link to one of those ids inside it. Links an
author wrote to other posts (#post-12) name no id of their own post and stay as they are.
"""

import re

from django.db import migrations

_ID = re.compile(r'\bid="post-([^"]+)"')
_ID_OR_FRAGMENT = re.compile(r'\b(id="|href="#)post-([^"]+)"')


def prefix_ids(apps, schema_editor):
    Post = apps.get_model("forum", "Post")
    for post in Post.objects.filter(html__contains='id="post-').only("pk", "html").iterator():
        own = set(_ID.findall(post.html))

        def repl(match, pk=post.pk, own=own):
            attr, value = match.groups()
            return f'{attr}post-{pk}-{value}"' if value in own else match.group(0)

        html = _ID_OR_FRAGMENT.sub(repl, post.html)
        if html != post.html:
            Post.objects.filter(pk=post.pk).update(html=html)


class Migration(migrations.Migration):
    dependencies = [("forum", "0004_single_line_text")]

    operations = [migrations.RunPython(prefix_ids, migrations.RunPython.noop)]
