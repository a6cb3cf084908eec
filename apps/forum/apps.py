from __future__ import annotations

from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "apps.forum"
    label = "forum"

    def ready(self) -> None:
        # Trust levels are decided in apps.accounts, which imports nothing from
        # the forum; it learns a member's posts, granted level and suspension
        # from the provider registered here.
        from apps.accounts.trust import register_standing_provider
        from apps.forum.selectors import member_standing

        register_standing_provider(member_standing)

        # A member hears in their inbox when a run they requested ends.
        from apps.experiments.services import on_run_finished
        from apps.forum.notify import notify_run_finished

        on_run_finished(notify_run_finished)

        from apps.forum.indexing import all_documents
        from apps.search.index import register_source

        register_source("post", all_documents)
