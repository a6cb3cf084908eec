from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from apps.core.rendering import FigureDirective, FigureError, Rendered, TocEntry, render_markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_headings_get_slug_ids_and_permalinks_and_h2_h3_make_the_toc() -> None:
    out = render_markdown("# Top\n\n## Gradient flow\n\ntext\n\n### Small init\n\n#### Too deep\n")
    assert '<h2 id="gradient-flow">' in out.html
    assert 'href="#gradient-flow"' in out.html and 'class="headerlink"' in out.html
    assert out.toc == [TocEntry(2, "gradient-flow", "Gradient flow"), TocEntry(3, "small-init", "Small init")]


def test_repeated_headings_get_distinct_ids() -> None:
    out = render_markdown("## Setup\n\n## Setup\n")
    assert [e.id for e in out.toc] == ["setup", "setup_1"]


def test_footnotes_link_both_ways() -> None:
    out = render_markdown("A claim.[^1]\n\n[^1]: The evidence.\n")
    assert 'href="#fn-1"' in out.html and 'id="fn-1"' in out.html
    assert 'href="#fnref-1"' in out.html and "The evidence." in out.html


def test_tables_render_as_tables() -> None:
    out = render_markdown("| width | loss |\n|---|---|\n| 64 | 0.1 |\n")
    names = [t for t, _ in tags(out.html)]
    assert names[:1] == ["table"] and "th" in names and "td" in names


def test_fenced_code_is_highlighted_with_classes_not_inline_styles() -> None:
    out = render_markdown("```python\ndef f(x):\n    return x\n```\n")
    assert '<div class="codehilite">' in out.html
    assert '<span class="k">def</span>' in out.html
    assert "style=" not in out.html


def test_inline_and_display_math_become_mathml() -> None:
    out = render_markdown("Inline $e^{2st}$ and\n\n$$\\frac{1}{2}\\sum_{j} s_j^2$$\n")
    assert '<math display="inline">' in out.html
    assert '<math display="block">' in out.html
    assert "<mfrac>" in out.html and "<msubsup>" in out.html
    assert out.errors == []


@pytest.mark.parametrize(
    "source",
    [r"\(x_1\)", r"\[x_1\]"],
)
def test_bracket_delimiters_are_math_too(source: str) -> None:
    assert "<math" in render_markdown(f"See {source} here.").html


def test_multiline_display_math_with_aligned_survives_markdown() -> None:
    source = (
        "$$\n\\begin{aligned}\nL &= \\tfrac12 \\|y - W_2 W_1 x\\|^2 \\\\\n  &= \\mathbb{E}[\\ell]\n\\end{aligned}\n$$\n"
    )
    out = render_markdown(source)
    assert out.errors == []
    assert "<mtable" in out.html and "<em>" not in out.html


def test_underscores_and_stars_inside_math_are_not_emphasis() -> None:
    out = render_markdown("Let $a_1 * b_2$ and $c_3 * d_4$ be *real*.")
    assert out.html.count("<em>") == 1
    assert "<em>real</em>" in out.html


def test_an_escaped_dollar_is_a_literal_dollar() -> None:
    out = render_markdown(r"It costs \$5 or \$10 per run.")
    assert "<math" not in out.html and "$5" in out.html and "$10" in out.html


def test_currency_amounts_are_not_taken_for_math() -> None:
    out = render_markdown("Between $5 and $10 per GPU hour.")
    assert "<math" not in out.html


def test_math_inside_code_stays_code() -> None:
    out = render_markdown("Write `$x_1$` for this.\n\n```\n$y_2$\n```\n")
    assert "<math" not in out.html
    assert "$x_1$" in out.html and "$y_2$" in out.html


@pytest.mark.parametrize("bad", [r"$\frac{1}{$", r"$\begin{matrix}$", r"$x^{$", r"$$\left( x$$"])
def test_malformed_math_is_reported_inline_and_the_rest_still_renders(bad: str) -> None:
    out = render_markdown(f"## Before\n\nText {bad} after.\n\n## After\n\nStill *here*.")
    assert 'class="math-error"' in out.html
    assert "<em>here</em>" in out.html and [e.id for e in out.toc] == ["before", "after"]
    assert len(out.errors) == 1 and out.errors[0].startswith("Math error in")


def test_citations_are_numbered_in_order_of_first_use_and_reused() -> None:
    bib = "@article{b, title={B}, year={2020}}\n@article{a, title={A}, year={2019}}\n"
    out = render_markdown("First [@a], then [@b; @a], again [@a].", bibliography=bib)
    numbers = re.findall(r'<a href="#ref-(\w)">(\d)</a>', out.html)
    assert numbers == [("a", "1"), ("b", "2"), ("a", "1"), ("a", "1")]
    assert [(r["key"], r["number"]) for r in out.references] == [("a", 1), ("b", 2)]
    assert '<section class="references"' in out.html and 'id="ref-a"' in out.html


def test_reference_list_follows_citation_order_not_bibliography_order() -> None:
    bib = "@misc{z, title={Zed}}\n@misc{y, title={Why}}\n"
    out = render_markdown("[@y] then [@z]", bibliography=bib)
    assert out.html.index("Why") < out.html.index("Zed")


def test_an_unknown_citation_key_is_marked_and_reported_once() -> None:
    out = render_markdown("See [@ghost] and [@ghost].", bibliography="@misc{real, title={R}}")
    assert out.html.count('class="citation-missing"') == 2
    assert out.errors == ["Unknown citation key @ghost: it is not in the bibliography"]
    assert out.references == []


def test_a_link_whose_text_starts_with_an_at_sign_is_still_a_link() -> None:
    out = render_markdown("[@handle](https://example.org/handle)")
    assert 'href="https://example.org/handle"' in out.html
    assert "citation" not in out.html


def test_malformed_bibtex_is_an_error_not_an_exception() -> None:
    out = render_markdown("Text [@ok].", bibliography="@article{ok, title={Fine}}\n@article{broken, title={x\n")
    assert any("Bibliography" in e for e in out.errors)


def test_word_count_ignores_math_code_and_references() -> None:
    bib = "@misc{k, title={Many many many words in a title}}"
    out = render_markdown("One two three $x + y + z$ four.\n\n```\ncode code code\n```\n\n[@k]", bibliography=bib)
    assert out.word_count == 4
    assert out.reading_minutes == 1


def test_reading_time_is_words_over_230_rounded() -> None:
    out = render_markdown("word " * 1000)
    assert out.word_count == 1000 and out.reading_minutes == 4


def test_empty_source_renders_empty() -> None:
    out = render_markdown("")
    assert out == Rendered(html="", toc=[], word_count=0, reading_minutes=1, figures=[], errors=[], references=[])


FIGURE = "```figure\nexperiment: deep_linear\nparams: {lr: 0.05}\ngrid: {seed: [0, 1]}\ncaption: Modes $s_i(t)$.\n```\n"


def test_a_figure_directive_is_parsed_with_its_line() -> None:
    out = render_markdown("Intro.\n\n" + FIGURE)
    assert out.figures == [
        FigureDirective("deep_linear", "smoke", {"lr": 0.05}, {"seed": [0, 1]}, "Modes $s_i(t)$.", 0, 3)
    ]
    assert "<math" in out.figures[0].caption_html


def test_without_a_resolver_a_figure_is_a_static_placeholder() -> None:
    out = render_markdown(FIGURE)
    assert '<figure class="lm-figure lm-figure-static">' in out.html
    assert "Figure: deep_linear (will be drawn when the experiment runs)" in out.html
    assert '<figcaption><span class="figure-number">Figure 1.</span> Modes <span class="math-inline"><math' in out.html


def test_a_figure_block_shown_as_code_is_not_a_directive() -> None:
    out = render_markdown("````markdown\n" + FIGURE + "````\n")
    assert out.figures == [] and "experiment: deep_linear" in out.html


def test_resolver_html_is_inserted_unsanitised_in_place_of_the_directive() -> None:
    def resolver(d: FigureDirective) -> str:
        return f'<div class="lm-figure-embed" data-experiment="{d.experiment}"><script src="/x.js"></script></div>'

    out = render_markdown("Before.\n\n" + FIGURE + "\nAfter.", figure_resolver=resolver)
    assert '<div class="lm-figure-embed" data-experiment="deep_linear"><script src="/x.js"></script></div>' in out.html
    assert out.html.index("Before.") < out.html.index("lm-figure-embed") < out.html.index("After.")
    assert "<p><div" not in out.html


def test_author_text_that_imitates_a_placeholder_is_not_substituted() -> None:
    forged = "LMFIG0000000000000000N0X LMFIG{nonce}N0X lmfig-0"
    calls: list[int] = []

    def resolver(d: FigureDirective) -> str:
        calls.append(d.index)
        return "<b>TRUSTED</b>"

    out = render_markdown(forged + "\n\n" + FIGURE, figure_resolver=resolver)
    assert out.html.count("TRUSTED") == 1 and calls == [0]
    assert "LMFIG0000000000000000N0X" in out.html


def test_a_resolver_figure_error_becomes_an_inline_box_and_an_error() -> None:
    def resolver(d: FigureDirective) -> str:
        raise FigureError("no such experiment")

    out = render_markdown("Text.\n\n" + FIGURE + "\nMore text.", figure_resolver=resolver)
    assert 'class="render-error figure-error"' in out.html and "no such experiment" in out.html
    assert out.errors == ["Figure 1 (deep_linear, line 3): no such experiment"]
    assert "More text." in out.html


def test_a_crashing_resolver_does_not_break_the_page() -> None:
    def resolver(d: FigureDirective) -> str:
        raise RuntimeError("bug")

    out = render_markdown(FIGURE + "\nAfter.", figure_resolver=resolver)
    assert "could not be drawn" in out.html and "After." in out.html
    assert len(out.errors) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("experiment: [unclosed", "YAML could not be read"),
        ("just a string", "must be YAML"),
        ("params: {lr: 1}", "'experiment'"),
        ("experiment: deep_linear\nparams: [1, 2]", "'params'"),
        ("experiment: deep_linear\ngrid: {lr: 0.1}", "grid.lr must be a non-empty list"),
        ("experiment: deep_linear\ngrid: {a: [1], b: [1], c: [1], d: [1]}", "at most 3"),
        ("experiment: deep_linear\ngrid: {lr: [1, 2, 3, 4, 5, 6, 7, 8, 9]}", "at most 8"),
        ("experiment: deep_linear\ncolour: red", "unknown key"),
        ("experiment: deep_linear\ncaption: [1]", "'caption' must be text"),
        ("experiment: deep_linear\nparams: {lr: {nested: 1}}", "params.lr"),
        ("experiment: deep_linear\nparams: {lr: 1}\ngrid: {lr: [1, 2]}", "both params and grid"),
        ("experiment: '../../etc'", "'experiment'"),
    ],
)
def test_a_bad_figure_directive_is_reported_with_its_line(body: str, reason: str) -> None:
    out = render_markdown(f"# Page\n\n```figure\n{body}\n```\n\nAfter.")
    assert out.figures == []
    assert len(out.errors) == 1 and out.errors[0].startswith("Figure directive on line 3:")
    assert reason in out.errors[0]
    assert 'class="render-error figure-error"' in out.html and "After." in out.html


def test_figure_indexes_are_positions_in_the_figures_list_in_document_order() -> None:
    out = render_markdown(FIGURE + "\n```figure\nnope: 1\n```\n\n" + FIGURE.replace("deep_linear", "kernel"))
    assert [(f.experiment, f.index) for f in out.figures] == [("deep_linear", 0), ("kernel", 1)]
    assert [f.line for f in out.figures] == [1, 12]


def test_a_paragraph_of_thousands_of_unclosed_brackets_renders_as_its_text() -> None:
    # Without defusing, Python-Markdown needs minutes for this (quadratic scanning).
    out = render_markdown("[a <b " * 3000)
    assert out.html.startswith("<p>[a &lt;b [a &lt;b")
    assert out.word_count == 6000


def test_a_defused_paragraph_keeps_its_code_math_and_citations() -> None:
    source = "[@k] `[x` $a_1$ " + "[a " * 2000
    out = render_markdown(source, bibliography="@misc{k, title={K}}")
    assert '<span class="citation" id="cite-1">[<a href="#ref-k">1</a>]</span>' in out.html
    assert "<code>[x</code>" in out.html and "<msub>" in out.html
    assert out.errors == []


def test_ordinary_paragraphs_keep_their_links_next_to_a_defused_one() -> None:
    out = render_markdown("[a " * 2000 + "\n\nSee [the paper](https://example.org/p).")
    assert '<a href="https://example.org/p" rel="nofollow noopener">the paper</a>' in out.html


def test_an_unclosed_figure_block_is_reported() -> None:
    out = render_markdown("Text.\n\n```figure\nexperiment: deep_linear\n")
    assert out.figures == [] and "never closed" in out.errors[0]


def test_an_id_prefix_namespaces_every_generated_id_and_the_links_to_it() -> None:
    out = render_markdown(
        "## Reply form\n\nClaim [@k].[^1]\n\n[^1]: Note.\n", bibliography="@misc{k, title={K}}", id_prefix="post-7-"
    )
    ids = {attrs["id"] for _, attrs in tags(out.html) if "id" in attrs}
    assert ids == {
        "post-7-reply-form",
        "post-7-fn-1",
        "post-7-fnref-1",
        "post-7-references",
        "post-7-ref-k",
        "post-7-cite-1",
    }
    hrefs = {attrs["href"] for t, attrs in tags(out.html) if t == "a"}
    assert {"#post-7-reply-form", "#post-7-fn-1", "#post-7-fnref-1", "#post-7-ref-k", "#post-7-cite-1"} <= hrefs
    assert out.toc == [TocEntry(2, "post-7-reply-form", "Reply form")]


def test_a_malformed_id_prefix_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        render_markdown("x", id_prefix='"><script>')


def test_ids_written_in_raw_html_are_namespaced() -> None:
    out = render_markdown('<span id="reply-form">x</span>\n\n## Real heading')
    ids = [attrs.get("id") for _, attrs in tags(out.html)]
    assert "user-reply-form" in ids and "real-heading" in ids and "reply-form" not in ids


@pytest.mark.parametrize("source", [r"$h \| e(T) \|$", r"$\{x\}$", r"$a \$ b$", "$x$", r"$\alpha$"])
def test_inline_math_may_end_in_an_escaped_symbol(source: str) -> None:
    out = render_markdown(f"Take {source} now.")
    outside_math = re.sub(r"<math.*?</math>", "", out.html)
    assert "<math" in out.html and "$" not in outside_math and out.errors == []


def test_headings_in_other_scripts_get_readable_ids() -> None:
    out = render_markdown("## 神经网络\n\n## Über alles\n")
    assert [e.id for e in out.toc] == ["神经网络", "über-alles"]
    assert '<h2 id="神经网络">' in out.html


def test_dollars_in_an_html_attribute_or_a_link_destination_are_not_math() -> None:
    out = render_markdown('<abbr title="$x$ costs">T</abbr> [docs](https://example.org/?q=$x$) and $z$')
    assert '<abbr title="$x$ costs">T</abbr>' in out.html
    assert 'href="https://example.org/?q=$x$"' in out.html
    assert out.html.count("<math") == 1


def test_markdown_and_math_work_inside_html_blocks_marked_markdown() -> None:
    out = render_markdown('<details markdown="1"><summary>Proof</summary>\n\nSo $a_1$ is *small*.\n\n</details>')
    assert "<details>" in out.html and "<msub>" in out.html and "<em>small</em>" in out.html
