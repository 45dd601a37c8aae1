"""Survival analysis and risk stratification.

Kaplan-Meier estimates and medians, log-rank tests, Cox tables, risk-group
cut-offs (median / tertiles / quantiles / maximally selected log-rank),
Harrell's and Uno's C, time-dependent AUC, calibration and decision curves at a
time point, score HRs per cohort and treatment effect by risk group.

Each function names the R convention it follows; the test-suite checks them
against published R output (``survival``, ``maxstat``, ``dcurves``).
Times are any non-negative unit; events are 0/1 (1 = event). R's 1/2 status
coding must be converted first (``status - 1``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radnb.evaluate import _cindex, _cox, _interaction, _km, _timepoint
from radnb.evaluate._cindex import CIndexResult
from radnb.evaluate._cox import CoxFitWarning
from radnb.evaluate._coxmodel import CoxModel, cox_fit
from radnb.evaluate._interaction import TreatmentByRisk
from radnb.evaluate._km import n_at_risk
from radnb.evaluate._maxstat import Cutoff, MaxstatResult, maxstat_test

__all__ = [
    "CIndexResult",
    "CoxFitWarning",
    "CoxModel",
    "Cutoff",
    "MaxstatResult",
    "TreatmentByRisk",
    "calibration_at",
    "compare_cindex",
    "cox_fit",
    "cox_table",
    "cutoff",
    "dca_survival",
    "harrell_c",
    "hr_by_cohort",
    "kaplan_meier",
    "km_median",
    "logrank_test",
    "maxstat_test",
    "median_table",
    "n_at_risk",
    "pairwise_logrank",
    "time_dependent_auc",
    "treatment_by_risk",
    "uno_c",
]


# ----------------------------------------------------------------------------
# Kaplan-Meier and log-rank
# ----------------------------------------------------------------------------
def kaplan_meier(
    time, event, groups=None, *, conf_type: str = "log", level: float = 0.95, times=None
) -> pd.DataFrame:
    """Kaplan-Meier estimates with pointwise confidence intervals.

    Follows R ``survfit(Surv(time, event) ~ groups)``: Greenwood variance and
    ``conf.type`` "log" (R's default), "log-log" or "plain".

    Parameters
    ----------
    time, event : follow-up times and 0/1 event indicators (1 = event).
    groups : optional group labels (a Categorical keeps its order).
    conf_type : "log", "log-log" or "plain".
    level : confidence level.
    times : if given, the estimates at these times (as ``summary(fit, times=)``)
        instead of at every distinct time.

    Returns
    -------
    DataFrame with columns group, time, n_risk, n_event, n_censor, survival,
    std_err (of S), lower, upper (at every distinct time), or group, time,
    survival, std_err, lower, upper (at ``times``).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> km["survival"].round(3).tolist()
    [0.8, 0.6, 0.3, 0.3]
    """
    t, e = _km.check_surv(time, event)
    cat = _km.as_groups(groups if groups is not None else np.repeat("all", t.size), t.size)
    parts = []
    for g in cat.categories:
        m = np.asarray(cat) == g
        cur = _km.km_curve(t[m], e[m], conf_type=conf_type, level=level)
        if times is not None:
            cur = _km.km_at(cur, times)
        cur.insert(0, "group", g)
        parts.append(cur)
    out = pd.concat(parts, ignore_index=True)
    out.attrs.update(conf_type=conf_type, level=level)
    return out


def km_median(time, event, *, ci: str = "log", level: float = 0.95) -> tuple[float, float, float]:
    """Median survival time and its confidence interval, as R ``print(survfit(...))``.

    The median is the smallest time with S(t) <= 0.5 (midpoint of a flat
    stretch exactly at 0.5); the limits apply the same rule to the confidence
    curves (R ``quantile.survfit``). ``nan`` where a curve never reaches 0.5.

    Parameters
    ----------
    time, event : follow-up times and 0/1 events.
    ci : confidence-interval type, "log" (R's default), "log-log" or "plain".
    level : confidence level.

    Returns
    -------
    (median, lower, upper)

    Examples
    --------
    >>> km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1])
    (3.5, 2.0, nan)
    """
    return _km.km_quantile(time, event, p=0.5, conf_type=ci, level=level)


def median_table(time, event, groups=None, *, ci: str = "log", level: float = 0.95) -> pd.DataFrame:
    """n, events and median survival with CI per group (R ``print(survfit)``).

    Examples
    --------
    >>> median_table([1, 2, 3, 4], [1, 1, 1, 1], ["a", "a", "b", "b"])[["group", "median"]]
      group  median
    0     a     1.5
    1     b     3.5
    """
    t, e = _km.check_surv(time, event)
    cat = _km.as_groups(groups if groups is not None else np.repeat("all", t.size), t.size)
    rows = []
    for g in cat.categories:
        m = np.asarray(cat) == g
        med, lo, hi = km_median(t[m], e[m], ci=ci, level=level)
        rows.append(
            {
                "group": g,
                "n": int(m.sum()),
                "events": int(e[m].sum()),
                "median": med,
                "lower": lo,
                "upper": hi,
            }
        )
    return pd.DataFrame(rows)


def logrank_test(time, event, groups, *, strata=None) -> dict:
    """Log-rank test across groups, as R ``survdiff(Surv(time, event) ~ groups)``.

    Returns
    -------
    dict with chisq, df, p and table (group, n, observed, expected,
    oe2_e = (O-E)^2/E, oe2_v = (O-E)^2/V).

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1])
    >>> round(r["chisq"], 3), r["df"]
    (5.052, 1)
    """
    return _km.logrank(time, event, groups, strata=strata)


def pairwise_logrank(time, event, groups, *, adjust: str = "BH", strata=None) -> pd.DataFrame:
    """Log-rank test for every pair of groups with multiplicity adjustment.

    As survminer ``pairwise_survdiff`` (default ``p.adjust.method = "BH"``;
    "holm", "bonferroni" and "none" also available, as R ``p.adjust``).

    Returns
    -------
    DataFrame with columns group1, group2, chisq, p, p_adj.

    Examples
    --------
    >>> t = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> pw = pairwise_logrank(t, [1] * 9, list("aaabbbccc"), adjust="holm")
    >>> pw[["group1", "group2"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    return _km.pairwise_logrank(time, event, groups, adjust=adjust, strata=strata)


# ----------------------------------------------------------------------------
# cut-offs
# ----------------------------------------------------------------------------
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
) -> Cutoff:
    """Fit risk-group cut-off(s) on the training score; apply with ``.assign``.

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
    """
    return Cutoff(
        method,
        quantiles=quantiles,
        minprop=minprop,
        maxprop=maxprop,
        pmethod=pmethod,
        labels=labels,
    ).fit(score, time, event)


# ----------------------------------------------------------------------------
# Cox
# ----------------------------------------------------------------------------
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
    duration, event : column names (event 0/1).
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
    return _cox.cox_table(
        df,
        duration,
        event,
        covariates,
        univariable=univariable,
        multivariable=multivariable,
        categorical=categorical,
        reference=reference,
        strata=strata,
        level=level,
        ph_check=ph_check,
        ties=ties,
    )


def hr_by_cohort(
    df: pd.DataFrame,
    score: str,
    duration: str,
    event: str,
    cohort_col: str,
    *,
    grouped=None,
    covariates=None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Hazard ratio of a score in each cohort (internal, external, ...).

    With ``grouped=None`` the score enters the Cox model as a continuous
    covariate (HR per unit). With a fitted :class:`Cutoff` (fitted on the
    training cohort) the groups it assigns are compared with the lowest group
    as reference (Cox HR, Wald CI and p; log-rank p as R ``survdiff``).

    Returns
    -------
    DataFrame with columns cohort, n, events, comparison, hr, lower, upper, p,
    logrank_p.

    Examples
    --------
    >>> df = pd.DataFrame({"s": [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6],
    ...                    "t": [9, 2, 8, 3, 7, 4, 6, 5], "e": [0, 1, 1, 1, 0, 1, 1, 1],
    ...                    "c": ["a"] * 4 + ["b"] * 4})
    >>> hr_by_cohort(df, "s", "t", "e", "c")["cohort"].tolist()
    ['a', 'b']
    """
    return _interaction.hr_by_cohort(
        df, score, duration, event, cohort_col, grouped=grouped, level=level, covariates=covariates
    )


def treatment_by_risk(
    df: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    risk_group: str,
    *,
    reference="none",
    arms=None,
    pairs="all",
    covariates=None,
    level: float = 0.95,
) -> TreatmentByRisk:
    """Treatment effect within each risk group and the treatment x risk interaction.

    ``arms`` fixes the order of the arms (default: sorted, ``reference``
    first); comparisons read "later arm vs earlier arm". Risk groups keep the
    order of a Categorical column. Within each risk group, each pair of arms (``pairs="all"``; or
    ``"reference"`` for arm vs ``reference`` only; or a list of (ref, arm)) is
    compared by a Cox model on those two arms (HR, Wald CI, p) and by the
    log-rank test; ``group_logrank_p`` tests all arms in the group. The
    interaction is the likelihood-ratio test of arm + risk + arm:risk against
    arm + risk (R ``anova(coxph(~ arm + risk), coxph(~ arm * risk))``).

    Returns
    -------
    :class:`TreatmentByRisk` with ``.table``, ``.interaction`` and ``.model``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"t": rng.exponential(5, 60), "e": rng.integers(0, 2, 60),
    ...                    "arm": ["none", "single"] * 30, "risk": ["low"] * 30 + ["high"] * 30})
    >>> res = treatment_by_risk(df, "t", "e", "arm", "risk")
    >>> res.table[["risk_group", "comparison"]].values.tolist()
    [['high', 'single vs none'], ['low', 'single vs none']]
    """
    return _interaction.treatment_by_risk(
        df,
        duration,
        event,
        treatment,
        risk_group,
        reference=reference,
        arms=arms,
        pairs=pairs,
        covariates=covariates,
        level=level,
    )


# ----------------------------------------------------------------------------
# discrimination
# ----------------------------------------------------------------------------
def harrell_c(time, event, risk, *, level: float = 0.95) -> CIndexResult:
    """Harrell's concordance index with standard error and CI.

    As R ``survival::concordance`` (``timewt = "n"``): ``risk`` is a score where
    higher means shorter survival (e.g. a Cox linear predictor); ties in risk
    count 1/2; the SE is the infinitesimal-jackknife SE; CI = C +/- z SE.

    Examples
    --------
    >>> harrell_c([1, 2, 3, 4], [1, 1, 1, 0], [4, 3, 2, 1]).c
    1.0
    """
    return _cindex.harrell_c(time, event, risk, level=level)[0]


def compare_cindex(time, event, risk_a, risk_b, *, level: float = 0.95) -> dict:
    """Compare two Harrell's C on the same patients.

    Uses the joint infinitesimal-jackknife covariance of the two C's, as R
    ``vcov(concordance(fit_a, fit_b))`` (Therneau & Watson), not a bootstrap.

    Returns
    -------
    dict with c_a, c_b, diff (a - b), se, lower, upper, z, p, corr, method.

    Examples
    --------
    >>> r = compare_cindex([1, 2, 3, 4, 5], [1, 1, 1, 1, 0], [5, 4, 3, 2, 1], [5, 4, 3, 2, 1])
    >>> r["diff"]
    0.0
    """
    return _cindex.compare_c(time, event, risk_a, risk_b, level=level)


def uno_c(
    time, event, risk, *, tau=None, level: float = 0.95, n_boot: int = 200, random_state=None
) -> CIndexResult:
    """Uno's IPCW concordance index restricted to times before ``tau``.

    Uno et al. (Stat Med 2011): comparable pairs t_i < t_j with t_i < tau and
    an event at t_i, weighted by 1/G(t_i-)^2 (G = Kaplan-Meier of the
    censoring times); ties in risk count 1/2. The CI is a percentile bootstrap
    (``n_boot`` resamples, ``random_state``).

    Examples
    --------
    >>> uno_c([1, 2, 3, 4], [1, 1, 1, 0], [4, 3, 2, 1], n_boot=20, random_state=0).c
    1.0
    """
    return _cindex.uno_c(
        time, event, risk, tau=tau, level=level, n_boot=n_boot, random_state=random_state
    )


def time_dependent_auc(
    time, event, marker, times, *, level: float = 0.95, n_boot: int = 200, random_state=None
) -> pd.DataFrame:
    """Cumulative/dynamic time-dependent AUC with IPCW, as R ``timeROC``.

    Cases: event by t; controls: still event-free after t; cases weighted by
    1/G(T_i-), the Kaplan-Meier censoring survival (``weighting="marginal"``).
    Higher ``marker`` = higher risk. CIs are percentile bootstrap.

    Returns
    -------
    DataFrame with columns time, auc, se, lower, upper, n_cases, n_controls.

    Examples
    --------
    >>> td = time_dependent_auc([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1],
    ...                         [6, 5, 4, 3, 2, 1], [3], n_boot=10, random_state=0)
    >>> float(td["auc"].iloc[0])
    1.0
    """
    return _cindex.td_auc(
        time, event, marker, times, level=level, n_boot=n_boot, random_state=random_state
    )


# ----------------------------------------------------------------------------
# time-point calibration and decision curves
# ----------------------------------------------------------------------------
def calibration_at(
    time, event, risk, at: float, *, n_groups=10, level: float = 0.95
) -> pd.DataFrame:
    """Predicted versus observed risk of an event by time ``at``.

    Patients are grouped into ``n_groups`` quantile groups of predicted risk
    (or pass an array of group labels); each group's mean predicted risk is
    set against 1 - KM(at) with its log-type Kaplan-Meier CI.

    Returns
    -------
    DataFrame with columns group, n, events, predicted, observed, lower, upper.

    Examples
    --------
    >>> cal = calibration_at([1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 1, 0],
    ...                      [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], 3.5, n_groups=2)
    >>> cal["n"].tolist()
    [3, 3]
    """
    return _timepoint.calibration_at(time, event, risk, at, n_groups=n_groups, level=level)


def dca_survival(time, event, risks, at: float, *, thresholds=None) -> pd.DataFrame:
    """Survival decision curve: net benefit at time ``at`` (Kaplan-Meier based).

    As R ``dcurves::dca(Surv(time, event) ~ model, time = at)``: patients with
    predicted risk > threshold are "positive"; true/false positives come from
    the KM risk by ``at`` among positives. Includes "Treat All" and "Treat None".

    Parameters
    ----------
    risks : dict {name: predicted risk of the event by ``at``} (or one array).
    thresholds : default 0, 0.01, ..., 0.99.

    Returns
    -------
    DataFrame with columns variable, label, n, threshold, pos_rate (event risk
    by ``at``, as dcurves), test_pos_rate, tp_rate, fp_rate, harm, net_benefit.

    Examples
    --------
    >>> nb = dca_survival([1, 2, 3, 4], [1, 0, 1, 0], {"m": [0.9, 0.2, 0.8, 0.1]}, 3.5,
    ...                   thresholds=[0.5])
    >>> nb["variable"].tolist()
    ['all', 'none', 'm']
    """
    if not isinstance(risks, dict):
        risks = {"model": risks}
    thr = np.round(np.arange(0, 1, 0.01), 2) if thresholds is None else thresholds
    return _timepoint.net_benefit_at(time, event, risks, at, thr)


# plots moved to radnb.plots (statistics never import plots): deprecated aliases
_MOVED_TO_PLOTS = {"km_plot": "plot_km", "forest_plot": "plot_forest"}


def __getattr__(name: str):
    if name in _MOVED_TO_PLOTS:
        from radnb.evaluate._deprecate import lazy_plot

        return lazy_plot("radnb.evaluate.survival", name, _MOVED_TO_PLOTS[name])
    raise AttributeError(f"module 'radnb.evaluate.survival' has no attribute {name!r}")
