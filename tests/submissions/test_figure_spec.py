"""compute.figure_spec: a declarative figure is validated before trusted code draws it."""

from __future__ import annotations

import pytest

from compute.figure_spec import FigureSpecError, build_figure, parse_spec

RESULT = {"steps": [1, 2, 3], "curves": {"train": [3.0, 2.0, 1.0], "theory": [3.0, 1.5, 0.75]}, "zero": [0, 1, 2]}


def test_yaml_and_json_give_the_same_spec() -> None:
    yaml_text = "title: Loss\ny_scale: log\nseries:\n  - {x: steps, y: curves.train, label: train}\n"
    json_text = '{"title": "Loss", "y_scale": "log", "series": [{"x": "steps", "y": "curves.train", "label": "train"}]}'
    assert parse_spec(yaml_text) == parse_spec(json_text)


def test_theory_series_are_tagged_for_the_overlay_toggle() -> None:
    spec = {
        "series": [
            {"x": "steps", "y": "curves.train", "label": "train", "kind": "scatter"},
            {"x": "steps", "y": "curves.theory", "label": "theory", "kind": "theory"},
        ]
    }
    fig = build_figure(spec, RESULT)
    tags = sorted(t for r in fig.renderers for t in r.tags if t in ("theory", "measured"))
    assert tags == ["measured", "theory"]


def test_a_spread_is_drawn_around_its_series_and_named_in_the_key() -> None:
    result = {**RESULT, "sem": [0.3, 0.2, 0.1]}
    spec = {
        "spread_label": "±1 s.e. over 5 seeds",
        "series": [
            {"x": "steps", "y": "curves.train", "label": "train", "kind": "scatter", "spread": "sem"},
            {"x": "steps", "y": "curves.theory", "label": "train", "kind": "theory"},
        ],
    }
    fig = build_figure(spec, result)
    (bars,) = [r for r in fig.renderers if "spread" in r.tags]
    assert bars.data_source.data["lower"] == [2.7, 1.8, 0.9]
    assert bars.data_source.data["upper"] == [3.3, 2.2, 1.1]
    labels = [item.label.value for legend in fig.legend for item in legend.items]
    assert "±1 s.e. over 5 seeds" in labels
    assert labels.count("train") == 1  # the theory line and its measurement share one entry


def test_a_spread_must_match_its_series_and_never_belongs_to_theory() -> None:
    with pytest.raises(FigureSpecError) as info:
        build_figure(
            {"series": [{"x": "steps", "y": "zero", "label": "z", "spread": "curves.train"}]},
            {**RESULT, "curves": {"train": [1.0]}},
        )
    assert "spread has 1 values" in str(info.value)
    with pytest.raises(FigureSpecError) as info:
        parse_spec({"series": [{"x": "steps", "y": "zero", "label": "z", "kind": "theory", "spread": "zero"}]})
    assert "theory series has no spread" in str(info.value)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"series": [{"x": "steps", "y": "missing", "label": "m"}]}, "no 'missing'"),
        ({"series": [{"x": "steps", "y": "curves", "label": "m"}]}, "not a flat list"),
        (
            {
                "series": [
                    {"x": "steps", "y": "zero", "label": "m"},
                    {"x": "curves.train", "y": "steps", "label": "n"},
                ],
                "title": "ok",
            },
            None,
        ),
    ],
)
def test_series_must_name_arrays_of_numbers_in_the_result(spec: dict, needle: str | None) -> None:
    if needle is None:
        assert build_figure(spec, RESULT) is not None
        return
    with pytest.raises(FigureSpecError) as info:
        build_figure(spec, RESULT)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("[1, 2]", "must be an object"),
        ({"series": [{"x": "__class__", "y": "y", "label": "m"}]}, "series.0.x"),
        ({"series": [{"x": "x", "y": "y", "label": "m"}], "code": "print(1)"}, "code"),
        ({"series": [{"x": "x", "y": "y", "label": "m", "kind": "bar"}]}, "series.0.kind"),
        ("!!python/object/apply:os.system ['true']", "neither JSON nor YAML"),
        ("x" * 20000, "KiB"),
    ],
)
def test_anything_but_the_declared_fields_is_refused(raw: object, needle: str) -> None:
    with pytest.raises(FigureSpecError) as info:
        parse_spec(raw)
    assert needle in str(info.value)


def test_log_axes_drop_points_they_cannot_draw() -> None:
    fig = build_figure(
        {"y_scale": "log", "series": [{"x": "steps", "y": "zero", "label": "z", "spread": "curves.theory"}]}, RESULT
    )
    source = fig.renderers[0].data_source
    assert source.data["y"] == [1.0, 2.0]
    assert source.data["upper"] == [1.0 + 1.5, 2.0 + 0.75]  # the spread of the dropped point goes with it
