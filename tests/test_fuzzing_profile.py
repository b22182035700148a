"""`make test` gives the same verdict on every run: its property tests draw the same examples each time."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import fuzzing

pytestmark = pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci", reason="make fuzz draws fresh examples on purpose"
)


def _drawn_examples() -> list[str]:
    drawn: list[str] = []

    @settings(max_examples=30)
    @given(st.text())
    def collect(text: str) -> None:
        drawn.append(text)

    collect()
    return drawn


def test_the_suite_profile_is_derandomised_without_an_example_database():
    assert settings.default.derandomize is True
    assert settings.default.database is None
    assert fuzzing.SCALE == 1


def test_two_runs_draw_the_same_examples():
    first, second = _drawn_examples(), _drawn_examples()
    assert first == second
    assert len(set(first)) > 5  # they are examples, not one value repeated


def test_a_bad_fuzz_scale_is_refused(monkeypatch):
    monkeypatch.setattr(fuzzing, "PROFILE", "fuzz")
    monkeypatch.setenv("FUZZ_SCALE", "lots")
    with pytest.raises(ValueError, match="FUZZ_SCALE"):
        fuzzing._scale()
