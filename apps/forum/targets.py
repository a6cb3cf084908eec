"""Objects a thread may be attached to: an article version, an open question or a run.

Threads point at them through a generic relation, so the forum has no migration
dependency on those apps; this allowlist is what keeps the relation honest.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from apps.accounts.models import User
from apps.experiments.models import Run

ALLOWED_TARGETS: tuple[str, ...] = ("perspectives.version", "questions.question", "experiments.run")


def target_label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"


def check_target(obj: models.Model | None) -> None:
    if obj is None:
        return
    if f"{obj._meta.app_label}.{obj._meta.model_name}" not in ALLOWED_TARGETS:
        raise ValidationError({"target": [f"Threads cannot be attached to a {obj._meta.verbose_name}."]})


def resolve_target(label: str, *, user: User | AnonymousUser) -> models.Model:
    """Turn 'app.model:id' into the object ``user`` may see, or raise ValidationError naming the target field.

    A run of unpublished work reads as missing to those who may not see it, as on its own pages.
    """
    model_label, _, raw_id = (label or "").partition(":")
    if model_label.lower() not in ALLOWED_TARGETS or not raw_id.isdigit():
        raise ValidationError({"target": ["Unknown discussion target."]})
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise ValidationError({"target": ["Unknown discussion target."]}) from None
    objects = Run.objects.visible_to(user) if model is Run else model._default_manager.all()
    obj = objects.filter(pk=int(raw_id)).first()
    if obj is None:
        raise ValidationError({"target": ["That item does not exist."]})
    return obj


def target_url(obj: Any) -> str:
    getter = getattr(obj, "get_absolute_url", None)
    try:
        return getter() if getter else ""
    except Exception:  # another app's URL may not be wired yet; a missing link must not break a page
        return ""


def content_type_for(obj: models.Model) -> ContentType:
    return ContentType.objects.get_for_model(obj)


def target_name(obj: Any) -> str:
    """How a discussion target reads in a sentence: 'Title, version 2', 'Q7. Title', 'run 12 of deep_linear'."""
    label = obj._meta.label_lower
    if label == "perspectives.version":
        return f"{obj.title}, version {obj.number}"
    if label == "experiments.run":
        name = getattr(obj, "experiment_id", "")  # the experiment's name is its key; no query
        return f"run {obj.pk}" + (f" of {name}" if name else "")
    return str(obj)
