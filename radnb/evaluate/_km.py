"""Kaplan-Meier estimates, median survival and log-rank tests (R survival conventions).

The public functions are re-exported by :mod:`radnb.evaluate.survival`
(import them from there). Everything here follows
R's ``survival`` package: ``survfit`` (Greenwood variance; confidence intervals
of type ``"log"`` (R's default), ``"log-log"`` or ``"plain"``), ``quantile.survfit``
for the median and its CI, and ``survdiff`` (rho = 0) for the log-rank test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError
from radnb.evaluate._common import p_adjust, z_quantile
from radnb.evaluate._deprecate import ci_to_conf_type
from radnb.evaluate._result import Estimate, TestResult

__all__ = [
    "kaplan_meier",
    "km_median",
    "logrank_test",
    "median_table",
    "n_at_risk",
    "pairwise_logrank",
]

CONF_TYPES = ("log", "log-log", "plain")
_TOL = np.sqrt(np.finfo(float).eps)


# ----------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------
def check_surv(time, event, *, name: str = "time") -> tuple[np.ndarray, np.ndarray]:
    """Return (time, event) as float / int arrays, raising on bad values."""
    t = np.asarray(time, dtype=float).reshape(-1)
    e_raw = np.asarray(event)
    if e_raw.dtype == bool:
        e = e_raw.astype(int).reshape(-1)
    else:
        try:
            e_f = np.asarray(e_raw, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"event must be 0/1 or boolean (1 = event, 0 = censored); got dtype {e_raw.dtype}"
            ) from exc
        if np.isnan(e_f).any():
            raise InvalidParameterError("event contains NaN; drop rows with missing outcome first")
        if not np.isin(np.unique(e_f), (0.0, 1.0)).all():
            raise InvalidParameterError(
                "event must contain only 0 (censored) and 1 (event); found "
                f"{np.unique(e_f)[:6]}. R-style 1/2 status codes: pass status - 1"
            )
        e = e_f.astype(int)
    if t.shape != e.shape:
        raise InvalidParameterError(f"{name} has {t.size} values but event has {e.size}")
    if not np.isfinite(t).all():
        raise InvalidParameterError(
            f"{name} contains {int((~np.isfinite(t)).sum())} missing/non-finite values"
        )
    if (t < 0).any():
        raise InvalidParameterError(f"{name} must be >= 0; found {t.min():.4g}")
    return t, e


def as_groups(groups, n: int) -> pd.Categorical:
    """Groups as a Categorical (keeps the category order of a Categorical input)."""
    if isinstance(groups, pd.Categorical):
        cat = groups
    elif isinstance(groups, pd.Series) and isinstance(groups.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(groups)
    else:
        cat = pd.Categorical(np.asarray(groups).reshape(-1))
    if len(cat) != n:
        raise InvalidParameterError(f"groups has {len(cat)} values but time has {n}")
    if pd.isna(np.asarray(cat, dtype=object)).any():
        raise InvalidParameterError("groups contains missing values; drop those rows first")
    return cat.remove_unused_categories()


# ----------------------------------------------------------------------------
# Kaplan-Meier
# ----------------------------------------------------------------------------
def km_curve(time, event, *, conf_type: str = "log", level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier estimate at each distinct time, as R ``survfit`` (Greenwood).

    Columns: time, n_risk, n_event, n_censor, survival, std_err (of S, as printed
    by R's ``summary.survfit``), lower, upper.
    """
    if conf_type not in CONF_TYPES:
        raise InvalidParameterError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    t, e = check_surv(time, event)
    if t.size == 0:
        raise InvalidParameterError("no observations")
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=ut.size)
    c = np.bincount(inv, weights=1 - e, minlength=ut.size)
    tot = d + c
    n_risk = t.size - np.concatenate([[0.0], np.cumsum(tot)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n_risk)
        g = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    se_log = np.sqrt(np.cumsum(g))  # std of log S (R's std.err before scaling)
    lower, upper = conf_bands(surv, se_log, conf_type=conf_type, level=level)
    with np.errstate(invalid="ignore"):
        std_err = np.where(surv > 0, se_log * surv, 0.0)
    return pd.DataFrame(
        {
            "time": ut,
            "n_risk": n_risk.astype(int),
            "n_event": d.astype(int),
            "n_censor": c.astype(int),
            "survival": surv,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
        }
    )


def conf_bands(surv, se_log, *, conf_type: str, level: float):
    """Pointwise CI of S(t) as R's survfit (``survfit_confint``)."""
    z = z_quantile(level)
    surv = np.asarray(surv, dtype=float)
    se_log = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            lo = surv * np.exp(-z * se_log)
            hi = np.minimum(surv * np.exp(z * se_log), 1.0)
            lo = np.where(surv == 0, np.nan, lo)
            hi = np.where(surv == 0, np.nan, hi)
        elif conf_type == "log-log":
            ll = np.log(-np.log(surv))
            width = z * se_log / np.log(surv)
            lo = np.exp(-np.exp(ll - width))
            hi = np.exp(-np.exp(ll + width))
            bad = (surv == 0) | (surv == 1)
            lo = np.where(bad, np.nan, lo)
            hi = np.where(bad, np.nan, hi)
            # R: at S == 1 the interval is [1, 1] (se = 0)
            lo = np.where(surv == 1, 1.0, lo)
            hi = np.where(surv == 1, 1.0, hi)
        else:  # plain
            se = se_log * surv
            lo = np.maximum(surv - z * se, 0.0)
            hi = np.minimum(surv + z * se, 1.0)
    return lo, hi


def _first_below(times: np.ndarray, curve: np.ndarray, p: float) -> float:
    """Smallest time with curve <= p (midpoint rule on an exact flat at p), as R."""
    ok = np.isfinite(curve)
    idx = np.flatnonzero(ok & (curve <= p + _TOL))
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    if abs(curve[i] - p) < _TOL:
        later = np.flatnonzero(ok & (curve < p - _TOL))
        if later.size:
            return float((times[i] + times[later[0]]) / 2)
        return float(times[i])
    return float(times[i])


def km_quantile(time, event, *, p: float = 0.5, conf_type: str = "log", level: float = 0.95):
    """(quantile, lower, upper) of survival time as R ``quantile.survfit``."""
    cur = km_curve(time, event, conf_type=conf_type, level=level)
    ts = cur["time"].to_numpy()
    prob = 1.0 - p
    est = _first_below(ts, cur["survival"].to_numpy(), prob)
    # the lower curve crosses first, so it gives the lower limit (R's convention)
    lower = _first_below(ts, cur["lower"].to_numpy(), prob)
    upper = _first_below(ts, cur["upper"].to_numpy(), prob)
    return est, lower, upper


def km_at(curve: pd.DataFrame, times) -> pd.DataFrame:
    """Read a KM curve at given times (right-continuous step function)."""
    ts = np.atleast_1d(np.asarray(times, dtype=float))
    t = curve["time"].to_numpy()
    idx = np.searchsorted(t, ts, side="right") - 1
    rows = []
    for q, i in zip(ts, idx):
        if i < 0:
            rows.append((q, 1.0, 0.0, 1.0, 1.0))
        else:
            r = curve.iloc[i]
            rows.append((q, r.survival, r.std_err, r.lower, r.upper))
    return pd.DataFrame(rows, columns=["time", "survival", "std_err", "lower", "upper"])


def kaplan_meier(
    time, event, groups=None, *, conf_type: str = "log", level: float = 0.95, times=None
) -> pd.DataFrame:
    """Kaplan-Meier estimates with pointwise confidence intervals.

    Follows R ``survfit(Surv(time, event) ~ groups)``: Greenwood variance and
    ``conf.type`` "log" (R's default), "log-log" or "plain".

    Parameters
    ----------
    time, event : follow-up times and 0/1 event indicators (1 = event).
    groups : optional group labels (a Categorical keeps its order).
    conf_type : "log", "log-log" or "plain".
    level : confidence level.
    times : if given, the estimates at these times (as ``summary(fit, times=)``)
        instead of at every distinct time.

    Returns
    -------
    DataFrame with columns group, time, n_risk, n_event, n_censor, survival,
    std_err (of S), lower, upper (at every distinct time), or group, time,
    survival, std_err, lower, upper (at ``times``).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> km["survival"].round(3).tolist()
    [0.8, 0.6, 0.3, 0.3]
    """
    t, e = check_surv(time, event)
    cat = as_groups(groups if groups is not None else np.repeat("all", t.size), t.size)
    parts = []
    for g in cat.categories:
        m = np.asarray(cat) == g
        cur = km_curve(t[m], e[m], conf_type=conf_type, level=level)
        if times is not None:
            cur = km_at(cur, times)
        cur.insert(0, "group", g)
        parts.append(cur)
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(conf_type=conf_type, level=level)
    return out


def km_median(
    time, event, *, conf_type: str = "log", level: float = 0.95, ci: str | None = None
) -> Estimate:
    """Median survival time and its confidence interval, as R ``print(survfit(...))``.

    The median is the smallest time with S(t) <= 0.5 (midpoint of a flat
    stretch exactly at 0.5); the limits apply the same rule to the confidence
    curves (R ``quantile.survfit``). ``nan`` where a curve never reaches 0.5.

    Parameters
    ----------
    time, event : follow-up times and 0/1 events.
    conf_type : confidence-interval type, "log" (R's default), "log-log" or
        "plain" (R ``conf.type``).
    level : confidence level.
    ci : deprecated name of ``conf_type``.

    Returns
    -------
    :class:`~radnb.evaluate.Estimate` that unpacks as ``(median, lower, upper)``.

    Examples
    --------
    >>> km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1])
    Estimate(3.5, 95% CI 2 to nan, method='Kaplan-Meier median (conf_type=log)')
    >>> med, lo, hi = km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1])
    """
    conf_type = ci_to_conf_type(conf_type, ci, "km_median")
    est, lo, hi = km_quantile(time, event, p=0.5, conf_type=conf_type, level=level)
    method = f"Kaplan-Meier median (conf_type={conf_type})"
    return Estimate(est, lo, hi, level=level, method=method)


def median_table(
    time, event, groups=None, *, conf_type: str = "log", level: float = 0.95, ci: str | None = None
) -> pd.DataFrame:
    """n, events and median survival with CI per group (R ``print(survfit)``).

    ``conf_type`` as :func:`km_median` (``ci`` is its deprecated name).
    Columns: group, n, events, median, lower, upper.

    Examples
    --------
    >>> median_table([1, 2, 3, 4], [1, 1, 1, 1], ["a", "a", "b", "b"])[["group", "median"]]
      group  median
    0     a     1.5
    1     b     3.5
    """
    conf_type = ci_to_conf_type(conf_type, ci, "median_table")
    t, e = check_surv(time, event)
    cat = as_groups(groups if groups is not None else np.repeat("all", t.size), t.size)
    rows = []
    for g in cat.categories:
        m = np.asarray(cat) == g
        med, lo, hi = km_median(t[m], e[m], conf_type=conf_type, level=level)
        rows.append(
            {
                "group": g,
                "n": int(m.sum()),
                "events": int(e[m].sum()),
                "median": med,
                "lower": lo,
                "upper": hi,
            }
        )
    return pd.DataFrame(rows)


def n_at_risk(time, at) -> np.ndarray:
    """Numbers at risk at each time in ``at``: patients with follow-up ``time >= t``.

    As the risk table under R ``survminer::ggsurvplot`` and ``summary(survfit,
    times=)$n.risk`` (censored and event times alike count up to and including
    their own time).

    Parameters
    ----------
    time : follow-up times.
    at : time points.

    Returns
    -------
    int array, one count per time in ``at``.

    Examples
    --------
    >>> n_at_risk([1, 2, 2, 3, 5], [0, 2, 4, 6]).tolist()
    [5, 4, 1, 0]
    """
    t = np.sort(np.asarray(time, dtype=float))
    return t.size - np.searchsorted(t, np.asarray(at, dtype=float), side="left")


# ----------------------------------------------------------------------------
# log-rank (survdiff, rho = 0)
# ----------------------------------------------------------------------------
def logrank_parts(time, event, codes: np.ndarray, k: int, strata=None):
    """Observed, expected and variance matrix of the k-group log-rank test."""
    t, e = check_surv(time, event)
    obs = np.zeros(k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    strata_codes = np.zeros(t.size, int) if strata is None else pd.factorize(strata)[0]
    for s in np.unique(strata_codes):
        m = strata_codes == s
        ts, es, gs = t[m], e[m], codes[m]
        ut, inv = np.unique(ts, return_inverse=True)
        # per distinct time x group: deaths and removals
        dgt = np.zeros((ut.size, k))
        rgt = np.zeros((ut.size, k))
        np.add.at(dgt, (inv, gs), es)
        np.add.at(rgt, (inv, gs), 1.0)
        n_g = rgt.sum(0) - np.vstack([np.zeros(k), np.cumsum(rgt, 0)[:-1]])  # at risk
        n = n_g.sum(1)
        d = dgt.sum(1)
        keep = d > 0
        n_g, n, d, dgt = n_g[keep], n[keep], d[keep], dgt[keep]
        obs += dgt.sum(0)
        frac = n_g / n[:, None]
        exp += (d[:, None] * frac).sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
        var += np.einsum("t,ti,tj->ij", fac, frac, frac) * -1
        var[np.diag_indices(k)] += (fac[:, None] * frac).sum(0)
    return obs, exp, var


def logrank_test(time, event, groups, *, strata=None) -> TestResult:
    """Log-rank test across groups, as R ``survdiff(Surv(time, event) ~ groups)``.

    Returns
    -------
    :class:`~radnb.evaluate.TestResult`: ``statistic`` (the chi-square, also
    ``res["chisq"]``), ``df``, ``p`` and ``details["table"]`` (group, n,
    observed, expected, oe2_e = (O-E)^2/E, oe2_v = (O-E)^2/V); keys read as
    before (``res["p"]``, ``res["table"]``).

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1])
    >>> round(r["chisq"], 3), r["df"]
    (5.052, 1)
    """
    from scipy.stats import chi2

    t, e = check_surv(time, event)
    cat = as_groups(groups, t.size)
    k = len(cat.categories)
    if k < 2:
        raise InvalidParameterError(
            f"log-rank needs at least two groups; got {list(cat.categories)}"
        )
    obs, exp, var = logrank_parts(t, e, cat.codes.astype(int), k, strata=strata)
    diff = obs - exp
    # generalised inverse of the (k-1) leading block, as survdiff
    sub = var[:-1, :-1]
    stat = float(diff[:-1] @ np.linalg.pinv(sub) @ diff[:-1])
    df = int(np.linalg.matrix_rank(sub))
    p = float(chi2.sf(stat, df)) if df > 0 else float("nan")
    n = np.bincount(cat.codes, minlength=k)
    table = pd.DataFrame(
        {
            "group": list(cat.categories),
            "n": n,
            "observed": obs,
            "expected": exp,
            "oe2_e": diff**2 / exp,
            "oe2_v": diff**2 / np.diag(var),
        }
    )
    return TestResult(
        stat,
        df,
        p,
        "log-rank (R survdiff, rho = 0)",
        {"table": table},
        stat_name="chisq",
        keys_order=("chisq", "df", "p", "table"),
    )


def pairwise_logrank(time, event, groups, *, adjust: str = "BH", strata=None) -> pd.DataFrame:
    """Log-rank test for every pair of groups with multiplicity adjustment.

    As survminer ``pairwise_survdiff`` (default ``p.adjust.method = "BH"``;
    "holm", "bonferroni", "hochberg", "BY" and "none" also available, as R
    ``p.adjust``; computed by statsmodels' ``multipletests``).

    Returns
    -------
    DataFrame with columns group1, group2, chisq, p, p_adjusted (as
    :func:`~radnb.evaluate.pairwise_delong`) and p_adj (the former name of
    p_adjusted, kept for one release).

    Examples
    --------
    >>> t = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> pw = pairwise_logrank(t, [1] * 9, list("aaabbbccc"), adjust="holm")
    >>> pw[["group1", "group2"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    t, e = check_surv(time, event)
    cat = as_groups(groups, t.size)
    rows = []
    for a, b in itertools.combinations(cat.categories, 2):
        m = np.isin(np.asarray(cat), [a, b])
        sub = pd.Categorical(np.asarray(cat)[m], categories=[a, b])
        st = None if strata is None else np.asarray(strata)[m]
        r = logrank_test(t[m], e[m], sub, strata=st)
        rows.append((a, b, r["chisq"], r["p"]))
    out = pd.DataFrame(rows, columns=["group1", "group2", "chisq", "p"])
    out["p_adjusted"] = p_adjust(out["p"].to_numpy(), adjust)
    out["p_adj"] = out["p_adjusted"]  # deprecated name, kept for one release
    out.attrs["adjust"] = adjust
    return out
