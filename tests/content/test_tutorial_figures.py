"""Every tutorial's figures can open, and open on the grid point its prose describes.

The directives are read with the site's own parser and checked with the same
validation a figure goes through before its runs are requested (the experiment,
its preset, the parameters of every grid point, the ``default``). No run is
made, so a directive that would put an error box on a tutorial fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps.content.yamldoc import split_front_matter
from apps.core.rendering import figure_directives
from apps.experiments.embeds import directive_validate

PERSPECTIVES = Path(__file__).resolve().parents[2] / "site" / "perspectives"
TUTORIALS = sorted(PERSPECTIVES.glob("tut-*.md"))
FENCE = re.compile(r"^```figure\s*$", re.MULTILINE)

# The grid point each tutorial's text is written for, figure by figure: its
# numbers and its "switch to ..." sentences assume the figure opens here.
# Reordering a grid or adding a ``default`` moves the figure; update the text
# with it, then this table.
OPENS_ON = {
    "tut-edge_of_stability": [{"width": 32}],
    "tut-gd_vs_flow": [{"lr_max": 0.1}],
    "tut-grokking": [{"train_fraction": 0.4}],
    "tut-kernel_regression": [{"kernel": "laplace"}],
    "tut-lazy_rich": [{"lr": 0.25}],
    "tut-more_is_better": [{"train_size": 128}],
    "tut-mup_transfer": [{"steps": 100}],
    "tut-representation_similarity": [{"steps": 50}],
    "tut-saddle_to_saddle": [{"lr": 0.002}],
    "tut-scaling_laws": [{"alpha": 0.5}],
}


def body_of(path: Path) -> str:
    _, body = split_front_matter(path.read_text(encoding="utf-8"), path.name)
    return body


def test_the_tutorials_are_found():
    names = {path.stem for path in TUTORIALS}
    assert set(OPENS_ON) <= names, sorted(set(OPENS_ON) - names)


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda path: path.stem)
def test_every_figure_of_a_tutorial_opens_on_a_point_of_its_grid(path: Path):
    body = body_of(path)
    directives = figure_directives(body)
    # A directive the parser refuses is dropped from this list and shown as an error box instead.
    assert len(directives) == len(FENCE.findall(body)), "a ```figure block does not parse"
    assert directives, "a tutorial shows at least one figure"
    for directive in directives:
        resolved = directive_validate(directive)  # raises FigureError naming the field
        opening = resolved.default_point
        assert opening is not None
        assert opening.values in [point.values for point in resolved.points]
        assert resolved.spec is not None
        config = resolved.spec.validate(opening.params, preset=directive.preset)
        for key, value in opening.values.items():
            assert getattr(config, key) == value


@pytest.mark.parametrize("stem", sorted(OPENS_ON))
def test_a_tutorial_figure_opens_where_its_text_says(stem: str):
    opened = []
    for directive in figure_directives(body_of(PERSPECTIVES / f"{stem}.md")):
        point = directive_validate(directive).default_point
        opened.append(None if point is None else point.values)
    assert opened == OPENS_ON[stem]
