"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma spend, fitted by maximum
likelihood.

* BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an alternative to
  the Pareto/NBD model", Marketing Science 24(2)): while alive a customer buys as a Poisson
  process of rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out for good
  with probability p ~ Beta(a, b).
* Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer
  base analysis", Journal of Marketing Research 42(4)): each repeat purchase's spend is
  Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer, independent of the purchase process.

Time is in days: ``frequency`` x is the number of repeat purchase days, ``recency`` t_x the
days from the first purchase day to the last, ``age`` T the days from the first purchase day
to the end of observation, so ``alpha`` is in days.

Both fits maximise the published log-likelihoods with L-BFGS-B over log-parameters. The caller
compresses identical summaries into one row with an integer weight (how many customers share
it): the fits take those ``weights``, the per-row log-likelihoods are weighted by the caller. A
fit that fails is reported (``Fit.converged`` False, ``Fit.message`` why), never raised;
``ValueError`` is for unusable input. Predictions are vectorised over customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

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


P = TypeVar("P", BgNbd, GammaGamma)


@dataclass(frozen=True, slots=True)
class Fit(Generic[P]):
    params: P
    log_likelihood: float  # weighted total at the optimum
    converged: bool
    message: str  # the optimiser's message, or why the result is not usable
    iterations: int


def bgnbd_log_likelihood(
    params: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> Array:
    """Per-customer log-likelihood: eq. 6 of the BG/NBD paper, in logs."""
    vector = np.array([params.r, params.alpha, params.a, params.b])
    return _bgnbd(vector, *_summaries(frequency, recency, age))[0]


def gamma_gamma_log_likelihood(
    params: GammaGamma, frequency: ArrayLike, monetary: ArrayLike
) -> Array:
    """Per-customer log density of the mean repeat spend m given x repeat purchases."""
    vector = np.array([params.p, params.q, params.gamma])
    return _gamma_gamma(vector, *_spend(frequency, monetary))[0]


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    weights: ArrayLike | None = None,
) -> Fit[BgNbd]:
    x, t_x, age_ = _summaries(frequency, recency, age)
    w = _weights(weights, x.size)
    # r = 1 and alpha = the observed mean gap between purchases (tens to hundreds of days, far
    # from the 1 that suits weeks), a moderate dropout probability.
    start = [1.0, float(w @ age_ + 1.0) / float(w @ x + 1.0), 1.0, 3.0]
    o = _maximise(lambda v, g: _bgnbd(v, x, t_x, age_, g), w, ("r", "alpha", "a", "b"), start)
    return Fit(BgNbd(*o.params), o.log_likelihood, o.converged, o.message, o.iterations)


def fit_gamma_gamma(
    frequency: ArrayLike, monetary: ArrayLike, weights: ArrayLike | None = None
) -> Fit[GammaGamma]:
    x, m = _spend(frequency, monetary)
    w = _weights(weights, x.size)
    # p = 1, q = 3 and the gamma that matches the mean spend p * gamma / (q - 1).
    start = [1.0, 3.0, 2.0 * float(w @ m) / float(w.sum())]
    o = _maximise(lambda v, g: _gamma_gamma(v, x, m, g), w, ("p", "q", "gamma"), start)
    params = GammaGamma(*o.params)
    converged, message = o.converged, o.message
    if converged and params.q <= 1:
        converged = False
        message = (
            f"q = {params.q:.4g} <= 1: spend varies too much between customers for the "
            "expected spend p * gamma / (q - 1) to exist"
        )
    return Fit(params, o.log_likelihood, converged, message, o.iterations)


def p_alive(params: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> Array:
    """P(alive | x, t_x, T); 1 for x = 0, since BG/NBD drops out only after a repeat purchase."""
    return _p_alive(params, *_summaries(frequency, recency, age))


def expected_purchases(
    params: BgNbd, days: float, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> Array:
    """E[X(t) | x, t_x, T] for t = ``days``: eq. 10 of the BG/NBD paper. nan only where the
    Gaussian hypergeometric function can't be evaluated, alpha + T < ~days / 3,000 (see
    ``_gauss_series``)."""
    _check_horizon(days)
    return _expected_purchases(params, np.float64(days), *_summaries(frequency, recency, age))


def expected_order_value(params: GammaGamma, frequency: ArrayLike, monetary: ArrayLike) -> Array:
    """E[M | x, m] = p (gamma + x m) / (p x + q - 1); for x = 0 that is the population mean
    p gamma / (q - 1). A mean spend m <= 0 (repeat purchases fully refunded) counts as 0, so
    the customer's own history pulls the estimate down to p gamma / (p x + q - 1). Needs q > 1.
    """
    x = _column("frequency", frequency)
    m = _column("monetary", monetary, nonnegative=False)
    _check_whole(x)
    _same_length(x, m)
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
    x, t_x, age_ = _summaries(frequency, recency, age)
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


class _Optimum(NamedTuple):
    params: tuple[float, ...]
    log_likelihood: float
    converged: bool
    message: str
    iterations: int


# A log-likelihood: (positive parameters, want gradient) -> (per-row values, per-row gradient
# with respect to the log-parameters, one row per parameter).
_LogLikelihood = Callable[[Array, bool], tuple[Array, Array]]
_SPAN = np.log(1e6)


def _maximise(
    log_likelihood: _LogLikelihood, w: Array, names: tuple[str, ...], start: list[float]
) -> _Optimum:
    total = w.sum()

    def objective(log_params: Array) -> tuple[float, Array]:
        ll, gradient = log_likelihood(np.exp(log_params), True)
        return -float(w @ ll) / total, -(gradient @ w) / total

    # Each parameter may move a factor 1e6 from its start. A fit that reaches that is chasing
    # a likelihood that keeps rising towards 0 or infinity (no spend dispersion, no dropout,
    # one summary...): degenerate data, not a model, even if the optimiser stopped cleanly.
    lower = np.log(start) - _SPAN
    upper = np.log(start) + _SPAN
    # The mean, not total, log-likelihood keeps the tolerances independent of the data size.
    # ftol 1e-12 stops far inside the standard errors yet well above the rounding noise of the
    # sum (~1e-15), where a tighter tolerance makes the line search fail ("ABNORMAL").
    result = minimize(
        objective,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(lower, upper, strict=True)),
        options={"ftol": 1e-12},
    )
    params = np.exp(result.x)
    value = float(w @ log_likelihood(params, False)[0])
    converged, message = bool(result.success), str(result.message)
    runaway = [
        name
        for name, v, lo, hi in zip(names, result.x, lower, upper, strict=True)
        if not lo + 1e-6 < v < hi - 1e-6
    ]
    if runaway:
        converged = False
        message = (
            f"{', '.join(runaway)} ran 1e6 times away from the start: the likelihood has no "
            "maximum at finite, positive parameters (degenerate data)"
        )
    elif not np.isfinite(value):
        converged, message = False, f"non-finite log-likelihood ({message})"
    return _Optimum(tuple(float(v) for v in params), value, converged, message, int(result.nit))


def _bgnbd(
    params: Array, x: Array, t_x: Array, age: Array, gradient: bool = False
) -> tuple[Array, Array]:
    """Eq. 6 in logs: ln A1 + ln A2 + ln(A3 + delta_{x>0} A4)."""
    r, alpha, a, b = params
    b_x1 = b + np.maximum(x, 1.0) - 1.0  # b + x - 1 is only used when x > 0
    log_at, log_atx = np.log(alpha + age), np.log(alpha + t_x)
    still_alive = -(r + x) * log_at
    dropped = np.where(x > 0, np.log(a) - np.log(b_x1) - (r + x) * log_atx, -np.inf)
    mix = np.logaddexp(still_alive, dropped)
    ll = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        + mix
    )  # fmt: skip
    if not gradient:
        return ll, np.empty((0, x.size))
    w_alive = np.exp(still_alive - mix)
    w_dropped = 1.0 - w_alive
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w_alive * log_at - w_dropped * log_atx
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + age) + w_dropped / (alpha + t_x))
    d_ab = digamma(a + b) - digamma(a + b + x)
    d_a = d_ab + w_dropped / a
    d_b = d_ab + digamma(b + x) - digamma(b) - w_dropped / b_x1
    return ll, np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def _gamma_gamma(params: Array, x: Array, m: Array, gradient: bool = False) -> tuple[Array, Array]:
    """Log density of the mean of x Gamma(p, nu) spends, nu ~ Gamma(q, gamma) integrated out."""
    p, q, gamma = params
    px = p * x
    log_gxm = np.log(gamma + m * x)
    ll = (
        gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
        + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * log_gxm
    )  # fmt: skip
    if not gradient:
        return ll, np.empty((0, x.size))
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_gxm)
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - log_gxm
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    return ll, np.stack([d_p * p, d_q * q, d_gamma * gamma])


def _column(name: str, values: ArrayLike, *, nonnegative: bool = True) -> Array:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional array")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    if nonnegative and np.any(array < 0):
        raise ValueError(f"{name} must not be negative")
    return array


def _same_length(*arrays: Array) -> None:
    if len({array.size for array in arrays}) != 1:
        raise ValueError("the arrays must have the same length")


def _check_whole(frequency: Array) -> None:
    if np.any(frequency != np.floor(frequency)):
        raise ValueError("frequency must be whole numbers")


def _check_horizon(days: float) -> None:
    if not days >= 0:
        raise ValueError("days must be >= 0")


def _summaries(
    frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[Array, Array, Array]:
    x, t_x, age_ = _column("frequency", frequency), _column("recency", recency), _column("age", age)
    _same_length(x, t_x, age_)
    _check_whole(x)
    if np.any(t_x > age_):
        raise ValueError("recency must not exceed age")
    return x, t_x, age_


def _spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[Array, Array]:
    x, m = _column("frequency", frequency), _column("monetary", monetary)
    _same_length(x, m)
    _check_whole(x)
    if np.any(x == 0) or np.any(m == 0):
        raise ValueError("Gamma-Gamma needs frequency > 0 and monetary > 0 on every row")
    return x, m


def _weights(weights: ArrayLike | None, size: int) -> Array:
    if weights is None:
        return np.ones(size)
    w = _column("weights", weights)
    if w.size != size:
        raise ValueError("weights must have one entry per row")
    if not w.sum() > 0:
        raise ValueError("weights must not all be zero")
    return w
