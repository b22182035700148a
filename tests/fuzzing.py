"""How the property and fuzz tests draw their examples.

`make test` (and CI) uses the "ci" profile: derandomised, so every run draws the same examples and gives
the same verdict, with no example database to carry failures from one run into the next. `make fuzz` sets
HYPOTHESIS_PROFILE=fuzz: fresh random examples on every run, FUZZ_SCALE (default 20) times as many, and
hypothesis' example database under .hypothesis/ so a failure it finds replays until it is fixed. A
failure found there becomes a fix plus an ``@example`` on the test, which the "ci" profile always runs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)  # an unknown name raises InvalidArgument: a typo never runs silently


def _scale() -> int:
    if PROFILE != "fuzz":
        return 1
    raw = os.environ.get("FUZZ_SCALE", "20")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"FUZZ_SCALE={raw!r} must be a whole number of at least 1")
    return int(raw)


SCALE = _scale()

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]


def fuzz(examples: int, **options) -> settings:
    """Settings for a property test drawing ``examples`` examples under `make test` (times SCALE under
    `make fuzz`); ``options`` are further hypothesis settings."""
    options.setdefault("suppress_health_check", _SLOW_IS_FINE)
    return settings(max_examples=examples * SCALE, **options)
