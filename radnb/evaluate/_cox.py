"""Cox proportional-hazards tables (lifelines; Efron ties as R ``coxph``).

Private helpers behind :mod:`radnb.evaluate.survival`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from radnb.errors import CohortError, RadnbError, require
from radnb.evaluate._km import check_surv

__all__: list[str] = []


def _lifelines():
    return require("lifelines", "stats", "Cox models")


def design(df: pd.DataFrame, covariates, categorical=None, reference=None):
    """Dummy-code categorical covariates (treatment contrasts, first level = reference).

    Returns (X, terms) where terms maps covariate -> list of (column, level label).
    """
    categorical = set(categorical or [])
    reference = dict(reference or {})
    cols = {}
    terms: dict[str, list[tuple[str, str]]] = {}
    for cov in covariates:
        if cov not in df.columns:
            raise CohortError(
                f"covariate {cov!r} is not a column; columns are {list(df.columns)[:20]}"
            )
        s = df[cov]
        is_cat = (
            cov in categorical
            or isinstance(s.dtype, pd.CategoricalDtype)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
            or s.dtype == bool
        )
        if not is_cat:
            cols[cov] = s.astype(float)
            terms[cov] = [(cov, "")]
            continue
        cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
        levels = list(cat.cat.categories)
        ref = reference.get(cov, levels[0])
        if ref not in levels:
            raise RadnbError(f"reference level {ref!r} of {cov!r} not among its levels {levels}")
        entries = []
        for lev in levels:
            if lev == ref:
                continue
            name = f"{cov}[{lev}]"
            cols[name] = (cat == lev).astype(float).where(cat.notna())
            entries.append((name, f"{lev} vs {ref}"))
        terms[cov] = entries
    return pd.DataFrame(cols, index=df.index), terms


def fit_cox(X: pd.DataFrame, time, event, *, strata=None):
    """Fit a lifelines CoxPHFitter (Efron ties) and return it."""
    ll = _lifelines()
    data = X.copy()
    data["__T"] = np.asarray(time, dtype=float)
    data["__E"] = np.asarray(event, dtype=int)
    kw = {}
    if strata is not None:
        data["__S"] = np.asarray(strata)
        kw["strata"] = ["__S"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = ll.CoxPHFitter().fit(data, "__T", "__E", **kw)
    cph._radnb_data = data  # noqa: SLF001 - kept for the PH test
    return cph


def ph_test(cph) -> pd.Series:
    """Per-column p of the Schoenfeld-residual PH test (lifelines, KM transform)."""
    from lifelines.statistics import proportional_hazard_test

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = proportional_hazard_test(cph, cph._radnb_data, time_transform="km")  # noqa: SLF001
    s = res.summary["p"]
    s.index = [i if isinstance(i, str) else i[0] for i in s.index]
    return s


def lr_test(full, reduced_loglik: float, df: int) -> tuple[float, float]:
    from scipy.stats import chi2

    stat = float(2 * (full.log_likelihood_ - reduced_loglik))
    return stat, float(chi2.sf(stat, df))


def null_loglik(time, event, strata=None) -> float:
    """Partial log-likelihood at beta = 0 (Efron), for LR tests of a whole model."""
    t, e = check_surv(time, event)
    groups = np.zeros(t.size, int) if strata is None else pd.factorize(np.asarray(strata))[0]
    total = 0.0
    for g in np.unique(groups):
        m = groups == g
        ts, es = t[m], e[m]
        for u in np.unique(ts[es == 1]):
            n_risk = np.sum(ts >= u)
            d = int(np.sum((ts == u) & (es == 1)))
            total -= np.sum(np.log(n_risk - np.arange(d) * 1.0))
    return float(total)


def _rows(cph, terms, cov_list, model: str, level: float, ph: pd.Series | None, term_p=None):
    from scipy.stats import norm

    z = norm.ppf(0.5 + level / 2)
    summ = cph.summary
    rows = []
    for cov in cov_list:
        for col, lev in terms[cov]:
            r = summ.loc[col]
            b, se = float(r["coef"]), float(r["se(coef)"])
            rows.append(
                {
                    "covariate": cov,
                    "level": lev,
                    "model": model,
                    "n": int(cph._n_examples),  # noqa: SLF001
                    "events": int(cph.event_observed.sum()),
                    "coef": b,
                    "se": se,
                    "hr": float(np.exp(b)),
                    "lower": float(np.exp(b - z * se)),
                    "upper": float(np.exp(b + z * se)),
                    "p": float(r["p"]),
                    "term_p": float(term_p[cov]) if term_p is not None else float(r["p"]),
                    "ph_p": float(ph.get(col, np.nan)) if ph is not None else np.nan,
                }
            )
    return rows


def cox_table(
    df: pd.DataFrame,
    duration: str,
    event: str,
    covariates,
    *,
    univariable: bool = True,
    multivariable="p<0.05",
    categorical=None,
    reference=None,
    strata=None,
    level: float = 0.95,
    ph_check: bool = True,
) -> pd.DataFrame:
    """See :func:`radnb.evaluate.survival.cox_table`."""
    covariates = list(covariates)
    if not covariates:
        raise RadnbError("give at least one covariate")
    for c in [duration, event] + ([strata] if isinstance(strata, str) else list(strata or [])):
        if c not in df.columns:
            raise CohortError(f"column {c!r} not found in the table")
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])

    def _complete(cols):
        sub = df[[duration, event] + strata_cols + list(cols)].dropna()
        t, e = check_surv(sub[duration], sub[event], name=duration)
        st = None
        if strata_cols:
            st = sub[strata_cols].astype(str).agg("|".join, axis=1).to_numpy()
        return sub, t, e, st

    rows = []
    uni_p: dict[str, float] = {}
    if univariable or (isinstance(multivariable, str) or isinstance(multivariable, float)):
        for cov in covariates:
            sub, t, e, st = _complete([cov])
            X, terms = design(sub, [cov], categorical, reference)
            cph = fit_cox(X, t, e, strata=st)
            k = len(terms[cov])
            _, p_term = lr_test(cph, null_loglik(t, e, st), k)
            uni_p[cov] = p_term
            if univariable:
                ph = ph_test(cph) if ph_check else None
                rows += _rows(cph, terms, [cov], "univariable", level, ph, {cov: p_term})
    if multivariable is not None:
        if isinstance(multivariable, str):
            if not multivariable.replace(" ", "").startswith("p<"):
                raise RadnbError(
                    f"multivariable must be 'p<0.05', a float, a list or None; got {multivariable!r}"
                )
            thr = float(multivariable.replace(" ", "")[2:])
            chosen = [c for c in covariates if uni_p[c] < thr]
        elif isinstance(multivariable, (float, int)) and not isinstance(multivariable, bool):
            chosen = [c for c in covariates if uni_p[c] < float(multivariable)]
        else:
            chosen = list(multivariable)
            missing = [c for c in chosen if c not in df.columns]
            if missing:
                raise CohortError(f"multivariable covariates not in the table: {missing}")
        if chosen:
            sub, t, e, st = _complete(chosen)
            X, terms = design(sub, chosen, categorical, reference)
            cph = fit_cox(X, t, e, strata=st)
            term_p = {}
            for cov in chosen:
                others = [c for c in X.columns if c not in {col for col, _ in terms[cov]}]
                if others:
                    red = fit_cox(X[others], t, e, strata=st).log_likelihood_
                else:
                    red = null_loglik(t, e, st)
                term_p[cov] = lr_test(cph, red, len(terms[cov]))[1]
            ph = ph_test(cph) if ph_check else None
            rows += _rows(cph, terms, chosen, "multivariable", level, ph, term_p)
    out = pd.DataFrame(rows)
    out.attrs["level"] = level
    return out
