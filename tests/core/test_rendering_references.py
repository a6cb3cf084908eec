"""Numbered equations and figures, @eq:/@fig: cross-references, citation back-links and TeX annotations."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from apps.core.rendering import figure_directives, render_markdown, sanitize_html
from apps.core.rendering.mathml import latex_to_mathml

BIB = "@article{saxe, title={Exact solutions}, author={Saxe, Andrew}, year={2014}}\n@misc{jacot, title={NTK}}"


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a":
            self._href, self._text = found.get("href"), ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text))
            self._href = None


def anchors(html: str) -> _Anchors:
    parser = _Anchors()
    parser.feed(html)
    return parser


def test_a_formula_carries_its_tex_source_as_an_annotation() -> None:
    html = latex_to_mathml(r"a < b \text{ & } \frac{1}{2}", display=False).html
    assert html.startswith('<math display="inline"><semantics><mrow>')
    assert '<annotation encoding="application/x-tex">a &lt; b \\text{ &amp; } \\frac{1}{2}</annotation>' in html
    # The presentation is a single element, which is all <semantics> renders.
    assert html.endswith("</annotation></semantics></math>")


def test_the_sanitiser_keeps_the_tex_annotation_and_nothing_like_it() -> None:
    kept = '<math><semantics><mi>x</mi><annotation encoding="application/x-tex">x</annotation></semantics></math>'
    assert sanitize_html(kept) == kept
    other = sanitize_html(
        '<math><semantics><mi>x</mi><annotation encoding="text/html">x</annotation></semantics></math>'
    )
    assert "encoding" not in other
    on_mi = sanitize_html('<math><mi encoding="application/x-tex">x</mi></math>')
    assert "encoding" not in on_mi
    xml = sanitize_html('<math><annotation-xml encoding="text/html"><b>x</b></annotation-xml></math>')
    assert "annotation-xml" not in xml and "<b>" not in xml


def test_display_math_sits_in_its_own_box_and_only_labelled_equations_are_numbered() -> None:
    out = render_markdown("Before\n\n$$x^2$$\n\nand\n\n$$y \\label{why}$$\n")
    assert out.errors == []
    boxes = re.findall(r'<span class="math-display"( id="[^"]+")?><math display="block">', out.html)
    assert boxes == ["", ' id="eq-why"']
    assert out.html.count('class="eq-number"') == 1 and '<span class="eq-number">(1)</span>' in out.html
    assert "\\label" not in out.html  # the label is not part of the formula or its annotation


def test_equations_are_numbered_in_reading_order_whatever_their_syntax() -> None:
    # A one-line $$..$$ is found while parsing paragraphs, a multi-line one before that:
    # the numbers still follow the page.
    source = "First $$a \\label{one}$$ inline.\n\n$$\nb \\label{two}\n$$\n\nSee @eq:one and @eq:two.\n"
    out = render_markdown(source)
    assert out.errors == []
    numbers = re.findall(r'id="eq-(\w+)">.*?<span class="eq-number">\((\d)\)</span>', out.html)
    assert numbers == [("one", "1"), ("two", "2")]
    links = anchors(out.html).links
    assert ("#eq-one", "Eq.\u00a0(1)") in links and ("#eq-two", "Eq.\u00a0(2)") in links


def test_a_reference_may_come_before_what_it_refers_to() -> None:
    source = (
        "As @fig:decay and @eq:flow show.\n\n"
        "```figure\nexperiment: deep_linear\ncaption: Nothing to see.\n```\n\n"
        "```figure\nexperiment: deep_linear\nlabel: fig:decay\ncaption: Decay.\n```\n\n"
        "$$\\dot p = p \\label{eq:flow}$$\n"
    )
    out = render_markdown(source)
    assert out.errors == []
    assert ("#fig-decay", "Figure\u00a02") in anchors(out.html).links
    assert ("#eq-flow", "Eq.\u00a0(1)") in anchors(out.html).links
    assert [f.label for f in out.figures] == ["", "decay"]
    assert [f.number for f in out.figures] == [1, 2]
    assert '<div class="figure-anchor" id="fig-decay"><figure' in out.html
    assert out.figures[1].caption_html == '<span class="figure-number">Figure 2.</span> Decay.'


def test_an_unknown_or_repeated_label_is_reported_to_the_author() -> None:
    out = render_markdown("See @fig:nowhere and @eq:nothing.\n\n$$a \\label{x}$$\n\n$$b \\label{x}$$\n")
    assert '<span class="xref-missing" title="Unknown reference">??fig:nowhere</span>' in out.html
    assert any("@fig:nowhere" in e and "label: nowhere" in e for e in out.errors)
    assert any("@eq:nothing" in e for e in out.errors)
    assert any("'x' is used twice" in e for e in out.errors)


def test_a_figure_label_must_be_a_plain_name() -> None:
    out = render_markdown("```figure\nexperiment: deep_linear\nlabel: 'two words'\n```\n")
    assert out.figures == [] and "'label'" in out.errors[0]


def test_a_bracketed_figure_reference_is_reported_with_a_hint() -> None:
    out = render_markdown("```figure\nexperiment: deep_linear\nlabel: a\n```\n\nSee [@fig:a].\n")
    assert any("without brackets" in e for e in out.errors)


def test_references_in_code_and_addresses_are_left_alone() -> None:
    out = render_markdown("Write `@fig:decay` or mail me@fig:decay.\n")
    assert out.errors == [] and "xref" not in out.html


def test_each_reference_links_back_to_every_place_that_cites_it() -> None:
    out = render_markdown("One [@saxe]. Two [@saxe; @jacot]. Three [@saxe].\n", bibliography=BIB)
    parsed = anchors(out.html)
    assert {"cite-1", "cite-2", "cite-3"} <= set(parsed.ids)
    saxe = re.search(r'<li id="ref-saxe">.*?</li>', out.html)
    jacot = re.search(r'<li id="ref-jacot">.*?</li>', out.html)
    assert saxe is not None and jacot is not None
    assert re.findall(r'href="#(cite-\d)"', saxe.group(0)) == ["cite-1", "cite-2", "cite-3"]
    assert re.findall(r'href="#(cite-\d)"', jacot.group(0)) == ["cite-2"]


def test_cross_reference_ids_take_the_id_prefix() -> None:
    source = "```figure\nexperiment: deep_linear\nlabel: a\n```\n\n$$x \\label{b}$$\n\n@fig:a, @eq:b\n"
    out = render_markdown(source, id_prefix="post-3-")
    parsed = anchors(out.html)
    assert {"post-3-fig-a", "post-3-eq-b"} <= set(parsed.ids)
    assert {"#post-3-fig-a", "#post-3-eq-b"} <= {href for href, _ in parsed.links}


def test_equation_numbers_are_not_counted_as_words() -> None:
    plain = render_markdown("Some words here.\n\n$$x$$\n")
    numbered = render_markdown("Some words here.\n\n$$x \\label{a}$$\n")
    assert plain.word_count == numbered.word_count == 3


def test_figure_directives_are_read_without_rendering_the_text() -> None:
    source = (
        "Intro $x$.\n\n````markdown\n```figure\nexperiment: shown_as_code\n```\n````\n\n"
        "```figure\nexperiment: deep_linear\ngrid: {init_scale: [0.001, 0.01]}\nlabel: modes\n```\n\n"
        "```figure\nexperiment: 'not a name'\n```\n"
    )
    found = figure_directives(source)
    assert [(d.experiment, d.label, d.grid) for d in found] == [("deep_linear", "modes", {"init_scale": [0.001, 0.01]})]


def test_punctuation_after_inline_math_stays_on_its_line() -> None:
    out = render_markdown("Steps grow like $t/\\eta$. Then $x$ and $y$, done")
    assert out.html.count('<span class="math-inline">') == 2
    assert re.search(r'<span class="math-inline"><math display="inline">.*?</math>\.</span>', out.html)
    assert re.search(r"</math>,</span>", out.html)
