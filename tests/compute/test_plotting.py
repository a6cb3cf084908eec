"""compute.plotting: the house theme's tokens, and what its helpers put into a figure."""

from __future__ import annotations

import json
import math

import pytest
from bokeh.embed import json_item

from compute import plotting, registry
from compute.plotting import (
    MARKERS,
    PALETTE,
    THEME,
    add_measured,
    add_rule,
    add_theory,
    finish,
    log_ticks,
    new_figure,
    number,
    recolour,
)


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_both_modes_define_the_same_ink_tokens_with_values_a_recolouring_can_tell_apart() -> None:
    assert set(THEME["light"]) == set(THEME["dark"])
    values = [v.lower() for mode in THEME.values() for v in mode.values()]
    assert len(values) == len(set(values))
    assert not set(values) & {c.lower() for c in PALETTE}


def test_every_colour_has_its_own_marker_and_the_first_four_read_on_white_and_on_near_black() -> None:
    assert len(PALETTE) == len(MARKERS) == len(set(MARKERS))
    for colour in PALETTE[:4]:
        assert _contrast(colour, "#ffffff") >= 3.0, colour
        assert _contrast(colour, "#161618") >= 3.0, colour


def test_every_configuration_field_of_every_experiment_has_a_human_title_and_a_description() -> None:
    for name, exp in registry.all_experiments().items():
        if not exp.module.startswith("compute.experiments."):
            continue
        for field, info in exp.config.model_fields.items():
            # An explicit title (pydantic would otherwise make one up from the code name, "Init Scale").
            assert info.title, f"{name}.{field}"
            assert "_" not in info.title, f"{name}.{field}: {info.title}"
            assert info.description, f"{name}.{field}"


def test_numbers_in_labels_use_superscript_powers_and_a_true_minus() -> None:
    assert number(0.001) == "0.001"
    assert number(1e-8) == "10⁻⁸"
    assert number(2.5e-7) == "2.5×10⁻⁷"
    assert number(-0.5) == "−0.5"
    assert number(256) == "256"


@pytest.mark.parametrize(("low", "high"), [(4, 42), (0.0015, 0.014), (16, 224), (0.13, 80), (1e-9, 1.0)])
def test_log_ticks_are_few_labelled_values_inside_the_data(low: float, high: float) -> None:
    majors, minors = log_ticks(low, high)
    assert 2 <= len(majors) <= 7
    assert all(low <= t <= high for t in majors)
    assert majors == sorted(majors)
    # Clean values (no 0.30000000000000004), each 1, 1.5, 2, 3, 4, 5 or 7 times a power of ten.
    for tick in majors:
        mantissa = tick / 10 ** math.floor(math.log10(tick) + 1e-9)
        assert round(mantissa, 6) in (1, 1.5, 2, 3, 4, 5, 7), tick
    assert minors == sorted(minors) and minors[0] <= majors[0] and minors[-1] >= majors[-1]


def _toy() -> object:
    fig = new_figure("", "Width N", "Loss", x_log=True, y_log=True)
    add_theory(fig, [1, 10, 100], [1.0, 0.1, 0.01], label="law", index=0)
    add_measured(fig, [1, 10, 100], [1.1, 0.09, 0.012], label="law", index=0, spread=[0.2, 0.01, 0.001])
    add_measured(fig, [1, 10, 100], [2.0, 1.5, 0.8], label="other", index=1, line=True, spread=[3.0, 0.1, 0.1])
    add_rule(fig, 30.0, label="p = n")
    return finish(fig, spread_label="±1 s.e., 3 draws")


def test_a_spread_reads_lower_and_upper_from_its_markers_own_source() -> None:
    fig = _toy()
    spreads = [r for r in fig.renderers if "spread" in r.tags]
    measured = [r for r in fig.renderers if "measured" in r.tags and r.glyph.__class__.__name__ == "Scatter"]
    assert [r.data_source for r in spreads] == [r.data_source for r in measured]
    first = measured[0].data_source.data
    assert first["lower"] == pytest.approx([0.9, 0.08, 0.011]) and first["upper"] == pytest.approx([1.3, 0.1, 0.013])
    # On a log axis a lower end below zero is drawn near the bottom; the data keep the true value.
    second = measured[1].data_source.data
    assert second["lower"][0] == pytest.approx(-1.0)
    assert spreads[1].glyph.y1 == "lower_drawn" and second["lower_drawn"][0] == pytest.approx(0.002)


def test_one_legend_entry_per_series_below_and_a_key_above_the_plot() -> None:
    fig = _toy()
    (series,) = [legend for legend in fig.below if legend.name == "series"]
    (key,) = [legend for legend in fig.above if legend.name == "key"]
    assert not [m for m in fig.center if m.__class__.__name__ == "Legend"]
    assert [item.label.value for item in series.items] == ["law", "other"]
    assert {"theory", "spread"} <= {t for r in series.items[0].renderers for t in r.tags}
    assert [item.label.value for item in key.items] == ["theory", "measured", "±1 s.e., 3 draws", "p = n"]
    assert series.click_policy == "hide" and key.click_policy == "none"


def test_the_keys_glyphs_hold_no_data_and_never_widen_the_axes() -> None:
    fig = _toy()
    keys = [r for r in fig.renderers if "key" in r.tags]
    assert len(keys) == 4
    for renderer in keys:
        data = renderer.data_source.data
        assert "x" not in data and "y" not in data
        assert all(math.isnan(v) for column in data.values() for v in column)


def test_a_long_joined_series_shows_thinned_markers_over_all_its_data() -> None:
    fig = new_figure("", "Step", "Loss")
    xs = list(range(400))
    add_measured(fig, xs, [1.0 / (1 + x) for x in xs], label="loss", line=True, max_markers=30)
    scatter, line = fig.renderers
    assert scatter.data_source is line.data_source and len(scatter.data_source.data["x"]) == 400
    shown = scatter.view.filter.indices
    assert 20 <= len(shown) <= 30 and shown[0] == 0 and shown[-1] == 399


def test_the_toolbar_is_quiet_so_that_touch_and_wheel_scroll_the_page() -> None:
    fig = _toy()
    assert fig.toolbar.logo is None and fig.toolbar.autohide and fig.toolbar_inner
    assert fig.toolbar.active_drag is None and fig.toolbar.active_scroll is None
    assert fig.toolbar.active_tap is None and fig.toolbar.active_multi is None
    assert fig.background_fill_color is None and fig.border_fill_color is None


def test_recolouring_to_dark_replaces_every_light_ink_and_back_again_restores_the_figure() -> None:
    fig = _toy()
    light = json.dumps(json_item(fig), sort_keys=True)
    recolour(fig, "dark")
    dark = json.dumps(json_item(fig), sort_keys=True)
    for token, value in THEME["light"].items():
        assert value not in dark, token
    assert THEME["dark"]["text"] in dark and THEME["dark"]["grid"] in dark
    recolour(fig, "light")
    assert json.dumps(json_item(fig), sort_keys=True) == light


def test_a_field_title_is_the_label_and_a_missing_one_is_an_error() -> None:
    from pydantic import BaseModel, Field

    class Config(BaseModel):
        lr: float = Field(0.1, title="Learning rate η")
        steps: int = 10

    assert plotting.field_title(Config, "lr") == "Learning rate η"
    with pytest.raises(ValueError, match="no title"):
        plotting.field_title(Config, "steps")
