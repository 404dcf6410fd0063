"""Fitting BG/NBD and Gamma-Gamma (``app.predictions.model`` defines them) by maximum
likelihood.

Both fits maximise the published log-likelihoods with L-BFGS-B over log-parameters. The caller
compresses identical summaries into one row with an integer weight (how many customers share
it): the fits take those ``weights``, the per-row log-likelihoods are weighted by the caller. A
fit that fails is reported (``Fit.converged`` False, ``Fit.message`` why), never raised;
``ValueError`` is for unusable input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from app.predictions.model import (
    BgNbd,
    GammaGamma,
    check_whole,
    checked_summaries,
    column,
    same_length,
)

Array = NDArray[np.float64]

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
    return _bgnbd(vector, *checked_summaries(frequency, recency, age))[0]


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
    x, t_x, age_ = checked_summaries(frequency, recency, age)
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


def _spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[Array, Array]:
    x, m = column("frequency", frequency), column("monetary", monetary)
    same_length(x, m)
    check_whole(x)
    if np.any(x == 0) or np.any(m == 0):
        raise ValueError("Gamma-Gamma needs frequency > 0 and monetary > 0 on every row")
    return x, m


def _weights(weights: ArrayLike | None, size: int) -> Array:
    if weights is None:
        return np.ones(size)
    w = column("weights", weights)
    if w.size != size:
        raise ValueError("weights must have one entry per row")
    if not w.sum() > 0:
        raise ValueError("weights must not all be zero")
    return w
