from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from apps.core import pagecache
from apps.core.models import Tag
from apps.core.services import source_render
from apps.perspectives import citation, pages, selectors
from apps.perspectives.filters import ORDERINGS, ArticleFilter
from apps.perspectives.models import Article, Kind, Sequence, Version

PAGE_SIZE = 20


def _visible_article(request: HttpRequest, slug: str) -> Article:
    qs = Article.objects.visible_to(request.user).for_listing()
    return get_object_or_404(qs, slug=slug)


@pagecache.cached_page(tags=[pagecache.ARTICLES])
def article_list(request: HttpRequest) -> HttpResponse:
    published = Article.objects.published().for_listing().order_by("-latest_version__published_at", "-pk")
    filters = ArticleFilter(request.GET, queryset=published, request=request)
    valid = filters.is_valid()
    # An invalid value is shown with its error and matches nothing: never quietly the whole list.
    articles = filters.qs if valid else published.none()
    kind, tag_slug = request.GET.get("kind", ""), request.GET.get("tag", "")
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "perspectives/article_list.html",
        {
            "page_obj": page,
            "filter": filters,
            "kinds": Kind.choices,
            "kind": kind,
            "orderings": ORDERINGS,
            "ordering": request.GET.get("ordering", ""),
            "tag": Tag.objects.filter(slug=tag_slug).first() if tag_slug else None,
            "tag_slug": tag_slug,
            "filter_query": query.urlencode(),
            "tags": Tag.objects.filter(articles__status="published").distinct(),
            "sequences": Sequence.objects.all() if page.number == 1 and valid and not (kind or tag_slug) else [],
        },
        status=200 if valid else 400,
    )


def _article_context(request: HttpRequest, article: Article, version: Version | None) -> dict[str, Any]:
    authors = article.author_names
    versions = list(
        article.versions.only("id", "article_id", "number", "published_at", "changelog").order_by("-number")
    )
    context: dict[str, Any] = {
        "article": article,
        "version": version,
        "authors": article.authorships.all(),
        "versions": versions,
        "first_published": versions[-1].published_at if versions else None,
        "is_latest": version is not None and version.pk == article.latest_version_id,
        "questions": article.questions.order_by("number"),
        "sequence_navs": selectors.sequence_navigation(article),
    }
    if version is not None:
        context.update(
            body_html=mark_safe(version.rendered_html),  # sanitised by the rendering pipeline before caching
            toc=version.toc,
            references=version.references,
            reading_minutes=version.reading_minutes,
            cite_bibtex=citation.cite_bibtex(article, version, authors),
            cite_plain=citation.cite_plain(article, version, authors),
        )
    else:
        # A draft never published: staff preview the current source, rendered now and not cached.
        rendered = source_render(source=article.body, bibliography=article.bibliography)
        context.update(
            body_html=mark_safe(rendered.html),
            toc=rendered.toc,
            references=rendered.references,
            reading_minutes=rendered.reading_minutes,
            render_errors=rendered.errors,
        )
    return context


def _article_page(request: HttpRequest, article: Article, version: Version | None) -> HttpResponseBase:
    # Drafts (version None) are shown to staff only, so they never get validators.
    state = selectors.article_page_state(article, version) if version and pages.for_everyone(request) else None
    return pages.conditional_page(
        request,
        state,
        lambda: render(request, "perspectives/article_detail.html", _article_context(request, article, version)),
    )


@pagecache.cached_page(tags=lambda slug: [pagecache.article(slug)])
def article_detail(request: HttpRequest, slug: str) -> HttpResponseBase:
    article = _visible_article(request, slug)
    return _article_page(request, article, article.latest_version)


@pagecache.cached_page(tags=lambda slug, number: [pagecache.article(slug)])
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponseBase:
    article = _visible_article(request, slug)
    version = get_object_or_404(Version, article=article, number=number)
    return _article_page(request, article, version)


def _version_number(raw: str | None, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        return int(raw.lstrip("v"))
    except ValueError:
        return None


def article_diff(request: HttpRequest, slug: str) -> HttpResponse:
    article = _visible_article(request, slug)
    versions = {v.number: v for v in article.versions.all()}
    if not versions:
        raise Http404("This article has no published versions yet.")
    latest = max(versions)
    old_n = _version_number(request.GET.get("from"), max(latest - 1, 1))
    new_n = _version_number(request.GET.get("to"), latest)
    errors = {}
    if old_n not in versions:
        errors["from"] = f"There is no version {request.GET.get('from')!s} of this article."
    if new_n not in versions:
        errors["to"] = f"There is no version {request.GET.get('to')!s} of this article."
    context: dict[str, Any] = {
        "article": article,
        "versions": sorted(versions.values(), key=lambda v: v.number),
        "errors": errors,
        "view": "side" if request.GET.get("view") == "side" else "unified",
    }
    if errors:
        return render(request, "perspectives/article_diff.html", context, status=400)
    old, new = versions[old_n], versions[new_n]  # type: ignore[index]
    old_src = f"# {old.title}\n\n{old.body}"
    new_src = f"# {new.title}\n\n{new.body}"
    context.update(old=old, new=new, lines=selectors.unified_diff(old_src, new_src, f"v{old.number}", f"v{new.number}"))
    if context["view"] == "side":
        context["table"] = mark_safe(selectors.side_by_side_diff(old_src, new_src, f"v{old.number}", f"v{new.number}"))
    return render(request, "perspectives/article_diff.html", context)


def article_cite(request: HttpRequest, slug: str) -> HttpResponse:
    article = _visible_article(request, slug)
    version = article.latest_version
    if number := _version_number(request.GET.get("v"), None):
        version = get_object_or_404(Version, article=article, number=number)
    if version is None:
        raise Http404("Unpublished articles cannot be cited.")
    text = citation.cite_bibtex(article, version, article.author_names)
    response = HttpResponse(text, content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{article.slug}.bib"'
    return response


@pagecache.cached_page(tags=[pagecache.ARTICLES, pagecache.QUESTIONS])
def tag_detail(request: HttpRequest, tag: str) -> HttpResponse:
    tag_obj = get_object_or_404(Tag, slug=tag)
    articles = Article.objects.published().filter(tags=tag_obj).for_listing().order_by("-latest_version__published_at")
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    questions = tag_obj.questions.order_by("number")
    return render(request, "perspectives/tag_detail.html", {"tag": tag_obj, "page_obj": page, "questions": questions})


@pagecache.cached_page(tags=[pagecache.ARTICLES])
def sequence_detail(request: HttpRequest, slug: str) -> HttpResponse:
    sequence = get_object_or_404(Sequence, slug=slug)
    visible = Article.objects.visible_to(request.user)
    articles = list(
        visible.filter(sequence_items__sequence=sequence).for_listing().order_by("sequence_items__position")
    )
    return render(request, "perspectives/sequence_detail.html", {"sequence": sequence, "articles": articles})
