"""Factories for the objects tests build most, and the recipe for an established member.

A factory knows how to make a valid object with nothing given; a test names
only what matters to it (``ThreadFactory(author=bob)``). The personas of
tests/conftest.py are made with UserFactory.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.accounts.models import User
from apps.accounts.trust import forget_standing
from apps.experiments.models import Experiment, Run, RunStatus
from apps.forum.models import Category, ForumProfile, Post, Thread
from apps.perspectives.models import Article
from apps.questions.models import Question

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    """A member with a verified email who is past the new-member limits.

    ``groups=("author",)`` gives roles; ``trusted=False`` leaves the member at
    forum trust level 0 (may not request runs nor post links); ``verified=False``
    leaves the email unconfirmed.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for name in extracted or ():
            group, _ = Group.objects.get_or_create(name=name)
            self.groups.add(group)

    @factory.post_generation
    def trusted(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        # Forum trust level 1 (may request runs, post links), granted rather than
        # earned so that the account need not be old.
        if extracted is not False:
            ForumProfile.objects.create(user=self, granted_trust_level=1)

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").capitalize())


class ThreadFactory(DjangoModelFactory):
    """A thread row with no posts (forum.services.thread_create makes one with its first post)."""

    class Meta:
        model = Thread

    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")
    author = factory.SubFactory(UserFactory)


class PostFactory(DjangoModelFactory):
    """A post row, its HTML given rather than rendered (forum.services.post_create renders)."""

    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.LazyAttribute(lambda p: p.thread.author)
    body = factory.Sequence(lambda n: f"post {n}")
    html = factory.LazyAttribute(lambda p: f"<p>{p.body}</p>")


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    number = factory.Sequence(lambda n: n + 1)
    slug = factory.LazyAttribute(lambda q: f"question-{q.number}")
    title = factory.LazyAttribute(lambda q: f"Open question {q.number}")
    statement = "Why does it happen?"


class ArticleFactory(DjangoModelFactory):
    """An article, published as version 1 unless ``status="draft"``.

    ``authors`` is a byline of (user, name) pairs (default: Ada Lovelace, not a
    member); ``tags`` a tuple of tag slugs.
    """

    class Meta:
        model = Article
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.LazyAttribute(lambda a: f"Article {a.slug}")
    summary = factory.LazyAttribute(lambda a: f"Summary of {a.slug}.")
    kind = "perspective"
    body = "## Intro\n\nSome text with $x^2$.\n"
    bibliography = ""
    # Created as a draft: publishing (below) is what makes it published.
    status = "draft"

    @factory.post_generation
    def authors(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        from apps.perspectives.services import article_set_authors

        article_set_authors(article=self, authors=extracted or [(None, "Ada Lovelace")])

    @factory.post_generation
    def tags(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            from apps.core.services import tags_ensure

            self.tags.set(tags_ensure(slugs=extracted))

    @factory.post_generation
    def publish(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted is not False:
            from apps.perspectives.services import article_publish

            article_publish(article=self, changelog="First version", by=None)
            self.refresh_from_db()


def make_article(slug: str, *, status: str = "published", **fields: Any) -> Article:
    """The short form most tests use: ``make_article("alpha", status="draft", tags=("eos",))``."""
    return ArticleFactory(slug=slug, publish=status == "published", **fields)


class RunFactory(DjangoModelFactory):
    """A run row of a registered experiment (deep_linear unless ``experiment_name``), in any state, no result.

    ``params`` are validated against the experiment's configuration from
    ``preset``, and the hashes and cache key are the ones the run service
    would compute, so the row is one that service could have made.
    """

    class Meta:
        model = Run
        exclude = ("experiment_name", "params", "spec", "validated")

    experiment_name = "deep_linear"
    params = factory.LazyFunction(dict)
    preset = "smoke"
    spec = factory.LazyAttribute(lambda r: _registry().get(r.experiment_name))
    validated = factory.LazyAttribute(lambda r: r.spec.validate(r.params, preset=r.preset))

    experiment = factory.LazyAttribute(
        lambda r: Experiment.objects.get_or_create(name=r.spec.name, defaults={"title": r.spec.title})[0]
    )
    config = factory.LazyAttribute(lambda r: _runner().canonical_config(r.validated))
    seed = factory.LazyAttribute(lambda r: r.validated.seed)
    config_hash = factory.LazyAttribute(lambda r: _runner().config_hash(r.validated))
    code_hash = factory.LazyAttribute(lambda r: _runner().code_hash(r.spec))
    cache_key = factory.LazyAttribute(lambda r: _services().run_cache_key(r.spec.name, r.config_hash, r.code_hash))
    status = RunStatus.QUEUED


def _registry() -> Any:
    from compute import registry

    return registry


def _runner() -> Any:
    from compute import runner

    return runner


def _services() -> Any:
    from apps.experiments import services

    return services


def established(user: Any, *, days: int = 30, posts: int = 3) -> Any:
    """Make a member look established: an account ``days`` old with ``posts`` old posts.

    With the defaults the member has earned forum trust level 1 by activity
    (apps.forum.trust), whatever level was granted.
    """
    type(user).objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days))
    user.refresh_from_db()
    if posts:
        thread = ThreadFactory(category=CategoryFactory(slug="history", name="History"), title="Old talk", author=user)
        when = timezone.now() - timedelta(days=max(days - 1, 0))
        for _ in range(posts):
            PostFactory(thread=thread, created=when)
    forget_standing(user)  # refresh_from_db keeps the standing cached on the instance
    return user


# An author experiment module that works (submissions, the sandbox and the browser tests run it),
# and a figure specification for its result.
GOOD_SOURCE = """from compute.protocol import ExperimentConfig


class Config(ExperimentConfig):
    n: int = 5


PRESETS = {"smoke": {"n": 4}}


def run(config, ctx):
    ctx.progress(1.0, "done")
    return {"x": [float(i) for i in range(config.n)], "y": [float(i * i) for i in range(config.n)]}
"""

SPEC = {"title": "squares", "series": [{"x": "x", "y": "y", "label": "n squared", "kind": "line"}]}


def downloaded(response: Any) -> bytes:
    """A download's bytes as a client reads them: run data streams from stored, compressed files."""
    import gzip

    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return gzip.decompress(raw) if response.get("Content-Encoding") == "gzip" else raw
