"""One evaluation table per cohort: AUC (CI), threshold metrics, Brier, Hosmer-Lemeshow.

These functions take cut-offs and score directions that were fixed on the
training cohort and apply them unchanged (:meth:`radnb.Study.results` passes
them); nothing here is re-chosen on the cohort being evaluated.

Examples
--------
>>> import numpy as np
>>> y = np.r_[np.zeros(20), np.ones(20)]
>>> s = np.r_[np.linspace(-2, 0.5, 20), np.linspace(-0.5, 2, 20)]
>>> t = evaluation_table(y, {"m": s}, directions={"m": "<"}, thresholds={"m": 0.0})
>>> round(float(t.loc[0, "sensitivity"]), 2)
0.8
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["evaluation_table", "delong_matrix", "format_results", "METRICS"]

#: Threshold metrics reported (each with ``_lower`` / ``_upper`` columns).
METRICS = ("sensitivity", "specificity", "accuracy", "ppv", "npv")


def evaluation_table(
    y,
    scores: Mapping[str, object],
    *,
    directions: Mapping[str, str],
    thresholds: Mapping[str, float],
    probabilities: Mapping[str, object] | None = None,
    level: float = 0.95,
    g: int = 10,
) -> pd.DataFrame:
    """Discrimination and calibration of several models on one cohort.

    Parameters
    ----------
    y : array of 0/1
        Outcome of the cohort.
    scores : mapping name -> array
        Scores (any scale) used for AUC and the cut-off.
    directions, thresholds : mapping name -> value
        Fixed on training (:func:`radnb.evaluate.score_direction`,
        :func:`radnb.evaluate.youden_threshold`).
    probabilities : mapping name -> array, optional
        Predicted risks for Brier score and Hosmer-Lemeshow (g groups,
        ``ResourceSelection::hoslem.test``); NaN columns when absent.
    level : float

    Returns
    -------
    DataFrame
        One row per model: ``model, n, n_events, auc, auc_lower, auc_upper,
        direction, threshold`` then ``<metric>, <metric>_lower,
        <metric>_upper`` for each of :data:`METRICS`, ``brier, hl_statistic,
        hl_p`` and ``hl_note`` (why HL is missing, e.g. too few distinct
        risks for its groups; empty otherwise). Rows with a missing score or outcome are left out (``n``
        counts what was used).

    Examples
    --------
    >>> t = evaluation_table([0, 0, 1, 1], {"a": [0.1, 0.4, 0.35, 0.8]},
    ...                      directions={"a": "<"}, thresholds={"a": 0.3})
    >>> float(t.loc[0, "auc"])
    0.75
    """
    from radnb.evaluate.calibration import brier_score, hosmer_lemeshow
    from radnb.evaluate.classification import auc_ci, threshold_metrics

    yy = np.asarray(y, dtype=float)
    rows = []
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        ok = np.isfinite(s) & np.isfinite(yy)
        yk, sk = yy[ok].astype(int), s[ok]
        d, thr = directions[name], float(thresholds[name])
        row: dict = {"model": name, "n": int(ok.sum()), "n_events": int(yk.sum())}
        both = 0 < yk.sum() < yk.size
        auc = auc_ci(yk, sk, direction=d, level=level) if both else (np.nan,) * 3
        row.update(auc=auc[0], auc_lower=auc[1], auc_upper=auc[2], direction=d, threshold=thr)
        tm = (
            threshold_metrics(yk, sk, thr, direction=d, level=level).set_index("metric")
            if yk.size
            else pd.DataFrame(columns=["estimate", "lower", "upper"])
        )
        for m in METRICS:
            r = (
                tm.loc[m]
                if m in tm.index
                else {"estimate": np.nan, "lower": np.nan, "upper": np.nan}
            )
            row.update({m: r["estimate"], f"{m}_lower": r["lower"], f"{m}_upper": r["upper"]})
        brier = hl_stat = hl_p = np.nan
        hl_note = ""
        if probabilities is not None and name in probabilities:
            pk = np.asarray(probabilities[name], dtype=float)[ok]
            if yk.size:
                brier = float(brier_score(yk, pk))
            if both:
                try:
                    hl = hosmer_lemeshow(yk, pk, g=g)
                    hl_stat, hl_p = float(hl["statistic"]), float(hl["p"])
                except Exception as exc:  # noqa: BLE001 - too few distinct risks for groups
                    hl_note = f"Hosmer-Lemeshow not computed: {exc}"
            elif yk.size:
                hl_note = "Hosmer-Lemeshow not computed: the outcome has only one class here"
        row.update(brier=brier, hl_statistic=hl_stat, hl_p=hl_p, hl_note=hl_note)
        rows.append(row)
    return pd.DataFrame(rows)


def delong_matrix(
    y, scores: Mapping[str, object], *, directions: Mapping[str, str]
) -> pd.DataFrame:
    """Pairwise paired DeLong p-values (``pROC::roc.test``) between models.

    Patients with any missing score are left out of every comparison so
    that all pairs use the same patients.

    Returns
    -------
    DataFrame
        Square, indexed and columned by model name, NaN on the diagonal.

    Examples
    --------
    >>> m = delong_matrix([0, 0, 1, 1, 0, 1], {"a": [1, 2, 3, 4, 2.5, 3.5], "b": [2, 1, 4, 3, 1, 2]},
    ...                   directions={"a": "<", "b": "<"})
    >>> m.shape
    (2, 2)
    """
    from radnb.evaluate.classification import delong_test

    names = list(scores)
    S = np.column_stack([np.asarray(scores[n], dtype=float) for n in names]) if names else None
    yy = np.asarray(y, dtype=float)
    out = pd.DataFrame(np.nan, index=pd.Index(names, name="model"), columns=names)
    if S is None:
        return out
    ok = np.isfinite(S).all(1) & np.isfinite(yy)
    yk = yy[ok].astype(int)
    if not 0 < yk.sum() < yk.size:
        return out
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            r = delong_test(yk, S[ok, i], S[ok, j], direction=(directions[a], directions[b]))
            out.loc[a, b] = out.loc[b, a] = float(r["p"])
    return out


def _fmt(est, lo, hi, digits):
    if not np.isfinite(est):
        return "-"
    return f"{est:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def format_results(table: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """Publication-style strings, e.g. ``"0.842 (0.771-0.913)"``, for display only.

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["a"], "cohort": ["Test"], "n": [10], "n_events": [4],
    ...                   "auc": [0.8], "auc_lower": [0.6], "auc_upper": [1.0]})
    >>> format_results(t).loc[0, "AUC (95% CI)"]
    '0.800 (0.600-1.000)'
    """
    keys = [c for c in ("cohort", "model", "n", "n_events") if c in table]
    out = table[keys].copy()
    out["AUC (95% CI)"] = [
        _fmt(a, b, c, digits) for a, b, c in zip(table.auc, table.auc_lower, table.auc_upper)
    ]
    labels = {
        "sensitivity": "Sensitivity",
        "specificity": "Specificity",
        "accuracy": "Accuracy",
        "ppv": "PPV",
        "npv": "NPV",
    }
    for m, lab in labels.items():
        if m in table:
            out[lab] = [
                _fmt(a, b, c, digits)
                for a, b, c in zip(table[m], table[f"{m}_lower"], table[f"{m}_upper"])
            ]
    if "brier" in table:
        out["Brier"] = table["brier"].round(digits)
    if "hl_p" in table:
        out["HL p"] = table["hl_p"].round(digits)
    return out
