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

from radnb.evaluate._cindex import (
    CIndexResult,
    compare_cindex,
    harrell_c,
    time_dependent_auc,
    uno_c,
)
from radnb.evaluate._cox import CoxFitWarning, cox_table
from radnb.evaluate._coxmodel import CoxModel, cox_fit
from radnb.evaluate._interaction import TreatmentByRisk, hr_by_cohort, treatment_by_risk
from radnb.evaluate._km import (
    kaplan_meier,
    km_median,
    logrank_test,
    median_table,
    n_at_risk,
    pairwise_logrank,
)
from radnb.evaluate._maxstat import Cutoff, MaxstatResult, cutoff, maxstat_test
from radnb.evaluate._timepoint import calibration_at, dca_survival, decision_curve_survival

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
    "decision_curve_survival",
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

# plots moved to radnb.plots (statistics never import plots): deprecated aliases
_MOVED_TO_PLOTS = {"km_plot": "plot_km", "forest_plot": "plot_forest"}


def __getattr__(name: str):
    if name in _MOVED_TO_PLOTS:
        from radnb.evaluate._deprecate import lazy_plot

        return lazy_plot("radnb.evaluate.survival", name, _MOVED_TO_PLOTS[name])
    raise AttributeError(f"module 'radnb.evaluate.survival' has no attribute {name!r}")
