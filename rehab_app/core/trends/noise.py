"""The day-to-day noise of a trend fit's residuals: AR(1) plus white noise, and the
variance of a weighted sum of days under it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

# The day-to-day correlation is estimated from the data, and capped.
MAX_LAG1_CORRELATION = 0.9
# The noise model (AR(1) plus white noise) is fitted to the residuals' autocovariances at
# lags of 1 to this many days; its AR coefficient is kept at or under MAX_PHI.
NOISE_MAX_LAG = 14
MAX_PHI = 0.97


@dataclass(frozen=True)
class NoiseModel:
    """Day-to-day noise as AR(1) plus white noise (ARMA(1,1)), as fitted to a fit's residuals.

    Covariance of two days k > 0 apart: ar_variance x phi^k; of a day with itself: variance.
    Daily medians of ratings rounded to whole points are exactly this: a slowly wandering
    level (AR(1)) read through rounding and day-to-day scatter (white). A lag-1 correlation
    alone (pure AR(1)) mistakes the scatter for a fast decay and makes the slope look surer
    than it is.
    """

    variance: float
    ar_variance: float
    phi: float

    @property
    def lag1(self) -> float:
        """The lag-1 correlation the model implies."""
        return self.ar_variance * self.phi / self.variance if self.variance > 0 else 0.0

    def slope_variance(self, days: Sequence[int], weights: Sequence[float]) -> float:
        """Variance of sum(w_i x value_i) under this noise, gaps and all."""
        white = self.variance - self.ar_variance
        return self.ar_variance * ar1_sum(days, weights, self.phi) + white * sum(
            w * w for w in weights
        )


def lag1_correlation(days: Sequence[int], residuals: Sequence[float]) -> float:
    """Correlation of residuals on consecutive calendar days, kept in [0, MAX_LAG1]."""
    num = left = right = 0.0
    for (d0, r0), (d1, r1) in pairwise(zip(days, residuals, strict=True)):
        if d1 - d0 == 1:
            num += r0 * r1
            left += r0 * r0
            right += r1 * r1
    if left <= 0 or right <= 0:
        return 0.0
    # A negative estimate counts as none: it could only narrow the variance.
    return min(max(num / math.sqrt(left * right), 0.0), MAX_LAG1_CORRELATION)


def autocovariances(
    days: Sequence[int], residuals: Sequence[float], max_lag: int
) -> list[tuple[float, int]]:
    """Mean product of residuals k calendar days apart, and how many pairs, for k = 0..max_lag."""
    first = days[0]
    by_day: list[float | None] = [None] * (days[-1] - first + 1)
    for d, r in zip(days, residuals, strict=True):
        by_day[d - first] = r
    out = []
    for k in range(max_lag + 1):
        pairs = zip(by_day[: max(0, len(by_day) - k)], by_day[k:], strict=True)
        products = [a * b for a, b in pairs if a is not None and b is not None]
        out.append((sum(products) / len(products) if products else 0.0, len(products)))
    return out


def noise_model(days: Sequence[int], residuals: Sequence[float], df: int) -> NoiseModel:
    """AR(1) plus white noise fitted to residuals' autocovariances at lags 1..NOISE_MAX_LAG.

    phi is chosen on a grid of 0.01 (coarse, then fine around the best) and the AR part's
    variance by least squares for each, weighting each lag by its number of pairs. Residuals of
    a fit sit a little closer to zero than the noise itself, so every autocovariance is scaled
    by n / df, as the variance is.
    """
    inflate = len(residuals) / df
    acov = autocovariances(days, residuals, NOISE_MAX_LAG)
    variance = acov[0][0] * inflate
    lags = [(k, c * inflate, float(pairs)) for k, (c, pairs) in enumerate(acov) if k and pairs]

    def fitted(step: int) -> tuple[float, NoiseModel]:
        phi = step / 100
        num = den = 0.0
        for k, c, pairs in lags:
            power = phi**k
            num += pairs * c * power
            den += pairs * power * power
        ar = min(num / den, variance) if den > 0 and num > 0 else 0.0
        loss = sum(pairs * (c - ar * phi**k) ** 2 for k, c, pairs in lags)
        return loss, NoiseModel(variance, ar, phi if ar else 0.0)

    top = round(MAX_PHI * 100)
    loss, best = min((fitted(step) for step in range(0, top + 1, 5)), key=lambda f: f[0])
    centre = round(best.phi * 100)
    fine = range(max(0, centre - 4), min(top, centre + 4) + 1)
    return min([(loss, best), *(fitted(step) for step in fine)], key=lambda f: f[0])[1]


def ar1_sum(days: Sequence[int], weights: Sequence[float], rho: float) -> float:
    """Sum over all pairs of days of w_i * w_j * rho^|day_i - day_j|, in one pass.

    Times the variance of one day, this is the variance of sum(w_i * value_i) when the
    day-to-day noise is AR(1) with lag-1 correlation rho, gaps and all.
    """
    decay: dict[int, float] = {}
    total = carried = 0.0
    previous = days[0] if days else 0
    for d, w in zip(days, weights, strict=True):
        gap = d - previous
        if gap not in decay:
            decay[gap] = rho**gap
        carried = w + decay[gap] * carried
        total += w * (2 * carried - w)
        previous = d
    return total
