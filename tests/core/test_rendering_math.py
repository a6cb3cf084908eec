from __future__ import annotations

import pytest

from apps.core.rendering.mathml import latex_to_mathml


@pytest.mark.parametrize(
    ("latex", "element"),
    [
        (r"\frac{1}{2}", "<mfrac>"),
        (r"\sum_{j} s_j^2", "<msubsup>"),
        (r"\mathbb{E}", "&#x1D53C;"),
        (r"\mathrm{tr}", 'mathvariant="normal"'),
        (r"\left( \frac{1}{x} \right)", 'stretchy="true"'),
        (r"\begin{aligned} a &= b \\ c &= d \end{aligned}", "<mtable"),
        (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", "<mtable"),
        (r"\hat{\theta}", "<mover"),
        (r"e^{2st}", "<msup>"),
        (r"\sqrt{n}", "<msqrt>"),
        (r"\|W\|_F", "<msub>"),
    ],
)
def test_everyday_latex_converts_without_error(latex: str, element: str) -> None:
    result = latex_to_mathml(latex, display=False)
    assert result.error == ""
    assert result.html.startswith('<math display="inline">') and element in result.html


def test_display_math_is_a_block() -> None:
    assert latex_to_mathml("x", display=True).html.startswith('<math display="block">')


def test_symbols_come_out_as_character_references_not_double_escaped() -> None:
    html = latex_to_mathml(r"\theta", display=False).html
    assert "&amp;" not in html and ("θ" in html or "&#x003B8;" in html)


def test_text_inside_math_stays_text() -> None:
    html = latex_to_mathml(r"\text{a < b & <b>c</b>}", display=False).html
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp;" in html


@pytest.mark.parametrize("latex", [r"\frac{1}{", r"\begin{matrix}", r"x^{", r"x}", "", "x" * 5000])
def test_malformed_math_becomes_an_error_span_with_a_reason(latex: str) -> None:
    result = latex_to_mathml(latex, display=False)
    assert result.error
    assert result.html.startswith('<span class="math-error" title="Math error: ')
    assert "<math" not in result.html


def test_the_error_span_escapes_the_source() -> None:
    result = latex_to_mathml(r"\frac{<img src=x onerror=alert(1)>}{", display=True)
    assert "<img" not in result.html and "&lt;img" in result.html


@pytest.mark.parametrize("latex", [r"\foo{x}", r"\alpah + 1", r"\label{eq:1} x"])
def test_an_unknown_command_is_reported_by_name(latex: str) -> None:
    result = latex_to_mathml(latex, display=False)
    assert result.error.startswith("unknown command \\")
    assert 'class="math-error"' in result.html


def test_self_referencing_macros_are_an_error_not_a_hang() -> None:
    assert latex_to_mathml(r"\def\a{\a}\a", display=False).error


def test_fences_stretch_only_around_something_tall() -> None:
    flat = latex_to_mathml(r"L \left( \theta_k \right)", display=True).html
    tall = latex_to_mathml(r"\left( \frac{a}{b} \right)", display=True).html
    assert flat.count('stretchy="false" fence="true"') == 2 and 'stretchy="true"' not in flat
    assert tall.count('stretchy="true" fence="true"') == 2


def test_a_full_stop_in_a_formula_gets_no_operator_space() -> None:
    assert '<mo lspace="0" rspace="0">&#x0002E;</mo>' in latex_to_mathml("x .", display=True).html
