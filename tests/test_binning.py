"""binned_histogram: PyRadiomics' discretisation inside a mask."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radnb.features.binning import binned_histogram


def _case(rng):
    arr = rng.normal(100, 30, size=(10, 12, 12))
    mask = np.zeros(arr.shape, np.uint8)
    mask[2:8, 3:9, 3:9] = 1
    return sitk.GetImageFromArray(arr), sitk.GetImageFromArray(mask), arr[mask == 1]


def test_bin_width_matches_pyradiomics_rule(rng):
    img, msk, x = _case(rng)
    h = binned_histogram(img, msk, {"setting": {"binWidth": 25}})
    # PyRadiomics: the first edge is min - (min mod width); all bins are half open
    assert h["lower"].iloc[0] == pytest.approx(x.min() - x.min() % 25)
    assert np.allclose(np.diff(h["lower"]), 25)
    assert h["count"].sum() == x.size == h.attrs["n_voxels"]
    # the bins PyRadiomics' discretiser assigns give the same counts
    from radiomics import imageoperations as ops

    q, _ = ops.binImage(sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) == 1, binWidth=25)
    ref = np.bincount(q[sitk.GetArrayFromImage(msk) == 1].astype(int))[1:]
    assert h["count"].to_numpy()[: len(ref)].tolist() == ref.tolist()


def test_bin_count_and_normalisation(rng):
    img, msk, _ = _case(rng)
    h = binned_histogram(img, msk, {"setting": {"binCount": 16}})
    assert h.attrs["n_bins"] == 16
    hn = binned_histogram(img, msk, {"setting": {"binWidth": 0.5, "normalize": True}})
    assert hn["lower"].min() > -10 and hn["upper"].max() < 10  # z-scored intensities


def test_empty_mask_is_a_clear_error(rng):
    img, msk, _ = _case(rng)
    empty = sitk.GetImageFromArray(np.zeros((10, 12, 12), np.uint8))
    with pytest.raises(ValueError, match="no voxel with label 1"):
        binned_histogram(img, empty)
