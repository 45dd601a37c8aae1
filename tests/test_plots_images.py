"""Slice views draw the image, the mask contour and the label overlay."""

from __future__ import annotations

import numpy as np

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
