"""Slice views draw the image, the mask contour and the label overlay."""

from __future__ import annotations

import numpy as np
import pytest

from radnb.plots.images import largest_slice, plot_slice


def test_largest_slice_per_view():
    m = np.zeros((6, 8, 10), np.uint8)
    m[4, 1:6, 2:8] = 1
    m[1, 2:3, 2:3] = 1
    assert largest_slice(m) == 4
    assert largest_slice(m, view="coronal") in range(1, 6)
    assert largest_slice(m, view="sagittal") in range(2, 8)


def test_plot_slice_draws_image_contour_and_overlay(rng):
    img = rng.normal(size=(6, 16, 16))
    m = np.zeros(img.shape, np.uint8)
    m[2:5, 4:12, 4:12] = 1
    hab = m * 1
    hab[3, 4:8, 4:12] = 2
    ax = plot_slice(img, m, hab, index=3)
    assert len(ax.images) == 2  # image + overlay
    assert len(ax.collections) >= 1  # mask contour
    assert ax.images[1].get_array().max() == 2
    assert ax.get_title() == "axial slice 3"


def test_plot_slice_without_mask_uses_middle_slice(rng):
    ax = plot_slice(rng.normal(size=(7, 8, 8)))
    assert ax.get_title() == "axial slice 3" and len(ax.images) == 1


def _phantom(flipped: bool = False):
    """SIMULATED LPS phantom: one bright cube at the patient's right, anterior, superior
    corner (small x, small y, large z in SimpleITK's (z, y, x) array), a dimmer one at
    the left, posterior, inferior corner. ``flipped`` stores the same anatomy with
    direction cosines diag(-1, -1, 1) (the array reversed in x and y)."""
    import SimpleITK as sitk

    arr = np.zeros((20, 30, 40), np.float32)
    arr[14:18, 2:8, 3:9] = 1.0  # right-anterior-superior
    arr[2:6, 22:28, 31:37] = 0.5  # left-posterior-inferior
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing((1.0, 1.0, 2.0))
    if flipped:
        f = sitk.GetImageFromArray(arr[:, ::-1, ::-1].copy())
        f.SetSpacing((1.0, 1.0, 2.0))
        f.SetDirection((-1, 0, 0, 0, -1, 0, 0, 0, 1))
        f.SetOrigin(img.TransformIndexToPhysicalPoint((39, 29, 0)))
        assert f.TransformIndexToPhysicalPoint((0, 0, 0)) == img.TransformIndexToPhysicalPoint(
            (39, 29, 0)
        )
        return f
    return img


def _where_drawn(ax, level: float):
    """Centre of the pixels drawn at grey ``level`` as fractions of the axes box
    (x from the left, y from the top)."""
    fig = ax.figure
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    bb = ax.get_window_extent()
    h = buf.shape[0]
    x0, x1 = int(bb.x0), int(bb.x1)
    y0, y1 = int(h - bb.y1), int(h - bb.y0)
    sub = buf[y0:y1, x0:x1]
    want = round(255 * level)
    hit = np.all(np.abs(sub - want) <= 3, axis=-1)
    rows, cols = np.nonzero(hit)
    assert rows.size, "marker not drawn"
    return cols.mean() / sub.shape[1], rows.mean() / sub.shape[0]


@pytest.mark.parametrize("flipped", [False, True])
@pytest.mark.parametrize(
    "view, index",
    [("axial", 15), ("coronal", 4), ("sagittal", 5)],
)
def test_plot_slice_radiological_convention(view, index, flipped):
    """Axial: anterior up, patient's right on the left; coronal: superior up, right on
    the left; sagittal: superior up, anterior on the left. The right-anterior-superior
    cube is drawn top-left in all three, whatever the file's axis flips."""
    import matplotlib.pyplot as plt

    img = _phantom(flipped)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
    plot_slice(img, view=view, index=index, window=(0.0, 1.0), orientation_labels=False, ax=ax)
    x, y = _where_drawn(ax, 1.0)
    assert x < 0.4 and y < 0.4, (view, x, y)
    texts = {t.get_gid(): t.get_text() for t in plot_slice(img, view=view, index=index).texts}
    expected = {"axial": "APRL", "coronal": "SIRL", "sagittal": "SIAP"}[view]
    got = "".join(texts[f"orient-{k}"] for k in ("top", "bottom", "left", "right"))
    assert got == expected


def test_plot_slice_axial_other_corner_and_aspect():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
    plot_slice(
        _phantom(), view="axial", index=3, window=(0.0, 1.0), orientation_labels=False, ax=ax
    )
    x, y = _where_drawn(ax, 0.5)  # left-posterior cube: bottom-right
    assert x > 0.6 and y > 0.6
    ax2 = plot_slice(_phantom(), view="coronal", index=25)
    assert ax2.get_aspect() == 2.0  # z spacing 2 mm, x spacing 1 mm
