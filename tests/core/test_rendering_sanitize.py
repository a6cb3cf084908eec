from __future__ import annotations

from django.template import Context, Template

from apps.core.rendering import sanitize_html


def test_external_links_get_nofollow_noopener_and_internal_ones_do_not() -> None:
    out = sanitize_html('<a href="https://example.org">x</a> <a href="/about/">y</a> <a href="#ref-1">z</a>')
    assert '<a href="https://example.org" rel="nofollow noopener">x</a>' in out
    assert '<a href="/about/">y</a>' in out and '<a href="#ref-1">z</a>' in out


def test_an_author_supplied_rel_or_target_is_dropped() -> None:
    out = sanitize_html('<a href="https://e.org" rel="opener" target="_blank">x</a>')
    assert out == '<a href="https://e.org" rel="nofollow noopener">x</a>'


def test_mathml_elements_and_attributes_survive() -> None:
    math = '<math display="block"><mrow><mi mathvariant="normal">x</mi><mo stretchy="false">(</mo></mrow></math>'
    assert sanitize_html(math) == math


def test_classes_outside_the_allowlist_are_removed() -> None:
    out = sanitize_html('<span class="math-error btn lm-figure-embed k">x</span>')
    assert out == '<span class="math-error k">x</span>'


def test_ids_not_made_by_the_pipeline_are_namespaced() -> None:
    assert sanitize_html('<h2 id="main">x</h2>') == '<h2 id="user-main">x</h2>'
    assert sanitize_html('<h2 id="intro">x</h2>', generated_ids={"intro"}) == '<h2 id="intro">x</h2>'
    assert sanitize_html('<h2 id="a b">x</h2>') == "<h2>x</h2>"


def test_unknown_tags_are_unwrapped_and_their_text_kept() -> None:
    assert sanitize_html("<marquee>hello</marquee> <iframe>world") == "hello world"


def test_images_keep_alt_text_and_http_sources_only() -> None:
    image = '<img src="https://e.org/a.png" alt="A plot">'
    assert sanitize_html(image) == image
    assert sanitize_html('<img src="data:image/png;base64,AAAA" alt="x">') == '<img alt="x">'


def test_the_markdown_filter_renders_short_text_safely() -> None:
    out = Template("{% load markup %}{{ bio|markdown }}").render(
        Context({"bio": "I study *muP* and $\\eta^\\ast$. <script>alert(1)</script>"})
    )
    assert "<em>muP</em>" in out and "<math" in out and "<script" not in out


def test_the_markdown_filter_renders_nothing_for_empty_text() -> None:
    assert Template("{% load markup %}[{{ bio|markdown }}]").render(Context({"bio": None})) == "[]"


def test_the_sanitize_filter_applies_the_allowlist() -> None:
    out = Template("{% load markup %}{{ html|sanitize }}").render(Context({"html": "<b onclick=x>hi</b>"}))
    assert out == "<b>hi</b>"


def test_the_markdown_filter_takes_an_id_prefix() -> None:
    out = Template('{% load markup %}{{ bio|markdown:"bio-3-" }}').render(Context({"bio": "## About me"}))
    assert 'id="bio-3-about-me"' in out
