"""Skewed popularity for the generated library: a few titles and patrons account for
most loans, as in a real library (a Zipf-like law over ranks)."""

import itertools
import random
from bisect import bisect_left


def zipf_cum_weights(count: int, *, exponent: float = 1.0, offset: float = 0.0) -> list[float]:
    """Cumulative weights of ranks 0..count-1, rank r weighing 1/(r + 1 + offset)^exponent."""
    return list(
        itertools.accumulate(1.0 / (rank + 1 + offset) ** exponent for rank in range(count))
    )


def zipf_draws(rng: random.Random, cum_weights: list[float], k: int) -> list[int]:
    total = cum_weights[-1]
    last = len(cum_weights) - 1
    random_ = rng.random
    # Same as rng.choices(range(n), cum_weights=..., k=k), without building the range.
    return [min(bisect_left(cum_weights, random_() * total), last) for _ in range(k)]
