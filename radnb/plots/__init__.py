"""Plots: each takes ``ax=None`` and returns the Axes it drew on.

Submodules: :mod:`radnb.plots.style` (shared look, 300-dpi export),
:mod:`radnb.plots.classification` (ROC, calibration, DCA, nomogram, LASSO,
Rad-score, heatmaps) and :mod:`radnb.plots.images` (slices with mask and habitat overlays),
:mod:`radnb.plots.survival` (``plot_km``: Kaplan-Meier with
numbers at risk; ``plot_forest``: forest plots; ``km_plot`` / ``forest_plot``
are deprecated aliases).

The names below load on first use (one table, :mod:`radnb._lazy`); an
ImportError of a submodule (a missing optional dependency) surfaces as is.
"""

from __future__ import annotations

from radnb._lazy import attach, by_submodule
from radnb.plots.style import PALETTE, get_ax, savefig, style_ax

_TABLE: dict[str, tuple[str, ...]] = {
    "classification": (
        "plot_roc", "plot_calibration", "plot_dca", "plot_nomogram", "nomogram_table",
        "plot_lasso_path", "plot_lasso_cv", "plot_score_box", "plot_waterfall",
        "plot_correlation_heatmap",
    ),
    "survival": (
        "plot_km", "plot_forest", "plot_survival_calibration", "plot_treatment_by_risk",
        "km_plot", "forest_plot",  # deprecated aliases (they warn when called)
    ),
    "images": ("largest_slice", "plot_slice", "plot_montage"),
}  # fmt: skip

__getattr__, __dir__, _lazy_all = attach(
    __name__,
    by_submodule(__name__, _TABLE),
    submodules=(*_TABLE, "style"),
)
__all__ = ["PALETTE", "get_ax", "savefig", "style_ax", *_lazy_all]
