"""Discrimination for survival: Harrell's / Uno's C and time-dependent AUC.

The public functions are re-exported by :mod:`radnb.evaluate.survival`.

* Harrell's C and its standard error follow R ``survival::concordance``
  (``timewt = "n"``): a pair is comparable when the shorter time is an event
  (an event and a censoring at the same time count the censored one as longer);
  ties in the risk score count 1/2; the variance is the infinitesimal-jackknife
  (IJ) variance of Therneau & Watson. Two C's on the same patients are compared
  with the IJ covariance, as ``concordance(fit1, fit2)`` + ``vcov``.
* Uno's C: Uno et al. (Stat Med 2011), inverse-probability-of-censoring weights
  1 / G(t_i-)^2 with G the Kaplan-Meier estimate of the censoring distribution,
  restricted to t_i < tau.
* Time-dependent AUC: cumulative cases / dynamic controls with IPCW, as R
  ``timeROC`` (weights 1/G(T_i-) for cases, 1/G(t) for controls; ties 1/2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError
from radnb.evaluate._common import z_quantile
from radnb.evaluate._km import check_surv
from radnb.evaluate._result import Estimate, TestResult

__all__ = ["CIndexResult", "compare_cindex", "harrell_c", "time_dependent_auc", "uno_c"]


def _check(time, event, risk, name="risk"):
    t, e = check_surv(time, event)
    r = np.asarray(risk, dtype=float).reshape(-1)
    if r.size != t.size:
        raise InvalidParameterError(f"{name} has {r.size} values but time has {t.size}")
    if not np.isfinite(r).all():
        raise InvalidParameterError(
            f"{name} contains missing/non-finite values; drop those rows first"
        )
    if e.sum() == 0:
        raise InvalidParameterError("no events: the concordance is undefined")
    return t, e, r


def _pair_counts(t, e, r, block: int = 512):
    """Counts (concordant, discordant, tied.x, tied.y, tied.xy) and per-subject counts."""
    n = t.size
    per = np.zeros((n, 3))  # concordant, discordant, tied.x per subject
    tot = np.zeros(5)
    ev = np.flatnonzero(e == 1)
    for s in range(0, ev.size, block):
        i = ev[s : s + block]
        ti, ri = t[i][:, None], r[i][:, None]
        later = t[None, :] > ti
        same_cens = (t[None, :] == ti) & (e[None, :] == 0)
        comp = later | same_cens
        conc = comp & (ri > r[None, :])
        disc = comp & (ri < r[None, :])
        tx = comp & (ri == r[None, :])
        tot[0] += conc.sum()
        tot[1] += disc.sum()
        tot[2] += tx.sum()
        # tied on y: both events at the same time (count each pair once)
        ty = (t[None, :] == ti) & (e[None, :] == 1) & (np.arange(n)[None, :] > i[:, None])
        tot[3] += (ty & (ri != r[None, :])).sum()
        tot[4] += (ty & (ri == r[None, :])).sum()
        for k, m in enumerate((conc, disc, tx)):
            per[i, k] += m.sum(1)
            per[:, k] += m.sum(0)
    return tot, per


def _influence(tot, per):
    num = tot[0] + tot[2] / 2
    den = tot[0] + tot[1] + tot[2]
    if den == 0:
        raise RadnbError("no comparable pairs")
    c = num / den
    dnum = per[:, 0] + per[:, 2] / 2
    dden = per.sum(1)
    u = (dnum * den - num * dden) / den**2
    return c, u


@dataclass(frozen=True, repr=False, eq=False)
class CIndexResult(Estimate):
    """A concordance index: an :class:`~radnb.evaluate.Estimate` with pair counts.

    Attributes: estimate (also ``.c``), lower, upper, se, level, method, n,
    and for Harrell's C the pair counts concordant, discordant, tied_x, tied_y,
    tied_xy. Unpacks as ``c, lower, upper``.
    """

    n: int = 0
    concordant: float = float("nan")
    discordant: float = float("nan")
    tied_x: float = float("nan")
    tied_y: float = float("nan")
    tied_xy: float = float("nan")

    _name = "CIndexResult"
    _label = "C"

    @property
    def c(self) -> float:
        return self.estimate


def harrell_c_ij(time, event, risk, *, level: float = 0.95) -> tuple[CIndexResult, np.ndarray]:
    """Harrell's C and its per-patient infinitesimal-jackknife influence values."""
    t, e, r = _check(time, event, risk)
    tot, per = _pair_counts(t, e, r)
    c, u = _influence(tot, per)
    se = float(np.sqrt(np.sum(u**2)))
    z = z_quantile(level)
    conc, disc, tx, ty, txy = map(float, tot)
    res = CIndexResult(
        float(c),
        float(c - z * se),
        float(c + z * se),
        se=se,
        level=level,
        method="Harrell",
        n=int(t.size),
        concordant=conc,
        discordant=disc,
        tied_x=tx,
        tied_y=ty,
        tied_xy=txy,
    )
    return res, u


def harrell_c(time, event, risk, *, level: float = 0.95) -> CIndexResult:
    """Harrell's concordance index with standard error and CI.

    As R ``survival::concordance`` (``timewt = "n"``): ``risk`` is a score where
    higher means shorter survival (e.g. a Cox linear predictor); ties in risk
    count 1/2; the SE is the infinitesimal-jackknife SE; CI = C +/- z SE.

    Examples
    --------
    >>> harrell_c([1, 2, 3, 4], [1, 1, 1, 0], [4, 3, 2, 1]).c
    1.0
    """
    return harrell_c_ij(time, event, risk, level=level)[0]


def censoring_km(t, e):
    """Step function G(s) (and G(s-)) of the censoring distribution (KM, censor = event)."""
    ut = np.unique(t)
    cens = np.array([np.sum((t == u) & (e == 0)) for u in ut], dtype=float)
    at_risk = np.array([np.sum(t >= u) for u in ut], dtype=float)
    g = np.cumprod(1 - cens / at_risk)

    def right(s):
        idx = np.searchsorted(ut, np.asarray(s, dtype=float), side="right") - 1
        return np.where(idx < 0, 1.0, g[np.maximum(idx, 0)])

    def left(s):
        idx = np.searchsorted(ut, np.asarray(s, dtype=float), side="left") - 1
        return np.where(idx < 0, 1.0, g[np.maximum(idx, 0)])

    return right, left


def uno_c_point(t, e, r, tau=None) -> float:
    _, g_left = censoring_km(t, e)
    tau = np.max(t) if tau is None else tau
    ev = np.flatnonzero((e == 1) & (t < tau) if tau < np.max(t) else (e == 1) & (t <= tau))
    gi = g_left(t[ev])
    if (gi <= 0).any():
        raise InvalidParameterError("censoring survival reaches 0 before tau; choose a smaller tau")
    w = 1 / gi**2
    num = den = 0.0
    for k, i in enumerate(ev):
        comp = t > t[i]
        if not comp.any():
            continue
        num += w[k] * (np.sum(comp & (r[i] > r)) + 0.5 * np.sum(comp & (r[i] == r)))
        den += w[k] * comp.sum()
    if den == 0:
        raise RadnbError("no comparable pairs before tau")
    return float(num / den)


def _bootstrap(fun, n, n_boot, random_state):
    rng = np.random.default_rng(random_state)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        try:
            out.append(fun(idx))
        except RadnbError:
            continue
    return np.asarray(out, dtype=float)


def uno_c(
    time, event, risk, *, tau=None, level: float = 0.95, n_boot: int = 200, random_state=None
) -> CIndexResult:
    """Uno's IPCW concordance index restricted to times before ``tau``.

    Uno et al. (Stat Med 2011): comparable pairs t_i < t_j with t_i < tau and
    an event at t_i, weighted by 1/G(t_i-)^2 (G = Kaplan-Meier of the
    censoring times); ties in risk count 1/2. The CI is a percentile bootstrap
    (``n_boot`` resamples, ``random_state``).

    Examples
    --------
    >>> uno_c([1, 2, 3, 4], [1, 1, 1, 0], [4, 3, 2, 1], n_boot=20, random_state=0).c
    1.0
    """
    t, e, r = _check(time, event, risk)
    c = uno_c_point(t, e, r, tau)
    boots = _bootstrap(lambda i: uno_c_point(t[i], e[i], r[i], tau), t.size, n_boot, random_state)
    se = float(np.std(boots, ddof=1)) if boots.size > 1 else float("nan")
    a = (1 - level) / 2
    lo, hi = np.quantile(boots, [a, 1 - a]) if boots.size > 1 else (np.nan, np.nan)
    return CIndexResult(
        c, float(lo), float(hi), se=se, level=level, method=f"Uno (tau={tau})", n=int(t.size)
    )


def compare_cindex(time, event, risk_a, risk_b, *, level: float = 0.95) -> TestResult:
    """Compare two Harrell's C on the same patients.

    Uses the joint infinitesimal-jackknife covariance of the two C's, as R
    ``vcov(concordance(fit_a, fit_b))`` (Therneau & Watson), not a bootstrap.

    Returns
    -------
    :class:`~radnb.evaluate.TestResult`: ``statistic`` (z, also ``res["z"]``),
    ``df`` (inf: normal), ``p``, ``method`` and in ``details`` c_a, c_b, diff
    (a - b), se, lower, upper (CI of diff), corr; keys read as before.

    Examples
    --------
    >>> r = compare_cindex([1, 2, 3, 4, 5], [1, 1, 1, 1, 0], [5, 4, 3, 2, 1], [5, 4, 3, 2, 1])
    >>> r["diff"]
    0.0
    """
    from scipy.stats import norm

    ra, ua = harrell_c_ij(time, event, risk_a, level=level)
    rb, ub = harrell_c_ij(time, event, risk_b, level=level)
    diff = ra.c - rb.c
    se = float(np.sqrt(np.sum((ua - ub) ** 2)))
    z = diff / se if se > 0 else float("nan")
    p = float(2 * norm.sf(abs(z))) if se > 0 else float("nan")
    zq = z_quantile(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = float(np.sum(ua * ub) / np.sqrt(np.sum(ua**2) * np.sum(ub**2)))
    details = {
        "c_a": ra.c,
        "c_b": rb.c,
        "diff": float(diff),
        "se": se,
        "lower": float(diff - zq * se),
        "upper": float(diff + zq * se),
        "corr": corr,
        "level": level,
    }
    keys = ("c_a", "c_b", "diff", "se", "lower", "upper", "z", "p", "corr", "method")
    method = "infinitesimal jackknife (R survival::concordance)"
    return TestResult(float(z), float("inf"), p, method, details, stat_name="z", keys_order=keys)


def td_auc_point(t, e, m, at: float) -> float:
    g_right, g_left = censoring_km(t, e)
    cases = (t <= at) & (e == 1)
    controls = t > at
    if not cases.any() or not controls.any():
        return float("nan")
    wc = 1 / g_left(t[cases])
    mc = m[cases]
    mk = np.sort(m[controls])
    # for each case: controls with lower marker + 1/2 ties (controls' weights are equal)
    below = np.searchsorted(mk, mc, side="left")
    tie = np.searchsorted(mk, mc, side="right") - below
    score = (below + 0.5 * tie) / mk.size
    return float(np.sum(wc * score) / np.sum(wc))


def time_dependent_auc(
    time, event, marker, times, *, level: float = 0.95, n_boot: int = 200, random_state=None
) -> pd.DataFrame:
    """Cumulative/dynamic time-dependent AUC with IPCW, as R ``timeROC``.

    Cases: event by t; controls: still event-free after t; cases weighted by
    1/G(T_i-), the Kaplan-Meier censoring survival (``weighting="marginal"``).
    Higher ``marker`` = higher risk. CIs are percentile bootstrap.

    Returns
    -------
    DataFrame with columns time, auc, se, lower, upper, n_cases, n_controls.

    Examples
    --------
    >>> td = time_dependent_auc([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1],
    ...                         [6, 5, 4, 3, 2, 1], [3], n_boot=10, random_state=0)
    >>> float(td["auc"].iloc[0])
    1.0
    """
    t, e, m = _check(time, event, marker, name="marker")
    times = np.atleast_1d(np.asarray(times, dtype=float))
    rng = np.random.default_rng(random_state)
    idx = [rng.integers(0, t.size, t.size) for _ in range(n_boot)]
    a = (1 - level) / 2
    rows = []
    for s in times:
        auc = td_auc_point(t, e, m, s)
        boots = np.array([td_auc_point(t[i], e[i], m[i], s) for i in idx])
        boots = boots[np.isfinite(boots)]
        if boots.size > 1:
            se = float(np.std(boots, ddof=1))
            lo, hi = np.quantile(boots, [a, 1 - a])
        else:
            se, lo, hi = np.nan, np.nan, np.nan
        rows.append(
            {
                "time": s,
                "auc": auc,
                "se": se,
                "lower": float(lo),
                "upper": float(hi),
                "n_cases": int(np.sum((t <= s) & (e == 1))),
                "n_controls": int(np.sum(t > s)),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update(level=level, n_boot=n_boot, ci="percentile bootstrap")
    return out
