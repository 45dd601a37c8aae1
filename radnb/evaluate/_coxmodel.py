"""A fitted Cox model that predicts the linear predictor of new patients.

Private; exported as :class:`radnb.evaluate.survival.CoxModel` and
:func:`radnb.evaluate.survival.cox_fit`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radnb.errors import CohortError, InvalidParameterError, NotFittedError
from radnb.evaluate import _cox
from radnb.evaluate._common import z_quantile
from radnb.evaluate._deprecate import renamed_args
from radnb.evaluate._km import check_surv

__all__ = ["CoxModel", "cox_fit"]


class CoxModel:
    """Cox proportional-hazards model, as R survival 3.x ``coxph``.

    Newton-Raphson with R's stopping rule (relative change of the log partial
    likelihood <= ``eps = 1e-9``, ``iter.max = 20``), Efron (R's default) or
    Breslow ties, optional strata; coefficients and standard errors equal R's
    (``coxph(Surv(duration, event) ~ covariates, ties = ties)``) to rounding.
    Categorical covariates (strings, categoricals, booleans or those named in
    ``categorical``) get treatment contrasts against their first level (or
    ``reference[cov]``), and their levels are kept for :meth:`predict`.

    Parameters
    ----------
    duration, event : str
        Column names (event 0/1, 1 = event).
    covariates : list of str
    categorical : list of str, optional
        Covariates to dummy-code even if numeric.
    reference : dict, optional
        ``{covariate: reference level}``.
    strata : str or list of str, optional
        Stratification columns (R ``strata()``).
    ties : {"efron", "breslow"}
    level : float
        Confidence level of the HR intervals (Wald).

    Attributes
    ----------
    coef_, se_ : Series indexed by design column.
    var_ : DataFrame, the inverse information matrix (R ``vcov(fit)``).
    summary : DataFrame, one row per design column: covariate, level, coef,
        se, hr, lower, upper, z, p, note (what is wrong with an estimate:
        a coefficient that may be infinite, no convergence; "" otherwise).
    loglik_, loglik_null_ : log partial likelihood at the estimate and at 0
        (R ``fit$loglik``).
    n_, events_ : patients used (complete cases) and events.
    means_ : Series, the centring of the design columns, as R ``fit$means``:
        training means, 0 for columns holding only -1, 0, 1 (R ``nocenter``).
    levels_ : dict, the coding of each covariate (None when numeric).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 2, 7, 10], "e": [1, 1, 1, 0, 0, 1, 1, 0],
    ...                    "x": [2.0, 1.0, 3.0, 0.5, 0.1, 2.5, 0.4, 1.5],
    ...                    "g": list("abababab")})
    >>> m = cox_fit(df, "t", "e", ["x", "g"])
    >>> m.summary[["covariate", "level"]].values.tolist()
    [['x', ''], ['g', 'b vs a']]
    >>> new = pd.DataFrame({"x": [1.0, 2.0], "g": ["b", "a"]}, index=["p1", "p2"])
    >>> lp = m.predict(new, centered=False)
    >>> bool(np.isclose(lp["p1"], m.coef_["x"] + m.coef_["g[b]"]))
    True
    """

    def __init__(
        self,
        duration: str,
        event: str,
        covariates,
        *,
        categorical=None,
        reference=None,
        strata=None,
        ties: str = "efron",
        level: float = 0.95,
    ):
        self.duration = duration
        self.event = event
        self.covariates = list(covariates)
        self.categorical = categorical
        self.reference = reference
        self.strata = strata
        self.ties = ties
        self.level = level

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame) -> CoxModel:
        """Fit on the complete cases of ``df``; returns self."""
        if not self.covariates:
            raise InvalidParameterError("give at least one covariate")
        strata = [self.strata] if isinstance(self.strata, str) else list(self.strata or [])
        need = [self.duration, self.event] + strata + self.covariates
        missing = [c for c in need if c not in df.columns]
        if missing:
            raise CohortError(f"columns not found in the table: {missing}")
        sub = df[need].dropna()
        t, e = check_surv(sub[self.duration], sub[self.event], name=self.duration)
        st = sub[strata].astype(str).agg("|".join, axis=1).to_numpy() if strata else None
        spec: dict = {}
        X, terms = _cox.design(sub, self.covariates, self.categorical, self.reference, spec=spec)
        fit = _cox.fit_cox(X, t, e, strata=st, ties=self.ties, what="Cox model")
        _cox.warn_notes(fit, "Cox model")
        self._fit = fit
        self.terms_ = terms
        self.levels_ = spec
        self.columns_ = list(X.columns)
        self.coef_ = fit.params_.copy()
        self.se_ = fit.summary["se(coef)"].copy()
        self.var_ = fit.variance_matrix_.copy()
        # R centres every column except those holding only -1, 0 and 1 (coxph's nocenter)
        zero_one = X.isin([-1.0, 0.0, 1.0]).all()
        self.means_ = X.mean().where(~zero_one, 0.0)
        self.loglik_ = fit.log_likelihood_
        self.loglik_null_ = fit.log_likelihood_null_
        self.n_, self.events_ = int(len(X)), int(e.sum())
        self.iterations_ = fit.result.iterations
        z = z_quantile(self.level)
        rows = []
        for cov in self.covariates:
            for col, lev in terms[cov]:
                b, se = float(self.coef_[col]), float(self.se_[col])
                with np.errstate(over="ignore"):
                    hr, lo, hi = np.exp([b, b - z * se, b + z * se])
                rows.append(
                    {
                        "covariate": cov,
                        "level": lev,
                        "coef": b,
                        "se": se,
                        "hr": hr,
                        "lower": lo,
                        "upper": hi,
                        "z": b / se,
                        "p": float(fit.summary.loc[col, "p"]),
                        "note": fit.notes[col],
                    }
                )
        self.summary = pd.DataFrame(rows, index=pd.Index(self.columns_, name="column"))
        return self

    def _check(self):
        if not hasattr(self, "_fit"):
            raise NotFittedError("this CoxModel is not fitted yet; call .fit(df) first")

    # -------------------------------------------------------------- predict
    def design(self, df: pd.DataFrame) -> pd.DataFrame:
        """The design matrix of new rows, coded with the training levels."""
        self._check()
        X, _ = _cox.design(df, self.covariates, levels=self.levels_)
        return X[self.columns_]

    def predict(self, df: pd.DataFrame, *, type: str = "lp", centered: bool = True) -> pd.Series:
        """Linear predictor (or relative risk) of new patients.

        ``type="lp"`` is as R ``predict(fit, newdata, type = "lp")``: ``(x -
        means_) . beta`` when ``centered`` (R's default
        for an unstratified model; for a stratified one R centres within
        strata, radnb on the whole training sample, R ``reference =
        "sample"``); ``centered=False`` gives ``x . beta``. ``type="risk"`` is
        ``exp(lp)``. Categorical values outside the training levels are an
        error naming the patients; rows with a missing covariate get NaN.
        """
        if type not in ("lp", "risk"):
            raise InvalidParameterError(f"type must be 'lp' or 'risk', not {type!r}")
        X = self.design(df)
        x = X.to_numpy(float)
        if centered:
            x = x - self.means_.to_numpy(float)
        lp = pd.Series(x @ self.coef_.to_numpy(float), index=df.index, name=type)
        return np.exp(lp) if type == "risk" else lp

    # ------------------------------------------------------------- checks
    def ph_test(self, *, transform: str = "km", terms: bool = True) -> pd.DataFrame:
        """Proportional-hazards test, as R survival >= 3.0 ``cox.zph``.

        The exact score test of Grambsch & Therneau for ``beta(t) = beta +
        theta g(t)`` at ``(beta_hat, 0)``, with ``g`` the transformed time
        ("km": 1 - left-continuous pooled Kaplan-Meier, R's default;
        "identity", "rank", "log"), centred on its mean over the events.
        ``terms=True`` gives one (multi-df) test per covariate, as R's default;
        ``terms=False`` one per design column (R ``terms = FALSE``). The last
        row is the GLOBAL test. Columns chisq, df, p.
        """
        self._check()
        return _cox.ph_terms(self._fit, self.terms_ if terms else None, transform=transform)

    def plot(self, *, ax=None, **kws):
        """Deprecated: use ``radnb.plots.plot_forest(model.summary, ax=ax)``; returns ax."""
        from radnb.evaluate._deprecate import lazy_plot

        self._check()
        plot_forest = lazy_plot("radnb.evaluate.survival.CoxModel", "plot", "plot_forest")
        return plot_forest(self.summary, ax=ax, **kws)

    def __repr__(self) -> str:
        if not hasattr(self, "_fit"):
            return f"CoxModel({self.covariates}, ties={self.ties!r}; not fitted)"
        return (
            f"CoxModel({self.covariates}, ties={self.ties!r}; n={self.n_}, "
            f"events={self.events_}, loglik={self.loglik_:.4f})"
        )


@renamed_args(duration="duration_col", event="event_col")
def cox_fit(df: pd.DataFrame, duration_col: str, event_col: str, covariates, **kws) -> CoxModel:
    """Fit a :class:`CoxModel` (``CoxModel(duration_col, event_col, covariates, **kws).fit(df)``).

    As R survival 3.x ``coxph(Surv(duration, event) ~ covariates, ties = ...)``;
    keyword options as :class:`CoxModel` (categorical, reference, strata, ties,
    level).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 2, 7, 10], "e": [1, 1, 1, 0, 0, 1, 1, 0],
    ...                    "x": [2.0, 1.0, 3.0, 0.5, 0.1, 2.5, 0.4, 1.5]})
    >>> m = cox_fit(df, "t", "e", ["x"], ties="breslow")
    >>> m.ph_test().index.tolist()
    ['x', 'GLOBAL']
    """
    return CoxModel(duration_col, event_col, covariates, **kws).fit(df)
