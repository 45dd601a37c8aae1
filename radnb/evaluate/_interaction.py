"""Score HR per cohort (S2 design) and treatment effect by risk group (S4 design).

The public functions are re-exported by :mod:`radnb.evaluate.survival`. Cox models are fitted
by radnb's engine as R ``coxph`` (Efron ties); HRs carry Wald CIs and p-values;
group comparisons also carry the log-rank p (R ``survdiff``); the interaction is
tested by a likelihood-ratio test (R ``anova(fit_additive, fit_interaction)``).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from radnb.errors import CohortError, InvalidParameterError
from radnb.evaluate._common import z_quantile
from radnb.evaluate._cox import design, fit_cox, lr_test
from radnb.evaluate._deprecate import renamed_args
from radnb.evaluate._km import check_surv, logrank_test
from radnb.evaluate._result import TestResult

__all__ = ["TreatmentByRisk", "hr_by_cohort", "treatment_by_risk"]


def _need(df, cols):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CohortError(f"columns not found in the table: {missing}")


def _hr_row(cph, col, z):
    r = cph.summary.loc[col]
    b, se = float(r["coef"]), float(r["se(coef)"])
    with np.errstate(over="ignore"):
        return float(np.exp(b)), float(np.exp(b - z * se)), float(np.exp(b + z * se)), float(r["p"])


@renamed_args(score="score_col", duration="duration_col", event="event_col")
def hr_by_cohort(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    score_col: str,
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

    The columns come in the order of every survival call of radnb
    (``cox_table``, ``treatment_by_risk``, lifelines' ``duration_col,
    event_col``): durations, events, then the score and the cohort. The former
    order ``(df, score, duration, event, cohort_col)`` is recognised (its third
    column holds the 0/1 events), reordered with a DeprecationWarning.

    Returns
    -------
    DataFrame with columns cohort, n, events, comparison, hr, lower, upper, p,
    logrank_p.

    Examples
    --------
    >>> df = pd.DataFrame({"s": [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6],
    ...                    "t": [9, 2, 8, 3, 7, 4, 6, 5], "e": [0, 1, 1, 1, 0, 1, 1, 1],
    ...                    "c": ["a"] * 4 + ["b"] * 4})
    >>> hr_by_cohort(df, "t", "e", "s", "c")["cohort"].tolist()
    ['a', 'b']
    """
    duration_col, event_col, score_col = _column_order(df, duration_col, event_col, score_col)
    score, duration, event = score_col, duration_col, event_col
    covariates = list(covariates or [])
    _need(df, [score, duration, event, cohort_col] + covariates)
    z = z_quantile(level)
    rows = []
    for cohort, sub in df.groupby(cohort_col, sort=False, observed=True):
        sub = sub.dropna(subset=[score, duration, event] + covariates)
        t, e = check_surv(sub[duration], sub[event], name=duration)
        base = {"cohort": cohort, "n": int(t.size), "events": int(e.sum())}
        if e.sum() == 0:
            rows.append({**base, "comparison": "no events"})
            continue
        if grouped is None:
            X = pd.DataFrame({score: sub[score].astype(float)}, index=sub.index)
            Xc, _ = design(sub, covariates) if covariates else (None, None)
            if Xc is not None:
                X = X.join(Xc)
            cph = fit_cox(X, t, e)
            hr, lo, hi, p = _hr_row(cph, score, z)
            rows.append(
                {
                    **base,
                    "comparison": f"per unit {score}",
                    "hr": hr,
                    "lower": lo,
                    "upper": hi,
                    "p": p,
                    "logrank_p": np.nan,
                }
            )
            continue
        groups = grouped.assign(sub[score].to_numpy()) if hasattr(grouped, "assign") else grouped
        groups = pd.Categorical(groups)
        present = [c for c in groups.categories if (np.asarray(groups) == c).any()]
        ref = present[0]
        lr = logrank_test(t, e, groups) if len(present) > 1 else {"p": np.nan}
        g = pd.DataFrame(
            {"g": pd.Categorical(np.asarray(groups), categories=present)}, index=sub.index
        )
        X, terms = design(g, ["g"], categorical=["g"])
        if covariates:
            X = X.join(design(sub, covariates)[0])
        cph = fit_cox(X, t, e)
        for col, lev in terms["g"]:
            hr, lo, hi, p = _hr_row(cph, col, z)
            rows.append(
                {
                    **base,
                    "comparison": lev,
                    "hr": hr,
                    "lower": lo,
                    "upper": hi,
                    "p": p,
                    "logrank_p": lr["p"],
                }
            )
        del ref
    out = pd.DataFrame(rows)
    out.attrs["level"] = level
    return out


def _is_events(df: pd.DataFrame, col: str) -> bool:
    if col not in df.columns:
        return False
    v = pd.to_numeric(df[col], errors="coerce").dropna()
    return bool(len(v)) and bool(v.isin([0, 1]).all())


def _column_order(df: pd.DataFrame, duration_col: str, event_col: str, score_col: str):
    """Recognise the former ``(score, duration, event)`` order by where the 0/1 events are."""
    if not _is_events(df, event_col) and _is_events(df, score_col):
        warnings.warn(
            "hr_by_cohort(df, score, duration, event, cohort_col) is the former argument "
            "order and is deprecated; use hr_by_cohort(df, duration_col, event_col, score_col, "
            "cohort_col), as every survival call of radnb",
            DeprecationWarning,
            stacklevel=4,
        )
        return event_col, score_col, duration_col
    return duration_col, event_col, score_col


@dataclass(frozen=True)
class TreatmentByRisk:
    """Result of :func:`radnb.evaluate.survival.treatment_by_risk`.

    Attributes
    ----------
    table : DataFrame, one row per risk group x arm comparison: risk_group,
        comparison ("single vs none"), arm, reference, n, events, hr, lower,
        upper, p (Cox Wald, within the two arms), logrank_p (the two arms),
        group_logrank_p (all arms in the risk group).
    interaction : :class:`~radnb.evaluate.TestResult` of the likelihood-ratio
        test of the treatment x risk-group interaction (``["chisq"]``,
        ``["df"]``, ``["p"]`` as the former dict).
    model : the Cox fit with the interaction terms (``.summary``, ``.params_``,
        ``.log_likelihood_``, as R ``coxph``).
    """

    table: pd.DataFrame
    interaction: TestResult
    model: object = field(repr=False)

    def __repr__(self) -> str:
        i = self.interaction
        return (
            f"TreatmentByRisk({len(self.table)} comparisons; interaction LR chisq="
            f"{i['chisq']:.3f} on {i['df']} df, p={i['p']:.4g})"
        )


@renamed_args(
    duration="duration_col", event="event_col", treatment="treatment_col", risk_group="risk_col"
)
def treatment_by_risk(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    treatment_col: str,
    risk_col: str,
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
    covariates = list(covariates or [])
    duration, event, treatment, risk_group = duration_col, event_col, treatment_col, risk_col
    _need(df, [duration, event, treatment, risk_group] + covariates)
    d = df.dropna(subset=[duration, event, treatment, risk_group] + covariates)
    t, e = check_surv(d[duration], d[event], name=duration)
    present_arms = list(d[treatment].astype("category").cat.categories)
    if arms is None:
        arms = present_arms
    else:
        arms = list(arms)
        unknown = [a for a in present_arms if a not in arms]
        if unknown:
            raise InvalidParameterError(f"arms {unknown} are in the data but not in arms={arms}")
    if reference not in arms:
        raise InvalidParameterError(f"reference arm {reference!r} not among the arms {arms}")
    arms = [reference] + [a for a in arms if a != reference]
    risk_cat = d[risk_group].astype("category")
    risks = list(risk_cat.cat.categories)
    if len(arms) < 2 or len(risks) < 1:
        raise InvalidParameterError("need at least two treatment arms")
    if pairs == "all":
        comps = list(itertools.combinations(arms, 2))
    elif pairs == "reference":
        comps = [(reference, a) for a in arms[1:]]
    else:
        comps = [tuple(p) for p in pairs]
    z = z_quantile(level)
    arm_v = d[treatment].to_numpy()
    risk_v = d[risk_group].to_numpy()
    rows = []
    for rg in risks:
        in_rg = risk_v == rg
        present = [a for a in arms if (in_rg & (arm_v == a)).any()]
        glr = logrank_test(t[in_rg], e[in_rg], arm_v[in_rg])["p"] if len(present) > 1 else np.nan
        for ref, arm in comps:
            m = in_rg & np.isin(arm_v, [ref, arm])
            base = {
                "risk_group": rg,
                "comparison": f"{arm} vs {ref}",
                "arm": arm,
                "reference": ref,
                "n": int(m.sum()),
                "events": int(e[m].sum()),
                "group_logrank_p": glr,
            }
            if not ((arm_v[m] == ref).any() and (arm_v[m] == arm).any()) or e[m].sum() == 0:
                rows.append(
                    {
                        **base,
                        "hr": np.nan,
                        "lower": np.nan,
                        "upper": np.nan,
                        "p": np.nan,
                        "logrank_p": np.nan,
                    }
                )
                continue
            x = pd.DataFrame({"arm": (arm_v[m] == arm).astype(float)})
            if covariates:
                x = x.join(design(d.loc[m, covariates].reset_index(drop=True), covariates)[0])
            cph = fit_cox(x, t[m], e[m])
            hr, lo, hi, p = _hr_row(cph, "arm", z)
            lr = logrank_test(t[m], e[m], pd.Categorical(arm_v[m], categories=[ref, arm]))["p"]
            rows.append({**base, "hr": hr, "lower": lo, "upper": hi, "p": p, "logrank_p": lr})
    table = pd.DataFrame(rows)
    # interaction model: arm + risk + arm:risk (+ covariates) vs the additive model
    frame = pd.DataFrame(
        {
            "arm": pd.Categorical(arm_v, categories=arms),
            "risk": pd.Categorical(risk_v, categories=risks),
        }
    )
    Xa, ta = design(frame, ["arm"], categorical=["arm"])
    Xr, tr = design(frame, ["risk"], categorical=["risk"])
    add = Xa.join(Xr)
    if covariates:
        add = add.join(design(d[covariates].reset_index(drop=True), covariates)[0])
    inter = {}
    for (ca, _la), (cr, _lr) in itertools.product(ta["arm"], tr["risk"]):
        col = f"{ca}:{cr}"
        prod = add[ca] * add[cr]
        if prod.sum() > 0:
            inter[col] = prod
    full = add.join(pd.DataFrame(inter))
    cph_add = fit_cox(add, t, e)
    cph_full = fit_cox(full, t, e)
    k = full.shape[1] - add.shape[1]
    chisq, p = lr_test(cph_full, cph_add.log_likelihood_, k)
    interaction = TestResult(
        float(chisq),
        int(k),
        float(p),
        "likelihood-ratio test of the treatment x risk-group interaction",
        {"test": "likelihood ratio"},
        stat_name="chisq",
        keys_order=("chisq", "df", "p", "test"),
    )
    return TreatmentByRisk(table, interaction, cph_full)
