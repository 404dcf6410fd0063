"""Customer lifetime value: what BG/NBD and Gamma-Gamma predict of a customer, given the
fitted parameters (``app.clv.fit`` fits them).

* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an alternative to
  the Pareto/NBD model", Marketing Science 24(2)): while alive a customer buys as a Poisson
  process of rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out for good
  with probability p ~ Beta(a, b).
* Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer
  base analysis", Journal of Marketing Research 42(4)): each repeat purchase's spend is
  Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer, independent of the purchase process.

Time is in days: ``frequency`` x is the number of repeat purchase days, ``recency`` t_x the
days from the first purchase day to the last, ``age`` T the days from the first purchase day
to the end of observation, so ``alpha`` is in days (``Summaries``, as
``app.predictions.repository`` computes them).

Predictions are vectorised over customers; ``ValueError`` is for unusable input, checked by
the functions at the end, which the fit shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, hyp2f1

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BgNbd:
    """Purchase rate lambda ~ Gamma(shape r, rate alpha) (alpha in days); dropout
    probability p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True, slots=True)
class GammaGamma:
    """Spend per purchase ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate gamma)."""

    p: float
    q: float
    gamma: float


@dataclass(frozen=True, slots=True)
class Summaries:
    """What the models see of each customer, one entry per customer; ``monetary`` is 0 where
    there is no repeat purchase."""

    frequency: Array
    recency: Array
    age: Array
    monetary: Array

    def __len__(self) -> int:
        return len(self.frequency)

    @classmethod
    def from_columns(cls, columns: Array) -> Summaries:
        """From a (4, n) array whose monetary is NaN where NULL: each summary a row of it, no
        copy."""
        return cls(
            frequency=columns[0],
            recency=columns[1],
            age=columns[2],
            monetary=np.nan_to_num(columns[3], nan=0.0, copy=False),
        )


def p_alive(params: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> Array:
    """P(alive | x, t_x, T); 1 for x = 0, since BG/NBD drops out only after a repeat purchase."""
    return _p_alive(params, *checked_summaries(frequency, recency, age))


def expected_purchases(
    params: BgNbd, days: float, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> Array:
    """E[X(t) | x, t_x, T] for t = ``days``: eq. 10 of the BG/NBD paper. nan only where the
    Gaussian hypergeometric function can't be evaluated, alpha + T < ~days / 3,000 (see
    ``_gauss_series``)."""
    _check_horizon(days)
    return _expected_purchases(
        params, np.float64(days), *checked_summaries(frequency, recency, age)
    )


def expected_order_value(params: GammaGamma, frequency: ArrayLike, monetary: ArrayLike) -> Array:
    """E[M | x, m] = p (gamma + x m) / (p x + q - 1); for x = 0 that is the population mean
    p gamma / (q - 1). A mean spend m <= 0 (repeat purchases fully refunded) counts as 0, so
    the customer's own history pulls the estimate down to p gamma / (p x + q - 1). Needs q > 1.
    """
    x = column("frequency", frequency)
    m = column("monetary", monetary, nonnegative=False)
    check_whole(x)
    same_length(x, m)
    return params.p * (params.gamma + x * np.maximum(m, 0.0)) / (params.p * x + params.q - 1.0)


def predicted_value(
    bg: BgNbd,
    gg: GammaGamma,
    days: int,
    annual_discount_rate: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
) -> Array:
    """Expected purchases over the next ``days`` times the expected order value.

    Rate 0: E[X(days)] * E[M]. With an annual rate d > 0 the horizon is cut into 12 equal
    periods and period k's expected purchases, E[X(k days/12)] - E[X((k-1) days/12)], are
    discounted by (1 + d) ** (k days / 12 / 365).
    """
    _check_horizon(days)
    if not annual_discount_rate >= 0:
        raise ValueError("annual_discount_rate must be >= 0")
    x, t_x, age_ = checked_summaries(frequency, recency, age)
    value = expected_order_value(gg, x, monetary)
    if annual_discount_rate == 0:
        return _expected_purchases(bg, np.float64(days), x, t_x, age_) * value
    ends = days * np.arange(1, 13) / 12
    cumulative = _expected_purchases(bg, ends[:, np.newaxis], x, t_x, age_)
    per_period = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + annual_discount_rate) ** (-ends / 365)
    discounted: Array = discount @ per_period
    return discounted * value


def _p_alive(params: BgNbd, x: Array, t_x: Array, age: Array) -> Array:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)), the ratio in logs:
    # it overflows for a large x long gone quiet.
    log_ratio = np.where(
        x > 0,
        np.log(a)
        - np.log(b + np.maximum(x, 1.0) - 1.0)
        + (r + x) * np.log1p((age - t_x) / (alpha + t_x)),
        -np.inf,
    )
    alive: Array = expit(-log_ratio)
    return alive


def _expected_purchases(
    params: BgNbd, days: Array | np.float64, x: Array, t_x: Array, age: Array
) -> Array:
    """Eq. 10, broadcasting ``days`` against the customers."""
    r, alpha, b = params.r, params.alpha, params.b
    # The closed form is 0/0 at a = 1; a step of 1e-7 moves the result by about that much.
    a = params.a if abs(params.a - 1.0) >= 1e-7 else 1.0 + 1e-7
    c = a + b + x - 1.0
    one_minus_z = (alpha + age) / (alpha + age + days)
    z = 1.0 - one_minus_z
    # The paper's (1 - z)^(r+x) 2F1(r+x, b+x; c; z) multiplies an underflow by an overflow
    # once x is in the hundreds. Euler's transformation, 2F1(A, B; C; z) =
    # (1 - z)^(C-A-B) 2F1(C-A, C-B; C; z), turns it into (1 - z)^(a-1) 2F1(a+b-1-r, a-1; c; z).
    # Each customer gets whichever of the two has C - A - B >= 0, whose 2F1 stays bounded as
    # z -> 1 (the published one only when dropout is so likely that a > x + r + 1).
    euler = x + r + 1.0 >= a
    upper = np.where(euler, a + b - 1.0 - r, r + x)
    lower = np.where(euler, a - 1.0, b + x)
    power = np.where(euler, a - 1.0, r + x)
    f = np.asarray(hyp2f1(upper, lower, c, z), dtype=np.float64)
    failed = ~np.isfinite(f)
    if failed.any():
        f[failed] = _gauss_series(
            *(np.broadcast_to(v, f.shape)[failed] for v in (upper, lower, c, z))
        )
    product = one_minus_z**power * f
    expected: Array = c / (a - 1.0) * (1.0 - product) * _p_alive(params, x, t_x, age)
    return expected


_MAX_TERMS = 100_000


def _gauss_series(upper: Array, lower: Array, c: Array, z: Array) -> Array:
    """2F1 summed term by term, where scipy's hyp2f1 gives nan or inf: for z > ~0.9 when the
    parameters differ by whole numbers (hand-set ones), or for z > ~0.996 with parameters in
    the hundreds. With c - upper - lower >= 0 and z < 1 the series converges, slowly as z
    nears 1; what has not after _MAX_TERMS terms (z > ~0.9997, a horizon over ~3,000 times
    alpha + T: alpha under a day) is left as nan."""
    total = np.ones_like(z)
    term = np.ones_like(z)
    for n in range(_MAX_TERMS):
        term *= (upper + n) * (lower + n) / ((c + n) * (n + 1)) * z
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            return total
    total[np.abs(term) > 1e-17 * np.abs(total)] = np.nan
    return total


# Input checks (the public ones are the fit's too)


def column(name: str, values: ArrayLike, *, nonnegative: bool = True) -> Array:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional array")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    if nonnegative and np.any(array < 0):
        raise ValueError(f"{name} must not be negative")
    return array


def same_length(*arrays: Array) -> None:
    if len({array.size for array in arrays}) != 1:
        raise ValueError("the arrays must have the same length")


def check_whole(frequency: Array) -> None:
    if np.any(frequency != np.floor(frequency)):
        raise ValueError("frequency must be whole numbers")


def _check_horizon(days: float) -> None:
    if not days >= 0:
        raise ValueError("days must be >= 0")


def checked_summaries(
    frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[Array, Array, Array]:
    """The three BG/NBD columns as arrays: whole frequencies, recency within age."""
    x, t_x, age_ = column("frequency", frequency), column("recency", recency), column("age", age)
    same_length(x, t_x, age_)
    check_whole(x)
    if np.any(t_x > age_):
        raise ValueError("recency must not exceed age")
    return x, t_x, age_
