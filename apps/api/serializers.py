"""Output and input shapes of the API. Outputs only read; inputs only validate types (services do the rest)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import User
from apps.accounts.roles import roles_of
from apps.experiments.models import Experiment, Run
from apps.experiments.queue import describe, queue_place
from apps.experiments.services import run_may_read_source
from apps.forum.models import Category, Flag, Notification, Post, Thread
from apps.forum.permissions import can_see_post_body
from apps.perspectives import citation
from apps.perspectives.models import Article, Sequence, Version
from apps.questions.models import ProgressEntry, Question

# --- people ----------------------------------------------------------------------


class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="public_name", read_only=True)

    class Meta:
        model = User
        fields = ["username", "name"]


class UserProfileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="public_name", read_only=True)
    roles = serializers.SerializerMethodField()
    links = serializers.ListField(child=serializers.CharField(), read_only=True)
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "name", "affiliation", "orcid", "bio", "links", "roles", "date_joined", "web_url"]

    def get_roles(self, obj: User) -> list[str]:
        return roles_of(obj)

    def get_web_url(self, obj: User) -> str:
        return reverse("accounts:profile", kwargs={"username": obj.username})


# --- perspectives ------------------------------------------------------------------


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(source="display_name")
    username = serializers.SerializerMethodField()

    def get_username(self, obj: Any) -> str | None:
        return obj.user.username if obj.user_id else None


class ArticleSerializer(serializers.ModelSerializer):
    authors = AuthorSerializer(source="authorships", many=True, read_only=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    latest_version = serializers.IntegerField(source="latest_version.number", read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(source="latest_version.published_at", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "slug",
            "title",
            "summary",
            "kind",
            "status",
            "authors",
            "tags",
            "latest_version",
            "published_at",
            "url",
            "web_url",
        ]

    def get_url(self, obj: Article) -> str:
        return reverse("api:article-detail", kwargs={"slug": obj.slug})

    def get_web_url(self, obj: Article) -> str:
        return obj.get_absolute_url()


class VersionBriefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = ["number", "title", "changelog", "published_at", "url"]

    def get_url(self, obj: Version) -> str:
        return reverse("api:version-detail", kwargs={"slug": obj.article.slug, "number": obj.number})


class VersionSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="body", read_only=True, help_text="Markdown source as published.")
    html = serializers.CharField(source="rendered_html", read_only=True, help_text="Sanitised HTML of the body.")
    toc = serializers.JSONField(read_only=True)
    references = serializers.JSONField(read_only=True)
    bibliography = serializers.CharField(read_only=True, help_text="BibTeX entries the citations refer to.")
    cite_bibtex = serializers.SerializerMethodField(help_text="A BibTeX entry citing exactly this version.")
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = [
            "number",
            "title",
            "summary",
            "changelog",
            "published_at",
            "source",
            "html",
            "toc",
            "references",
            "bibliography",
            "cite_bibtex",
            "word_count",
            "reading_minutes",
            "web_url",
        ]

    def get_cite_bibtex(self, obj: Version) -> str:
        return citation.cite_bibtex(obj.article, obj, obj.article.author_names)

    def get_web_url(self, obj: Version) -> str:
        return obj.get_absolute_url()


class ArticleDetailSerializer(ArticleSerializer):
    version = serializers.SerializerMethodField(help_text="The latest published version, in full; null for drafts.")
    versions = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta(ArticleSerializer.Meta):
        fields = ArticleSerializer.Meta.fields + ["version", "versions", "questions"]

    @extend_schema_field(VersionSerializer(allow_null=True))
    def get_version(self, obj: Article) -> dict | None:
        if obj.latest_version is None:
            return None
        obj.latest_version.article = obj
        return VersionSerializer(obj.latest_version).data

    @extend_schema_field(VersionBriefSerializer(many=True))
    def get_versions(self, obj: Article) -> list[dict]:
        # Only the columns a brief needs: the bodies of old versions can be long.
        versions = obj.versions.only("id", "article_id", "number", "title", "changelog", "published_at").order_by(
            "-number"
        )
        for version in versions:
            version.article = obj
        return VersionBriefSerializer(versions, many=True).data

    def get_questions(self, obj: Article) -> list[int]:
        return list(obj.questions.order_by("number").values_list("number", flat=True))


class SequenceSerializer(serializers.ModelSerializer):
    articles = serializers.SerializerMethodField()

    class Meta:
        model = Sequence
        fields = ["slug", "title", "description", "articles"]

    @extend_schema_field(ArticleSerializer(many=True))
    def get_articles(self, obj: Sequence) -> list[dict]:
        visible = self.context["visible_articles"]
        articles = [item.article for item in obj.items.all() if item.article_id in visible]
        return ArticleSerializer(articles, many=True).data


# --- questions -----------------------------------------------------------------------


class ProgressSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressEntry
        fields = ["date", "who", "summary", "link"]


class QuestionSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["number", "title", "statement", "status", "tags", "updated_at", "url", "web_url"]

    def get_url(self, obj: Question) -> str:
        return reverse("api:question-detail", kwargs={"number": obj.number})

    def get_web_url(self, obj: Question) -> str:
        return obj.get_absolute_url()


class QuestionDetailSerializer(QuestionSerializer):
    html = serializers.CharField(source="rendered_html", read_only=True, help_text="Sanitised HTML discussion.")
    progress = ProgressSerializer(many=True, read_only=True, help_text="Newest first.")
    articles = serializers.SerializerMethodField()
    sequences = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta(QuestionSerializer.Meta):
        fields = QuestionSerializer.Meta.fields + ["discussion", "html", "progress", "articles", "sequences"]

    def get_articles(self, obj: Question) -> list[str]:
        return [a.slug for a in obj.articles.published().order_by("title")]


# --- forum -----------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "description"]


class ThreadSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    accepted_post = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [
            "id",
            "category",
            "title",
            "author",
            "created",
            "last_activity",
            "post_count",
            "is_question",
            "accepted_post",
            "is_locked",
            "is_pinned",
            "tags",
            "url",
            "web_url",
        ]

    def get_url(self, obj: Thread) -> str:
        return reverse("api:thread-detail", kwargs={"pk": obj.pk})

    def get_web_url(self, obj: Thread) -> str:
        return obj.get_absolute_url()


class PostSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True, allow_null=True)
    body = serializers.SerializerMethodField(help_text="Markdown source; null when deleted or hidden.")
    html = serializers.SerializerMethodField(help_text="Sanitised HTML; null when deleted or hidden.")
    reply_to = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "thread",
            "author",
            "body",
            "html",
            "created",
            "edited",
            "reply_to",
            "score",
            "is_deleted",
            "is_hidden",
            "url",
        ]

    def _visible(self, obj: Post) -> bool:
        return can_see_post_body(self.context["request"].user, obj)

    def get_body(self, obj: Post) -> str | None:
        return obj.body if self._visible(obj) else None

    def get_html(self, obj: Post) -> str | None:
        return obj.html if self._visible(obj) else None

    def get_url(self, obj: Post) -> str:
        return reverse("api:post-detail", kwargs={"pk": obj.pk})


class ThreadCreateSerializer(serializers.Serializer):
    category = serializers.SlugField(help_text="Slug of the category.")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(help_text="First post, in Markdown.", trim_whitespace=False)
    is_question = serializers.BooleanField(default=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=60), default=list, max_length=20)
    target = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Attach to an article version, question or run: 'perspectives.version:12', "
        "'questions.question:3' or 'experiments.run:40'.",
    )


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False)
    reply_to = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="Id of a post here.")


class PostEditSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False)


class VoteSerializer(serializers.Serializer):
    up = serializers.BooleanField(default=True, help_text="true adds your upvote, false withdraws it.")


class FlagInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Flag.Reason.choices)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["post", "reason", "text", "created"]


class FollowSerializer(serializers.Serializer):
    following = serializers.BooleanField()


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True, allow_null=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "thread", "post", "actor", "message", "link", "created", "read_at", "read"]
        extra_kwargs = {"link": {"help_text": "For a run notice: the path of the run's page."}}

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        max_length=1000,
        help_text="Notifications to mark read; omit to mark all read.",
    )


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


# --- experiments and runs ----------------------------------------------------------------


class ExperimentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Experiment
        fields = ["name", "title", "summary", "citation", "url"]

    def get_url(self, obj: Experiment) -> str:
        return reverse("api:experiment-detail", kwargs={"name": obj.name})


class ExperimentDetailSerializer(ExperimentSerializer):
    config_schema = serializers.SerializerMethodField(help_text="JSON Schema of the configuration.")
    presets = serializers.SerializerMethodField(help_text="Named parameter sets, e.g. smoke.")

    class Meta(ExperimentSerializer.Meta):
        fields = ExperimentSerializer.Meta.fields + ["config_schema", "presets"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_config_schema(self, obj: Experiment) -> dict:
        return obj.spec().json_schema()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_presets(self, obj: Experiment) -> dict:
        return {name: dict(values) for name, values in obj.spec().presets.items()}


class RunSerializer(serializers.ModelSerializer):
    experiment = serializers.CharField(source="experiment_id", read_only=True)
    error = serializers.SerializerMethodField(
        help_text="Why the run failed; for an author's experiment, shown only to those who may read its source."
    )
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    reproduction_of = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    finished = serializers.BooleanField(source="is_finished", read_only=True)
    url = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id",
            "experiment",
            "preset",
            "config",
            "seed",
            "cache_key",
            "status",
            "progress",
            "message",
            "finished",
            "attempts",
            "requested_by",
            "reproduction_of",
            "reproduced_match",
            "digest",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "url",
            "web_url",
        ]

    def get_error(self, obj: Run) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        if not obj.error or run_may_read_source(obj, user):
            return obj.error
        return "The run failed."

    def get_url(self, obj: Run) -> str:
        return reverse("api:run-detail", kwargs={"pk": obj.pk})

    def get_web_url(self, obj: Run) -> str:
        return obj.get_absolute_url()


class QueuePlaceSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 is next.")
    start_in_s = serializers.FloatField(
        allow_null=True, help_text="Estimated seconds until it starts; null if unknown."
    )
    finish_in_s = serializers.FloatField(allow_null=True, help_text="Estimated seconds until it ends; null if unknown.")
    text = serializers.CharField(help_text="The same, in a sentence.")


class RunDetailSerializer(RunSerializer):
    provenance = serializers.JSONField(read_only=True)
    result_url = serializers.SerializerMethodField(help_text="JSON result; null until the run succeeded.")
    result_csv_url = serializers.SerializerMethodField(help_text="CSV of every series; null until it succeeded.")
    queue = serializers.SerializerMethodField(help_text="Where a queued run stands; null once it started.")

    class Meta(RunSerializer.Meta):
        fields = RunSerializer.Meta.fields + ["provenance", "result_url", "result_csv_url", "queue"]

    @extend_schema_field(QueuePlaceSerializer(allow_null=True))
    def get_queue(self, obj: Run) -> dict[str, object] | None:
        place = queue_place(obj)
        if place is None:
            return None
        return {
            "position": place.position,
            "start_in_s": place.start_in_s,
            "finish_in_s": place.finish_in_s,
            "text": describe(place),
        }

    def get_result_url(self, obj: Run) -> str | None:
        return reverse("api:run-result", kwargs={"pk": obj.pk}) if obj.status == "succeeded" else None

    def get_result_csv_url(self, obj: Run) -> str | None:
        return reverse("api:run-result-csv", kwargs={"pk": obj.pk}) if obj.status == "succeeded" else None


class RunRequestSerializer(serializers.Serializer):
    experiment = serializers.CharField(max_length=64)
    params = serializers.DictField(required=False, default=dict, help_text="Config fields to set; others default.")
    preset = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None, max_length=32)


class RunResultSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    experiment = serializers.CharField()
    config = serializers.JSONField()
    digest = serializers.CharField()
    provenance = serializers.JSONField()
    result = serializers.JSONField()
