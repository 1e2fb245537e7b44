"""The hinge fit: a level per stretch between relapses, a weekday rhythm, a slope after the
hinge, and its standard error under the fitted noise.

The stretch levels are free, or partially pooled: each relapse's lasting step is a random
effect around what relapses leave behind for good (`RelapseStep`), a ridge penalty on the
steps. The slope stays a weighted sum of the days' values, so its variance is the noise's
plus that of the steps: the test stays honest whatever the penalty."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from .model import MIN_RESIDUAL_DF, RECOVERY_DAYS, RelapseStep, TrendFit
from .noise import NoiseModel, noise_model


def fit_trend(
    days: Sequence[int],
    values: Sequence[float],
    stretches: Sequence[int],
    hinge: int,
    step: RelapseStep | None = None,
) -> TrendFit | None:
    """Least-squares hinge with a level per stretch and a weekday rhythm; AR(1) variance.

    `days` are ascending day numbers (date.toordinal()); `stretches` say which stretch between
    relapses each day is in (the number of relapses before it); the slope applies after day
    `hinge`. With `step`, the levels are partially pooled: each relapse moves the level by
    about `step.mean`, give or take `step.sd`, rather than by anything at all. None when the
    data cannot carry the model, or do not vary at all.
    """
    n = len(days)
    level_of = {s: i for i, s in enumerate(sorted(set(stretches)))}
    n_levels = len(level_of)
    # Days fall into cells, one for each stretch and weekday; sums per cell give the normal
    # equations in one pass.
    cells = [7 * level_of[s] + d % 7 for s, d in zip(stretches, days, strict=True)]
    xs = [float(d - hinge) if d > hinge else 0.0 for d in days]
    count = [0] * (7 * n_levels)
    sum_x = [0.0] * (7 * n_levels)
    sum_y = [0.0] * (7 * n_levels)
    sxx = sxy = 0.0
    for c, x, y in zip(cells, xs, values, strict=True):
        count[c] += 1
        sum_x[c] += x
        sum_y[c] += y
        sxx += x * x
        sxy += x * y
    # Columns: a level per stretch, an effect per weekday present bar the first (the levels
    # carry that one), the slope.
    present = [w for w in range(7) if any(count[7 * a + w] for a in range(n_levels))]
    weekday_col = {w: n_levels + i for i, w in enumerate(present[1:])}
    slope_col = n_levels + len(weekday_col)
    size = slope_col + 1
    if n - size < MIN_RESIDUAL_DF:
        return None
    xtx = [[0.0] * size for _ in range(size)]
    xty = [0.0] * size
    for c in range(7 * n_levels):
        if not count[c]:
            continue
        cols = [c // 7]
        if c % 7 in weekday_col:
            cols.append(weekday_col[c % 7])
        for a in cols:
            xty[a] += sum_y[c]
            xtx[a][slope_col] += sum_x[c]
            xtx[slope_col][a] += sum_x[c]
            for b in cols:
                xtx[a][b] += count[c]
    xtx[slope_col][slope_col] = sxx
    xty[slope_col] = sxy

    def per_cell(vector: list[float]) -> list[float]:
        return [
            vector[c // 7] + (vector[weekday_col[c % 7]] if c % 7 in weekday_col else 0.0)
            for c in range(7 * n_levels)
        ]

    def solve(
        matrix: list[list[float]], rhs: list[float], tail: Sequence[tuple[int, float]] = ()
    ) -> tuple[float, list[float], list[float]] | None:
        """The slope, each day's value less its level, weekday effect and recovery tail, and
        the slope's weights. `tail`: each day's recovery-tail column and value, when fitted."""
        unit = [0.0] * len(rhs)
        unit[slope_col] = 1.0
        solved = _solve(matrix, [rhs, unit])
        if solved is None:
            return None
        # coef: the fitted levels, weekday effects, slope (and tails); slope_row: the slope
        # written as a weighted sum of the days' values (the slope's row of the inverse).
        coef, slope_row = solved
        offset, weight = per_cell(coef), per_cell(slope_row)
        slope, slope_weight = coef[slope_col], slope_row[slope_col]
        adjusted = [y - offset[c] for c, y in zip(cells, values, strict=True)]
        weights = [weight[c] + slope_weight * x for c, x in zip(cells, xs, strict=True)]
        for i, (col, v) in enumerate(tail):
            if col >= 0:
                adjusted[i] -= coef[col] * v
                weights[i] += slope_row[col] * v
        return slope, adjusted, weights

    free = solve(xtx, xty)
    if free is None:
        return None
    slope, adjusted, weights = free
    residuals = [a - slope * x for a, x in zip(adjusted, xs, strict=True)]
    if sum(r * r for r in residuals) / (n - size) <= 1e-12:
        return None  # no day-to-day variation: nothing to weigh a slope against
    # The noise is read from the free fit's residuals, which no relapse step can enter.
    noise = noise_model(days, residuals, n - size)
    step_variance = 0.0
    stretch_ids = sorted(level_of)
    if step is not None and n_levels > 1:
        # Each stretch after the first also gets a recovery tail, a free multiple of
        # exp(-days since its first day / RECOVERY_DAYS): a recovery slower than the days left
        # out is then not read as part of the step.
        big = size + n_levels - 1
        matrix = [row + [0.0] * (n_levels - 1) for row in xtx]
        matrix += [[0.0] * big for _ in range(n_levels - 1)]
        rhs = xty + [0.0] * (n_levels - 1)
        tail: list[tuple[int, float]] = []
        first_day: dict[int, int] = {}
        for c, d, x, y in zip(cells, days, xs, values, strict=True):
            level = c // 7
            if not level:
                tail.append((-1, 0.0))
                continue
            col = size + level - 1
            v = math.exp(-(d - first_day.setdefault(level, d)) / RECOVERY_DAYS)
            tail.append((col, v))
            cols = [level, slope_col] + ([weekday_col[c % 7]] if c % 7 in weekday_col else [])
            for a in cols:
                u = v * x if a == slope_col else v
                matrix[a][col] += u
                matrix[col][a] += u
            matrix[col][col] += v * v
            rhs[col] += v * y
        # A lasting step of step.mean +- step.sd at each relapse: a penalty on each move
        # between the levels of consecutive stretches with data (g relapses apart: a mean of
        # g steps, a variance of g), weighted as the noise weighs a stretch's mean against it.
        penalty = _long_run_variance(noise) / step.sd**2
        for a, b in pairwise(range(n_levels)):
            g = stretch_ids[b] - stretch_ids[a]
            matrix[a][a] += penalty / g
            matrix[b][b] += penalty / g
            matrix[a][b] -= penalty / g
            matrix[b][a] -= penalty / g
            rhs[b] += penalty * step.mean
            rhs[a] -= penalty * step.mean
        pooled = solve(matrix, rhs, tail)
        if pooled is None:
            return None
        slope, adjusted, weights = pooled
        # What the steps add: each step's deviation from its mean moves the slope by the sum
        # of the weights of the days after it.
        after = [0.0] * n_levels
        for c, w in zip(cells, weights, strict=True):
            after[c // 7] += w
        for b in range(n_levels - 1, 0, -1):
            g = stretch_ids[b] - stretch_ids[b - 1]
            tail_sum = sum(after[b:])
            step_variance += g * step.sd**2 * tail_sum * tail_sum
    se = math.sqrt(noise.slope_variance(days, weights) + step_variance)
    return TrendFit(
        slope_per_day=slope,
        se_per_day=se,
        z=slope / se,
        lag1_correlation=noise.lag1,
        adjusted=tuple(adjusted),
        noise=noise,
    )


def _long_run_variance(noise: NoiseModel) -> float:
    """The noise's variance times n for the mean of n consecutive days, n large."""
    white = noise.variance - noise.ar_variance
    return white + noise.ar_variance * (1 + noise.phi) / (1 - noise.phi)


def _solve(matrix: list[list[float]], rhs: list[list[float]]) -> list[list[float]] | None:
    """Solve matrix @ x = b for each b in rhs (Gauss-Jordan); None when singular."""
    size = len(matrix)
    m = [row[:] + [b[i] for b in rhs] for i, row in enumerate(matrix)]
    width = size + len(rhs)
    tiny = 1e-10 * max(abs(v) for row in matrix for v in row)
    for c in range(size):
        pivot = max(range(c, size), key=lambda r: abs(m[r][c]))
        if abs(m[pivot][c]) <= tiny:
            return None
        m[c], m[pivot] = m[pivot], m[c]
        row_c = m[c]
        for r in range(size):
            f = m[r][c] / row_c[c] if r != c else 0.0
            if f:
                row_r = m[r]
                for k in range(c, width):
                    row_r[k] -= f * row_c[k]
    return [[m[i][size + j] / m[i][i] for i in range(size)] for j in range(len(rhs))]
