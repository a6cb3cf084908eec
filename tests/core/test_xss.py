"""Hostile input through every door of the rendering pipeline.

Each payload goes in as an author would write it (Markdown body, bibliography,
figure directive) and the output is parsed the way a browser tokenises it.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from apps.core.rendering import FigureDirective, render_markdown, sanitize_html

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "meta", "base", "form", "link", "frame", "frameset"}
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "background", "poster", "data", "srcset"}
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _scheme(value: str) -> str:
    decoded = value
    for _ in range(3):  # nested entity encodings
        decoded = html.unescape(decoded)
    return _CONTROL.sub("", decoded).lower()


class _Auditor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name == "style":
                self.problems.append(f"{tag}[style]")
            if name in URL_ATTRS and value is not None:
                if _scheme(value).startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"{tag}[{name}={value!r}]")


def audit(output: str) -> list[str]:
    auditor = _Auditor()
    auditor.feed(output)
    auditor.close()
    return auditor.problems


MARKDOWN_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    '<img src="jav&#x0A;ascript:alert(1)">',
    "<img src=`javascript:alert(1)`>",
    '<img """><script>alert(1)</script>">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116'
    '&#0000058alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<div style="width: expression(alert(1))">x</div>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x<mtext>y</mtext></maction></math>',
    '<math href="javascript:alert(1)"><mi>x</mi></math>',
    '<math><annotation-xml encoding="text/html"><script>alert(1)</script></annotation-xml></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math><mi xlink:href="data:x,<script>alert(1)</script>">x</mi></math>',
    "<details open ontoggle=alert(1)>x</details>",
    '<video><source onerror="alert(1)"></video>',
    "<body onload=alert(1)>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    '![x](https://ok.example/a.png "t\\" onerror=\\"alert(1)")',
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x][r]\n\n[r]: data:text/html;base64,PHNjcmlwdD4=",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "Text.[^1]\n\n[^1]: <script>alert(1)</script><img src=x onerror=alert(1)>",
    '| a |\n|---|\n| <img src=x onerror=alert(1)> |\n| <a href="javascript:alert(1)">y</a> |',
    "> <iframe src=javascript:alert(1)>",
    "- <svg><animate onbegin=alert(1) attributeName=x></svg>",
    "## <img src=x onerror=alert(1)> heading",
    "$\\href{javascript:alert(1)}{x}$",
    "$$\\href{javascript:alert(1)}{x}$$",
    "$\\text{<script>alert(1)</script>}$",
    "$\\text{</math><img src=x onerror=alert(1)>}$",
    "$\\mathrm{<img src=x onerror=alert(1)>}$",
    '$x$"><img src=x onerror=alert(1)>',
    "[@<script>alert(1)</script>]",
    '[@key" onmouseover="alert(1)]',
    '<a href="#" id="x" onclick="alert(1)">x</a>',
    '<abbr title="x" onmouseover="alert(1)">x</abbr>',
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    '<div markdown="1" onclick="alert(1)">\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n</div>',
    '<details markdown="1" ontoggle="alert(1)" open>\n\n$\\href{javascript:alert(1)}{x}$\n\n</details>',
    '<span title="$x$" onmouseover="alert(1)">$y$</span>',
    "[x](javascript:alert($x$))",
]


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_hostile_markdown_renders_to_nothing_executable(payload: str) -> None:
    out = render_markdown(f"Before.\n\n{payload}\n\nAfter.")
    assert audit(out.html) == []
    assert "After." in out.html


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_sanitize_html_alone_leaves_nothing_executable(payload: str) -> None:
    assert audit(sanitize_html(payload)) == []


BIB_PAYLOADS = [
    "@article{k, title={<script>alert(1)</script>}, year={2020}}",
    "@article{k, title={x}, author={<img src=x onerror=alert(1)>}}",
    "@article{k, title={x}, url={javascript:alert(1)}}",
    "@article{k, title={x}, url={ JAVASCRIPT:alert(1)}}",
    "@article{k, title={x}, url={data:text/html,<script>alert(1)</script>}}",
    '@article{k, title={x}, doi={10.1/x" onmouseover="alert(1)}}',
    "@article{k, title={x}, eprint={javascript:alert(1)}}",
    "@article{k, title={x}, journal={<iframe src=javascript:alert(1)>}}",
    '@article{k, title={x}, url={https://ok.example/" onclick="alert(1)}}',
]


@pytest.mark.parametrize("bib", BIB_PAYLOADS)
def test_hostile_bibliography_fields_render_to_nothing_executable(bib: str) -> None:
    out = render_markdown("See [@k].", bibliography=bib)
    assert audit(out.html) == []
    assert out.references and out.references[0]["url"] in ("", out.references[0]["url"])
    assert not _scheme(out.references[0]["url"]).startswith(("javascript:", "data:", "vbscript:"))


FIGURE_PAYLOADS = [
    "experiment: deep_linear\ncaption: <script>alert(1)</script>",
    "experiment: deep_linear\ncaption: '<img src=x onerror=alert(1)>'",
    "experiment: deep_linear\ncaption: '[x](javascript:alert(1))'",
    "experiment: deep_linear\ncaption: '$\\href{javascript:alert(1)}{x}$'",
    "experiment: '<script>alert(1)</script>'",
    "experiment: deep_linear\nparams: {'<img src=x onerror=alert(1)>': 1}",
    "experiment: deep_linear\npreset: '\"><script>alert(1)</script>'",
    "experiment: !!python/object/apply:os.system ['echo pwned']",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("body", FIGURE_PAYLOADS)
def test_hostile_figure_directives_render_to_nothing_executable(body: str) -> None:
    out = render_markdown(f"```figure\n{body}\n```\n\nAfter.")
    assert audit(out.html) == []
    for directive in out.figures:
        assert audit(directive.caption_html) == []


def test_a_resolver_receives_the_caption_raw_and_a_safe_caption_html() -> None:
    seen: list[FigureDirective] = []

    def resolver(d: FigureDirective) -> str:
        seen.append(d)
        return "<figure>ok</figure>"

    source = "```figure\nexperiment: e\ncaption: '<img src=x onerror=alert(1)> $x$'\n```"
    render_markdown(source, figure_resolver=resolver)
    assert seen[0].caption.startswith("<img")
    assert audit(seen[0].caption_html) == [] and "<math" in seen[0].caption_html


def test_there_are_more_than_thirty_payloads() -> None:
    assert len(MARKDOWN_PAYLOADS) + len(BIB_PAYLOADS) + len(FIGURE_PAYLOADS) > 30


def test_the_auditor_catches_what_it_is_meant_to_catch() -> None:
    # Guard against an auditor that silently passes everything.
    assert audit('<a href=" java&#x09;script:x">') == ["a[href=' java\\tscript:x']"]
    assert audit("<img src=x onerror=y>") == ["img[onerror]"]
    assert audit("<script></script>") == ["<script>"]
