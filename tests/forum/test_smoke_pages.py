from __future__ import annotations

import pytest
from django.urls import reverse

from apps.forum import services


@pytest.mark.django_db
def test_every_reading_page_renders(client, thread, first_post, mod, bob):
    services.post_create(user=bob, thread=thread, body="Reply from @alice's friend")
    urls = [
        reverse("forum:index"),
        reverse("forum:category", kwargs={"slug": thread.category.slug}),
        thread.get_absolute_url(),
        reverse("forum:user", kwargs={"username": "alice"}),
        reverse("search:results") + "?q=stability",
        reverse("forum:category_feed", kwargs={"slug": thread.category.slug}),
        reverse("forum:user_feed", kwargs={"username": "alice"}),
        reverse("forum:tag", kwargs={"slug": "x"}),
        reverse("forum:tag_feed", kwargs={"slug": "x"}),
        reverse("forum:post_history", kwargs={"pk": first_post.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.force_login(mod)
    for url in [
        reverse("forum:moderation"),
        reverse("forum:moderation_log"),
        reverse("forum:inbox"),
        reverse("forum:settings"),
        reverse("forum:thread_new"),
        thread.get_absolute_url(),
        reverse("forum:suspend", kwargs={"username": "bob"}),
    ]:
        assert client.get(url).status_code == 200, url
