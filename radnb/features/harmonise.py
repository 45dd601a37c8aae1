"""Multi-centre harmonisation: ComBat (Johnson, Li & Rabinovic 2007) as a transformer.

Radiomic features shift with the scanner, the protocol and the reconstruction
of each centre. ComBat removes an additive (location) and a multiplicative
(scale) centre effect per feature, borrowing strength across features with an
empirical-Bayes prior. This is a re-implementation of R's ``sva::ComBat``
(``mod``, ``par.prior``, ``mean.only``), checked against it to 1e-6 in
``tests/test_harmonise.py``; see ``docs/harmonisation.md`` for when to use it.

The leakage boundary: :meth:`ComBat.fit` sees the **training** rows only; the
centre means, variances and priors it learns are then applied unchanged to
test and external rows by :meth:`ComBat.transform`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "ComBat",
    "UnseenBatchWarning",
    "batch_effect",
    "harmonise",
    "plot_batch_effect",
    "plot_batch_pca",
]

UNSEEN = ("refit", "keep", "error")


class UnseenBatchWarning(UserWarning):
    """A batch (centre) not seen in training was refitted on its own data or left as is."""


# ----------------------------------------------------------------- empirical Bayes (sva)


def _aprior(d: np.ndarray) -> float:
    m, s2 = d.mean(), d.var(ddof=1)
    return (2 * s2 + m**2) / s2


def _bprior(d: np.ndarray) -> float:
    m, s2 = d.mean(), d.var(ddof=1)
    return (m * s2 + m**3) / s2


def _it_sol(sdat, g_hat, d_hat, g_bar, t2, a, b, conv=1e-4, max_iter=10_000):
    """sva's ``it.sol``: parametric posterior means by fixed-point iteration."""
    n = sdat.shape[0]
    g_old, d_old = g_hat.copy(), d_hat.copy()
    for _ in range(max_iter):
        g_new = (t2 * n * g_hat + d_old * g_bar) / (t2 * n + d_old)
        sum2 = ((sdat - g_new) ** 2).sum(axis=0)
        d_new = (0.5 * sum2 + b) / (n / 2 + a - 1)
        change = max(np.max(np.abs(g_new - g_old) / g_old), np.max(np.abs(d_new - d_old) / d_old))
        g_old, d_old = g_new, d_new
        if not change > conv:
            break
    return g_old, d_old


def _int_eprior(sdat, g_hat, d_hat):
    """sva's ``int.eprior``: non-parametric posterior means (leave-one-feature-out).

    The likelihood weights are computed in log space (sva multiplies them out,
    which underflows for large batches); the results are the same where sva's
    do not underflow.
    """
    n, p = sdat.shape
    g_star, d_star = np.empty(p), np.empty(p)
    for i in range(p):
        keep = np.arange(p) != i
        g, d = g_hat[keep], d_hat[keep]
        sum2 = ((sdat[:, i][None, :] - g[:, None]) ** 2).sum(axis=1)
        log_lh = -0.5 * n * np.log(2 * np.pi * d) - sum2 / (2 * d)
        w = np.exp(log_lh - log_lh.max())
        g_star[i] = np.sum(g * w) / np.sum(w)
        d_star[i] = np.sum(d * w) / np.sum(w)
    return g_star, d_star


def _eb(sdat, *, parametric: bool, mean_only: bool):
    """Location / scale estimates of one batch's standardised data (rows = samples)."""
    g_hat = sdat.mean(axis=0)
    d_hat = np.ones_like(g_hat) if mean_only else sdat.var(axis=0, ddof=1)
    g_bar, t2 = g_hat.mean(), g_hat.var(ddof=1)
    if parametric:
        if mean_only:  # sva: postmean(gamma.hat, gamma.bar, 1, 1, t2), i.e. n = 1
            return (t2 * g_hat + g_bar) / (t2 + 1), np.ones_like(g_hat), g_hat, d_hat
        g_star, d_star = _it_sol(sdat, g_hat, d_hat, g_bar, t2, _aprior(d_hat), _bprior(d_hat))
    else:
        g_star, d_star = _int_eprior(sdat, g_hat, d_hat)
        if mean_only:
            d_star = np.ones_like(g_hat)
    return g_star, d_star, g_hat, d_hat


# ----------------------------------------------------------------- the transformer


def _as_frame(X) -> tuple[pd.DataFrame, bool]:
    if isinstance(X, pd.DataFrame):
        return X, True
    arr = np.asarray(X, float)
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-D (samples x features), got shape {arr.shape}")
    return pd.DataFrame(arr), False


def _aligned(values, frame: pd.DataFrame, what: str):
    """``values`` in ``frame``'s row order: by index for pandas objects, else by position."""
    if values is None:
        return None
    if (
        isinstance(values, (pd.Series, pd.DataFrame))
        and not isinstance(frame.index, pd.RangeIndex)
        and frame.index.isin(values.index).all()
    ):
        values = values.loc[frame.index]
    if len(values) != len(frame):
        raise ValueError(f"{what} has {len(values)} rows, X has {len(frame)}; align them")
    return values


class ComBat(TransformerMixin, BaseEstimator):
    """ComBat harmonisation of features across batches (centres, scanners).

    Fitted on the **training** cohort only: :meth:`fit` learns each centre's
    location and scale per feature (empirical Bayes), and :meth:`transform`
    applies them unchanged to any rows of the centres seen in training.

    Parameters
    ----------
    parametric : bool, default True
        Parametric priors (``sva::ComBat(par.prior=TRUE)``); ``False``: the
        non-parametric prior (slower, for features far from normal).
    mean_only : bool, default False
        Remove only the location effect (``mean.only=TRUE``), e.g. when a centre
        has few patients and its variance is unreliable.
    unseen : {"refit", "keep", "error"}, default "refit"
        A centre not seen in training (an external cohort). ``"refit"``
        estimates that centre's location and scale from its own rows in the
        :meth:`transform` call, without labels, as the literature does for
        external validation (it needs several patients of that centre at
        once); ``"keep"`` leaves its rows unharmonised; ``"error"`` raises.
        Both non-error options warn (:class:`UnseenBatchWarning`).

        With a single training centre, that centre is the reference and is left
        unchanged; ``"refit"`` then maps each external centre onto it, which is
        ``sva::ComBat(..., ref.batch = <training centre>)`` (checked in the tests).

    Notes
    -----
    Biological covariates (``covariates=`` of :meth:`fit` / :meth:`transform`,
    e.g. age or tumour stage) are modelled so that ComBat preserves their
    effect instead of removing it when centres differ in case mix. **The
    outcome is never a covariate**: ComBat would keep exactly the
    outcome-related differences in the training rows (an optimistic, leaked
    signal), and test or external patients could not be transformed at all,
    since their outcome is unknown at prediction time. ``y`` is accepted for
    pipeline compatibility and ignored.

    Attributes
    ----------
    batches_ : ndarray
        Batch labels seen in training, sorted.
    grand_mean_, var_pooled_ : ndarray of shape (n_features,)
    beta_covariates_ : ndarray of shape (n_covariate_columns, n_features)
    gamma_star_, delta_star_ : ndarray of shape (n_batches, n_features)
        Posterior location and scale of each training batch.
    covariate_columns_ : list of str
    feature_names_in_ : ndarray, when ``X`` is a DataFrame

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> centre = np.repeat(["A", "B"], 20)
    >>> X = rng.normal(size=(40, 5)) + np.where(centre == "A", 0.0, 3.0)[:, None]
    >>> Xh = ComBat().fit_transform(X, batch=centre)
    >>> bool(abs(Xh[centre == "A"].mean() - Xh[centre == "B"].mean()) < 0.3)
    True
    """

    def __init__(
        self, *, parametric: bool = True, mean_only: bool = False, unseen: str = "refit"
    ) -> None:
        self.parametric = parametric
        self.mean_only = mean_only
        self.unseen = unseen

    # -- design
    def _covariates(self, covariates, frame: pd.DataFrame, fitting: bool) -> np.ndarray:
        covariates = _aligned(covariates, frame, "covariates")
        if covariates is None:
            if fitting:
                self.covariate_columns_ = []
            elif self.covariate_columns_:
                raise ValueError(
                    f"fitted with covariates {self.covariate_columns_}; pass covariates= "
                    "to transform as well"
                )
            return np.zeros((len(frame), 0))
        cov = pd.DataFrame(covariates).reset_index(drop=True)
        cov.columns = [str(c) for c in cov.columns]
        cov = pd.get_dummies(cov, drop_first=True, dtype=float)
        if fitting:
            self.covariate_columns_ = list(cov.columns)
        cov = cov.reindex(columns=self.covariate_columns_, fill_value=0.0)
        arr = cov.to_numpy(float)
        if np.isnan(arr).any():
            raise ValueError("covariates hold missing values; impute them or drop the patients")
        return arr

    def fit(self, X, y=None, *, batch, covariates=None) -> ComBat:
        """Learn centre effects on training rows ``X`` (samples x features).

        Parameters
        ----------
        X : DataFrame or array (n_samples, n_features), training rows only.
        y : ignored (the outcome is never used; see Notes).
        batch : array-like or Series (by ``X``'s index): centre / scanner per row.
        covariates : DataFrame / array of biological covariates to preserve.
        """
        if self.unseen not in UNSEEN:
            raise ValueError(f"unseen must be one of {UNSEEN}, got {self.unseen!r}")
        frame, is_frame = _as_frame(X)
        data = frame.to_numpy(float)
        if np.isnan(data).any():
            raise ValueError("X holds missing values; impute them before ComBat")
        b = np.asarray(_aligned(batch, frame, "batch"))
        self.batches_, counts = np.unique(b, return_counts=True)
        if not self.mean_only and counts.min() < 2:
            small = self.batches_[counts < 2].tolist()
            raise ValueError(f"batches {small} have one training row; use mean_only=True")
        cov = self._covariates(covariates, frame, fitting=True)
        onehot = (b[:, None] == self.batches_[None, :]).astype(float)
        design = np.hstack([onehot, cov])
        beta = np.linalg.solve(design.T @ design, design.T @ data)
        k = len(self.batches_)
        self.grand_mean_ = (counts / len(b)) @ beta[:k]
        self.var_pooled_ = ((data - design @ beta) ** 2).mean(axis=0)
        self.beta_covariates_ = beta[k:]
        if np.any(self.var_pooled_ <= 0):
            bad = np.flatnonzero(self.var_pooled_ <= 0)[:10].tolist()
            raise ValueError(f"features {bad} are constant; drop them (VarianceFilter) first")
        s, _ = self._standardise(data, cov)
        if k == 1:  # one training centre: it is the reference (sva's ref.batch), unchanged
            g_hat = s.mean(axis=0)
            stars = [(np.zeros_like(g_hat), np.ones_like(g_hat), g_hat, s.var(axis=0, ddof=1))]
        else:
            stars = [
                _eb(s[b == lev], parametric=self.parametric, mean_only=self.mean_only)
                for lev in self.batches_
            ]
        self.gamma_star_ = np.array([g for g, _, _, _ in stars])
        self.delta_star_ = np.array([d for _, d, _, _ in stars])
        self.gamma_hat_ = np.array([g for _, _, g, _ in stars])
        self.delta_hat_ = np.array([d for _, _, _, d in stars])
        self.n_features_in_ = data.shape[1]
        if is_frame:
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def _standardise(self, data, cov):
        stand_mean = self.grand_mean_ + cov @ self.beta_covariates_
        return (data - stand_mean) / np.sqrt(self.var_pooled_), stand_mean

    def transform(self, X, *, batch, covariates=None):
        """Harmonise rows of any cohort with the centre effects learned in :meth:`fit`."""
        check_is_fitted(self, "gamma_star_")
        frame, is_frame = _as_frame(X)
        if is_frame and hasattr(self, "feature_names_in_"):
            missing = [c for c in self.feature_names_in_ if c not in frame.columns]
            if missing:
                raise ValueError(f"X lacks features seen in fit: {missing[:10]}")
            frame = frame[list(self.feature_names_in_)]
        data = frame.to_numpy(float)
        if data.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {data.shape[1]} features, fitted on {self.n_features_in_}")
        b = np.asarray(_aligned(batch, frame, "batch"))
        cov = self._covariates(covariates, frame, fitting=False)
        s, stand_mean = self._standardise(data, cov)
        out = data.copy()
        sd = np.sqrt(self.var_pooled_)
        for lev in np.unique(b):
            rows = b == lev
            hit = np.flatnonzero(self.batches_ == lev)
            if hit.size:
                g, d = self.gamma_star_[hit[0]], self.delta_star_[hit[0]]
            else:
                g, d = self._unseen(lev, s[rows])
                if g is None:
                    continue
            out[rows] = (s[rows] - g) / np.sqrt(d) * sd + stand_mean[rows]
        if is_frame:
            return pd.DataFrame(out, index=frame.index, columns=frame.columns)
        return out

    def _unseen(self, lev, srows):
        if self.unseen == "error":
            raise ValueError(
                f"batch {lev!r} was not seen in training (seen: {self.batches_.tolist()}); "
                "use unseen='refit' (estimate it on its own rows) or 'keep'"
            )
        if self.unseen == "keep" or len(srows) < 2 or (len(srows) < 3 and not self.mean_only):
            warnings.warn(
                f"batch {lev!r} was not seen in training: its {len(srows)} rows are left "
                "unharmonised",
                UnseenBatchWarning,
                stacklevel=3,
            )
            return None, None
        warnings.warn(
            f"batch {lev!r} was not seen in training: its location / scale are estimated on "
            f"its own {len(srows)} rows (no labels); transform that centre's rows together",
            UnseenBatchWarning,
            stacklevel=3,
        )
        g, d, _, _ = _eb(srows, parametric=self.parametric, mean_only=self.mean_only)
        return g, d

    def fit_transform(self, X, y=None, *, batch, covariates=None):
        """Fit on ``X`` and return it harmonised (equals ``sva::ComBat`` on ``X``)."""
        return self.fit(X, y, batch=batch, covariates=covariates).transform(
            X, batch=batch, covariates=covariates
        )


def harmonise(
    features: pd.DataFrame,
    batch: pd.Series,
    *,
    train: Sequence[str] | pd.Index,
    covariates: pd.DataFrame | None = None,
    **kws: Any,
) -> tuple[pd.DataFrame, ComBat]:
    """Fit ComBat on the ``train`` patients and harmonise every row of ``features``.

    ``features`` (patients x features) and ``batch`` / ``covariates`` are keyed
    by ``patient_id``; ``kws`` go to :class:`ComBat`. Returns the harmonised
    table (same index and columns, ``attrs`` kept) and the fitted ComBat.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ids = [f"p{i}" for i in range(30)]
    >>> centre = pd.Series(np.repeat(["A", "B", "C"], 10), index=ids)
    >>> X = pd.DataFrame(np.random.default_rng(1).normal(size=(30, 4)), index=ids)
    >>> X = X + centre.map({"A": 0, "B": 2, "C": -1}).to_numpy()[:, None]
    >>> Xh, model = harmonise(X, centre, train=ids[::2])
    >>> model.batches_.tolist(), Xh.shape
    (['A', 'B', 'C'], (30, 4))
    """
    train = pd.Index([str(t) for t in train]) if not isinstance(train, pd.Index) else train
    cov_train = covariates.loc[train] if covariates is not None else None
    model = ComBat(**kws).fit(features.loc[train], batch=batch.loc[train], covariates=cov_train)
    out = model.transform(
        features,
        batch=batch.loc[features.index],
        covariates=covariates.loc[features.index] if covariates is not None else None,
    )
    out.attrs = dict(features.attrs)
    return out, model


# ----------------------------------------------------------------- diagnostics


def batch_effect(features: pd.DataFrame, batch) -> pd.DataFrame:
    """Per-feature centre effect: Kruskal-Wallis ``statistic`` and ``p`` across batches.

    Returns a DataFrame indexed by feature, sorted as ``features``' columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": [1, 2, 3, 10, 11, 12], "b": [1, 5, 2, 4, 3, 6]})
    >>> batch_effect(X, ["A"] * 3 + ["B"] * 3)["p"].round(3).tolist()
    [0.05, 0.275]
    """
    from scipy.stats import kruskal

    b = np.asarray(_aligned(batch, features, "batch") if isinstance(batch, pd.Series) else batch)
    rows = []
    for col in features.columns:
        groups = [features[col].to_numpy(float)[b == lev] for lev in np.unique(b)]
        groups = [g[~np.isnan(g)] for g in groups]
        try:
            stat, p = kruskal(*groups)
        except ValueError:  # all values identical
            stat, p = np.nan, np.nan
        rows.append({"feature": col, "statistic": float(stat), "p": float(p)})
    return pd.DataFrame(rows).set_index("feature")


def plot_batch_effect(before: pd.DataFrame, after: pd.DataFrame, batch, *, alpha=0.05, ax=None):
    """Centre effect per feature before / after harmonisation (Kruskal-Wallis -log10 p).

    One point per feature; the dashed line marks ``alpha``. Features above it
    still differ between centres. Returns ``ax``.
    """
    from radnb.plots.style import PALETTE, get_ax, style_ax

    ax = get_ax(ax, figsize=(5.5, 4.0))
    kw_before, kw_after = batch_effect(before, batch), batch_effect(after, batch)
    order = kw_before["p"].sort_values().index
    x = np.arange(len(order))
    for frame, label, colour in (
        (kw_before, "before", PALETTE[1]),
        (kw_after, "after", PALETTE[0]),
    ):
        p = frame.loc[order, "p"].clip(lower=1e-300)
        n_sig = int((p < alpha).sum())
        ax.scatter(x, -np.log10(p), s=12, color=colour, label=f"{label} ({n_sig} with p < {alpha})")
    ax.axhline(-np.log10(alpha), color="0.4", linestyle="--", linewidth=1)
    ax.set_xlabel("feature (sorted by centre effect before)")
    ax.set_ylabel("Kruskal-Wallis −log10 p (centre)")
    ax.legend(frameon=False, fontsize=8)
    return style_ax(ax, title="Centre effect per feature")


def plot_batch_pca(features: pd.DataFrame, batch, *, title: str | None = None, ax=None):
    """First two principal components of standardised features, coloured by centre."""
    from sklearn.decomposition import PCA

    from radnb.plots.style import PALETTE, get_ax, style_ax

    ax = get_ax(ax)
    z = features.to_numpy(float)
    z = (z - z.mean(axis=0)) / np.where(z.std(axis=0) > 0, z.std(axis=0), 1.0)
    pca = PCA(n_components=2).fit(z)
    pcs = pca.transform(z)
    b = np.asarray(batch.loc[features.index] if isinstance(batch, pd.Series) else batch)
    for i, lev in enumerate(np.unique(b)):
        sel = b == lev
        ax.scatter(*pcs[sel].T, s=14, color=PALETTE[i % len(PALETTE)], label=str(lev), alpha=0.8)
    ev = pca.explained_variance_ratio_ * 100
    ax.set_xlabel(f"PC1 ({ev[0]:.0f}%)")
    ax.set_ylabel(f"PC2 ({ev[1]:.0f}%)")
    ax.legend(frameon=False, fontsize=8, title="centre")
    return style_ax(ax, title=title or "PCA by centre")
