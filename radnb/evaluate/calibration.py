"""Calibration of predicted risks: curve, Hosmer-Lemeshow, Brier score,
calibration intercept and slope, Spiegelhalter's Z, and Harrell's bootstrap
optimism correction.

Conventions (each function names its source):

* Hosmer-Lemeshow as ``ResourceSelection::hoslem.test``: groups cut at the
  quantiles of the predicted risk (``g`` groups, R's type-7 quantiles,
  right-closed intervals, the lowest included), chi-square over both the event
  and non-event cells, ``df = g - 2``.
* Calibration slope: coefficient of ``logit(p)`` in ``logit P(y) = a + b
  logit(p)``; calibration-in-the-large (intercept): ``a`` with ``logit(p)`` as
  an offset (slope fixed at 1), as Steyerberg's *Clinical Prediction Models*
  and Van Calster et al. (2016, J Clin Epidemiol 74:167).
* Spiegelhalter's Z, the smoothed curve (``lowess(p, y, iter = 0)``) and the
  integrated calibration index follow ``rms::val.prob`` and Austin &
  Steyerberg (2019, Stat Med 38:4051).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError
from radnb.evaluate._common import (
    align,
    as_binary,
    as_prob,
    logistic_fit,
    logit,
    need_both_classes,
    two_sided_p,
    z_quantile,
)
from radnb.evaluate._result import Estimate, TestResult

__all__ = [
    "calibration_curve",
    "hosmer_lemeshow",
    "brier_score",
    "calibration_intercept_slope",
    "spiegelhalter_z",
    "calibration_summary",
    "optimism_corrected_calibration",
    "InterceptSlope",
    "CalibrationSummary",
    "OptimismResult",
]

_EPS = 1e-12


def _inputs(y, p, *, open_interval: bool = False) -> tuple[np.ndarray, np.ndarray]:
    y, p = align({"y": y, "p": p})
    yy = as_binary(y)
    pp = as_prob(p, yy.size, open_interval=open_interval)
    return yy, pp


def _lowess(y: np.ndarray, p: np.ndarray, *, frac: float = 2 / 3) -> tuple[np.ndarray, np.ndarray]:
    """R's ``lowess(p, y, iter = 0)`` (f = 2/3, delta = 1% of the range)."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    delta = 0.01 * float(np.ptp(p))
    fit = lowess(y, p, frac=frac, it=0, delta=delta, return_sorted=True)
    return fit[:, 0], np.clip(fit[:, 1], 0.0, 1.0)


def _quantile_groups(p: np.ndarray, g: int) -> np.ndarray:
    """Group index by quantile breaks, as ``cut(p, quantile(p, 0:g/g), include.lowest=TRUE)``."""
    breaks = np.unique(np.quantile(p, np.linspace(0, 1, g + 1)))
    if breaks.size < 2:
        return np.zeros(p.size, dtype=int)
    grp = np.searchsorted(breaks[1:-1], p, side="left")
    # tied risks can leave a quantile interval empty: number the non-empty groups 0..k-1
    return np.unique(grp, return_inverse=True)[1].reshape(-1)


def calibration_curve(
    y,
    p,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
    smoother: str | None = "loess",
    level: float = 0.95,
) -> pd.DataFrame:
    """Observed against predicted risk, by bins and (optionally) smoothed.

    Parameters
    ----------
    y : array of 0/1 or bool
    p : array of predicted risks in [0, 1]
    n_bins : int
        Number of bins.
    strategy : {"quantile", "uniform"}
        Quantile bins (equal counts, Hosmer-Lemeshow's grouping rule) or
        equal-width bins on [0, 1].
    smoother : {"loess", None}
        ``"loess"`` adds R's ``lowess(p, y, iter = 0)`` curve, as drawn by
        ``rms::val.prob``.
    level : float
        Level of the Clopper-Pearson CI of each bin's observed rate.

    Returns
    -------
    DataFrame
        Tidy table with columns ``kind`` (``"bin"`` or ``"smooth"``),
        ``bin`` (bin number, -1 for smooth rows), ``n``, ``predicted`` (mean
        predicted risk), ``observed`` (event rate or smoothed rate),
        ``lower``, ``upper`` (CI of the observed rate; NaN for smooth rows).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 200); y = rng.uniform(size=200) < p
    >>> cc = calibration_curve(y, p, n_bins=5, smoother=None)
    >>> cc.n.tolist()
    [40, 40, 40, 40, 40]
    """
    from radnb.evaluate.classification import _clopper_pearson

    yy, pp = _inputs(y, p)
    if n_bins < 1:
        raise InvalidParameterError(f"n_bins must be >= 1, got {n_bins}")
    if strategy == "quantile":
        grp = _quantile_groups(pp, n_bins)
    elif strategy == "uniform":
        grp = np.minimum((pp * n_bins).astype(int), n_bins - 1)
    else:
        raise InvalidParameterError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    rows = []
    for b in np.unique(grp):
        sel = grp == b
        k, n = int(yy[sel].sum()), int(sel.sum())
        obs, lo, hi = _clopper_pearson(k, n, level)
        rows.append(("bin", int(b), n, float(pp[sel].mean()), obs, lo, hi))
    out = pd.DataFrame(
        rows, columns=["kind", "bin", "n", "predicted", "observed", "lower", "upper"]
    )
    if smoother == "loess":
        xs, ys = _lowess(yy.astype(float), pp)
        sm = pd.DataFrame(
            {
                "kind": "smooth",
                "bin": -1,
                "n": 1,
                "predicted": xs,
                "observed": ys,
                "lower": np.nan,
                "upper": np.nan,
            }
        ).drop_duplicates(subset="predicted")
        out = pd.concat([out, sm], ignore_index=True)
    elif smoother is not None:
        raise InvalidParameterError(f"smoother must be 'loess' or None, got {smoother!r}")
    return out


def hosmer_lemeshow(y, p, *, g: int = 10) -> TestResult:
    """Hosmer-Lemeshow goodness-of-fit test.

    As ``ResourceSelection::hoslem.test(y, p, g = 10)``: patients are grouped
    by the quantiles of ``p`` (deciles for ``g = 10``); the statistic sums
    ``(O - E)^2 / E`` over the events and non-events of every group and is
    referred to chi-square with ``g - 2`` degrees of freedom. Tied quantiles
    (e.g. a score with few distinct values) merge groups and empty groups are
    dropped; then ``groups < g`` and ``df = groups - 2`` (R's ``cut`` would
    stop with an error). Cutting at the unique quantiles turns k distinct risks
    into at most k - 1 groups, so a model with 2 or 3 distinct risks has fewer
    than the 3 groups the test needs: that raises a :class:`RadnbError` saying
    so (``evaluation_table`` puts the reason in ``hl_note``). ``df = g - 2`` is the development-data reference
    distribution (risks fitted on the same patients); for risks fixed in
    advance (external validation) Hosmer & Lemeshow suggest ``g`` degrees of
    freedom, and ``g - 2`` is then anti-conservative.

    Returns
    -------
    TestResult
        ``statistic, df, p, method`` and in ``details`` ``groups`` and
        ``table`` (a DataFrame with the observed and expected events per
        group); keys read as before (``res["p"]``, ``res["table"]``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.05, 0.95, 500); y = rng.uniform(size=500) < p
    >>> hosmer_lemeshow(y, p)["df"]
    8
    """
    from scipy.stats import chi2

    yy, pp = _inputs(y, p)
    if g < 3:
        raise InvalidParameterError(f"g must be >= 3, got {g}")
    grp = _quantile_groups(pp, g)
    k = int(grp.max()) + 1
    n = np.bincount(grp, minlength=k).astype(float)
    obs1 = np.bincount(grp, weights=yy, minlength=k)
    exp1 = np.bincount(grp, weights=pp, minlength=k)
    obs0, exp0 = n - obs1, n - exp1
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(exp1 > 0, (obs1 - exp1) ** 2 / exp1, 0.0) + np.where(
            exp0 > 0, (obs0 - exp0) ** 2 / exp0, 0.0
        )
    stat = float(terms.sum())
    df = k - 2
    if df < 1:
        distinct = int(np.unique(pp).size)
        raise RadnbError(
            f"Hosmer-Lemeshow needs at least 3 risk groups (df = groups - 2); the "
            f"{distinct} distinct predicted risk(s) fall into only {k} quantile group(s) "
            f"(R hoslem.test cuts at the unique quantiles of p, so k distinct risks give "
            f"at most k - 1 groups); a model with so few risk levels cannot be tested this way"
        )
    table = pd.DataFrame(
        {
            "group": np.arange(k),
            "n": n.astype(int),
            "observed": obs1,
            "expected": exp1,
            "mean_predicted": exp1 / n,
        }
    )
    return TestResult(
        stat,
        df,
        float(chi2.sf(stat, df)),
        f"Hosmer-Lemeshow (g = {g}, ResourceSelection::hoslem.test)",
        {"groups": k, "table": table},
        keys_order=("statistic", "df", "p", "groups", "table"),
    )


def brier_score(y, p) -> float:
    """Mean squared difference between outcome and predicted risk.

    Examples
    --------
    >>> round(brier_score([0, 1], [0.2, 0.6]), 6)
    0.1
    """
    yy, pp = _inputs(y, p)
    return float(np.mean((pp - yy) ** 2))


def _warn_dict_access(func: str, key: str, new: str) -> None:
    """The DeprecationWarning of the former dict access ``func(...)[key]``."""
    from radnb.evaluate._deprecate import warn_renamed

    warn_renamed(f"{func}(...)[{key!r}] (dict access)", new, stacklevel=4)


@dataclass(frozen=True, repr=False)
class InterceptSlope:
    """Result of :func:`calibration_intercept_slope`: two :class:`~radnb.evaluate.Estimate`.

    Attributes
    ----------
    intercept : Estimate
        Calibration-in-the-large (``logit(p)`` as offset), Wald CI.
    slope : Estimate
        Calibration slope, Wald CI.
    intercept_joint : float
        The intercept of the slope model (``rms::val.prob``'s "Intercept").

    ``to_frame()`` gives the tidy table (``parameter, estimate, lower, upper,
    se, level, method``). For one release the old dict keys still work
    (``res["slope"]``, ``res["slope_lower"]``, ...) with a DeprecationWarning.
    """

    intercept: Estimate
    slope: Estimate
    intercept_joint: float

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per parameter (``intercept``, ``slope``)."""
        rows = [
            {"parameter": name, **e.to_frame().iloc[0].to_dict()}
            for name, e in (("intercept", self.intercept), ("slope", self.slope))
        ]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"InterceptSlope(intercept={self.intercept!r}, slope={self.slope!r})"

    def _repr_html_(self) -> str:
        return "<b>Calibration intercept and slope</b>" + self.to_frame().to_html(index=False)

    # ------------------------------------------------ deprecated dict access
    def _old(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name in ("intercept", "slope"):
            e = getattr(self, name)
            out.update({name: e.estimate, f"{name}_lower": e.lower, f"{name}_upper": e.upper})
        out["intercept_joint"] = self.intercept_joint
        return out

    def __getitem__(self, key: str) -> float:
        old = self._old()
        if key not in old:
            raise KeyError(key)
        name, _, part = key.partition("_")
        new = {"": "estimate", "lower": "lower", "upper": "upper"}.get(part)
        target = "res.intercept_joint" if key == "intercept_joint" else f"res.{name}.{new}"
        _warn_dict_access("calibration_intercept_slope", key, target)
        return old[key]

    def keys(self):
        """Deprecated: the old dict keys."""
        _warn_dict_access("calibration_intercept_slope", "...", "res.intercept / res.slope")
        return self._old().keys()

    def items(self):
        """Deprecated: the old dict items."""
        _warn_dict_access("calibration_intercept_slope", "...", "res.intercept / res.slope")
        return self._old().items()


def calibration_intercept_slope(y, p, *, level: float = 0.95) -> InterceptSlope:
    """Calibration intercept (calibration-in-the-large) and slope.

    Logistic recalibration: the slope ``b`` is the coefficient of
    ``logit(p)`` in ``logit P(y = 1) = a + b logit(p)`` (Cox 1958; the
    ``Slope`` of ``rms::val.prob``); the intercept is ``a`` in
    ``logit P(y = 1) = a + logit(p)`` (``logit(p)`` as offset), i.e.
    calibration-in-the-large (Van Calster et al. 2016). Ideal: intercept 0,
    slope 1. Wald CIs. Risks are clipped to [1e-12, 1 - 1e-12] before the logit.

    Returns
    -------
    InterceptSlope
        ``.intercept`` and ``.slope`` (:class:`~radnb.evaluate.Estimate`:
        estimate, lower, upper, se), ``.intercept_joint`` (the intercept of
        the slope model, which ``rms::val.prob`` labels "Intercept");
        ``.to_frame()`` the tidy table.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 2000); y = rng.uniform(size=2000) < p
    >>> r = calibration_intercept_slope(y, p)
    >>> bool(r.slope.lower < 1 < r.slope.upper)
    True
    >>> r.to_frame()["parameter"].tolist()
    ['intercept', 'slope']
    """
    yy, pp = _inputs(y, p)
    need_both_classes(yy, what="calibration_intercept_slope")
    lp = logit(np.clip(pp, _EPS, 1 - _EPS))
    z = z_quantile(level)
    ones = np.ones((yy.size, 1))
    (a,), cov_a = logistic_fit(ones, yy.astype(float), offset=lp)
    coef, cov = logistic_fit(np.c_[ones, lp], yy.astype(float))
    se_a = float(np.sqrt(cov_a[0, 0]))
    se_b = float(np.sqrt(cov[1, 1]))
    a, b = float(a), float(coef[1])
    return InterceptSlope(
        intercept=Estimate(
            a, a - z * se_a, a + z * se_a, se=se_a, level=level,
            method="calibration-in-the-large (logit(p) offset), Wald CI",
        ),
        slope=Estimate(
            b, b - z * se_b, b + z * se_b, se=se_b, level=level,
            method="logistic recalibration slope, Wald CI",
        ),
        intercept_joint=float(coef[0]),
    )  # fmt: skip


def spiegelhalter_z(y, p) -> TestResult:
    """Spiegelhalter's (1986) Z test of calibration, as ``rms::val.prob``.

    ``z = sum((y - p)(1 - 2p)) / sqrt(sum((1 - 2p)^2 p (1 - p)))``, two-sided p.
    Returns a :class:`~radnb.evaluate.TestResult` (``res["z"]``, ``res["p"]``
    as before).

    Examples
    --------
    >>> r = spiegelhalter_z([0, 1, 0, 1], [0.2, 0.7, 0.4, 0.9])
    >>> sorted(r)
    ['p', 'z']
    """
    yy, pp = _inputs(y, p)
    num = np.sum((yy - pp) * (1 - 2 * pp))
    den = np.sqrt(np.sum((1 - 2 * pp) ** 2 * pp * (1 - pp)))
    if den == 0:
        raise RadnbError("Spiegelhalter's Z is undefined when every risk is 0, 0.5 or 1")
    z = float(num / den)
    return TestResult(
        z,
        float("inf"),
        two_sided_p(z),
        "Spiegelhalter z (rms::val.prob)",
        stat_name="z",
        keys_order=("z", "p"),
    )


def _ici(y: np.ndarray, p: np.ndarray) -> dict:
    """Integrated calibration index and quantiles of |smoothed - predicted|."""
    xs, ys = _lowess(y.astype(float), p)
    fitted = np.interp(p, xs, ys)
    err = np.abs(fitted - p)
    return {
        "ici": float(err.mean()),
        "e50": float(np.median(err)),
        "e90": float(np.quantile(err, 0.9)),
        "emax": float(err.max()),
    }


#: Old dict key of calibration_summary -> (row, column) of the tidy table.
_SUMMARY_KEYS = {
    "n": ("n", "estimate"), "events": ("events", "estimate"), "brier": ("brier", "estimate"),
    "intercept": ("intercept", "estimate"), "intercept_lower": ("intercept", "lower"),
    "intercept_upper": ("intercept", "upper"), "slope": ("slope", "estimate"),
    "slope_lower": ("slope", "lower"), "slope_upper": ("slope", "upper"),
    "hl_statistic": ("hosmer_lemeshow", "estimate"), "hl_df": ("hosmer_lemeshow", "df"),
    "hl_p": ("hosmer_lemeshow", "p"), "spiegelhalter_z": ("spiegelhalter_z", "estimate"),
    "spiegelhalter_p": ("spiegelhalter_z", "p"), "ici": ("ici", "estimate"),
    "e50": ("e50", "estimate"), "e90": ("e90", "estimate"), "emax": ("emax", "estimate"),
}  # fmt: skip


class CalibrationSummary(pd.DataFrame):
    """The tidy table of :func:`calibration_summary` (a DataFrame).

    Index ``statistic``; columns ``estimate, lower, upper, se, df, p``. For one
    release the old dict keys (``s["brier"]``, ``s["slope_lower"]``,
    ``s["hl_p"]``, ...) still give the number, with a DeprecationWarning that
    names the ``.loc`` call to use.
    """

    @property
    def _constructor(self):
        return pd.DataFrame  # derived tables are plain DataFrames

    def __getitem__(self, key):
        if isinstance(key, str) and key not in self.columns and key in _SUMMARY_KEYS:
            row, col = _SUMMARY_KEYS[key]
            _warn_dict_access("calibration_summary", key, f"res.loc[{row!r}, {col!r}]")
            v = self.loc[row, col]
            return int(v) if key in ("n", "events", "hl_df") else float(v)
        return super().__getitem__(key)


def calibration_summary(y, p, *, g: int = 10) -> CalibrationSummary:
    """All calibration statistics of one set of predictions, as a tidy table.

    Returns
    -------
    DataFrame
        Index ``statistic``: ``n, events, brier, intercept, slope,
        hosmer_lemeshow, spiegelhalter_z, ici, e50, e90, emax`` (ICI family
        from the lowess curve, Austin & Steyerberg 2019); columns
        ``estimate, lower, upper, se`` (the CIs of intercept and slope),
        ``df`` and ``p`` (the two tests). NaN where a cell does not apply.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> p = rng.uniform(0.05, 0.95, 300); y = rng.uniform(size=300) < p
    >>> s = calibration_summary(y, p)
    >>> bool(0 < s.loc["brier", "estimate"] < 0.25)
    True
    >>> s.columns.tolist()
    ['estimate', 'lower', 'upper', 'se', 'df', 'p']
    """
    yy, pp = _inputs(y, p)
    nan = float("nan")
    rows: dict[str, dict] = {
        "n": {"estimate": float(yy.size)},
        "events": {"estimate": float(yy.sum())},
        "brier": {"estimate": brier_score(yy, pp)},
    }
    cis = calibration_intercept_slope(yy, pp)
    for name in ("intercept", "slope"):
        e = getattr(cis, name)
        rows[name] = {"estimate": e.estimate, "lower": e.lower, "upper": e.upper, "se": e.se}
    hl = hosmer_lemeshow(yy, pp, g=g)
    rows["hosmer_lemeshow"] = {"estimate": hl.statistic, "df": float(hl.df), "p": hl.p}
    sz = spiegelhalter_z(yy, pp)
    rows["spiegelhalter_z"] = {"estimate": sz.statistic, "p": sz.p}
    rows.update({k: {"estimate": v} for k, v in _ici(yy, pp).items()})
    cols = ["estimate", "lower", "upper", "se", "df", "p"]
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=cols).fillna(nan)
    out.index.name = "statistic"
    return CalibrationSummary(out.astype(float))


@dataclass(frozen=True)
class OptimismResult:
    """Result of :func:`optimism_corrected_calibration`.

    Attributes
    ----------
    metrics : DataFrame
        Index ``auc, brier, intercept, slope, ici``; columns ``apparent``,
        ``optimism``, ``corrected``.
    curve : DataFrame
        Columns ``predicted, apparent, optimism, corrected``: the lowess
        calibration curve on a grid of predicted risks and its bias-corrected
        version (as ``rms::calibrate``).
    n_boot : int
        Bootstrap fits that succeeded.
    """

    metrics: pd.DataFrame
    curve: pd.DataFrame
    n_boot: int

    def __repr__(self) -> str:
        return f"OptimismResult(n_boot={self.n_boot})\n{self.metrics.round(4).to_string()}"


def _metrics(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> tuple[dict, np.ndarray]:
    from radnb.evaluate.classification import _auc_only

    p = np.clip(p, _EPS, 1 - _EPS)
    cis = calibration_intercept_slope(y, p)
    xs, ys = _lowess(y.astype(float), p)
    curve = np.interp(grid, xs, ys)
    m = {
        "auc": _auc_only(y, p),
        "brier": float(np.mean((p - y) ** 2)),
        "intercept": cis.intercept.estimate,
        "slope": cis.slope.estimate,
        "ici": float(np.mean(np.abs(np.interp(p, xs, ys) - p))),
    }
    return m, curve


def optimism_corrected_calibration(
    estimator: object | Callable[[], object],
    X,
    y,
    *,
    n_boot: int = 200,
    random_state: int | None = 0,
    grid_size: int = 50,
) -> OptimismResult:
    """Bootstrap optimism-corrected performance and calibration curve.

    Harrell's bootstrap (Harrell, Lee & Mark 1996; ``rms::validate`` /
    ``rms::calibrate``): the model is fitted on ``X, y`` (apparent
    performance); for each of ``n_boot`` bootstrap samples it is refitted on
    the sample and evaluated both on the sample and on the original data; the
    mean difference is the optimism, subtracted from the apparent value.

    Parameters
    ----------
    estimator : scikit-learn classifier or zero-argument factory
        Something with ``fit`` / ``predict_proba`` (cloned for every fit), or a
        callable returning a fresh unfitted one. It is fitted on ``X, y``
        only (the training cohort).
    X : array or DataFrame, y : array of 0/1
    n_boot, random_state
    grid_size : int
        Points of the calibration-curve grid (between the 1st and 99th
        percentiles of the apparent predictions).

    Returns
    -------
    OptimismResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 3)); y = (X[:, 0] + rng.normal(size=120)) > 0
    >>> r = optimism_corrected_calibration(LogisticRegression(), X, y, n_boot=20)
    >>> bool(r.metrics.loc["auc", "corrected"] <= r.metrics.loc["auc", "apparent"])
    True
    """
    yy = as_binary(y)
    need_both_classes(yy, what="optimism_corrected_calibration")
    Xa = X if hasattr(X, "iloc") else np.asarray(X)
    if len(Xa) != yy.size:
        raise InvalidParameterError(f"X has {len(Xa)} rows but y has {yy.size}")

    if hasattr(estimator, "fit"):
        from sklearn.base import clone

        def make():
            return clone(estimator)
    elif callable(estimator):
        make = estimator
    else:
        raise InvalidParameterError(
            "estimator must be a scikit-learn classifier or a factory returning one"
        )

    def take(idx):
        return Xa.iloc[idx] if hasattr(Xa, "iloc") else Xa[idx]

    def fit_predict(idx_fit, idx_pred_list):
        model = make().fit(take(idx_fit), yy[idx_fit])
        return [model.predict_proba(take(i))[:, 1] for i in idx_pred_list]

    all_idx = np.arange(yy.size)
    (p_app,) = fit_predict(all_idx, [all_idx])
    grid = np.quantile(p_app, np.linspace(0.01, 0.99, grid_size))
    app, app_curve = _metrics(yy, p_app, grid)

    rng = np.random.default_rng(random_state)
    opt = {k: [] for k in app}
    opt_curve = []
    for _ in range(n_boot):
        idx = rng.integers(0, yy.size, yy.size)
        if yy[idx].min() == yy[idx].max():
            continue
        try:
            p_boot, p_orig = fit_predict(idx, [idx, all_idx])
            mb, cb = _metrics(yy[idx], p_boot, grid)
            mo, co = _metrics(yy, p_orig, grid)
        except (RadnbError, ValueError, np.linalg.LinAlgError):
            continue
        for k in opt:
            opt[k].append(mb[k] - mo[k])
        opt_curve.append(cb - co)
    n_ok = len(opt_curve)
    if n_ok == 0:
        raise RadnbError("every bootstrap fit failed; check the estimator and the data")
    optimism = {k: float(np.mean(v)) for k, v in opt.items()}
    metrics = pd.DataFrame(
        {
            "apparent": pd.Series(app),
            "optimism": pd.Series(optimism),
        }
    )
    metrics["corrected"] = metrics["apparent"] - metrics["optimism"]
    oc = np.mean(opt_curve, axis=0)
    curve = pd.DataFrame(
        {
            "predicted": grid,
            "apparent": app_curve,
            "optimism": oc,
            "corrected": np.clip(app_curve - oc, 0, 1),
        }
    )
    return OptimismResult(metrics=metrics, curve=curve, n_boot=n_ok)
