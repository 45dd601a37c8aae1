"""Per-case preprocessing: resampling, normalisation, N4, registration, mask carrying."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radnb import preprocess as pp
from radnb.errors import GeometryError


def _blob(shift=(0.0, 0.0, 0.0), n=32, spacing=(1.0, 1.0, 1.0)):
    z, y, x = np.mgrid[:n, :n, :n].astype(float)
    cx, cy, cz = (n / 2 + s for s in shift)
    arr = np.exp(-((x - cx) ** 2 / 30 + (y - cy) ** 2 / 18 + (z - cz) ** 2 / 24))
    arr += 0.5 * np.exp(-((x - cx - 5) ** 2 + (y - cy + 4) ** 2 + (z - cz) ** 2) / 6)
    img = sitk.GetImageFromArray((100 * arr).astype(np.float32))
    img.SetSpacing(spacing)
    return img


def _cube_mask(n=32, lo=10, hi=20):
    a = np.zeros((n, n, n), np.uint8)
    a[lo:hi, lo:hi, lo:hi] = 1
    return sitk.GetImageFromArray(a)


def test_resample_geometry_and_mask_labels():
    img = _blob()
    out = pp.resample(img, (2.0, 2.0, 1.0), interpolator="linear")
    assert out.GetSpacing() == (2.0, 2.0, 1.0) and out.GetSize() == (16, 16, 32)
    assert out.GetOrigin() == img.GetOrigin()
    lab = _cube_mask() * 3
    m = pp.resample(lab, 2.0, interpolator="nearest", default_value=0)
    assert set(np.unique(sitk.GetArrayFromImage(m))) == {0, 3}
    with pytest.raises(ValueError, match="spacing"):
        pp.resample(img, (1.0, 2.0))
    with pytest.raises(ValueError, match="interpolator"):
        pp.resample(img, 2.0, interpolator="cubic-ish")


def test_resample_to_reference():
    img = _blob()
    ref = pp.resample(img, 2.0)
    out = pp.resample_to(img, ref)
    assert out.GetSize() == ref.GetSize() and out.GetSpacing() == ref.GetSpacing()
    same = pp.resample_to(img, img)
    np.testing.assert_allclose(sitk.GetArrayFromImage(same), sitk.GetArrayFromImage(img), atol=1e-4)


def test_normalize(rng):
    arr = rng.normal(50, 7, (10, 10, 10)).astype(np.float32)
    img = sitk.GetImageFromArray(arr)
    z = sitk.GetArrayFromImage(pp.normalize(img))
    assert z.mean() == pytest.approx(0, abs=1e-5) and z.std() == pytest.approx(1, abs=1e-5)
    m = np.zeros_like(arr, np.uint8)
    m[:5] = 1
    mask = sitk.GetImageFromArray(m)
    zm = sitk.GetArrayFromImage(pp.normalize(img, mask=mask))
    assert zm[:5].mean() == pytest.approx(0, abs=1e-5)
    p = sitk.GetArrayFromImage(pp.normalize(img, "percentile"))
    assert p.min() == 0 and p.max() == 1
    assert np.mean(p == 1) == pytest.approx(0.01, abs=0.005)  # above the 99th percentile
    with pytest.raises(ValueError, match="zscore"):
        pp.normalize(img, "minmax")
    with pytest.raises(ValueError, match="empty"):
        pp.normalize(img, mask=mask * 0)


def test_n4_removes_a_smooth_bias():
    n = 32
    z, y, x = np.mgrid[:n, :n, :n].astype(float)
    obj = ((x - 16) ** 2 + (y - 16) ** 2 + (z - 16) ** 2 < 13**2).astype(float)
    tissue = 100.0 * obj + 10.0
    bias = np.exp(0.4 * (x - 16) / 16)  # multiplicative, smooth
    img = sitk.GetImageFromArray((tissue * bias).astype(np.float32))
    mask = sitk.GetImageFromArray(obj.astype(np.uint8))
    out = sitk.GetArrayFromImage(pp.n4_bias_correction(img, mask, shrink=2, iterations=(30, 30)))
    inside = obj > 0
    cv_before = (tissue * bias)[inside].std() / (tissue * bias)[inside].mean()
    cv_after = out[inside].std() / out[inside].mean()
    assert cv_after < 0.5 * cv_before


def test_register_rigid_recovers_translation():
    fixed = _blob()
    moving = _blob(shift=(3.0, -2.0, 0.0))
    out, tx = pp.register(moving, fixed, transform="rigid", iterations=100)
    params = tx.GetParameters()  # Euler3D: 3 angles then translation (fixed -> moving)
    np.testing.assert_allclose(params[3:], (3.0, -2.0, 0.0), atol=0.3)
    err_before = np.abs(sitk.GetArrayFromImage(moving) - sitk.GetArrayFromImage(fixed)).mean()
    err_after = np.abs(sitk.GetArrayFromImage(out) - sitk.GetArrayFromImage(fixed)).mean()
    assert err_after < 0.3 * err_before
    aff = pp.register(moving, fixed, transform="affine", iterations=50)
    assert aff.image.GetSize() == fixed.GetSize()
    with pytest.raises(ValueError, match="rigid"):
        pp.register(moving, fixed, transform="bspline")


def test_carry_mask():
    m = _cube_mask()
    img = sitk.Image(m.GetSize(), sitk.sitkFloat32)
    same = pp.carry_mask(m, img, img)
    assert np.array_equal(sitk.GetArrayFromImage(same), sitk.GetArrayFromImage(m))
    coarse = pp.resample(img, 2.0)
    for method in ("linear", "nearest"):
        out = pp.carry_mask(m, img, coarse, method=method)
        vol = sitk.GetArrayFromImage(out).sum() * 8.0
        assert vol == pytest.approx(1000, rel=0.35), method
    ring = sitk.Cast(sitk.BinaryDilate(m, [2, 2, 2]) - m, sitk.sitkUInt8)
    two = m + 2 * ring  # labels 1 (core) and 2 (shell)
    out = pp.carry_mask(two, img, coarse)
    assert set(np.unique(sitk.GetArrayFromImage(out))) == {0, 1, 2}
    with pytest.raises(GeometryError, match="from_image"):
        pp.carry_mask(m, coarse, img)
    with pytest.raises(ValueError, match="method"):
        pp.carry_mask(m, img, coarse, method="cubic")


def test_check_steps_and_apply_steps():
    steps = pp.check_steps({"n4": True, "normalize": "percentile", "register_to": "T1"})
    assert steps["n4"] == {} and steps["normalize"]["method"] == "percentile"
    assert steps["registration"] == {"transform": "rigid"}
    with pytest.raises(ValueError, match="unknown preprocess"):
        pp.check_steps({"denoise": True})
    fixed = _blob()
    moving = _blob(shift=(2.0, 0.0, 0.0), spacing=(1.0, 1.0, 1.0))
    mask = _cube_mask()
    img, m = pp.apply_steps(
        moving, mask, {"register_to": "X", "normalize": "zscore"}, reference=fixed, mask_grid=fixed
    )
    a = sitk.GetArrayFromImage(img)
    assert a.mean() == pytest.approx(0, abs=1e-4)
    assert img.GetSize() == fixed.GetSize() and m.GetSize() == fixed.GetSize()
