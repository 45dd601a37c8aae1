"""One shared look for every radnb figure, and 300-dpi export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["PALETTE", "get_ax", "savefig", "style_ax"]

#: Colour-blind-safe palette (Okabe-Ito) used for models, groups and arms.
PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
]


def get_ax(ax: Any = None, figsize: tuple[float, float] = (5.0, 4.5)):
    """Return ``ax`` or a new Axes on a new figure of ``figsize``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    return ax


def style_ax(ax: Any, *, title: str | None = None, grid: bool = True):
    """Apply radnb's style (light grid, no top/right spines) to ``ax``."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(True, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize=11)
    return ax


def savefig(fig_or_ax: Any, path: str | Path, *, dpi: int = 300) -> Path:
    """Save a figure (or the figure of an Axes) at ``dpi`` (300 by default)."""
    fig = getattr(fig_or_ax, "figure", fig_or_ax)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
