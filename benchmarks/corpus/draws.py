"""Random draws with fixed weights, the building block of every distribution of the corpus."""

from __future__ import annotations

import bisect
import itertools
import random


class Weighted:
    """Draws items with fixed weights (bisect over cumulative weights: fast and deterministic)."""

    def __init__(self, items, weights) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]

    def draws(self, rng: random.Random, count: int) -> list:
        return rng.choices(self.items, cum_weights=self.cumulative, k=count)


def zipf(items, exponent: float = 1.0) -> Weighted:
    return Weighted(items, [1.0 / (rank**exponent) for rank in range(1, len(items) + 1)])
