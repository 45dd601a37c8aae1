"""Discrimination of a binary classifier: ROC curve, AUC with CI, DeLong tests,
Youden cut-off and threshold metrics.

Conventions follow R's pROC (Robin et al. 2011), so that numbers can be checked
against it:

* ``direction="<"`` means controls have lower scores than cases (a higher score
  predicts the event); ``">"`` the opposite. ``"auto"`` chooses as pROC does
  (``">"`` when the median score of the controls exceeds that of the cases).
  In a study the direction is fixed on the training cohort and passed
  explicitly to every other cohort, never re-chosen.
* ROC thresholds lie at the midpoints between consecutive distinct observed
  scores (plus -inf and +inf); with direction ``"<"`` a patient is called
  positive when ``score > threshold``.
* The DeLong variance uses the fast midrank algorithm of Sun & Xu (2014,
  IEEE Signal Process. Lett. 21:1389), O(n log n); the CI of an AUC is the
  normal CI on the AUC scale clipped to [0, 1], as ``pROC::ci.auc(method =
  "delong")``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError
from radnb.evaluate._common import (
    align,
    as_binary,
    as_score,
    need_both_classes,
    p_adjust,
    two_sided_p,
    z_quantile,
)
from radnb.evaluate._result import Estimate, TestResult

__all__ = [
    "AUCResult",
    "auc_ci",
    "delong_test",
    "pairwise_delong",
    "roc_curve",
    "score_direction",
    "youden_threshold",
    "threshold_metrics",
    "ThresholdMetrics",
    "threshold_metrics_table",
]

_DIRECTIONS = ("auto", "<", ">")


@dataclass(frozen=True, repr=False, eq=False)
class AUCResult(Estimate):
    """AUC with its confidence interval: an :class:`~radnb.evaluate.Estimate`.

    Unpacks as ``auc, lower, upper``; ``.auc`` is ``.estimate``; ``str()``
    gives ``"0.889 (0.712-1.000)"``.
    """

    _name = "AUCResult"
    _label = "auc"
    _fields = ("auc", "lower", "upper")  # as the former NamedTuple

    @property
    def auc(self) -> float:
        return self.estimate

    def _asdict(self) -> dict[str, float]:
        """``{"auc", "lower", "upper"}``, as the former NamedTuple."""
        return {"auc": self.estimate, "lower": self.lower, "upper": self.upper}


# ----------------------------------------------------------------------------- helpers


def _midrank_sorted(xs: np.ndarray) -> np.ndarray:
    """Midranks (1-based) of an already sorted array, O(n)."""
    edges = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1], True])
    avg = (edges[:-1] + 1 + edges[1:]) / 2.0
    return np.repeat(avg, np.diff(edges))


def _midrank(x: np.ndarray) -> np.ndarray:
    """Midranks (1-based; ties share the mean rank), O(n log n)."""
    order = np.argsort(x)
    out = np.empty(x.shape[0], dtype=float)
    out[order] = _midrank_sorted(x[order])
    return out


def _check_direction(direction: str) -> str:
    if direction not in _DIRECTIONS:
        raise InvalidParameterError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
    return direction


def score_direction(y, score) -> str:
    """Direction of a score chosen as ``pROC::roc(direction = "auto")`` does.

    Returns ``">"`` when the median score of the controls (y = 0) is larger
    than that of the cases (y = 1), else ``"<"`` (higher score = event).
    Choose it once, on the training cohort, and reuse it.

    Examples
    --------
    >>> score_direction([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    '<'
    >>> score_direction([0, 0, 1, 1], [5, 4, 1, 0])
    '>'
    """
    yy = as_binary(y)
    s = as_score(score, yy.size)
    need_both_classes(yy, what="score_direction")
    return ">" if np.median(s[yy == 0]) > np.median(s[yy == 1]) else "<"


def _resolve(y: np.ndarray, s: np.ndarray, direction: str) -> str:
    direction = _check_direction(direction)
    if direction == "auto":
        return ">" if np.median(s[y == 0]) > np.median(s[y == 1]) else "<"
    return direction


def _prepare(y, score, direction: str) -> tuple[np.ndarray, np.ndarray, str]:
    y, score = align({"y": y, "score": score})
    yy = as_binary(y)
    s = as_score(score, yy.size)
    need_both_classes(yy, what="ROC analysis")
    d = _resolve(yy, s, direction)
    return yy, s, d


def _oriented(s: np.ndarray, direction: str) -> np.ndarray:
    """Scores turned so that higher means 'case'."""
    return -s if direction == ">" else s


def _delong(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs and their DeLong covariance for k oriented scores of shape (k, n).

    Sun & Xu's fast algorithm: midranks within cases (Tx), within controls (Ty)
    and in the pooled sample (Tz) give the placement values
    ``V10 = (Tz - Tx) / n`` (cases) and ``V01 = 1 - (Tz - Ty) / m``
    (controls). One sort per score: the pooled order restricted to cases
    (controls) is already the sorted order of the cases (controls).
    """
    is_case = y == 1
    m = int(is_case.sum())
    n = y.size - m
    k = scores.shape[0]
    v10 = np.empty((k, m))
    v01 = np.empty((k, n))
    aucs = np.empty(k)
    # position of each patient among the cases / controls, in input order
    case_pos = np.cumsum(is_case) - 1
    ctrl_pos = np.cumsum(~is_case) - 1
    for r in range(k):
        order = np.argsort(scores[r])
        ss = scores[r][order]
        cs = is_case[order]
        tz = _midrank_sorted(ss)
        tx = _midrank_sorted(ss[cs])
        ty = _midrank_sorted(ss[~cs])
        aucs[r] = (tz[cs].sum() - m * (m + 1) / 2.0) / (m * n)
        oc, on = order[cs], order[~cs]
        v10[r, case_pos[oc]] = (tz[cs] - tx) / n
        v01[r, ctrl_pos[on]] = 1.0 - (tz[~cs] - ty) / m
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((k, k))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((k, k))
    return aucs, s10 / m + s01 / n


def _auc_only(y: np.ndarray, s: np.ndarray) -> float:
    m = int(y.sum())
    n = y.size - m
    r = _midrank(s)
    return float((r[y == 1].sum() - m * (m + 1) / 2.0) / (m * n))


# ----------------------------------------------------------------------------- AUC


def auc_ci(
    y,
    score,
    *,
    method: str = "delong",
    level: float = 0.95,
    direction: str = "auto",
    n_boot: int = 2000,
    random_state: int | None = 0,
) -> AUCResult:
    """Area under the ROC curve with a confidence interval.

    Parameters
    ----------
    y : array of 0/1 or bool
        Outcome, 1 (True) = case.
    score : array of float
        Predictor; see ``direction``. When ``y`` and ``score`` are both
        pandas Series they are paired by index label (patient), not by
        position; indexes holding different labels are an error.
    method : {"delong", "bootstrap"}
        ``"delong"``: normal CI ``auc +- z * se`` with the DeLong (1988)
        variance, clipped to [0, 1], as ``pROC::ci.auc(method = "delong")``.
        ``"bootstrap"``: percentile CI of ``n_boot`` stratified bootstrap
        replicates (cases and controls resampled separately), as
        ``pROC::ci.auc(method = "bootstrap")``.
    level : float
        Confidence level.
    direction : {"auto", "<", ">"}
        ``"<"``: controls < cases. ``"auto"`` picks as pROC does; in a study,
        pass the direction fixed on the training cohort.
    n_boot, random_state
        Bootstrap replicates and seed (``method="bootstrap"`` only).

    Returns
    -------
    AUCResult
        An :class:`~radnb.evaluate.Estimate` (``estimate`` = ``auc``,
        ``lower``, ``upper``, ``se``, ``level``, ``method``) that unpacks as
        ``(auc, lower, upper)``.

    Examples
    --------
    >>> auc, lo, hi = auc_ci([0, 0, 1, 0, 1, 1], [0.1, 0.3, 0.35, 0.4, 0.8, 0.9])
    >>> round(auc, 4)
    0.8889
    """
    yy, s, d = _prepare(y, score, direction)
    z = z_quantile(level)
    s = _oriented(s, d)
    if method == "delong":
        aucs, cov = _delong(yy, s[None, :])
        auc = float(aucs[0])
        se = float(np.sqrt(max(cov[0, 0], 0.0)))
        lo, hi = max(0.0, auc - z * se), min(1.0, auc + z * se)
        return AUCResult(auc, lo, hi, se=se, level=level, method="DeLong")
    if method == "bootstrap":
        if n_boot < 1:
            raise InvalidParameterError(f"n_boot must be >= 1, got {n_boot}")
        rng = np.random.default_rng(random_state)
        pos = s[yy == 1]
        neg = s[yy == 0]
        m, n = pos.size, neg.size
        lab = np.r_[np.ones(m, int), np.zeros(n, int)]
        reps = np.empty(n_boot)
        for b in range(n_boot):
            sb = np.concatenate([pos[rng.integers(0, m, m)], neg[rng.integers(0, n, n)]])
            reps[b] = _auc_only(lab, sb)
        alpha = (1 - level) / 2
        lo, hi = np.quantile(reps, [alpha, 1 - alpha])
        se = float(np.std(reps, ddof=1)) if n_boot > 1 else float("nan")
        method = f"stratified bootstrap ({n_boot} replicates, percentile CI)"
        return AUCResult(_auc_only(yy, s), float(lo), float(hi), se=se, level=level, method=method)
    raise InvalidParameterError(f"method must be 'delong' or 'bootstrap', got {method!r}")


def _pair_directions(direction) -> tuple[str, str]:
    if isinstance(direction, str):
        return _check_direction(direction), _check_direction(direction)
    d1, d2 = direction
    return _check_direction(d1), _check_direction(d2)


def delong_test(
    y,
    score1,
    score2,
    *,
    paired: bool = True,
    direction: str | tuple[str, str] = "auto",
    y2=None,
    level: float = 0.95,
) -> TestResult:
    """DeLong test comparing two AUCs (paired or unpaired).

    Paired (both scores on the same patients): ``z = (auc1 - auc2) /
    sqrt(var1 + var2 - 2 cov)`` with the DeLong covariance, as
    ``pROC::roc.test(method = "delong", paired = TRUE)``. Unpaired (different
    patients, or ``paired=False``): ``D = (auc1 - auc2) / sqrt(var1 + var2)``
    referred to a t distribution with Welch-Satterthwaite degrees of freedom,
    exactly as pROC's unpaired DeLong test (its statistic "D"). Two-sided p;
    the CI of ``auc1 - auc2`` uses the same normal (paired) or t (unpaired)
    quantile.

    Parameters
    ----------
    y : array of 0/1
        Outcome for ``score1`` (and ``score2`` when paired).
    score1, score2 : arrays of float
        pandas Series (and a Series ``y``) are paired by index label
        (patient), not by position; their indexes must hold the same labels.
        Arrays and lists are paired by position.
    paired : bool
    direction : "auto", "<", ">" or a pair of them
        One direction per score; ``"auto"`` is resolved for each score as
        pROC's ``roc()`` does.
    y2 : array of 0/1, optional
        Outcome for ``score2`` in an unpaired comparison of two cohorts.
    level : float
        Level of the CI of the difference.

    Returns
    -------
    TestResult
        ``statistic`` (pROC's Z, or D when unpaired; also ``res["z"]``), ``p``,
        ``df`` (inf when paired), ``method`` and in ``details`` ``auc1, auc2,
        diff, se, ci=(lower, upper), level``. Keys read as before
        (``res["p"]``, ``res["ci"]``); also attributes (``res.diff``).
        Identical ROC curves in a paired test give ``z = 0, p = 1`` (as pROC).

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1, 0, 1]
    >>> r = delong_test(y, [1, 2, 3, 4, 5, 6, 2.5, 3.5], [2, 1, 4, 3, 6, 5, 1, 2])
    >>> sorted(r)
    ['auc1', 'auc2', 'ci', 'df', 'diff', 'method', 'p', 'se', 'z']
    """
    d1, d2 = _pair_directions(direction)
    z = z_quantile(level)
    if paired:
        if y2 is not None:
            raise InvalidParameterError("y2 is only for unpaired tests; pass paired=False")
        y, score1, score2 = align({"y": y, "score1": score1, "score2": score2})
        yy = as_binary(y)
        need_both_classes(yy, what="delong_test")
        s1 = as_score(score1, yy.size, name="score1")
        s2 = as_score(score2, yy.size, name="score2")
        d1, d2 = _resolve(yy, s1, d1), _resolve(yy, s2, d2)
        aucs, cov = _delong(yy, np.vstack([_oriented(s1, d1), _oriented(s2, d2)]))
        var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
        method = "DeLong paired"
    else:
        if y2 is None:
            y, score1, score2 = align({"y": y, "score1": score1, "score2": score2})
        else:
            y, score1 = align({"y": y, "score1": score1})
            y2, score2 = align({"y2": y2, "score2": score2})
        yy = as_binary(y)
        yb = yy if y2 is None else as_binary(y2, name="y2")
        need_both_classes(yy, what="delong_test")
        need_both_classes(yb, what="delong_test")
        s1 = as_score(score1, yy.size, name="score1")
        s2 = as_score(score2, yb.size, name="score2")
        d1, d2 = _resolve(yy, s1, d1), _resolve(yb, s2, d2)
        a1, c1 = _delong(yy, _oriented(s1, d1)[None, :])
        a2, c2 = _delong(yb, _oriented(s2, d2)[None, :])
        aucs = np.array([a1[0], a2[0]])
        var = c1[0, 0] + c2[0, 0]
        # pROC's unpaired DeLong: statistic D on a t distribution with
        # Welch-Satterthwaite degrees of freedom
        df = var**2 / (c1[0, 0] ** 2 / (yy.size - 1) + c2[0, 0] ** 2 / (yb.size - 1))
        method = "DeLong unpaired"
    diff = float(aucs[0] - aucs[1])
    se = float(np.sqrt(max(var, 0.0)))
    if se == 0.0:
        zval = 0.0 if diff == 0.0 else float(np.sign(diff) * np.inf)
    else:
        zval = diff / se
    if paired:
        p = two_sided_p(zval) if zval != 0.0 else 1.0
        crit = z
        df = float("inf")
    else:
        from scipy.stats import t as t_dist

        p = float(2 * t_dist.sf(abs(zval), df)) if se > 0 else (1.0 if diff == 0 else 0.0)
        crit = float(t_dist.ppf(0.5 + level / 2, df)) if se > 0 else 0.0
    details = {
        "auc1": float(aucs[0]),
        "auc2": float(aucs[1]),
        "diff": diff,
        "se": se,
        "ci": (diff - crit * se, diff + crit * se),
        "level": level,
    }
    keys = ("z", "p", "auc1", "auc2", "diff", "se", "ci", "df", "method")
    return TestResult(float(zval), float(df), p, method, details, stat_name="z", keys_order=keys)


def pairwise_delong(
    y,
    scores,
    *,
    direction="auto",
    adjust: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Paired DeLong tests between every pair of scores on the same patients.

    Parameters
    ----------
    y : array of 0/1
    scores : mapping name -> score (or a DataFrame, one column per model)
    direction : "auto", "<", ">" or a mapping name -> direction
        Pass the directions fixed on the training cohort.
    adjust : {None, "holm", "bonferroni", "BH", ...}
        Multiplicity adjustment of the p-values (column ``p_adjusted``), as
        R ``p.adjust`` (statsmodels' ``multipletests``).
    level : float

    Returns
    -------
    DataFrame
        One row per pair: ``model1, model2, auc1, auc2, diff, lower, upper, z,
        p`` and ``p_adjusted`` (equal to ``p`` when ``adjust`` is None).

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1, 0, 1]
    >>> s = {"a": [1, 2, 3, 4, 5, 6, 2.5, 3.5], "b": [2, 1, 4, 3, 6, 5, 1, 2],
    ...      "c": [1, 1, 2, 2, 3, 3, 1, 2]}
    >>> pairwise_delong(y, s).shape
    (3, 10)
    """
    items = list(scores.items())
    names = [k for k, _ in items]
    if len(set(names)) != len(names) or len(names) < 2:
        raise InvalidParameterError("pairwise_delong needs at least two uniquely named scores")

    def dir_of(name):
        return direction.get(name, "auto") if isinstance(direction, dict) else direction

    rows = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            (n1, s1), (n2, s2) = items[i], items[j]
            r = delong_test(y, s1, s2, direction=(dir_of(n1), dir_of(n2)), level=level)
            rows.append(
                {
                    "model1": n1,
                    "model2": n2,
                    "auc1": r["auc1"],
                    "auc2": r["auc2"],
                    "diff": r["diff"],
                    "lower": r["ci"][0],
                    "upper": r["ci"][1],
                    "z": r["z"],
                    "p": r["p"],
                }
            )
    out = pd.DataFrame(rows)
    out["p_adjusted"] = p_adjust(out["p"].to_numpy(), adjust)
    return out


# ----------------------------------------------------------------------------- ROC curve


def roc_curve(y, score, *, direction: str = "auto") -> pd.DataFrame:
    """Empirical ROC curve with pROC's thresholds.

    Thresholds are ``-inf``, the midpoints between consecutive distinct
    observed scores, and ``+inf`` (``pROC::roc`` / ``coords``). With
    direction ``"<"`` a patient is positive when ``score > threshold``; with
    ``">"`` when ``score < threshold``. Rows go from sensitivity 1 to 0.

    Returns
    -------
    DataFrame
        Columns ``threshold, sensitivity, specificity, fpr, youden``
        (``fpr = 1 - specificity``, ``youden = sensitivity + specificity - 1``).

    Examples
    --------
    >>> roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).threshold.round(4).tolist()
    [-inf, 0.225, 0.375, 0.6, inf]
    """
    yy, s, d = _prepare(y, score, direction)
    o = _oriented(s, d)
    u, inv = np.unique(o, return_inverse=True)
    cases = np.bincount(inv, weights=yy, minlength=u.size)
    ctrls = np.bincount(inv, weights=1 - yy, minlength=u.size)
    m, n = cases.sum(), ctrls.sum()
    cum_case = np.r_[0.0, np.cumsum(cases)]
    cum_ctrl = np.r_[0.0, np.cumsum(ctrls)]
    thr = np.r_[-np.inf, (u[1:] + u[:-1]) / 2.0, np.inf]
    sens = 1.0 - cum_case / m
    spec = cum_ctrl / n
    if d == ">":
        thr = -thr
    return pd.DataFrame(
        {
            "threshold": thr,
            "sensitivity": sens,
            "specificity": spec,
            "fpr": 1.0 - spec,
            "youden": sens + spec - 1.0,
        }
    )


def youden_threshold(y, score, *, direction: str = "auto") -> float:
    """Cut-off maximising Youden's J = sensitivity + specificity - 1.

    As ``pROC::coords(roc, "best", best.method = "youden")``: candidate
    thresholds are the midpoints between observed scores (see
    :func:`roc_curve`). When several thresholds tie, the first in pROC's order
    (the lowest for direction ``"<"``) is returned. Fit it on the training
    cohort and pass it to :func:`threshold_metrics` for every other cohort.

    Returns
    -------
    float

    Examples
    --------
    >>> youden_threshold([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    0.35
    """
    roc = roc_curve(y, score, direction=direction)
    j = roc["youden"].to_numpy()
    best = int(np.flatnonzero(j >= j.max() - 1e-12)[0])
    return float(roc["threshold"].iloc[best])


def _clopper_pearson(x: int, n: int, level: float) -> tuple[float, float, float]:
    from scipy.stats import beta

    if n == 0:
        return float("nan"), float("nan"), float("nan")
    a = (1 - level) / 2
    lo = 0.0 if x == 0 else float(beta.ppf(a, x, n - x + 1))
    hi = 1.0 if x == n else float(beta.ppf(1 - a, x + 1, n - x))
    return x / n, lo, hi


def threshold_metrics_table(
    y, score, threshold: float, *, direction: str = "auto", level: float = 0.95
) -> pd.DataFrame:
    """Sensitivity, specificity, accuracy, PPV and NPV at a fixed cut-off, tidy.

    A patient is positive when ``score > threshold`` (direction ``"<"``) or
    ``score < threshold`` (``">"``), as pROC. Each metric is a proportion
    with an exact Clopper-Pearson CI (as ``epiR::epi.tests`` and
    ``caret::confusionMatrix``; pROC's ``ci.coords`` bootstraps instead).
    Pass the threshold and direction fixed on the training cohort.

    Returns
    -------
    DataFrame
        One row per metric (``sensitivity, specificity, accuracy, ppv,
        npv``), columns ``metric, estimate, lower, upper, n``; ``n`` is the
        denominator. A metric with an empty denominator is NaN. ``attrs``
        hold ``threshold``, ``direction`` (as resolved) and ``level``.

    Examples
    --------
    >>> tab = threshold_metrics_table([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9], 0.5, direction="<")
    >>> tab.set_index("metric").loc[["sensitivity", "specificity"], "estimate"].tolist()
    [1.0, 0.5]
    """
    y, score = align({"y": y, "score": score})
    yy = as_binary(y)
    s = as_score(score, yy.size)
    d = _resolve(yy, s, direction) if direction == "auto" else _check_direction(direction)
    if direction == "auto":
        need_both_classes(yy, what="threshold_metrics with direction='auto'")
    pred = s > threshold if d == "<" else s < threshold
    tp = int(np.sum(pred & (yy == 1)))
    fp = int(np.sum(pred & (yy == 0)))
    fn = int(np.sum(~pred & (yy == 1)))
    tn = int(np.sum(~pred & (yy == 0)))
    counts = {
        "sensitivity": (tp, tp + fn),
        "specificity": (tn, tn + fp),
        "accuracy": (tp + tn, yy.size),
        "ppv": (tp, tp + fp),
        "npv": (tn, tn + fn),
    }
    rows = []
    for name, (x, n) in counts.items():
        est, lo, hi = _clopper_pearson(x, n, level)
        rows.append({"metric": name, "estimate": est, "lower": lo, "upper": hi, "n": n})
    out = pd.DataFrame(rows, columns=["metric", "estimate", "lower", "upper", "n"])
    out.attrs.update(threshold=float(threshold), direction=d, level=level)
    return out


class ThresholdMetrics(pd.DataFrame):
    """The tidy table :func:`threshold_metrics` returns (columns ``metric, estimate,
    lower, upper, n``).

    For one release ``m["sensitivity"]["estimate"]`` (the former dict access by
    metric name) still works, with a DeprecationWarning naming
    ``m.set_index("metric").loc["sensitivity", "estimate"]``.
    """

    @property
    def _constructor(self):
        return pd.DataFrame  # derived tables are plain DataFrames (as CalibrationSummary)

    def __getitem__(self, key):
        if (
            isinstance(key, str)
            and key not in self.columns
            and "metric" in self.columns
            and key in set(self["metric"])
        ):
            from radnb.evaluate._deprecate import warn_renamed

            warn_renamed(
                f'threshold_metrics(...)["{key}"] (a dict)',
                f'threshold_metrics(...).set_index("metric").loc["{key}"] (a tidy DataFrame)',
            )
            r = self.loc[self["metric"] == key].iloc[0]
            return {"estimate": r["estimate"], "lower": r["lower"], "upper": r["upper"],
                    "n": int(r["n"])}  # fmt: skip
        return super().__getitem__(key)


def threshold_metrics(
    y, score, threshold: float, *, direction: str = "auto", level: float = 0.95
) -> ThresholdMetrics:
    """Sensitivity, specificity, accuracy, PPV and NPV at a fixed cut-off: a tidy table.

    The same table as :func:`threshold_metrics_table` (one row per metric,
    columns ``metric, estimate, lower, upper, n``; exact Clopper-Pearson CIs).
    Indexing it by a metric name, ``m["sensitivity"]``, is the former dict
    access: it still works for one release, with a DeprecationWarning.

    Returns
    -------
    ThresholdMetrics
        A DataFrame; ``attrs`` hold ``threshold``, ``direction`` and ``level``.

    Examples
    --------
    >>> m = threshold_metrics([0, 0, 1, 1], [0.1, 0.6, 0.7, 0.9], 0.5, direction="<")
    >>> m.set_index("metric").loc[["sensitivity", "specificity"], "estimate"].tolist()
    [1.0, 0.5]
    """
    tab = threshold_metrics_table(y, score, threshold, direction=direction, level=level)
    out = ThresholdMetrics(tab)
    out.attrs.update(tab.attrs)
    return out
