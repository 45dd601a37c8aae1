"""Image views: a slice with its mask contour and an optional label overlay (habitats).

Slices are shown in the radiological convention: axial slices seen from the
feet, anterior up and the patient's right on the image left; coronal slices
seen from the front, superior up, patient's right on the image left; sagittal
slices superior up, anterior on the image left. SimpleITK images are first
reoriented to LPS (identity direction cosines, ``SimpleITK.DICOMOrient``), so a
file stored in any axis order or flip shows the same way; numpy arrays are
taken as SimpleITK gives them, (z, y, x) with x towards the patient's left, y
towards posterior and z towards superior.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from radnb.plots.style import PALETTE, get_ax

__all__ = ["largest_slice", "plot_slice", "plot_montage"]

_AXES = {"axial": 0, "coronal": 1, "sagittal": 2}  # numpy (z, y, x) axis of the slicing

# Per view, on an LPS (z, y, x) array: imshow origin, and the anatomical side at the
# top, bottom, left and right of the displayed slice (radiological convention).
_DISPLAY = {
    "axial": ("upper", ("A", "P", "R", "L")),  # rows y (anterior first), columns x
    "coronal": ("lower", ("S", "I", "R", "L")),  # rows z (inferior first), columns x
    "sagittal": ("lower", ("S", "I", "A", "P")),  # rows z, columns y (anterior first)
}


def _lps(img: Any):
    """A SimpleITK image reoriented to LPS (identity direction), or the array as is."""
    if isinstance(img, np.ndarray) or img is None:
        return img
    d = np.asarray(img.GetDirection(), dtype=float).reshape(3, 3)
    if np.allclose(d, np.eye(3), atol=1e-6):
        return img
    import SimpleITK as sitk

    return sitk.DICOMOrient(img, "LPS")


def _array(img: Any) -> np.ndarray:
    if isinstance(img, np.ndarray):
        return img
    import SimpleITK as sitk

    return sitk.GetArrayFromImage(_lps(img))


def _aspect(img: Any, view: str) -> float:
    """Pixel height / width of the displayed slice (1 for arrays)."""
    if isinstance(img, np.ndarray):
        return 1.0
    sx, sy, sz = _lps(img).GetSpacing()
    return {"axial": sy / sx, "coronal": sz / sx, "sagittal": sz / sy}[view]


def largest_slice(mask: Any, *, view: str = "axial") -> int:
    """Index of the slice with the largest mask area along ``view``.

    Examples
    --------
    >>> m = np.zeros((5, 4, 4), np.uint8); m[3, 1:3, 1:3] = 1
    >>> largest_slice(m)
    3
    """
    arr = _array(mask) != 0
    axis = _AXES[view]
    areas = arr.sum(axis=tuple(a for a in range(3) if a != axis))
    return int(np.argmax(areas))


def _take(arr: np.ndarray, view: str, index: int) -> np.ndarray:
    return np.take(arr, index, axis=_AXES[view])


def plot_slice(
    image: Any,
    mask: Any = None,
    overlay: Any = None,
    *,
    view: str = "axial",
    index: int | str = "largest",
    window: tuple[float, float] | None = None,
    overlay_alpha: float = 0.45,
    orientation_labels: bool = True,
    ax: Any = None,
    title: str | None = None,
):
    """Show one slice of an image with the mask contour and an optional label overlay.

    Radiological convention (see the module docstring): axial with anterior
    up and the patient's right on the image left; coronal and sagittal with
    superior up. SimpleITK images are reoriented to LPS first and drawn with
    their pixel spacing (``aspect``); the sides are marked (A/P, R/L, S/I).

    Parameters
    ----------
    image, mask, overlay : SimpleITK images on one grid, or arrays in
        SimpleITK's (z, y, x) LPS order; ``overlay`` is a label map (e.g.
        habitats, 0 = background).
    view : "axial", "coronal" or "sagittal".
    index : slice index along that axis of the LPS array, or "largest"
        (largest mask area; the middle slice without a mask).
    window : display range (default: 1st-99th percentile of the slice).
    orientation_labels : mark the anatomical side of each edge.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> img = np.random.default_rng(0).normal(size=(6, 16, 16))
    >>> m = np.zeros_like(img, dtype=np.uint8); m[2:4, 4:10, 4:10] = 1
    >>> ax = plot_slice(img, m)
    >>> ax.get_title()
    'axial slice 2'
    """
    from matplotlib.colors import ListedColormap

    if view not in _AXES:
        raise ValueError(f"view must be one of {list(_AXES)}, got {view!r}")
    arr = _array(image).astype(float)
    if index == "largest":
        index = largest_slice(mask, view=view) if mask is not None else arr.shape[_AXES[view]] // 2
    sl = _take(arr, view, int(index))
    lo, hi = window if window is not None else np.percentile(sl, [1, 99])
    origin, sides = _DISPLAY[view]
    aspect = _aspect(image, view)
    ax = get_ax(ax, figsize=(4.5, 4.5))
    ax.imshow(
        sl, cmap="gray", vmin=lo, vmax=hi, origin=origin, interpolation="nearest", aspect=aspect
    )
    if overlay is not None:
        lab = _take(_array(overlay), view, int(index)).astype(float)
        k = int(np.nanmax(lab)) if lab.size else 0
        if k > 0:
            cmap = ListedColormap([PALETTE[i % len(PALETTE)] for i in range(k)])
            ax.imshow(
                np.ma.masked_where(lab == 0, lab),
                cmap=cmap,
                vmin=0.5,
                vmax=k + 0.5,
                alpha=overlay_alpha,
                origin=origin,
                interpolation="nearest",
                aspect=aspect,
            )
    if mask is not None:
        m = _take(_array(mask), view, int(index)) != 0
        if m.any():
            ax.contour(m.astype(float), levels=[0.5], colors=[PALETTE[4]], linewidths=1.2)
    ax.set_axis_off()
    if orientation_labels:
        kw = {"transform": ax.transAxes, "color": "#f0e442", "fontsize": 8, "fontweight": "bold"}
        top, bottom, left, right = sides
        ax.text(0.5, 0.99, top, ha="center", va="top", gid="orient-top", **kw)
        ax.text(0.5, 0.01, bottom, ha="center", va="bottom", gid="orient-bottom", **kw)
        ax.text(0.01, 0.5, left, ha="left", va="center", gid="orient-left", **kw)
        ax.text(0.99, 0.5, right, ha="right", va="center", gid="orient-right", **kw)
    ax.set_title(title or f"{view} slice {int(index)}", fontsize=10)
    return ax


def plot_montage(
    cohort,
    patient_id: str,
    *,
    sequences=None,
    overlay: Any = None,
    view: str = "axial",
    fig: Any = None,
):
    """One panel per sequence of a patient, same slice, mask contour on each.

    Returns the Figure.
    """
    import matplotlib.pyplot as plt

    sequences = list(sequences or cohort.sequences)
    if fig is None:
        fig = plt.figure(figsize=(3.2 * len(sequences), 3.4), constrained_layout=True)
    axes = fig.subplots(1, len(sequences), squeeze=False)[0]
    mask = cohort.mask(patient_id, sequences[0])
    index = largest_slice(mask, view=view)
    for ax, seq in zip(axes, sequences):
        m = cohort.mask(patient_id, seq)
        plot_slice(
            cohort.image(patient_id, seq),
            m,
            overlay,
            view=view,
            index=index,
            ax=ax,
            title=f"{patient_id} {seq}",
        )
    if getattr(cohort, "simulated", False):
        fig.suptitle("SIMULATED", fontsize=9, color="0.4")
    return fig
