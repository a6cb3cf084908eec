"""How to cite an article: BibTeX and a plain-text line."""

from __future__ import annotations

from django.conf import settings

from apps.perspectives.models import Article, Version


def _bibtex_escape(value: str) -> str:
    # Braces must balance in BibTeX; LaTeX specials are escaped so the entry compiles.
    out = []
    for ch in value:
        if ch in "&%$#_":
            out.append("\\" + ch)
        elif ch in "{}":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append("\\textbackslash{}")
        else:
            out.append(ch)
    return "".join(out)


def _bibtex_author(name: str) -> str:
    # BibTeX splits "First Last" into parts; a group name such as "The editors"
    # (any lower-case word or a dot in it) is braced so it prints as written.
    escaped = _bibtex_escape(name)
    words = name.split()
    if any(w[:1].islower() or "." in w.rstrip(".") for w in words):
        return "{" + escaped + "}"
    return escaped


def cite_key(article: Article, version: Version) -> str:
    return f"lm:{article.slug}:v{version.number}"


def cite_url(article: Article, version: Version) -> str:
    return settings.SITE_URL + version.get_absolute_url()


def cite_bibtex(article: Article, version: Version, authors: list[str]) -> str:
    """A BibTeX @misc entry that pins the exact version read."""
    fields = [
        ("title", _bibtex_escape(version.title)),
        ("author", " and ".join(_bibtex_author(a) for a in authors) or f"{{{settings.SITE_NAME}}}"),
        ("howpublished", _bibtex_escape(settings.SITE_NAME)),
        ("year", str(version.published_at.year)),
        ("month", version.published_at.strftime("%b").lower()),
        ("note", f"{article.get_kind_display()}, version {version.number}"),
        ("url", cite_url(article, version)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{cite_key(article, version)},\n{body}\n}}\n"


def cite_plain(article: Article, version: Version, authors: list[str]) -> str:
    if len(authors) > 2:
        who = ", ".join(authors[:-1]) + " and " + authors[-1]
    else:
        who = " and ".join(authors)
    return (
        f"{who or settings.SITE_NAME} ({version.published_at.year}). {version.title}. "
        f"{settings.SITE_NAME}, version {version.number}. {cite_url(article, version)}"
    )
