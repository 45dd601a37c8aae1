"""Feature selection as scikit-learn transformers that keep column names.

Every selector is fitted on the rows passed to ``fit`` (in a study: the
training cohort only) and records what it kept and why in ``report_``, a
DataFrame with columns ``feature``, ``kept`` (bool), ``reason`` (str) and
``statistic`` (float, the number the decision was based on). A DataFrame in
gives a DataFrame out (same index, kept columns); arrays give arrays.

:func:`make_selector` chains named steps (``"variance"``, ``"missing"``,
``"icc"``, ``"corr"``, ``"univariate"``, ``"mrmr"``, ``"lasso"``, ``"pca"``)
into a :class:`~sklearn.pipeline.Pipeline`, with median imputation and
standardisation fitted inside it.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
>>> X["e"] = 1.0
>>> VarianceFilter().fit(X).get_feature_names_out().tolist()
['a', 'b', 'c', 'd']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "VarianceFilter",
    "MissingFilter",
    "ICCFilter",
    "CorrelationFilter",
    "UnivariateFilter",
    "MRMR",
    "LassoSelector",
    "PCAReducer",
    "make_selector",
    "selection_report",
    "STEPS",
]


def _names(est: BaseEstimator) -> np.ndarray:
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        names = np.asarray([f"x{i}" for i in range(est.n_features_in_)], dtype=object)
    return np.asarray(names, dtype=object)


def _report(names, kept, reason, statistic) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "feature": list(names),
            "kept": np.asarray(kept, dtype=bool),
            "reason": list(reason),
            "statistic": np.asarray(statistic, dtype=float),
        }
    )


class _Selector(SelectorMixin, BaseEstimator):
    """Base: DataFrame in gives DataFrame out; ``support_`` and ``report_``."""

    _allow_nan = False
    _needs_y = False  # supervised selectors: fitted on the training outcome

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        tags.target_tags.required = self._needs_y
        return tags

    def _validate(self, X, y=None):
        fin = "allow-nan" if self._allow_nan else True
        if y is None and not self._needs_y:
            Xa = validate_data(self, X, dtype=np.float64, ensure_all_finite=fin)
            return Xa, None
        Xa, ya = validate_data(self, X, y, dtype=np.float64, ensure_all_finite=fin, y_numeric=False)
        return Xa, ya

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def transform(self, X):
        """Keep the selected columns (a DataFrame stays a DataFrame)."""
        check_is_fitted(self, "support_")
        out = super().transform(X)
        if isinstance(X, pd.DataFrame) and not isinstance(out, pd.DataFrame):
            out = pd.DataFrame(out, index=X.index, columns=self.get_feature_names_out())
        return out


class VarianceFilter(_Selector):
    """Drop features whose variance is not above ``threshold``.

    Fitted on the rows given to ``fit`` (the training cohort). Variance is
    the population variance (``ddof=0``), as scikit-learn's
    ``VarianceThreshold``; a constant column (peak-to-peak range 0) is
    dropped even when rounding leaves its computed variance at ~1e-34, as
    scikit-learn's peak-to-peak guard does.

    Parameters
    ----------
    threshold : float
        Keep features with variance strictly greater than this.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [5.0, 5, 5]})
    >>> VarianceFilter().fit(X).report_[["feature", "kept"]].values.tolist()
    [['a', True], ['b', False]]
    """

    def __init__(self, threshold: float = 0.0):
        self.threshold = threshold

    def fit(self, X, y=None):
        Xa, _ = self._validate(X)
        var = np.var(Xa, axis=0)
        ptp = np.ptp(Xa, axis=0) if Xa.shape[0] else np.zeros(Xa.shape[1])
        var = np.where(ptp == 0, 0.0, var)  # 0.1 repeated is constant, not 1e-34
        keep = var > self.threshold
        names = _names(self)
        reason = ["variance > threshold" if k else f"variance <= {self.threshold:g}" for k in keep]
        self.variances_ = var
        self.support_ = keep
        self.report_ = _report(names, keep, reason, var)
        return self


class MissingFilter(_Selector):
    """Drop features with more than ``max_missing`` (a fraction) missing values.

    Fitted on the training rows; later steps should impute what remains
    (:func:`make_selector` adds a median imputer fitted on training).

    Parameters
    ----------
    max_missing : float
        Largest allowed fraction of missing values (0-1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, np.nan, 3, 4], "b": [np.nan, np.nan, 1, 2]})
    >>> MissingFilter(max_missing=0.3).fit(X).get_feature_names_out().tolist()
    ['a']
    """

    _allow_nan = True

    def __init__(self, max_missing: float = 0.2):
        self.max_missing = max_missing

    def fit(self, X, y=None):
        Xa, _ = self._validate(X)
        frac = np.isnan(Xa).mean(axis=0)
        keep = frac <= self.max_missing
        reason = [
            "missing fraction within limit" if k else f"missing fraction > {self.max_missing:g}"
            for k in keep
        ]
        self.missing_fraction_ = frac
        self.support_ = keep
        self.report_ = _report(_names(self), keep, reason, frac)
        return self


class ICCFilter(_Selector):
    """Keep features whose reproducibility ICC is at least ``threshold``.

    The ICC values are given (e.g. from a test-retest or two-reader study,
    see ``radnb.features.robustness``); nothing is learned from the data
    except the feature names.

    Parameters
    ----------
    icc_values : pandas.Series or dict
        ICC per feature name.
    threshold : float
        Keep features with ``ICC >= threshold`` (0.75: "good" reliability,
        Koo & Li 2016).
    missing : {"drop", "keep", "raise"}
        What to do with features that have no ICC value.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2]})
    >>> ICCFilter({"a": 0.9, "b": 0.5}).fit(X).get_feature_names_out().tolist()
    ['a']
    """

    def __init__(
        self,
        icc_values: Mapping | pd.Series | None = None,
        *,
        threshold: float = 0.75,
        missing: str = "drop",
    ):
        self.icc_values = icc_values
        self.threshold = threshold
        self.missing = missing

    def fit(self, X, y=None):
        if self.icc_values is None:
            raise ValueError("ICCFilter needs icc_values: a Series of ICC per feature name.")
        if self.missing not in ("drop", "keep", "raise"):
            raise ValueError(f"missing must be 'drop', 'keep' or 'raise', got {self.missing!r}")
        self._validate(X)
        icc = pd.Series(self.icc_values, dtype=float)
        names = _names(self)
        vals = icc.reindex(names).to_numpy(dtype=float)
        absent = np.isnan(vals)
        if absent.any() and self.missing == "raise":
            raise ValueError(
                f"no ICC value for {int(absent.sum())} feature(s), e.g. {names[absent][:3].tolist()}; "
                "pass missing='drop' or 'keep'."
            )
        keep = np.where(absent, self.missing == "keep", vals >= self.threshold)
        reason = [
            (
                "no ICC value"
                if a
                else (f"ICC >= {self.threshold:g}" if k else f"ICC < {self.threshold:g}")
            )
            for a, k in zip(absent, keep)
        ]
        self.icc_ = vals
        self.support_ = keep
        self.report_ = _report(names, keep, reason, vals)
        return self


def _rank(a: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(a, axis=0)


def _corr_matrix(Xa: np.ndarray, method: str) -> np.ndarray:
    if method == "spearman":
        Xa = _rank(Xa)
    elif method != "pearson":
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(Xa, rowvar=False)
    c = np.atleast_2d(c)
    return np.nan_to_num(c, nan=0.0)


class CorrelationFilter(_Selector):
    """Remove redundant features: of each pair with ``|r| > threshold`` keep the more relevant.

    Features are visited in decreasing relevance to ``y`` (absolute
    Spearman or Pearson correlation with the outcome; for a binary outcome
    Spearman's is a monotone function of the feature's AUC), and a feature
    is kept when its ``|r|`` with every already kept feature is at most
    ``threshold``. Without ``y`` the column order decides. Fitted on the
    training rows.

    Parameters
    ----------
    threshold : float
        Largest allowed absolute correlation between kept features.
    method : {"spearman", "pearson"}

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> a = y + rng.normal(scale=0.5, size=40)
    >>> X = pd.DataFrame({"noisy": a + rng.normal(scale=0.1, size=40), "a": a})
    >>> CorrelationFilter(threshold=0.9).fit(X, y).report_[["feature", "kept"]].shape
    (2, 2)
    """

    def __init__(self, threshold: float = 0.9, *, method: str = "spearman"):
        self.threshold = threshold
        self.method = method

    def fit(self, X, y=None):
        Xa, ya = self._validate(X, y)
        p = Xa.shape[1]
        corr = _corr_matrix(Xa, self.method)
        if ya is not None:
            yv = np.asarray(ya)
            if yv.dtype.kind not in "biuf":
                yv = np.unique(yv, return_inverse=True)[1]
            both = np.column_stack([Xa, yv.astype(float)])
            relevance = np.abs(_corr_matrix(both, self.method)[:p, p])
        else:
            relevance = np.zeros(p)
        order = np.argsort(-relevance, kind="stable")
        names = _names(self)
        keep = np.zeros(p, dtype=bool)
        stat = np.zeros(p)
        reason = [""] * p
        kept_idx: list[int] = []
        for j in order:
            if kept_idx:
                r = np.abs(corr[j, kept_idx])
                m = int(np.argmax(r))
                stat[j] = r[m]
                if r[m] > self.threshold:
                    reason[j] = f"|r| = {r[m]:.3f} with more relevant {names[kept_idx[m]]}"
                    continue
            keep[j] = True
            kept_idx.append(j)
            reason[j] = f"|r| <= {self.threshold:g} with every kept feature"
        self.correlation_ = pd.DataFrame(corr, index=names, columns=names)
        self.relevance_ = relevance
        self.support_ = keep
        self.report_ = _report(names, keep, reason, stat)
        self.report_["relevance"] = relevance
        return self


class UnivariateFilter(_Selector):
    """Keep features that differ between outcome groups (FDR-adjusted p < ``alpha``).

    Tests each feature on the training rows: Mann-Whitney U (two-sided;
    Kruskal-Wallis for more than two classes) or Welch's t-test (one-way
    ANOVA for more than two classes); p-values are adjusted with
    ``statsmodels.stats.multitest.multipletests(method=fdr)`` (``fdr=None``:
    no adjustment).

    Parameters
    ----------
    test : {"mannwhitney", "ttest"}
    alpha : float
    fdr : str or None
        Any ``multipletests`` method, ``"fdr_bh"`` (Benjamini-Hochberg) by default.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> X = pd.DataFrame({"signal": y * 2 + rng.normal(size=60), "noise": rng.normal(size=60)})
    >>> UnivariateFilter().fit(X, y).get_feature_names_out().tolist()
    ['signal']
    """

    _needs_y = True

    def __init__(
        self, test: str = "mannwhitney", *, alpha: float = 0.05, fdr: str | None = "fdr_bh"
    ):
        self.test = test
        self.alpha = alpha
        self.fdr = fdr

    def fit(self, X, y=None):
        from scipy import stats

        Xa, ya = self._validate(X, y)
        check_classification_targets(ya)
        classes = np.unique(ya)
        if classes.size < 2:
            raise ValueError(
                f"UnivariateFilter needs two or more outcome classes; y has {classes.size} class."
            )
        groups = [Xa[ya == c] for c in classes]
        p = np.ones(Xa.shape[1])
        for j in range(Xa.shape[1]):
            cols = [g[:, j] for g in groups]
            if np.ptp(Xa[:, j]) == 0:
                continue
            with np.errstate(all="ignore"):
                if self.test == "mannwhitney":
                    if len(cols) == 2:
                        res = stats.mannwhitneyu(*cols, alternative="two-sided")
                    else:
                        res = stats.kruskal(*cols)
                elif self.test == "ttest":
                    if len(cols) == 2:
                        res = stats.ttest_ind(*cols, equal_var=False)
                    else:
                        res = stats.f_oneway(*cols)
                else:
                    raise ValueError(f"test must be 'mannwhitney' or 'ttest', got {self.test!r}")
            p[j] = res.pvalue if np.isfinite(res.pvalue) else 1.0
        if self.fdr:
            from statsmodels.stats.multitest import multipletests

            p_adj = multipletests(p, method=self.fdr)[1]
        else:
            p_adj = p.copy()
        keep = p_adj < self.alpha
        label = "adjusted p" if self.fdr else "p"
        reason = [f"{label} < {self.alpha:g}" if k else f"{label} >= {self.alpha:g}" for k in keep]
        self.pvalues_ = p
        self.pvalues_adjusted_ = p_adj
        self.support_ = keep
        self.report_ = _report(_names(self), keep, reason, p_adj)
        self.report_["p"] = p
        return self


def _discretise(Xa: np.ndarray, n_bins: int) -> np.ndarray:
    codes = np.empty(Xa.shape, dtype=np.int64)
    qs = np.linspace(0, 1, n_bins + 1)[1:-1]
    for j in range(Xa.shape[1]):
        edges = np.unique(np.quantile(Xa[:, j], qs))
        codes[:, j] = np.searchsorted(edges, Xa[:, j], side="right")
    return codes


def _mi(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information (nats) of two non-negative integer code vectors."""
    ka, kb = a.max() + 1, b.max() + 1
    joint = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb) / a.size
    pa, pb = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])))


class MRMR(_Selector):
    """Minimum-redundancy maximum-relevance selection (Peng, Long & Ding 2005).

    Greedy forward selection of ``n_features``: the first is the feature
    with the largest mutual information with ``y``; each next one maximises
    relevance minus mean redundancy with those already chosen (``"MID"``)
    or their quotient (``"MIQ"``), as the ``mRMR`` reference program.
    Features are discretised into ``n_bins`` equal-frequency bins fitted on
    the training rows (mRMR needs discrete data; MI in nats).

    Parameters
    ----------
    n_features : int
        How many to keep (all if fewer are given).
    scheme : {"MID", "MIQ"}
    n_bins : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 30)
    >>> s = y + rng.normal(scale=0.5, size=60)
    >>> X = pd.DataFrame({"s": s, "copy": s + 0.01 * rng.normal(size=60),
    ...                   "other": y + rng.normal(scale=0.7, size=60)})
    >>> MRMR(n_features=2).fit(X, y).ranking_[1]  # the near-copy of the first is skipped
    'other'
    """

    _needs_y = True

    def __init__(self, n_features: int = 20, *, scheme: str = "MID", n_bins: int = 5):
        self.n_features = n_features
        self.scheme = scheme
        self.n_bins = n_bins

    def fit(self, X, y=None):
        Xa, ya = self._validate(X, y)
        check_classification_targets(ya)
        if self.scheme not in ("MID", "MIQ"):
            raise ValueError(f"scheme must be 'MID' or 'MIQ', got {self.scheme!r}")
        codes = _discretise(Xa, int(self.n_bins))
        yc = np.unique(ya, return_inverse=True)[1]
        p = Xa.shape[1]
        rel = np.array([_mi(codes[:, j], yc) for j in range(p)])
        k = min(int(self.n_features), p)
        red_sum = np.zeros(p)
        chosen: list[int] = []
        score = np.full(p, np.nan)
        remaining = np.ones(p, dtype=bool)
        for step in range(k):
            if step == 0:
                crit = rel.copy()
            else:
                red = red_sum / step
                crit = rel - red if self.scheme == "MID" else rel / np.maximum(red, 1e-12)
            crit[~remaining] = -np.inf
            j = int(np.argmax(crit))
            chosen.append(j)
            score[j] = crit[j]
            remaining[j] = False
            for i in np.flatnonzero(remaining):
                red_sum[i] += _mi(codes[:, i], codes[:, j])
        keep = np.zeros(p, dtype=bool)
        keep[chosen] = True
        rank = np.full(p, np.nan)
        rank[chosen] = np.arange(1, len(chosen) + 1)
        reason = [
            f"mRMR rank {int(rank[j])} of {k}" if keep[j] else f"not among the top {k}"
            for j in range(p)
        ]
        self.relevance_ = rel
        self.ranking_ = [str(_names(self)[j]) for j in chosen]
        self.support_ = keep
        self.report_ = _report(_names(self), keep, reason, score)
        self.report_["relevance"] = rel
        self.report_["rank"] = rank
        return self


class LassoSelector(_Selector):
    """L1-penalised logistic regression with cross-validated lambda (glmnet).

    Follows R's ``cv.glmnet(x, y, family = "binomial", alpha = 1)``:
    features are standardised internally (population SD, glmnet's
    ``standardize = TRUE``); the path has ``n_lambdas`` values log-spaced
    from ``lambda_max`` (the smallest lambda giving an empty model) down to
    ``lambda_max * min_ratio`` (glmnet's default 0.01 when n < p, else 1e-4)
    and, as glmnet's, stops early once the fraction of deviance explained
    grows by less than 1e-5 or passes 0.999 (so ``lambdas_`` can be shorter
    than ``n_lambdas``); every fold is fitted on that same path; CV error is
    the binomial deviance (probabilities clipped to [1e-5, 1 - 1e-5]) or the
    AUC, averaged over folds weighted by fold size; ``lambda.1se`` (default)
    is the largest lambda whose CV error is within one standard error of the
    minimum. Coefficients at the chosen lambda come from the path fitted on
    all rows passed to ``fit`` (the training cohort).

    Solved by proximal Newton steps with warm starts along the path, the
    strong rule with a KKT check, and an exact active-set solve of each
    quadratic (``radnb._lasso``): the same solution as glmnet's to its
    convergence threshold, and lower objective where glmnet stops short
    (near-separable data; benchmarks/bench_lasso.py).

    Parameters
    ----------
    rule : {"1se", "min"}
        ``lambda.1se`` or ``lambda.min``.
    n_lambdas : int
        glmnet's ``nlambda``.
    min_ratio : float or None
        glmnet's ``lambda.min.ratio`` (None: 0.01 when n < p, else 1e-4).
    cv : int or scikit-learn splitter
        Number of stratified, shuffled folds (glmnet's folds are random,
        not stratified), or any object with ``split(X, y)``.
    foldid : array-like of int, optional
        Fold of each row, as ``cv.glmnet(foldid = )``; overrides ``cv``.
    scoring : {"deviance", "auc"}
        glmnet's ``type.measure``.
    random_state : int
        Seeds the folds.

    Attributes
    ----------
    lambdas_ : ndarray, decreasing (the path; glmnet's ``lambda``).
    coef_path_ : DataFrame (lambda x feature), standardised scale.
    cv_results_ : DataFrame with lambda, log_lambda, mean, se, n_nonzero.
    lambda_min_, lambda_1se_, lambda_ : float
    coef_ : Series, coefficients on the input scale; ``intercept_`` likewise.
    coef_std_, intercept_std_ : on the standardised scale.
    dev_ratio_ : ndarray, fraction of deviance explained along the path.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(80, 5)), columns=list("abcde"))
    >>> y = (X["a"] + rng.normal(scale=0.5, size=80) > 0).astype(int)
    >>> sel = LassoSelector(n_lambdas=20, cv=5).fit(X, y)
    >>> "a" in sel.get_feature_names_out()
    True
    """

    _needs_y = True

    def __init__(
        self,
        rule: str = "1se",
        *,
        n_lambdas: int = 100,
        min_ratio: float | None = None,
        cv: Any = 10,
        foldid: Sequence[int] | None = None,
        scoring: str = "deviance",
        random_state: int | None = 0,
    ):
        self.rule = rule
        self.n_lambdas = n_lambdas
        self.min_ratio = min_ratio
        self.cv = cv
        self.foldid = foldid
        self.scoring = scoring
        self.random_state = random_state

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        # binomial only (as glmnet's family = "binomial"): estimator checks pass 2 classes
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def _folds(self, Xa, yb):
        from sklearn.model_selection import StratifiedKFold

        if self.foldid is not None:
            fid = np.asarray(self.foldid)
            if fid.shape != (yb.size,):
                raise ValueError(
                    f"foldid has {fid.size} entries for {yb.size} rows; give one fold per row."
                )
            return [(np.flatnonzero(fid != f), np.flatnonzero(fid == f)) for f in np.unique(fid)]
        if hasattr(self.cv, "split"):
            return list(self.cv.split(Xa, yb))
        n_splits = int(min(self.cv, np.bincount(yb.astype(int)).min()))
        if n_splits < 2:
            raise ValueError("LassoSelector needs at least 2 cases of each class for CV.")
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        return list(folds.split(Xa, yb))

    def fit(self, X, y=None):
        from scipy.special import expit

        from radnb._lasso import lognet_path

        Xa, ya = self._validate(X, y)
        check_classification_targets(ya)
        classes = np.unique(ya)
        if classes.size != 2:
            raise ValueError(f"LassoSelector needs a binary outcome, got {classes.size} classes.")
        if self.rule not in ("1se", "min"):
            raise ValueError(f"rule must be '1se' or 'min', got {self.rule!r}")
        if self.scoring not in ("deviance", "auc"):
            raise ValueError(f"scoring must be 'deviance' or 'auc', got {self.scoring!r}")
        yb = (ya == classes[1]).astype(float)
        full = lognet_path(Xa, yb, n_lambdas=int(self.n_lambdas), min_ratio=self.min_ratio)
        lambdas = full.lambdas
        folds = self._folds(Xa, yb)
        errs = np.zeros((len(folds), lambdas.size))
        sizes = np.zeros(len(folds))
        for f, (tr, te) in enumerate(folds):
            if np.unique(yb[tr]).size < 2:
                raise ValueError(
                    f"CV fold {f + 1} has one outcome class only in its training rows."
                )
            fit = lognet_path(Xa[tr], yb[tr], lambdas=lambdas)
            eta = fit.intercept + Xa[te] @ fit.coef.T
            sizes[f] = te.size
            if self.scoring == "deviance":  # cv.glmnet: prob clipped to [1e-5, 1 - 1e-5]
                prob = np.clip(expit(eta), 1e-5, 1 - 1e-5)
                yt = yb[te][:, None]
                errs[f] = -2 * np.mean(yt * np.log(prob) + (1 - yt) * np.log(1 - prob), axis=0)
            else:
                from sklearn.metrics import roc_auc_score

                errs[f] = [roc_auc_score(yb[te], eta[:, i]) for i in range(lambdas.size)]
        wts = sizes / sizes.sum()
        cvm = wts @ errs
        cvsd = np.sqrt((wts @ (errs - cvm) ** 2) / (len(folds) - 1))
        if self.scoring == "deviance":
            i_min = int(np.flatnonzero(cvm <= cvm.min())[0])
            ok = cvm <= cvm[i_min] + cvsd[i_min]
        else:
            i_min = int(np.flatnonzero(cvm >= cvm.max())[0])
            ok = cvm >= cvm[i_min] - cvsd[i_min]
        i_1se = int(np.flatnonzero(ok)[0])  # lambdas decrease: first = largest
        coefs, icpt = full.coef_std, full.intercept
        i_sel = i_1se if self.rule == "1se" else i_min
        names = _names(self)
        beta_std = coefs[i_sel]
        keep = beta_std != 0
        mean, sd = full.mean, full.scale
        self.classes_ = classes
        self.lambdas_ = lambdas
        self.coef_path_ = pd.DataFrame(coefs, index=pd.Index(lambdas, name="lambda"), columns=names)
        self.intercept_path_ = icpt + coefs @ (mean / sd)  # standardised scale
        self.dev_ratio_ = full.dev_ratio
        self.cv_results_ = pd.DataFrame(
            {
                "lambda": lambdas,
                "log_lambda": np.log(lambdas),
                "mean": cvm,
                "se": cvsd,
                "n_nonzero": (coefs != 0).sum(1),
            }
        )
        self.cv_scores_ = errs
        self.lambda_min_ = float(lambdas[i_min])
        self.lambda_1se_ = float(lambdas[i_1se])
        self.lambda_ = float(lambdas[i_sel])
        self.mean_, self.scale_ = mean, sd
        self.coef_std_ = pd.Series(beta_std, index=names, name="coef")
        self.intercept_std_ = float(icpt[i_sel] + np.sum(beta_std * mean / sd))
        self.coef_ = pd.Series(beta_std / sd, index=names, name="coef")
        self.intercept_ = float(icpt[i_sel])
        self.support_ = keep
        reason = [
            f"non-zero at lambda.{self.rule}" if k else f"zero at lambda.{self.rule}" for k in keep
        ]
        self.report_ = _report(names, keep, reason, beta_std)
        return self


class PCAReducer(TransformerMixin, BaseEstimator):
    """Principal components with named outputs (``PC1``, ``PC2``, ...).

    Wraps :class:`sklearn.decomposition.PCA`, fitted on the training rows.
    Centre and scale the features first (:func:`make_selector` does).

    Parameters
    ----------
    n_components : int, float or None
        As PCA's: a count, or the fraction of variance to keep (0.95 default).
    prefix : str
        Output names are ``f"{prefix}{i}"``.
    random_state : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 4)))
    >>> PCAReducer(n_components=2).fit_transform(X).columns.tolist()
    ['PC1', 'PC2']
    """

    def __init__(
        self,
        n_components: int | float | None = 0.95,
        *,
        prefix: str = "PC",
        random_state: int | None = 0,
    ):
        self.n_components = n_components
        self.prefix = prefix
        self.random_state = random_state

    def fit(self, X, y=None):
        from sklearn.decomposition import PCA

        Xa = validate_data(self, X, dtype=np.float64)
        nc = self.n_components
        if isinstance(nc, int | np.integer):
            nc = int(min(nc, *Xa.shape))
        self.pca_ = PCA(n_components=nc, random_state=self.random_state).fit(Xa)
        k = self.pca_.n_components_
        self.n_components_ = k
        names = self.get_feature_names_out()
        ev = self.pca_.explained_variance_ratio_
        self.report_ = _report(names, np.ones(k, bool), ["principal component"] * k, ev)
        self.report_["cumulative"] = np.cumsum(ev)
        self.loadings_ = pd.DataFrame(self.pca_.components_.T, index=_names(self), columns=names)
        return self

    def transform(self, X):
        check_is_fitted(self, "pca_")
        Xa = validate_data(self, X, dtype=np.float64, reset=False)
        out = self.pca_.transform(Xa)
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(out, index=X.index, columns=self.get_feature_names_out())
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "pca_")
        return np.asarray(
            [f"{self.prefix}{i + 1}" for i in range(self.n_components_)], dtype=object
        )


#: Step names understood by :func:`make_selector`, with their classes.
STEPS: dict[str, type] = {
    "variance": VarianceFilter,
    "missing": MissingFilter,
    "icc": ICCFilter,
    "corr": CorrelationFilter,
    "univariate": UnivariateFilter,
    "mrmr": MRMR,
    "lasso": LassoSelector,
    "pca": PCAReducer,
}
_RANDOM = {"lasso", "pca"}


def make_selector(
    steps: Sequence[str | tuple[str, Any]],
    *,
    impute: str | None = "median",
    random_state: int | None = 0,
    **step_kws: Mapping[str, Any],
):
    """Build a selection Pipeline from step names.

    Median imputation (fitted on training) follows the ``"missing"`` step (or
    starts the pipeline); a ``StandardScaler`` is placed before ``"pca"``.
    ``LassoSelector`` standardises internally (glmnet), so its coefficients
    are on the scale of its input. The pipeline outputs DataFrames.

    Parameters
    ----------
    steps : sequence
        Step names from :data:`STEPS`, ``(name, params_dict)`` pairs or
        ``(name, estimator)`` pairs.
    impute : {"median", "mean"} or None
    random_state : int
        Passed to the random steps (LASSO CV folds, PCA).
    **step_kws : dict
        Parameters per step name, e.g. ``icc={"icc_values": s}``,
        ``corr={"threshold": 0.8}``.

    Examples
    --------
    >>> pipe = make_selector(["variance", "corr", "lasso"], corr={"threshold": 0.8})
    >>> [name for name, _ in pipe.steps]
    ['impute', 'variance', 'corr', 'lasso']
    """
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    unknown = set(step_kws) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown step options {sorted(unknown)}; steps are {sorted(STEPS)}")
    built: list[tuple[str, Any]] = []
    for step in steps:
        if isinstance(step, str):
            name, spec = step, {}
        else:
            name, spec = step
        if name not in STEPS:
            raise ValueError(f"unknown selection step {name!r}; choose from {sorted(STEPS)}")
        if isinstance(spec, BaseEstimator):
            est = spec
        else:
            params = {**step_kws.get(name, {}), **dict(spec)}
            if name in _RANDOM:
                params.setdefault("random_state", random_state)
            est = STEPS[name](**params)
        if name == "pca":
            built.append(("scale", StandardScaler()))
        label = name
        used = {n for n, _ in built}
        i = 2
        while label in used:
            label = f"{name}{i}"
            i += 1
        built.append((label, est))
    if impute:
        imp = ("impute", SimpleImputer(strategy=impute, keep_empty_features=True))
        pos = next((i + 1 for i, (n, _) in enumerate(built) if n == "missing"), 0)
        built.insert(pos, imp)
    if not built:
        raise ValueError("make_selector needs at least one step.")
    return Pipeline(built).set_output(transform="pandas")


def selection_report(pipeline) -> pd.DataFrame:
    """Concatenate the ``report_`` of every fitted step, with a ``step`` column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 1, 1, 1]})
    >>> pipe = make_selector(["variance"]).fit(X)
    >>> selection_report(pipe)["kept"].tolist()
    [True, False]
    """
    parts = []
    for name, est in pipeline.steps:
        rep = getattr(est, "report_", None)
        if rep is not None:
            parts.append(rep.assign(step=name))
    if not parts:
        return pd.DataFrame(columns=["step", "feature", "kept", "reason", "statistic"])
    out = pd.concat(parts, ignore_index=True)
    cols = ["step", "feature", "kept", "reason", "statistic"]
    return out[cols + [c for c in out.columns if c not in cols]]
