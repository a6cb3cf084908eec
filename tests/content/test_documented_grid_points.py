"""docs/experiments.md's table of the tutorials' grid points covers exactly the points the site's figures offer.

Every figure directive in site/perspectives/ is read with the site's parser and
resolved as it would be for publishing; each grid point whose configuration
differs from its experiment's smoke preset must be one of
``compute.report.GRID_POINTS`` (which ``python -m compute docs`` measures), and
every entry there must still be offered by some figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.content.yamldoc import split_front_matter
from apps.core.rendering import figure_directives
from apps.experiments.embeds import directive_validate
from compute import report

PERSPECTIVES = Path(__file__).resolve().parents[2] / "site" / "perspectives"


def _offered_overrides() -> set[tuple[str, tuple[tuple[str, Any], ...]]]:
    offered = set()
    for path in sorted(PERSPECTIVES.glob("*.md")):
        _, body = split_front_matter(path.read_text(encoding="utf-8"), path.name)
        for directive in figure_directives(body):
            resolved = directive_validate(directive)
            assert resolved.spec is not None
            preset = resolved.spec.validate(preset=report.PRESET).model_dump()
            for point in resolved.points:
                config = resolved.spec.validate(point.params, preset=directive.preset).model_dump()
                override = tuple(sorted((k, v) for k, v in config.items() if v != preset[k]))
                if override:
                    offered.add((directive.experiment, override))
    return offered


def test_the_documented_grid_points_are_the_ones_the_figures_offer():
    offered = _offered_overrides()
    assert offered, "the site's figures offer grid points beyond the smoke presets"
    documented = {(name, tuple(sorted(override.items()))) for name, override in report.GRID_POINTS}
    assert offered - documented == set(), "grid points the figures offer but docs/experiments.md does not measure"
    assert documented - offered == set(), "grid points docs/experiments.md measures that no figure offers"
