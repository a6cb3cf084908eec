from __future__ import annotations

import pytest

from apps.core.rendering import render_markdown
from apps.core.rendering.citations import entry_url, format_authors, latex_to_text, parse_bibliography

BIB = r"""
@article{saxe2014,
  title = {Exact solutions to the nonlinear dynamics of learning in deep linear neural networks},
  author = {Saxe, Andrew M. and McClelland, James L. and Ganguli, Surya},
  journal = {ICLR},
  year = {2014},
  eprint = {1312.6120},
  archivePrefix = {arXiv},
}
@inproceedings{jacot2018,
  title = {Neural Tangent Kernel: Convergence and Generalization in Neural Networks},
  author = {Jacot, Arthur and Gabriel, Franck and Hongler, Cl{\'e}ment},
  booktitle = {NeurIPS},
  year = {2018},
  url = {https://papers.nips.cc/paper/8076},
}
@article{doi2020,
  title = {{A} {DOI} paper},
  author = {Doe, Jane},
  journal = {Journal},
  year = 2020,
  doi = {https://doi.org/10.1234/abc.5},
}
"""


def test_references_carry_authors_title_venue_year_and_link() -> None:
    out = render_markdown("[@saxe2014] [@jacot2018] [@doi2020]", bibliography=BIB)
    first, second, third = out.references
    assert first == {
        "key": "saxe2014",
        "number": 1,
        "authors": "Andrew M. Saxe, James L. McClelland, and Surya Ganguli",
        "title": "Exact solutions to the nonlinear dynamics of learning in deep linear neural networks",
        "year": "2014",
        "venue": "ICLR",
        "url": "https://arxiv.org/abs/1312.6120",
    }
    assert second["authors"] == "Arthur Jacot, Franck Gabriel, and Clément Hongler"
    assert second["url"] == "https://papers.nips.cc/paper/8076" and second["venue"] == "NeurIPS"
    assert third["url"] == "https://doi.org/10.1234/abc.5" and third["title"] == "A DOI paper"
    assert '<a href="https://doi.org/10.1234/abc.5" rel="nofollow noopener">' in out.html


def test_the_citation_links_to_its_reference_item() -> None:
    out = render_markdown("See [@jacot2018].", bibliography=BIB)
    assert '<span class="citation" id="cite-1">[<a href="#ref-jacot2018">1</a>]</span>' in out.html
    assert '<li id="ref-jacot2018">' in out.html


def test_uncited_entries_are_not_listed() -> None:
    out = render_markdown("Only [@doi2020].", bibliography=BIB)
    assert [r["key"] for r in out.references] == ["doi2020"]
    assert "Saxe" not in out.html


def test_no_citations_means_no_reference_section() -> None:
    assert "references" not in render_markdown("Plain text.", bibliography=BIB).html


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        ({"doi": "10.1103/PhysRevE.1"}, "https://doi.org/10.1103/PhysRevE.1"),
        ({"doi": "doi:10.1103/x"}, "https://doi.org/10.1103/x"),
        ({"url": "http://example.org/a"}, "http://example.org/a"),
        ({"url": "javascript:alert(1)"}, ""),
        ({"url": "data:text/html,x"}, ""),
        ({"eprint": "2001.08361", "archiveprefix": "arXiv"}, "https://arxiv.org/abs/2001.08361"),
        ({"eprint": "hep-th/9901001"}, "https://arxiv.org/abs/hep-th/9901001"),
        ({"eprint": "not an id"}, ""),
        ({"eprint": "1234.5678", "archiveprefix": "HAL"}, ""),
        ({}, ""),
    ],
)
def test_entry_links_prefer_doi_then_url_then_arxiv_and_only_http(fields: dict[str, str], url: str) -> None:
    assert entry_url(fields) == url


def test_author_lists_read_naturally() -> None:
    assert format_authors("Doe, Jane") == "Jane Doe"
    assert format_authors("Jane Doe and John Roe") == "Jane Doe and John Roe"
    assert format_authors("A and B and others") == "A, B et al."


def test_latex_accents_and_braces_become_plain_text() -> None:
    assert latex_to_text(r"Schr{\"o}dinger {B}ridges \& Co") == "Schrödinger Bridges & Co"


def test_a_broken_entry_is_reported_and_the_good_ones_still_load() -> None:
    bib = parse_bibliography("@misc{good, title={G}}\n@misc{bad title={x}}\n")
    assert list(bib.entries) == ["good"]
    assert len(bib.errors) == 1 and "line 2" in bib.errors[0]


def test_a_citation_may_carry_a_locator() -> None:
    out = render_markdown("As shown [@saxe2014, sec. 3; @jacot2018].", bibliography=BIB)
    assert (
        '<span class="citation" id="cite-1">'
        '[<a href="#ref-saxe2014">1</a>, sec. 3; <a href="#ref-jacot2018">2</a>]</span>' in out.html
    )


def test_a_citation_inside_a_heading_leaves_no_trace_in_the_toc() -> None:
    out = render_markdown("## Deep linear networks [@saxe2014]\n", bibliography=BIB)
    assert out.toc[0].title == "Deep linear networks"


def test_math_in_a_title_keeps_its_braces_and_commands() -> None:
    assert latex_to_text(r"{$O(\sqrt{n})$ bounds}") == r"$O(\sqrt{n})$ bounds"
    assert latex_to_text(r"Rates {$\mathrm{d}x^{2}$} for \emph{wide} nets") == r"Rates $\mathrm{d}x^{2}$ for wide nets"


def test_a_reference_title_with_math_reaches_the_reference_list_intact() -> None:
    bib = r"@article{root, title = {{$O(\sqrt{n})$ bounds}}, author = {Doe, Jane}, year = {2021}}"
    out = render_markdown("See [@root].", bibliography=bib)
    assert out.references[0]["title"] == r"$O(\sqrt{n})$ bounds"
    assert r"$O(\sqrt{n})$ bounds" in out.html


def test_an_escaped_dollar_is_text_and_starts_no_math() -> None:
    assert latex_to_text(r"Costs of \$5 and {B}ig \$10") == "Costs of $5 and Big $10"
