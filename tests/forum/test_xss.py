"""Hostile post bodies and titles: the thread page must carry no script, event handler or javascript: URL."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from apps.forum import services

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<div style="background:url(javascript:alert(1))" onclick="x()">styled</div>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "$<script>alert(1)</script>$ and $$\\href{javascript:alert(1)}{x}$$",
    "<body onload=alert(1)><details open ontoggle=alert(1)>",
    "![img](javascript:alert(1))",
    "[ref]: javascript:alert(1)\n\n[x][ref]",
    "<a href=' javascript:alert(1)'>space</a>",
    '<p title="</p><script>alert(1)</script>">attr break</p>',
]

_URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not (names.get("src") or "").startswith("/static/"):
            self.problems.append(f"inline or foreign script: {attrs}")
        if tag in {"iframe", "object", "embed", "base"}:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in _URL_ATTRS and value:
                compact = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
                if compact.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    return parser.problems


@pytest.mark.django_db
def test_hostile_posts_render_without_anything_executable(client, thread, mod):
    for payload in PAYLOADS:
        services.post_create(user=mod, thread=thread, body=payload)  # a moderator: no link limits, no rate limit
    thread.refresh_from_db()
    pages = [client.get(thread.get_absolute_url(), {"page": n}) for n in (1, 2)]
    for response in pages:
        assert response.status_code == 200
        assert audit(response.content.decode()) == []


@pytest.mark.django_db
def test_a_hostile_title_is_escaped_everywhere_it_appears(client, members, category):
    alice = members[0]
    title = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
    thread = services.thread_create(user=alice, category=category, title=title, body="hello")
    for url in [
        reverse("forum:index"),
        category.get_absolute_url(),
        thread.get_absolute_url(),
        reverse("forum:user", args=["alice"]),
        reverse("search:results") + "?q=hello",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert audit(response.content.decode()) == [], url


@pytest.mark.django_db
def test_the_audit_itself_catches_a_script(client):
    assert audit('<p><script>alert(1)</script><a href=" javascript:x">y</a><img onerror=1></p>') != []
    assert len(audit("<img src=x onerror=alert(1)>")) == 1
