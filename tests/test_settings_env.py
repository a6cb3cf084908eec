"""Malformed environment variables stop start-up with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_list, env_rate, env_str

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("DJANGO_HSTS_SECONDS", "-1"),
        ("DJANGO_SECURE_COOKIES", "sometimes"),
        ("DJANGO_BEHIND_PROXY", "2"),
        ("AXES_FAILURE_LIMIT", "five"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_COOLOFF_HOURS", "quarter"),
        ("EMAIL_PORT", "smtp"),
        ("FORUM_POSTS_PER_MINUTE", "0"),
        ("FORUM_TL0_MAX_LINKS", "two"),
        ("API_THROTTLE_ANON", "lots"),
        ("API_THROTTLE_USER", "100/fortnight"),
        ("API_THROTTLE_WRITE", "0/minute"),
        ("API_THROTTLE_RUNS", "20 per minute"),
    ],
)
def test_a_malformed_variable_stops_start_up_and_is_named(name: str, value: str) -> None:
    extra = {"EMAIL_HOST": "smtp.example.org"} if name.startswith("EMAIL_") else {}
    result = _import_settings(**{name: value}, **extra)
    assert result.returncode != 0
    assert name in result.stderr


def test_well_formed_variables_start_cleanly() -> None:
    result = _import_settings(DJANGO_DEBUG="no", DJANGO_SECRET_KEY="k" * 60, DJANGO_HSTS_SECONDS="60")
    assert result.returncode == 0, result.stderr


def test_env_bool_reads_the_usual_spellings(monkeypatch) -> None:
    for raw, expected in [("1", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("", False)]:
        monkeypatch.setenv("LM_TEST_FLAG", raw)
        assert env_bool("LM_TEST_FLAG", not expected) is expected
    monkeypatch.delenv("LM_TEST_FLAG")
    assert env_bool("LM_TEST_FLAG", True) is True


def test_env_bool_rejects_anything_else_by_name(monkeypatch) -> None:
    monkeypatch.setenv("LM_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfiguredEnv, match="LM_TEST_FLAG"):
        env_bool("LM_TEST_FLAG", False)


def test_env_int_names_the_variable_and_enforces_its_minimum(monkeypatch) -> None:
    monkeypatch.setenv("LM_TEST_N", "3.5")
    with pytest.raises(ImproperlyConfiguredEnv, match="LM_TEST_N"):
        env_int("LM_TEST_N", 1)
    monkeypatch.setenv("LM_TEST_N", "0")
    with pytest.raises(ImproperlyConfiguredEnv, match="LM_TEST_N"):
        env_int("LM_TEST_N", 1, minimum=1)
    monkeypatch.setenv("LM_TEST_N", " 7 ")
    assert env_int("LM_TEST_N", 1, minimum=1) == 7


def test_env_float_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("LM_TEST_X", "fast")
    with pytest.raises(ImproperlyConfiguredEnv, match="LM_TEST_X"):
        env_float("LM_TEST_X", 1.0)
    monkeypatch.setenv("LM_TEST_X", "0.5")
    assert env_float("LM_TEST_X", 1.0) == 0.5


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch) -> None:
    monkeypatch.setenv("LM_TEST_HOSTS", " example.org, ,www.example.org ")
    assert env_list("LM_TEST_HOSTS", []) == ["example.org", "www.example.org"]
    monkeypatch.delenv("LM_TEST_HOSTS")
    assert env_list("LM_TEST_HOSTS", ["a"]) == ["a"]
    assert env_str("LM_TEST_HOSTS", "d") == "d"


def test_env_rate_accepts_drf_rates_and_off(monkeypatch) -> None:
    for raw, expected in [(" 60/minute ", "60/minute"), ("5/s", "5/s"), ("off", None), ("None", None), ("", None)]:
        monkeypatch.setenv("LM_TEST_RATE", raw)
        assert env_rate("LM_TEST_RATE", "1/day") == expected
    monkeypatch.delenv("LM_TEST_RATE")
    assert env_rate("LM_TEST_RATE", "1/day") == "1/day"


def test_env_rate_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("LM_TEST_RATE", "-3/minute")
    with pytest.raises(ImproperlyConfiguredEnv, match="LM_TEST_RATE"):
        env_rate("LM_TEST_RATE", "1/day")
