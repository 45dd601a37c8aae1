"""Decision curve analysis (Vickers & Elkin 2006) for binary outcomes.

Matches R's ``dcurves::dca()`` (Sjoberg, Vickers et al.) column for column:
at threshold probability ``t`` a patient is test-positive when ``p >= t``
(a risk of exactly 0 is never positive and one of exactly 1 always is, as
dcurves nudges them by machine epsilon);

* ``tp_rate = P(test+ and event)``, ``fp_rate = P(test+ and no event)``;
* ``net_benefit = tp_rate - fp_rate * t / (1 - t) - harm``;
* treat all: ``prevalence - (1 - prevalence) * t / (1 - t)``; treat none: 0;
* ``net_intervention_avoided = (net_benefit - treat_all) * (1 - t) / t``
  (per patient; NaN at ``t = 0``).

With a user-supplied ``prevalence`` (case-control data) the rates are
``P(test+ | event) * prevalence`` and ``P(test+ | no event) * (1 -
prevalence)``, as dcurves does. Boolean outcomes count ``True`` as the event
(the Python ``dcurves`` package models ``False`` in that case; radnb does not).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError
from radnb.evaluate._common import as_binary, as_prob

__all__ = ["net_benefit", "decision_curve", "DEFAULT_THRESHOLDS"]

#: dcurves' default grid: 0, 0.01, ..., 0.99.
DEFAULT_THRESHOLDS = np.round(np.arange(0, 100) / 100, 2)


def _thresholds(thresholds) -> np.ndarray:
    t = DEFAULT_THRESHOLDS if thresholds is None else np.asarray(thresholds, float).reshape(-1)
    if t.size == 0 or np.any((t < 0) | (t >= 1)) or not np.isfinite(t).all():
        raise InvalidParameterError("thresholds must be probabilities in [0, 1)")
    return t


def _prevalence(yy: np.ndarray, prevalence: float | None) -> float:
    if prevalence is None:
        return float(yy.mean())
    if not 0 < prevalence < 1:
        raise InvalidParameterError(f"prevalence must be in (0, 1), got {prevalence}")
    return float(prevalence)


def net_benefit(
    y,
    p,
    thresholds=None,
    *,
    harm: float = 0.0,
    prevalence: float | None = None,
) -> pd.DataFrame:
    """Net benefit of a risk model across threshold probabilities.

    Parameters
    ----------
    y : array of 0/1 or bool
        Outcome (1 / True = event).
    p : array of float
        Predicted risks in [0, 1]. A 0/1 test (e.g. family history) is a
        valid input, as in dcurves.
    thresholds : array of float, optional
        Threshold probabilities in [0, 1); default 0, 0.01, ..., 0.99.
    harm : float
        Harm of the test, subtracted from its net benefit.
    prevalence : float, optional
        Outcome prevalence for case-control data; default: the sample's.

    Returns
    -------
    DataFrame
        One row per threshold with columns ``threshold, n, pos_rate,
        test_pos_rate, tp_rate, fp_rate, harm, net_benefit, treat_all,
        treat_none, net_intervention_avoided``.

    Examples
    --------
    >>> nb = net_benefit([0, 1, 0, 1], [0.2, 0.7, 0.4, 0.9], [0.1, 0.5])
    >>> nb.net_benefit.round(4).tolist()
    [0.4444, 0.5]
    """
    yy = as_binary(y)
    pp = as_prob(p, yy.size)
    t = _thresholds(thresholds)
    n = yy.size
    prev = _prevalence(yy, prevalence)
    # dcurves moves risks of exactly 0 (1) just below (above) every threshold
    pos = (pp[None, :] >= t[:, None]) & (pp[None, :] != 0) | (pp[None, :] == 1)
    test_pos_rate = pos.mean(axis=1)
    n1 = int(yy.sum())
    n0 = n - n1
    # as dcurves: P(test+ | event) * prevalence and P(test+ | no event) * (1 - prevalence)
    tp = (pos & (yy == 1)).sum(axis=1) / n1 * prev if n1 else np.zeros(t.size)
    fp = (pos & (yy == 0)).sum(axis=1) / n0 * (1 - prev) if n0 else np.zeros(t.size)
    odds = t / (1 - t)
    nb = tp - fp * odds - harm
    treat_all = prev - (1 - prev) * odds
    with np.errstate(divide="ignore", invalid="ignore"):
        nia = np.where(t > 0, (nb - treat_all) * (1 - t) / t, np.nan)
    return pd.DataFrame(
        {
            "threshold": t,
            "n": n,
            "pos_rate": prev,
            "test_pos_rate": test_pos_rate,
            "tp_rate": tp,
            "fp_rate": fp,
            "harm": float(harm),
            "net_benefit": nb,
            "treat_all": treat_all,
            "treat_none": 0.0,
            "net_intervention_avoided": nia,
        }
    )


def decision_curve(
    y,
    models: Mapping[str, object],
    thresholds=None,
    *,
    harm: float | Mapping[str, float] = 0.0,
    prevalence: float | None = None,
) -> pd.DataFrame:
    """Decision curves of several models, with treat-all and treat-none.

    Parameters
    ----------
    y : array of 0/1 or bool
    models : mapping name -> predicted risks
    thresholds, prevalence : see :func:`net_benefit`
    harm : float or mapping name -> harm

    Returns
    -------
    DataFrame
        Long table, one row per (model, threshold), columns ``model,
        threshold, net_benefit, tp_rate, fp_rate, test_pos_rate, harm,
        net_intervention_avoided``; the reference strategies appear as models
        ``"Treat all"`` and ``"Treat none"`` (like dcurves' ``all`` / ``none``).

    Examples
    --------
    >>> dc = decision_curve([0, 1, 0, 1], {"m": [0.2, 0.7, 0.4, 0.9]}, [0.1, 0.5])
    >>> dc.model.unique().tolist()
    ['Treat all', 'Treat none', 'm']
    """
    yy = as_binary(y)
    t = _thresholds(thresholds)
    prev = _prevalence(yy, prevalence)
    odds = t / (1 - t)
    cols = ["threshold", "net_benefit", "tp_rate", "fp_rate", "test_pos_rate", "harm"]
    rows = [
        pd.DataFrame(
            {
                "model": "Treat all",
                "threshold": t,
                "net_benefit": prev - (1 - prev) * odds,
                "tp_rate": prev,
                "fp_rate": 1 - prev,
                "test_pos_rate": 1.0,
                "harm": 0.0,
                "net_intervention_avoided": np.where(t > 0, 0.0, np.nan),
            }
        ),
        pd.DataFrame(
            {
                "model": "Treat none",
                "threshold": t,
                "net_benefit": 0.0,
                "tp_rate": 0.0,
                "fp_rate": 0.0,
                "test_pos_rate": 0.0,
                "harm": 0.0,
                "net_intervention_avoided": np.where(
                    t > 0, -(prev - (1 - prev) * odds) * (1 - t) / np.where(t > 0, t, 1), np.nan
                ),
            }
        ),
    ]
    for name, p in models.items():
        h = harm.get(name, 0.0) if isinstance(harm, Mapping) else harm
        nb = net_benefit(yy, p, t, harm=h, prevalence=prevalence)
        rows.append(nb[cols + ["net_intervention_avoided"]].assign(model=name))
    out = pd.concat(rows, ignore_index=True)
    return out[["model", *cols, "net_intervention_avoided"]]
