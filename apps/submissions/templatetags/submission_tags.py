"""What submissions show on other apps' pages, so those apps need not import submissions."""

from __future__ import annotations

from typing import Any

from django import template

from apps.perspectives.models import Article
from apps.submissions.selectors import published_reviews

register = template.Library()


@register.inclusion_tag("submissions/includes/published_reviews.html")
def open_reviews(article: Article) -> dict[str, Any]:
    """The reviews their reviewers chose to publish with an article: ``{% open_reviews article %}``."""
    return {"reviews": published_reviews(article)}
