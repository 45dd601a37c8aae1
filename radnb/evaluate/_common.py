"""Shared input checks and small numerical helpers for radnb.evaluate."""

from __future__ import annotations

import numpy as np

from radnb.errors import InvalidParameterError, RadnbError

__all__: list[str] = []


def as_binary(y, *, name: str = "y") -> np.ndarray:
    """Return ``y`` as an int array of 0/1 (booleans: True is the event).

    Accepts 0/1 numbers or booleans; anything else raises, because which
    level is the event must never be guessed.
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.ndim != 1:
        raise InvalidParameterError(f"{name} must be one-dimensional, got shape {np.shape(y)}")
    if arr.dtype == bool:
        return arr.astype(int)
    if arr.dtype.kind not in "biuf":
        raise InvalidParameterError(
            f"{name} must be 0/1 or boolean (True = event), got dtype {arr.dtype}; "
            "encode the outcome first, e.g. (df.outcome == 'Poor').astype(int)"
        )
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise InvalidParameterError(f"{name} contains NaN; drop or impute missing outcomes first")
    if not ((arr == 0) | (arr == 1)).all():
        bad = np.unique(arr[(arr != 0) & (arr != 1)])[:10]
        raise InvalidParameterError(f"{name} must contain only 0 and 1 (1 = event), found {bad}")
    return arr.astype(int)


def align(values: dict) -> tuple:
    """Put patient-keyed Series in one order; arrays stay positional.

    ``values`` maps an argument name to its value. When two or more values
    are pandas Series they are paired by index label, not by position: every
    Series is reordered to the first one's index. Their indexes must hold the
    same labels, each once; otherwise a :class:`RadnbError` names the labels
    that differ. Lists and arrays are left as they are (paired by position).
    """
    import pandas as pd

    names = list(values)
    series = [n for n in names if isinstance(values[n], pd.Series)]
    if len(series) < 2:
        return tuple(values.values())
    ref_name = series[0]
    ref = values[ref_name].index
    for n in series:
        idx = values[n].index
        if not idx.is_unique:
            dup = list(idx[idx.duplicated()].unique()[:5])
            raise InvalidParameterError(
                f"{n} has duplicated index labels {dup}; one row per patient"
            )
    out = []
    for n in names:
        v = values[n]
        if isinstance(v, pd.Series) and n != ref_name and not v.index.equals(ref):
            only_ref = list(ref.difference(v.index)[:5])
            only_v = list(v.index.difference(ref)[:5])
            if only_ref or only_v or len(v) != len(ref):
                raise InvalidParameterError(
                    f"{n} and {ref_name} are Series with different patients in their index: "
                    f"only in {ref_name}: {only_ref}, only in {n}: {only_v}; "
                    "select the same patients (or pass arrays to pair by position)"
                )
            v = v.reindex(ref)
        out.append(v)
    return tuple(out)


def as_score(x, n: int, *, name: str = "score") -> np.ndarray:
    """Return ``x`` as a finite float array of length ``n``."""
    arr = np.asarray(x, dtype=float).reshape(-1)
    if arr.shape[0] != n:
        raise InvalidParameterError(f"{name} has {arr.shape[0]} values but y has {n}")
    if not np.isfinite(arr).all():
        raise InvalidParameterError(
            f"{name} contains {int((~np.isfinite(arr)).sum())} non-finite value(s); "
            "drop those rows first"
        )
    return arr


def as_prob(p, n: int, *, name: str = "p", open_interval: bool = False) -> np.ndarray:
    """Return predicted probabilities as floats in [0, 1] (or (0, 1))."""
    arr = as_score(p, n, name=name)
    lo_bad = arr <= 0 if open_interval else arr < 0
    hi_bad = arr >= 1 if open_interval else arr > 1
    if (lo_bad | hi_bad).any():
        rng = "(0, 1)" if open_interval else "[0, 1]"
        raise InvalidParameterError(
            f"{name} must be predicted probabilities in {rng}; found values from "
            f"{arr.min():.4g} to {arr.max():.4g}"
        )
    return arr


def need_both_classes(y: np.ndarray, *, what: str) -> None:
    n1 = int(y.sum())
    if n1 == 0 or n1 == y.size:
        raise InvalidParameterError(
            f"{what} needs both events (1) and non-events (0); got {n1} events in {y.size}"
        )


def z_quantile(level: float) -> float:
    """Two-sided normal quantile for a confidence level in (0, 1)."""
    from scipy.stats import norm

    if not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), got {level}")
    return float(norm.ppf(0.5 + level / 2))


# R p.adjust names -> statsmodels multipletests methods
_ADJUST = {
    "holm": "holm",
    "bonferroni": "bonferroni",
    "hochberg": "simes-hochberg",
    "BH": "fdr_bh",
    "fdr": "fdr_bh",
    "BY": "fdr_by",
}


def p_adjust(p, method: str | None) -> np.ndarray:
    """Multiplicity-adjusted p-values, as R ``p.adjust(p, method)``.

    The one adjustment of radnb.evaluate: statsmodels'
    ``multipletests(p, method=...)[1]``. ``method`` is an R name ("holm",
    "bonferroni", "hochberg", "BH" = "fdr", "BY"), a statsmodels name (e.g.
    "fdr_bh") or None / "none" (no adjustment). NaN p-values stay NaN and do
    not count (as R).

    Examples
    --------
    >>> p_adjust([0.01, 0.02, 0.04], "holm").round(4).tolist()
    [0.03, 0.04, 0.04]
    >>> p_adjust([0.01, 0.02, 0.04], "BH").round(4).tolist()
    [0.03, 0.03, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    arr = np.asarray(p, dtype=float).reshape(-1)
    if method is None or method == "none":
        return arr.copy()
    sm = _ADJUST.get(method, method)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if not ok.any():
        return out
    try:
        out[ok] = multipletests(arr[ok], method=sm)[1]
    except ValueError as exc:
        raise InvalidParameterError(
            f"adjust must be None, 'none', one of {sorted(_ADJUST)} or a statsmodels "
            f"multipletests method; got {method!r}"
        ) from exc
    return out


def two_sided_p(z: float) -> float:
    from scipy.stats import norm

    if not np.isfinite(z):
        return 0.0 if np.isinf(z) else float("nan")
    return float(2 * norm.sf(abs(z)))


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def logistic_fit(
    X: np.ndarray, y: np.ndarray, *, offset: np.ndarray | None = None, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by Newton-Raphson.

    ``X`` must already contain the intercept column. Returns (coef, covariance).
    """
    n, k = X.shape
    off = np.zeros(n) if offset is None else offset
    beta = np.zeros(k)
    for _ in range(max_iter):
        eta = X @ beta + off
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1 - mu)
        grad = X.T @ (y - mu)
        hess = (X * w[:, None]).T @ X
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            raise RadnbError("logistic fit failed: the design is singular") from exc
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    eta = X @ beta + off
    mu = 1.0 / (1.0 + np.exp(-eta))
    hess = (X * (mu * (1 - mu))[:, None]).T @ X
    return beta, np.linalg.inv(hess)
