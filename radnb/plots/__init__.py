"""Plots: each takes ``ax=None`` and returns the Axes it drew on.

Submodules: :mod:`radnb.plots.style` (shared look, 300-dpi export),
:mod:`radnb.plots.classification` (ROC, calibration, DCA, nomogram, LASSO,
Rad-score, heatmaps) and :mod:`radnb.plots.images` (slices with mask and habitat overlays),
:mod:`radnb.plots.survival` (``plot_km``: Kaplan-Meier with
numbers at risk; ``plot_forest``: forest plots; ``km_plot`` / ``forest_plot``
are deprecated aliases).
"""

from __future__ import annotations

import importlib
from typing import Any

from radnb.plots.style import PALETTE, get_ax, savefig, style_ax

__all__ = ["PALETTE", "get_ax", "savefig", "style_ax"]

_SUBMODULES = ("classification", "survival", "images")


def __getattr__(name: str) -> Any:
    for sub in _SUBMODULES:
        try:
            mod = importlib.import_module(f"radnb.plots.{sub}")
        except ImportError:
            continue
        if name in getattr(mod, "__all__", ()):
            return getattr(mod, name)
    raise AttributeError(f"module 'radnb.plots' has no attribute {name!r}")
