"""Evaluation: classification (ROC/DeLong, cut-offs, calibration, DCA,
NRI/IDI) and survival (Cox, cut-offs, Kaplan-Meier, C-index).

Everything is importable from here, e.g. ``from radnb.evaluate import
auc_ci``; submodules load on first use so ``import radnb`` stays fast.

Results: an estimate with a CI is an :class:`Estimate` (``auc_ci``,
``km_median``, ``harrell_c``, ``uno_c``; unpacks as ``estimate, lower,
upper``), a hypothesis test is a :class:`TestResult` (``delong_test``,
``logrank_test``, ``compare_cindex``, ``hosmer_lemeshow``, ``spiegelhalter_z``,
``nri``, ``idi``; ``res["p"]`` still works), or a small frozen result of
them (``calibration_intercept_slope``: two Estimates); everything else is a
DataFrame (``calibration_summary``, ``threshold_metrics``, ...).
"""

from __future__ import annotations

from radnb._lazy import attach, by_submodule

# public submodules; each lists its names in __all__ (tests/test_vocabulary.py
# checks that the table below is exactly their union)
_SUBMODULES: tuple[str, ...] = (
    "_result",  # Estimate, TestResult: the two result types
    "classification",
    "calibration",
    "dca",
    "reclassification",
    "survival",
    "results",
)
_TABLE: dict[str, tuple[str, ...]] = {
    "_result": ("Estimate", "TestResult"),
    "classification": (
        "AUCResult", "auc_ci", "delong_test", "pairwise_delong", "roc_curve",
        "score_direction", "youden_threshold", "threshold_metrics", "threshold_metrics_table",
        "ThresholdMetrics",
    ),
    "calibration": (
        "calibration_curve", "hosmer_lemeshow", "brier_score", "calibration_intercept_slope",
        "spiegelhalter_z", "calibration_summary", "optimism_corrected_calibration",
        "InterceptSlope", "CalibrationSummary", "OptimismResult",
    ),
    "dca": ("net_benefit", "decision_curve", "DEFAULT_THRESHOLDS"),
    "reclassification": ("nri", "idi"),
    "survival": (
        "CIndexResult", "CoxFitWarning", "CoxModel", "Cutoff", "MaxstatResult",
        "TreatmentByRisk", "calibration_at", "compare_cindex", "cox_fit", "cox_table",
        "cutoff", "dca_survival", "decision_curve_survival", "harrell_c", "hr_by_cohort",
        "kaplan_meier", "km_median", "logrank_test", "maxstat_test", "median_table",
        "n_at_risk", "pairwise_logrank", "time_dependent_auc", "treatment_by_risk", "uno_c",
    ),
    "results": ("evaluation_table", "delong_matrix", "format_results", "METRICS"),
}  # fmt: skip


def _moved_plot(name: str):
    """``km_plot`` / ``forest_plot``: deprecated, moved to radnb.plots (warns)."""
    import importlib

    return lambda: getattr(importlib.import_module("radnb.evaluate.survival"), name)


__getattr__, __dir__, __all__ = attach(
    __name__,
    by_submodule(__name__, _TABLE),
    submodules=_SUBMODULES,
    extra={name: _moved_plot(name) for name in ("km_plot", "forest_plot")},
)
