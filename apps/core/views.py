from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from apps.core.models import Page


def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = get_object_or_404(Page, slug=slug)
    return render(request, "core/page.html", {"page": page, "body_html": mark_safe(page.rendered_html)})


def about(request: HttpRequest) -> HttpResponse:
    return page_detail(request, "about")
