"""Customers drawn from the BG/NBD and Gamma-Gamma stories, written from the papers'
definitions rather than from ``app.clv.fit`` and ``app.predictions.model``.

BG/NBD (Fader, Hardie & Lee 2005, section 3): each customer has a purchase rate
lambda ~ Gamma(shape r, rate alpha) and a dropout probability p ~ Beta(a, b). Observation starts
at the first purchase (time 0, not counted). While active the customer buys as a Poisson
process of rate lambda (exponential gaps); "after any transaction, a customer becomes inactive
with probability p" - the transactions in question are the repeat purchases the model counts,
which is why the paper's likelihood for someone still active at T is
(1 - p)^x lambda^x e^(-lambda T):
nobody drops out at time 0. Observation ends at the customer's age T.

Gamma-Gamma (Fader, Hardie & Lee 2005, RFM and CLV): each repeat purchase's spend is
Gamma(shape p, rate nu), with nu ~ Gamma(shape q, rate gamma) per customer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray


class Customers(NamedTuple):
    frequency: NDArray[np.float64]  # repeat purchases x
    recency: NDArray[np.float64]  # time of the last purchase t_x (0 without a repeat)
    age: NDArray[np.float64]  # T
    monetary: NDArray[np.float64]  # mean spend of the repeat purchases (0 without one)


def simulate(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float,
    q: float,
    gamma: float,
    min_age: float,
    max_age: float,
    seed: int,
) -> Customers:
    """``n`` customers whose ages T are uniform on [min_age, max_age] days."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)  # numpy's gamma takes a scale, 1 / rate
    dropout = rng.beta(a, b, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    age = rng.uniform(min_age, max_age, n)

    frequency = np.zeros(n)
    recency = np.zeros(n)
    spend = np.zeros(n)
    clock = np.zeros(n)
    active = np.arange(n)  # alive and not yet past the end of observation
    while active.size:
        clock[active] += rng.exponential(1.0 / rate[active])
        active = active[clock[active] <= age[active]]
        frequency[active] += 1
        recency[active] = clock[active]
        spend[active] += rng.gamma(p, 1.0 / nu[active])
        active = active[rng.random(active.size) >= dropout[active]]
    monetary = np.divide(spend, frequency, out=np.zeros(n), where=frequency > 0)
    return Customers(frequency, recency, age, monetary)
