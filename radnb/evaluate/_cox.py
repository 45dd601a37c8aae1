"""Cox proportional-hazards tables as R survival 3.x ``coxph`` (Efron or Breslow ties).

The public :func:`cox_table` is re-exported by :mod:`radnb.evaluate.survival`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from radnb.errors import CohortError, InvalidParameterError, RadnbError
from radnb.evaluate._common import z_quantile
from radnb.evaluate._deprecate import renamed_args
from radnb.evaluate._km import check_surv

__all__ = ["CoxFitWarning", "cox_table"]


def design(
    df: pd.DataFrame, covariates, categorical=None, reference=None, *, levels=None, spec=None
):
    """Dummy-code categorical covariates (treatment contrasts, first level = reference).

    Returns (X, terms) where terms maps covariate -> list of (column, level label).
    ``levels`` ({covariate: (levels, reference)}, from a fitted model) fixes the
    coding, and values outside those levels are an error; a dict passed as
    ``spec`` is filled with the coding used (None for a numeric covariate).
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
        if levels is not None:
            is_cat = levels.get(cov) is not None
        else:
            is_cat = (
                cov in categorical
                or isinstance(s.dtype, pd.CategoricalDtype)
                or s.dtype == object
                or pd.api.types.is_string_dtype(s)
                or s.dtype == bool
            )
        if not is_cat:
            try:
                cols[cov] = s.astype(float)
            except (TypeError, ValueError) as exc:
                raise CohortError(f"covariate {cov!r} is numeric in the model: {exc}") from None
            terms[cov] = [(cov, "")]
            if spec is not None:
                spec[cov] = None
            continue
        if levels is not None:
            lv, ref = levels[cov]
            cat = pd.Series(pd.Categorical(s, categories=lv), index=s.index)
            bad = s.notna() & cat.isna()
            if bad.any():
                who = list(s.index[bad][:5])
                raise CohortError(
                    f"covariate {cov!r}: value(s) {sorted(map(str, s[bad].unique()))[:5]} "
                    f"(patients {who}) are not among the model's levels {lv}"
                )
        else:
            cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
            lv = list(cat.cat.categories)
            ref = reference.get(cov, lv[0])
        if ref not in lv:
            raise InvalidParameterError(
                f"reference level {ref!r} of {cov!r} not among its levels {lv}"
            )
        if spec is not None:
            spec[cov] = (lv, ref)
        entries = []
        for lev in lv:
            if lev == ref:
                continue
            name = f"{cov}[{lev}]"
            cols[name] = (cat == lev).astype(float).where(cat.notna())
            entries.append((name, f"{lev} vs {ref}"))
        terms[cov] = entries
    return pd.DataFrame(cols, index=df.index), terms


class CoxFitWarning(UserWarning):
    """A Cox coefficient that may be infinite (perfect separation) or a fit that did not converge."""


class _Fitted:
    """One Cox fit (radnb's engine, as R ``coxph``) with the attributes radnb reads.

    ``summary`` has lifelines-like columns (coef, exp(coef), se(coef), z, p)
    indexed by design column; ``params_``, ``log_likelihood_`` and
    ``log_likelihood_null_`` as their names say; ``notes`` maps a column to
    what is wrong with its estimate ("" when nothing).
    """

    def __init__(self, res, columns, n, events, time, event):
        from scipy.stats import norm

        self.result = res
        self.columns = list(columns)
        se = np.sqrt(np.diag(res.var))
        z = res.coef / se
        with np.errstate(over="ignore"):
            hr = np.exp(res.coef)
        self.summary = pd.DataFrame(
            {"coef": res.coef, "exp(coef)": hr, "se(coef)": se, "z": z, "p": 2 * norm.sf(abs(z))},
            index=pd.Index(self.columns, name="covariate"),
        )
        self.params_ = self.summary["coef"]
        self.variance_matrix_ = pd.DataFrame(res.var, index=self.columns, columns=self.columns)
        self.log_likelihood_ = res.loglik
        self.log_likelihood_null_ = res.loglik0
        self._n_examples = n
        self.event_observed = np.asarray(event, int)
        self.durations = np.asarray(time, float)
        self.notes = {c: "" for c in self.columns}
        for c, inf in zip(self.columns, res.infinite):
            if inf:
                self.notes[c] = (
                    "coefficient may be infinite: the log-likelihood converged before it "
                    "(perfect separation; R coxph warns the same); HR and CI are not usable"
                )
        if not res.converged:
            for c in self.columns:
                self.notes[c] = self.notes[c] or f"did not converge in {res.iterations} iterations"


def _check_design(X: pd.DataFrame, e: np.ndarray, what: str) -> None:
    n = len(X)
    if n == 0:
        raise RadnbError(f"{what}: no patient has complete data for {list(X.columns)}")
    if e.sum() == 0:
        raise RadnbError(
            f"{what}: no events among the {n} patients; a Cox model needs at least one event"
        )
    if X.shape[1] == 0:
        raise InvalidParameterError(f"{what}: no covariate column to fit")
    const = [c for c in X.columns if np.ptp(X[c].to_numpy(float)) == 0]
    if const:
        raise RadnbError(
            f"{what}: covariate column(s) {const} take a single value in the {n} patients "
            "used; a Cox model cannot estimate their effect (drop them or check the data)"
        )
    xc = X.to_numpy(float) - X.to_numpy(float).mean(axis=0)
    xc = xc / np.sqrt((xc**2).sum(axis=0))
    gram = xc.T @ xc  # correlation matrix: rank-deficient exactly when collinear
    rank = np.linalg.matrix_rank(gram, tol=1e-10)
    if rank < X.shape[1]:
        dup = []
        for j in range(X.shape[1]):
            sub = np.delete(np.delete(gram, j, axis=0), j, axis=1)
            if np.linalg.matrix_rank(sub, tol=1e-10) == rank:
                dup.append(X.columns[j])
        raise RadnbError(
            f"{what}: covariate columns {dup} are collinear (one is a linear combination "
            "of the others) in the patients used; drop one of them"
        )


def fit_cox(X: pd.DataFrame, time, event, *, strata=None, ties: str = "efron", what="Cox model"):
    """Fit a Cox model as R ``coxph(ties=ties)`` (default eps 1e-9, iter.max 20).

    Raises a :class:`RadnbError` naming the problem for no events, a constant
    or collinear covariate; flags possibly infinite coefficients in ``notes``.
    """
    from radnb.evaluate._coxfit import coxph

    X = pd.DataFrame(X)
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    _check_design(X, e, what)
    res = coxph(X.to_numpy(float), t, e, strata, ties=ties)
    fit = _Fitted(res, X.columns, len(X), int(e.sum()), t, e)
    fit._radnb_strata = strata  # noqa: SLF001 - for ph_test
    return fit


def ph_terms(cph, terms=None, *, transform: str = "km") -> pd.DataFrame:
    """``cox.zph`` (R survival >= 3.0, exact score test): chisq, df, p per term and GLOBAL.

    ``terms`` maps a term to its design columns (default: one term per column,
    R's ``terms = FALSE``).
    """
    from radnb.evaluate._coxfit import zph

    cols = cph.columns
    if terms is None:
        groups = {c: [i] for i, c in enumerate(cols)}
    else:
        groups = {k: [cols.index(c) for c, _ in v] for k, v in terms.items()}
    return zph(cph.result, cph.durations, cph.event_observed, groups, transform=transform)


def ph_test(cph, *, transform: str = "km") -> pd.Series:
    """Per-column p of R survival >= 3.0 ``cox.zph(fit, terms = FALSE)``."""
    tab = ph_terms(cph, transform=transform)
    return tab["p"].drop("GLOBAL")


def lr_test(full, reduced_loglik: float, df: int) -> tuple[float, float]:
    from scipy.stats import chi2

    stat = float(2 * (full.log_likelihood_ - reduced_loglik))
    return stat, float(chi2.sf(stat, df))


def null_loglik(time, event, strata=None, ties: str = "efron") -> float:
    """Partial log-likelihood at beta = 0 (Efron or Breslow), for LR tests of a whole model."""
    t, e = check_surv(time, event)
    groups = np.zeros(t.size, int) if strata is None else pd.factorize(np.asarray(strata))[0]
    total = 0.0
    for g in np.unique(groups):
        m = groups == g
        ts, es = t[m], e[m]
        for u in np.unique(ts[es == 1]):
            n_risk = np.sum(ts >= u)
            d = int(np.sum((ts == u) & (es == 1)))
            if ties == "efron":
                total -= np.sum(np.log(n_risk - np.arange(d) * 1.0))
            else:
                total -= d * np.log(n_risk)
    return float(total)


def warn_notes(cph, what: str) -> None:
    bad = {c: n for c, n in cph.notes.items() if n}
    if bad:
        note = next(iter(bad.values()))
        warnings.warn(f"{what}: {list(bad)}: {note}", CoxFitWarning, stacklevel=3)


def _rows(cph, terms, cov_list, model: str, level: float, ph, term_p=None):
    z = z_quantile(level)
    summ = cph.summary
    ph_col = ph_term = None
    if ph is not None:
        ph_col = ph_terms(cph)["p"]
        ph_term = ph_terms(cph, {c: terms[c] for c in cov_list})
    rows = []
    for cov in cov_list:
        for col, lev in terms[cov]:
            r = summ.loc[col]
            b, se = float(r["coef"]), float(r["se(coef)"])
            with np.errstate(over="ignore"):
                hr, lo, hi = np.exp(b), np.exp(b - z * se), np.exp(b + z * se)
            rows.append(
                {
                    "covariate": cov,
                    "level": lev,
                    "model": model,
                    "n": int(cph._n_examples),  # noqa: SLF001
                    "events": int(cph.event_observed.sum()),
                    "coef": b,
                    "se": se,
                    "hr": float(hr),
                    "lower": float(lo),
                    "upper": float(hi),
                    "p": float(r["p"]),
                    "term_p": float(term_p[cov]) if term_p is not None else float(r["p"]),
                    "ph_p": float(ph_col[col]) if ph is not None else np.nan,
                    "ph_term_p": float(ph_term.loc[cov, "p"]) if ph is not None else np.nan,
                    "ph_global_p": float(ph_term.loc["GLOBAL", "p"]) if ph is not None else np.nan,
                    "note": cph.notes[col],
                }
            )
    return rows


@renamed_args(duration="duration_col", event="event_col")
def cox_table(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates,
    *,
    univariable: bool = True,
    multivariable="p<0.05",
    categorical=None,
    reference=None,
    strata=None,
    level: float = 0.95,
    ph_check: bool = True,
    ties: str = "efron",
) -> pd.DataFrame:
    """Univariable and multivariable Cox regression table.

    Cox models as R survival 3.x ``coxph(..., ties = ties)``: Newton-Raphson
    with R's stopping rule (relative change of the log partial likelihood <=
    1e-9), Efron (R's default) or Breslow ties, so coefficients and SEs equal
    R's to rounding. No events, a covariate with a single value or collinear
    covariates raise a :class:`~radnb.errors.RadnbError` saying so; a
    coefficient that may be infinite (perfect separation: R's "Loglik
    converged before variable ...") is kept, explained in ``note`` and warned
    about (:class:`CoxFitWarning`). For new patients use :func:`cox_fit`. Categorical
    covariates (strings, categoricals, or those named in ``categorical``) get
    treatment contrasts against their first level (or ``reference[cov]``), named
    in the ``level`` column. Rows with missing values in a model's columns are
    dropped for that model (R's ``na.omit``).

    Parameters
    ----------
    df : table with the survival columns and covariates.
    duration_col, event_col : column names (event 0/1); the former ``duration=`` /
        ``event=`` keywords still work, with a DeprecationWarning.
    covariates : covariates to test.
    univariable : one model per covariate.
    multivariable : "p<0.05" (or a float) enters covariates whose univariable
        likelihood-ratio p is below the threshold; a list enters those
        covariates; None skips the multivariable model.
    categorical : covariates to dummy-code even if numeric.
    reference : {covariate: reference level}.
    strata : column(s) for a stratified model (R ``strata()``).
    ph_check : add the proportional-hazards test of R survival >= 3.0
        ``cox.zph`` (exact score test, Kaplan-Meier time transform, R's
        default): ``ph_p`` per design column (``cox.zph(fit, terms = FALSE)``),
        ``ph_term_p`` per covariate (one multi-df test for a factor,
        ``cox.zph(fit)``) and ``ph_global_p`` (its GLOBAL row).
    ties : "efron" (R's default) or "breslow".

    Returns
    -------
    DataFrame with columns covariate, level, model ("univariable" /
    "multivariable"), n, events, coef, se, hr, lower, upper, p (Wald),
    term_p (likelihood-ratio p of the whole covariate), ph_p, ph_term_p,
    ph_global_p, note ("" unless the estimate is not usable).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 2, 7, 10], "e": [1, 1, 1, 0, 0, 1, 1, 0],
    ...                    "x": [2.0, 1.0, 3.0, 0.5, 0.1, 2.5, 0.4, 1.5]})
    >>> tab = cox_table(df, "t", "e", ["x"], multivariable=None, ph_check=False)
    >>> tab[["covariate", "model"]].values.tolist()
    [['x', 'univariable']]
    """
    duration, event = duration_col, event_col
    covariates = list(covariates)
    if not covariates:
        raise InvalidParameterError("give at least one covariate")
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
            what = f"univariable Cox model of {cov!r}"
            cph = fit_cox(X, t, e, strata=st, ties=ties, what=what)
            warn_notes(cph, what)
            k = len(terms[cov])
            _, p_term = lr_test(cph, cph.log_likelihood_null_, k)
            uni_p[cov] = p_term
            if univariable:
                rows += _rows(cph, terms, [cov], "univariable", level, ph_check, {cov: p_term})
    if multivariable is not None:
        if isinstance(multivariable, str):
            if not multivariable.replace(" ", "").startswith("p<"):
                raise InvalidParameterError(
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
            what = f"multivariable Cox model of {chosen}"
            cph = fit_cox(X, t, e, strata=st, ties=ties, what=what)
            warn_notes(cph, what)
            term_p = {}
            for cov in chosen:
                others = [c for c in X.columns if c not in {col for col, _ in terms[cov]}]
                if others:
                    red = fit_cox(X[others], t, e, strata=st, ties=ties, what=what)
                    red = red.log_likelihood_
                else:
                    red = cph.log_likelihood_null_
                term_p[cov] = lr_test(cph, red, len(terms[cov]))[1]
            rows += _rows(cph, terms, chosen, "multivariable", level, ph_check, term_p)
    out = pd.DataFrame(rows)
    out.attrs["level"] = level
    out.attrs["ties"] = ties
    return out
