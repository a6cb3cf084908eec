"""The forum: categories, threads, posts and everything that hangs off them.

Counts shown on lists (posts in a thread, a post's score) are denormalised and
kept up to date by the services, so that list and thread pages never count
rows per item.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.roles import is_moderator
from apps.core.validators import validate_single_line


class Category(models.Model):
    """A top-level room of the forum, defined in site/forum/categories.yaml."""

    slug = models.SlugField(unique=True, help_text="Used in URLs; the key that loadsite upserts on.")
    name = models.CharField(max_length=100, validators=[validate_single_line])
    description = models.TextField(blank=True, help_text="One or two sentences shown on the forum index.")
    position = models.PositiveIntegerField(default=0, help_text="Order on the forum index, smallest first.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:category", kwargs={"slug": self.slug})


class ThreadQuerySet(models.QuerySet["Thread"]):
    def visible_to(self, user: Any) -> ThreadQuerySet:
        """Threads the user may see: moderators see hidden ones too."""
        if is_moderator(user):
            return self.filter(merged_into__isnull=True)
        return self.filter(is_hidden=False, merged_into__isnull=True)

    def attached_to(self, obj: models.Model) -> ThreadQuerySet:
        ct = ContentType.objects.get_for_model(obj)
        return self.filter(target_content_type=ct, target_object_id=obj.pk)


class Thread(models.Model):
    """A conversation: an ordered list of posts under a title."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(max_length=200, validators=[validate_single_line])
    slug = models.SlugField(max_length=200, blank=True, help_text="Cosmetic: URLs resolve by id.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="forum_threads"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    last_activity = models.DateTimeField(default=timezone.now, db_index=True, help_text="Time of the latest post.")
    is_question = models.BooleanField(default=False, help_text="A question thread can accept one answer.")
    accepted_post = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="The accepted answer."
    )
    is_locked = models.BooleanField(default=False, help_text="Locked threads take no new replies.")
    is_pinned = models.BooleanField(default=False, help_text="Pinned threads are listed first in their category.")
    is_hidden = models.BooleanField(default=False, help_text="Hidden by a moderator; only moderators see it.")
    tags = models.JSONField(default=list, blank=True, help_text="A list of tag slugs.")
    target_content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_content_type", "target_object_id")
    post_count = models.PositiveIntegerField(default=0, help_text="Posts in the thread, deleted ones included.")
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when a moderator merged this thread into another; its URL then redirects.",
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-is_pinned", "-last_activity"]
        indexes = [
            models.Index(fields=["category", "-is_pinned", "-last_activity"]),
            models.Index(fields=["target_content_type", "target_object_id"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:200] or "thread"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("forum:thread", kwargs={"pk": self.pk, "slug": self.slug or "thread"})


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, user: Any) -> PostQuerySet:
        """Posts whose content the user may read (not deleted, not hidden unless moderator)."""
        qs = self.filter(is_deleted=False, thread__merged_into__isnull=True)
        if is_moderator(user):
            return qs
        return qs.filter(is_hidden=False, thread__is_hidden=False)

    def in_order(self) -> PostQuerySet:
        return self.order_by("created", "id")


class Post(models.Model):
    """One message in a thread, written in Markdown and cached as sanitised HTML."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="forum_posts"
    )
    body = models.TextField(help_text="Markdown with $math$, citations and figure directives.")
    html = models.TextField(blank=True, help_text="Sanitised rendering of body, refreshed on every edit.")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    edited = models.DateTimeField(null=True, blank=True, help_text="Time of the latest edit, if any.")
    is_deleted = models.BooleanField(default=False, help_text="Deleted by its author; kept for the record.")
    is_hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    score = models.IntegerField(default=0, help_text="Number of upvotes.")
    position = models.PositiveIntegerField(
        help_text="1, 2, 3 ... in the thread in time order; a thread's pages read their posts by it."
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["thread", "created", "id"]), models.Index(fields=["author", "-created"])]
        constraints = [
            # Also the index that pages a long thread: posts 976-1000 are one range lookup.
            models.UniqueConstraint(fields=["thread", "position"], name="forum_post_position_in_thread"),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} in {self.thread_id}"

    def get_absolute_url(self) -> str:
        return reverse("forum:post", kwargs={"pk": self.pk})


class PostRevision(models.Model):
    """An earlier body of a post, kept so that edits are visible."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(help_text="The body as it was before this edit.")
    edited_at = models.DateTimeField(default=timezone.now)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return f"revision of post {self.post_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class Vote(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_votes")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="forum_one_vote_per_user")]

    def __str__(self) -> str:
        return f"vote by {self.user_id} on post {self.post_id}"


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Rude, abusive or harassing"
        OFF_TOPIC = "off_topic", "Off topic"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        HIDDEN = "hidden", "Post hidden"
        DISMISSED = "dismissed", "Dismissed"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_flags")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    text = models.TextField(blank=True, max_length=2000, help_text="Anything the moderators should know.")
    created = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["created"]
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="forum_one_flag_per_user")]

    def __str__(self) -> str:
        return f"{self.reason} flag on post {self.post_id}"


class Follow(models.Model):
    """A user's wish to be told about new posts in a thread or a category."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_follows")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="follows")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="follows")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False, category__isnull=True)
                | Q(thread__isnull=True, category__isnull=False),
                name="forum_follow_exactly_one_target",
            ),
            models.UniqueConstraint(fields=["user", "thread"], name="forum_follow_thread_once"),
            models.UniqueConstraint(fields=["user", "category"], name="forum_follow_category_once"),
        ]

    def __str__(self) -> str:
        target = f"thread {self.thread_id}" if self.thread_id else f"category {self.category_id}"
        return f"{self.user_id} follows {target}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        MENTION = "mention", "mentioned you"
        REPLY = "reply", "replied to you"
        FOLLOWED = "followed", "posted in something you follow"
        MODERATION = "moderation", "moderation"
        RUN = "run", "a run you requested finished"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=300, blank=True, help_text="Text for moderation and run notices.")
    link = models.CharField(max_length=200, blank=True, help_text="Where a run notice leads (the run's page).")
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When it went out by email, if it did.")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class ForumProfile(models.Model):
    """Per-user forum settings: email preference and any trust level granted by a moderator."""

    class EmailMode(models.TextChoices):
        IMMEDIATE = "immediate", "Email each notification as it happens"
        DIGEST = "digest", "One email a day with what I missed"
        OFF = "off", "No email"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_profile")
    email_mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.DIGEST)
    granted_trust_level = models.PositiveSmallIntegerField(
        default=0, help_text="A floor a moderator may set; the level earned by activity still applies if higher."
    )

    def __str__(self) -> str:
        return f"forum settings of {self.user_id}"


class SuspensionQuerySet(models.QuerySet["Suspension"]):
    def active(self) -> SuspensionQuerySet:
        return self.filter(until__gt=timezone.now(), lifted_at__isnull=True)


class Suspension(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_suspensions")
    reason = models.TextField(help_text="Shown to the suspended user.")
    until = models.DateTimeField(help_text="The suspension ends at this time.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    objects = SuspensionQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"suspension of {self.user_id} until {self.until:%Y-%m-%d}"


class ModerationLog(models.Model):
    """The audit trail: one row per moderator action, never edited."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=40)
    target_repr = models.CharField(max_length=300, help_text="What was acted on, as it read at the time.")
    target_url = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.target_repr}"
