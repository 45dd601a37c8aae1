"""Calibration and decision curves of predicted risks at a fixed time point.

The public functions are re-exported by :mod:`radnb.evaluate.survival`.

* Calibration: patients are grouped by predicted risk; the mean predicted risk
  of each group is set against the observed risk 1 - KM(t) of the group (with
  its log-type Kaplan-Meier CI, R ``survfit``'s default).
* Decision curves: net benefit at time t with the Kaplan-Meier estimate, as R
  ``dcurves::dca(Surv(time, event) ~ ..., time = t)`` (Vickers et al. 2008):
  for threshold p, "positive" is risk >= p; tp = (1 - S_pos(t)) * P(pos),
  fp = S_pos(t) * P(pos); NB = tp - fp * p / (1 - p).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError
from radnb.evaluate._deprecate import renamed
from radnb.evaluate._km import check_surv, km_at, km_curve

__all__ = ["calibration_at", "dca_survival", "decision_curve_survival"]


def _risk(risk, n, name="risk"):
    r = np.asarray(risk, dtype=float).reshape(-1)
    if r.size != n:
        raise InvalidParameterError(f"{name} has {r.size} values but time has {n}")
    if not np.isfinite(r).all():
        raise InvalidParameterError(f"{name} contains missing values; drop those rows first")
    if ((r < 0) | (r > 1)).any():
        raise InvalidParameterError(
            f"{name} must be predicted probabilities of the event by the time point "
            f"(in [0, 1]); found {r.min():.3g} to {r.max():.3g}"
        )
    return r


def km_surv_at(t, e, at: float) -> float:
    if t.size == 0:
        return float("nan")
    return float(km_at(km_curve(t, e), [at])["survival"].iloc[0])


def calibration_at(
    time, event, risk, at: float, *, n_groups=10, conf_type: str = "log", level: float = 0.95
) -> pd.DataFrame:
    """Predicted versus observed risk of an event by time ``at``.

    Patients are grouped into ``n_groups`` quantile groups of predicted risk
    (or pass an array of group labels); each group's mean predicted risk is
    set against 1 - KM(at) with its Kaplan-Meier CI of type ``conf_type``
    ("log", R ``survfit``'s default, "log-log" or "plain").

    Returns
    -------
    DataFrame with columns group, n, events, predicted, observed, lower, upper.

    Examples
    --------
    >>> cal = calibration_at([1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 1, 0],
    ...                      [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], 3.5, n_groups=2)
    >>> cal["n"].tolist()
    [3, 3]
    """
    t, e = check_surv(time, event)
    r = _risk(risk, t.size)
    if isinstance(n_groups, int):
        if n_groups < 2:
            raise InvalidParameterError("n_groups must be >= 2")
        codes = pd.qcut(r, n_groups, labels=False, duplicates="drop")
    else:
        codes = np.asarray(pd.Categorical(np.asarray(n_groups).reshape(-1)).codes)
        if codes.size != t.size:
            raise InvalidParameterError("groups must have one value per patient")
    rows = []
    for g in np.unique(codes):
        m = codes == g
        cur = km_curve(t[m], e[m], conf_type=conf_type, level=level)
        s = km_at(cur, [at]).iloc[0]
        rows.append(
            {
                "group": int(g) + 1,
                "n": int(m.sum()),
                "events": int(e[m & (t <= at)].sum()),
                "predicted": float(r[m].mean()),
                "observed": float(1 - s.survival),
                "lower": float(1 - s.upper),
                "upper": float(1 - s.lower),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update(time=at, level=level)
    return out


def net_benefit_at(time, event, risks: dict, at: float, thresholds) -> pd.DataFrame:
    t, e = check_surv(time, event)
    n = t.size
    thr = np.asarray(thresholds, dtype=float)
    if ((thr < 0) | (thr >= 1)).any():
        raise InvalidParameterError("thresholds must lie in [0, 1)")
    s_all = km_surv_at(t, e, at)
    rows = []
    for thr_i in thr:
        rows.append(("all", "Treat All", n, thr_i, 1.0, 1 - s_all, s_all))
        rows.append(("none", "Treat None", n, thr_i, 0.0, 0.0, 0.0))
    for name, risk in risks.items():
        r = _risk(risk, n, name=str(name))
        for thr_i in thr:
            pos = r > thr_i  # dcurves (R) counts risk > threshold as positive
            pr = float(pos.mean())
            if pr == 0:
                tp = fp = 0.0
            else:
                sp = km_surv_at(t[pos], e[pos], at)
                tp, fp = (1 - sp) * pr, sp * pr
            rows.append((name, str(name), n, thr_i, pr, tp, fp))
    out = pd.DataFrame(
        rows, columns=["variable", "label", "n", "threshold", "test_pos_rate", "tp_rate", "fp_rate"]
    )
    out.insert(4, "pos_rate", 1 - s_all)  # event risk by `at` (dcurves' pos_rate)
    out["harm"] = 0.0
    out["net_benefit"] = out["tp_rate"] - out["fp_rate"] * out["threshold"] / (1 - out["threshold"])
    out.attrs["time"] = at
    return out


def decision_curve_survival(time, event, risks, at: float, *, thresholds=None) -> pd.DataFrame:
    """Survival decision curve: net benefit at time ``at`` (Kaplan-Meier based).

    The survival counterpart of :func:`radnb.evaluate.decision_curve`
    (``dca_survival`` is its deprecated former name).

    As R ``dcurves::dca(Surv(time, event) ~ model, time = at)``: patients with
    predicted risk > threshold are "positive"; true/false positives come from
    the KM risk by ``at`` among positives. Includes "Treat All" and "Treat None".

    Parameters
    ----------
    risks : dict {name: predicted risk of the event by ``at``} (or one array).
    thresholds : default 0, 0.01, ..., 0.99.

    Returns
    -------
    DataFrame with columns variable, label, n, threshold, pos_rate (event risk
    by ``at``, as dcurves), test_pos_rate, tp_rate, fp_rate, harm, net_benefit.

    Examples
    --------
    >>> nb = decision_curve_survival([1, 2, 3, 4], [1, 0, 1, 0], {"m": [0.9, 0.2, 0.8, 0.1]},
    ...                              3.5, thresholds=[0.5])
    >>> nb["variable"].tolist()
    ['all', 'none', 'm']
    """
    if not isinstance(risks, dict):
        risks = {"model": risks}
    thr = np.round(np.arange(0, 1, 0.01), 2) if thresholds is None else thresholds
    return net_benefit_at(time, event, risks, at, thr)


dca_survival = renamed(
    decision_curve_survival,
    "radnb.evaluate.survival.dca_survival",
    "radnb.evaluate.survival.decision_curve_survival",
)
