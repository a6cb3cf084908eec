"""Measured numbers as a reader wants them on run pages."""

from __future__ import annotations

import pytest

from apps.experiments.templatetags.run_numbers import readable


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0123456789, "0.01235"),
        (-0.25, "−0.25"),
        (2.683e-11, "2.683 × 10⁻¹¹"),
        (123456789.0, "1.235 × 10⁸"),
        (12345, "12\u202f345"),
        (True, "true"),
        (None, "missing"),
        (float("nan"), "not a number"),
        ([0.1, 0.2], "[0.1, 0.2]"),
        ([1, 2, 3, 4, 5, 6], "[1, 2, 3, 4, …] (6 values)"),
    ],
)
def test_numbers_are_shown_with_four_significant_digits_and_real_minus_signs(value, shown) -> None:
    assert readable(value) == shown
