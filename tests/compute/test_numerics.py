from __future__ import annotations

import math

import pytest

from compute.experiments._numerics import loglog_slope, mean_and_sem, solve_kappa, subsample_indices


def test_the_loglog_slope_of_an_exact_power_law_is_its_exponent() -> None:
    x = [1, 2, 4, 8, 16]
    assert loglog_slope(x, [3.0 * v**-0.75 for v in x]) == pytest.approx(-0.75, rel=1e-12)


def test_the_loglog_slope_refuses_a_single_point_or_mismatched_series() -> None:
    with pytest.raises(ValueError):
        loglog_slope([1.0], [1.0])
    with pytest.raises(ValueError):
        loglog_slope([1.0, 2.0], [1.0, 2.0, 3.0])


def test_subsampling_keeps_both_ends_and_at_most_count_distinct_sorted_indices() -> None:
    for log in (False, True):
        picked = subsample_indices(1000, 37, log=log)
        assert picked[0] == 0 and picked[-1] == 999
        assert len(picked) <= 37
        assert picked == sorted(set(picked))


def test_even_subsampling_is_evenly_spaced() -> None:
    assert subsample_indices(11, 6) == [0, 2, 4, 6, 8, 10]


def test_log_subsampling_keeps_more_of_the_start_than_even_subsampling() -> None:
    early = [i for i in subsample_indices(10_000, 50, log=True) if i < 100]
    assert len(early) > 10 * len([i for i in subsample_indices(10_000, 50) if i < 100])


def test_a_short_series_is_kept_whole() -> None:
    assert subsample_indices(5, 400) == [0, 1, 2, 3, 4]
    assert subsample_indices(0, 400) == []


def test_kappa_solves_the_eigenlearning_equation() -> None:
    eigenvalues = [2.0**-k for k in range(40)]
    kappa = solve_kappa(eigenvalues, 7.0, 0.01)
    total = sum(v / (v + kappa) for v in eigenvalues) + 0.01 / kappa
    assert total == pytest.approx(7.0, rel=1e-9)
    assert kappa > 0 and math.isfinite(kappa)


def test_kappa_is_refused_when_n_exceeds_the_number_of_nonzero_eigenvalues_without_a_ridge() -> None:
    with pytest.raises(ValueError):
        solve_kappa([1.0, 0.5, 0.0], 3.0, 0.0)


def test_the_standard_error_is_the_sample_deviation_over_the_root_of_the_draws() -> None:
    mean, sem = mean_and_sem([1.0, 2.0, 3.0, 6.0])
    assert mean == 3.0
    # Sample variance (ddof 1) = (4 + 1 + 0 + 9) / 3 = 14/3; over four draws.
    assert sem == pytest.approx(math.sqrt(14 / 3 / 4))
    assert mean_and_sem([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError):
        mean_and_sem([])
