"""Maximally selected log-rank statistics and risk-group cut-offs.

Follows R's ``maxstat`` package (Hothorn & Lausen 2003):
``maxstat.test(Surv(time, event) ~ x, smethod = "LogRank", pmethod = "Lau92",
minprop = 0.1, maxprop = 0.9)``. Log-rank scores are those of
``exactRankTests::cscores.Surv``; the statistic at each candidate cut-point is the
standardized linear rank statistic with its conditional (permutation)
expectation and variance; p-values use the Lausen & Schumacher (1992)
approximation ("Lau92") or the improved Bonferroni inequality of Lausen,
Sauerbrei & Schumacher (1994) ("Lau94").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, NotFittedError, RadnbError
from radnb.evaluate._km import check_surv
from radnb.evaluate._result import TestResult

__all__ = ["Cutoff", "MaxstatResult", "cutoff", "maxstat_test"]


def logrank_scores(time, event) -> np.ndarray:
    """Log-rank scores as ``exactRankTests::cscores.Surv``.

    a_i = delta_i - sum_{j: t_j <= t_i} delta_j / (N - r_j + 1), where r_j is the
    number of observations with time <= t_j.
    """
    t, e = check_surv(time, event)
    n = t.size
    order = np.argsort(t, kind="mergesort")
    ts = t[order]
    rank_max = np.searchsorted(ts, t, side="right")  # no. of obs <= t_i (irank)
    fact = e / (n - rank_max + 1.0)
    csum = np.cumsum(fact[order])
    return e - csum[rank_max - 1]


def p_lausen92(b: float, minprop: float = 0.1, maxprop: float = 0.9) -> float:
    """Lausen & Schumacher (1992) approximation, as ``maxstat::pLausen92``."""
    from scipy.stats import norm

    db = norm.pdf(b)
    p = 4 * db / b + db * (b - 1 / b) * np.log(
        (maxprop * (1 - minprop)) / ((1 - maxprop) * minprop)
    )
    return float(min(max(p, 0.0), 1.0))


def p_lausen94(b: float, n: int, m: np.ndarray) -> float:
    """Improved Bonferroni bound of Lausen et al. (1994), as ``maxstat::pLausen94``."""
    from scipy.stats import norm

    m = np.asarray(m, dtype=float)
    if m.size < 2:
        return float(min(2 * norm.sf(b), 1.0))
    m1, m2 = m[:-1], m[1:]
    t = np.sqrt(1 - m1 * (n - m2) / ((n - m1) * m2))
    d = np.sum(1 / np.pi * np.exp(-(b**2) / 2) * (t - (b**2 / 4 - 1) * t**3 / 6))
    return float(min(max(1 - (norm.cdf(b) - norm.cdf(-b)) + d, 0.0), 1.0))


class MaxstatResult(TestResult):
    """Result of :func:`maxstat_test` (maximally selected log-rank statistic).

    A :class:`~radnb.evaluate.TestResult` (``df`` is NaN: the statistic has
    no chi-square reference) with attributes

    statistic : the maximum standardized log-rank statistic M.
    p : p-value by ``pmethod``.
    cutpoint : the estimated cut-point (lower group is ``x <= cutpoint``).
    pmethod : "Lau92" or "Lau94"; minprop, maxprop, n.
    table : DataFrame with columns cut, n_low, statistic for every candidate.
    """

    __slots__ = ()
    _KEYS = ("statistic", "p", "cutpoint", "pmethod", "minprop", "maxprop", "n", "table")

    def __init__(self, statistic, p, cutpoint, pmethod, minprop, maxprop, n, table) -> None:
        details = {
            "cutpoint": cutpoint,
            "pmethod": pmethod,
            "minprop": minprop,
            "maxprop": maxprop,
            "n": n,
            "table": table,
        }
        method = f"maximally selected log-rank statistic (R maxstat, pmethod={pmethod})"
        super().__init__(statistic, float("nan"), p, method, details, keys_order=self._KEYS)

    def __reduce__(self):
        return (MaxstatResult, tuple(self[k] for k in self._KEYS))

    def __repr__(self) -> str:
        return (
            f"MaxstatResult(M={self.statistic:.4f}, p={self.p:.4g} ({self.pmethod}), "
            f"cutpoint={self.cutpoint:.6g}, n={self.n}, minprop={self.minprop})"
        )


def maxstat_test(
    x, time, event, *, pmethod: str = "Lau92", minprop: float = 0.1, maxprop: float = 0.9
) -> MaxstatResult:
    """Maximally selected log-rank statistic (R ``maxstat.test``, smethod="LogRank")."""
    x = np.asarray(x, dtype=float).reshape(-1)
    t, e = check_surv(time, event)
    if x.size != t.size:
        raise InvalidParameterError(f"score has {x.size} values but time has {t.size}")
    if not np.isfinite(x).all():
        raise InvalidParameterError(
            "score contains missing/non-finite values; drop those rows first"
        )
    if pmethod not in ("Lau92", "Lau94"):
        raise InvalidParameterError(f"pmethod must be 'Lau92' or 'Lau94', got {pmethod!r}")
    if not 0 <= minprop < maxprop <= 1:
        raise InvalidParameterError(f"need 0 <= minprop < maxprop <= 1; got {minprop}, {maxprop}")
    n = x.size
    y = logrank_scores(t, e)
    order = np.argsort(x, kind="mergesort")
    xs, ys = x[order], y[order]
    first = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    m = first.copy()  # number of observations strictly below each distinct value
    if minprop == 0 and maxprop == 1:
        m = m[1:]
    else:
        m = m[(m >= np.floor(n * minprop)) & (m <= np.floor(n * maxprop))]
    m = m[m > 0]
    if m.size < 1:
        raise RadnbError(
            f"no candidate cut-point leaves between {minprop:.0%} and {maxprop:.0%} of "
            "patients in each group; lower minprop or check the score has distinct values"
        )
    ss = ys.sum()
    expect = m / n * ss
    var = m * (n - m) / (n**2 * (n - 1)) * (n * np.sum(ys**2) - ss**2)
    if not (var > 0).all():
        raise RadnbError("log-rank scores have zero variance (no events?)")
    stats = np.abs((np.cumsum(ys)[m - 1] - expect) / np.sqrt(var))
    best = int(np.argmax(stats))
    stat = float(stats[best])
    cut = float(xs[m[best] - 1])
    if pmethod == "Lau92":
        p = p_lausen92(stat, minprop, maxprop)
    else:
        p = p_lausen94(stat, n, m)
    table = pd.DataFrame({"cut": xs[m - 1], "n_low": m, "statistic": stats})
    return MaxstatResult(stat, p, cut, pmethod, minprop, maxprop, n, table)


# ----------------------------------------------------------------------------
# cut-offs fitted on training, applied unchanged elsewhere
# ----------------------------------------------------------------------------
_METHODS = ("median", "tertiles", "quantiles", "maxstat")


def _default_labels(k: int) -> list[str]:
    if k == 2:
        return ["low", "high"]
    if k == 3:
        return ["low", "moderate", "high"]
    return [f"Q{i + 1}" for i in range(k)]


class Cutoff:
    """Risk-group cut-off(s) of a score, fitted on training data only.

    Fit it on the training cohort's score (and, for ``method="maxstat"``, its
    survival times), then call :meth:`assign` on any cohort: the cut values never
    change after ``fit`` (no leakage from validation cohorts).

    Parameters
    ----------
    method : "median", "tertiles", "quantiles", "maxstat" or a number
        (a fixed cut value). Quantiles use numpy's default (R ``quantile`` type 7).
    quantiles : probabilities for ``method="quantiles"``, e.g. ``[0.605, 0.803]``.
    minprop, maxprop : smallest / largest share of patients in the lower group
        for ``"maxstat"`` (R ``maxstat`` defaults 0.1 / 0.9).
    pmethod : "Lau92" (default) or "Lau94" p-value for ``"maxstat"``.
    labels : group labels, lowest score first (default "low"/"high" or
        "low"/"moderate"/"high").

    Attributes
    ----------
    cutoffs_ : ndarray of cut values; a patient is in group k if
        ``cutoffs_[k-1] < score <= cutoffs_[k]`` (``score <= cut`` is the lower
        group, as R ``maxstat``).
    labels_ : list of group labels.
    maxstat_ : :class:`MaxstatResult` (``method="maxstat"`` only, else None).
    """

    def __init__(
        self,
        method="median",
        *,
        quantiles=None,
        minprop: float = 0.1,
        maxprop: float = 0.9,
        pmethod: str = "Lau92",
        labels=None,
    ) -> None:
        self.method = method
        self.quantiles = quantiles
        self.minprop = minprop
        self.maxprop = maxprop
        self.pmethod = pmethod
        self.labels = labels

    def fit(self, score, time=None, event=None) -> Cutoff:
        """Learn the cut value(s) from the training ``score`` (and survival)."""
        x = np.asarray(score, dtype=float).reshape(-1)
        if x.size == 0 or not np.isfinite(x).all():
            raise InvalidParameterError(
                "score must be non-empty and finite; drop missing values first"
            )
        method = self.method
        self.maxstat_ = None
        if isinstance(method, (int, float, np.number)) and not isinstance(method, bool):
            cuts = np.array([float(method)])
        elif isinstance(method, (list, tuple, np.ndarray)):
            cuts = np.sort(np.asarray(method, dtype=float))
        elif method == "median":
            cuts = np.array([np.median(x)])
        elif method == "tertiles":
            cuts = np.quantile(x, [1 / 3, 2 / 3])
        elif method == "quantiles":
            if self.quantiles is None:
                raise InvalidParameterError(
                    "method='quantiles' needs quantiles=[...], e.g. [0.25, 0.5, 0.75]"
                )
            q = np.sort(np.asarray(self.quantiles, dtype=float))
            if ((q <= 0) | (q >= 1)).any():
                raise InvalidParameterError(f"quantiles must lie in (0, 1); got {q}")
            cuts = np.quantile(x, q)
        elif method == "maxstat":
            if time is None or event is None:
                raise InvalidParameterError("method='maxstat' needs the training time and event")
            res = maxstat_test(
                x, time, event, pmethod=self.pmethod, minprop=self.minprop, maxprop=self.maxprop
            )
            self.maxstat_ = res
            cuts = np.array([res.cutpoint])
        else:
            raise InvalidParameterError(
                f"method must be one of {_METHODS} or a number; got {method!r}"
            )
        if np.unique(cuts).size != cuts.size:
            raise RadnbError(f"cut values are not distinct ({cuts}); the score has too many ties")
        k = cuts.size + 1
        labels = list(self.labels) if self.labels is not None else _default_labels(k)
        if len(labels) != k:
            raise InvalidParameterError(
                f"{cuts.size} cut value(s) make {k} groups but {len(labels)} labels given"
            )
        self.cutoffs_ = cuts
        self.labels_ = labels
        self.n_train_ = int(x.size)
        return self

    def _check(self) -> None:
        if not hasattr(self, "cutoffs_"):
            raise NotFittedError(
                "this Cutoff is not fitted yet; call fit(score, ...) on training data"
            )

    @property
    def cutoff(self) -> float:
        """The single cut value (two groups); see :attr:`cutoffs` for more."""
        self._check()
        if self.cutoffs_.size != 1:
            raise InvalidParameterError(f"{self.cutoffs_.size} cut values; use .cutoffs")
        return float(self.cutoffs_[0])

    @property
    def cutoffs(self) -> np.ndarray:
        """All cut values, ascending."""
        self._check()
        return self.cutoffs_.copy()

    def assign(self, score) -> pd.Categorical:
        """Group labels for ``score`` using the fitted cut values (``score <= cut`` is lower)."""
        self._check()
        x = np.asarray(score, dtype=float).reshape(-1)
        codes = np.searchsorted(self.cutoffs_, x, side="left")
        codes = np.where(np.isnan(x), -1, codes)
        return pd.Categorical.from_codes(codes, categories=self.labels_, ordered=True)

    transform = assign

    def get_params(self, deep: bool = True) -> dict:
        return {
            "method": self.method,
            "quantiles": self.quantiles,
            "minprop": self.minprop,
            "maxprop": self.maxprop,
            "pmethod": self.pmethod,
            "labels": self.labels,
        }

    def __repr__(self) -> str:
        if hasattr(self, "cutoffs_"):
            cuts = ", ".join(f"{c:.4g}" for c in self.cutoffs_)
            return f"Cutoff(method={self.method!r}, cutoffs=[{cuts}], labels={self.labels_})"
        return f"Cutoff(method={self.method!r}, not fitted)"


def cutoff(
    score,
    time=None,
    event=None,
    *,
    method="median",
    quantiles=None,
    minprop: float = 0.1,
    maxprop: float = 0.9,
    pmethod: str = "Lau92",
    labels=None,
    train=None,
) -> Cutoff:
    """Fit risk-group cut-off(s) on the training score; apply with ``.assign``.

    ``train`` draws the leakage line for the caller: a boolean mask (array of
    the score's length, or a Series aligned on the score's index) or the IDs of
    the training patients; the cut-off is then fitted on those rows only, so
    the whole cohort's score can be passed and ``.assign``-ed afterwards.

    ``method`` is "median", "tertiles", "quantiles" (with ``quantiles=``),
    "maxstat" (maximally selected log-rank statistic, R ``maxstat.test(...,
    smethod="LogRank", pmethod="Lau92", minprop=0.1, maxprop=0.9)``, as
    survminer ``surv_cutpoint``) or a number (a fixed cut). Patients with
    ``score <= cut`` are in the lower group. See :class:`Cutoff`.

    Examples
    --------
    >>> cut = cutoff([1.0, 2.0, 3.0, 4.0], method="median")
    >>> cut.cutoff
    2.5
    >>> list(cut.assign([0.5, 2.5, 9.0]))
    ['low', 'low', 'high']
    >>> cutoff([1.0, 2.0, 3.0, 40.0], method="median", train=[True, True, True, False]).cutoff
    2.0
    """
    if train is not None:
        score, time, event = _training_rows(score, time, event, train)
    return Cutoff(
        method,
        quantiles=quantiles,
        minprop=minprop,
        maxprop=maxprop,
        pmethod=pmethod,
        labels=labels,
    ).fit(score, time, event)


def _training_rows(score, time, event, train):
    """``score``, ``time``, ``event`` restricted to the training rows ``train``."""
    from radnb.errors import InvalidParameterError

    is_series = isinstance(score, pd.Series)
    if isinstance(train, pd.Series) and train.dtype == bool:
        if not is_series:
            raise InvalidParameterError("train= as a boolean Series needs score as a Series")
        keep = train.reindex(score.index)
        if keep.isna().any():
            missing = list(score.index[keep.isna()][:5])
            raise InvalidParameterError(f"train= has no value for patients {missing}")
        pos = np.flatnonzero(keep.to_numpy(bool))
    else:
        arr = np.asarray(train)
        if arr.dtype == bool:
            if arr.shape != (len(score),):
                raise InvalidParameterError(
                    f"train= mask has {arr.size} values for {len(score)} scores"
                )
            pos = np.flatnonzero(arr)
        else:
            if not is_series:
                raise InvalidParameterError("train= as patient IDs needs score as a Series")
            where = pd.Index(score.index).get_indexer(list(arr))
            if (where < 0).any():
                missing = [t for t, w in zip(arr, where) if w < 0][:5]
                raise InvalidParameterError(f"train= names patients without a score: {missing}")
            pos = np.sort(where)
    if pos.size == 0:
        raise InvalidParameterError("train= selects no patient")

    def take(v):
        if v is None:
            return None
        return v.iloc[pos] if isinstance(v, pd.Series) else np.asarray(v)[pos]

    return take(score), take(time), take(event)
