"""Radiomics on the tumour's box: cutting to the tumour's box and normalising once change no number.

``habitat_features`` normalises each (patient, sequence) image once and, when the
settings allow it (Original image only, no resampling), hands PyRadiomics the
tumour's bounding box instead of the whole volume. The reference here is the
plain path: :func:`radnb.features.radiomic.extract_case` on the whole image with
each habitat as the mask, exactly as PyRadiomics would be called by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radnb.features.habitat import HabitatModel
from radnb.features.habitat_metrics import habitat_features
from radnb.features.presets import resolve_params
from radnb.features.radiomic import _croppable, _extractor, _split, extract_case

SEQS = ["DCE_early", "ADC"]


@pytest.fixture(scope="module")
def small_s3(tmp_path_factory):
    from radnb.datasets import simulate

    cohort = simulate("S3", n=6, random_state=5, root=tmp_path_factory.mktemp("s3crop"),
                      shape=(16, 40, 40))  # fmt: skip
    model = HabitatModel(SEQS, n_habitats=3, random_state=0).fit(cohort, train="train")
    return cohort, model.transform(cohort)


def _reference(cohort, maps, pid, seq, params, k=3, min_voxels=10):
    params = resolve_params(params)
    params["setting"]["additionalInfo"] = False
    image = cohort.image(pid, seq)
    lab = sitk.GetArrayFromImage(maps[pid])
    out = {}
    for h in range(1, k + 1):
        sel = lab == h
        if sel.sum() < min_voxels:
            continue
        m = sitk.GetImageFromArray(sel.astype(np.uint8))
        m.CopyInformation(image)
        # PyRadiomics by hand, on the whole volume
        feats, _ = _split(_extractor(params).execute(image, m, label=1))
        for name, v in feats.items():
            out[f"{seq}__habitat{h}_{name}"] = v
    return out


PARAMS = {
    "mr preset (normalised in PyRadiomics)": {
        "preset": "mr",
        "imageType": {"Original": {}},
        "featureClass": {"firstorder": [], "glcm": [], "shape": [], "glszm": []},
    },
    "default (bin width 25)": {
        "imageType": {"Original": {}},
        "featureClass": {"firstorder": [], "glrlm": [], "ngtdm": []},
    },
    "LoG (whole volume kept)": {
        "preset": "mr",
        "imageType": {"Original": {}, "LoG": {"sigma": [1.0]}},
        "featureClass": {"firstorder": ["Mean", "Entropy"]},
    },
}


@pytest.mark.parametrize("name", list(PARAMS))
def test_habitat_radiomics_equal_whole_volume_path(small_s3, name):
    cohort, maps = small_s3
    params = PARAMS[name]
    got = habitat_features(maps, cohort, sequences=SEQS, params=params, n_habitats=3,
                           client="serial")  # fmt: skip
    got = getattr(got, "features", got)
    checked = 0
    for pid in cohort.patient_ids[:3]:
        for seq in SEQS:
            ref = _reference(cohort, maps, pid, seq, params)
            assert ref, "no habitat large enough: the test checks nothing"
            for col, v in ref.items():
                assert got.loc[pid, col] == pytest.approx(v, rel=1e-9, abs=1e-9), (pid, col)
                checked += 1
    assert checked > 50


def test_croppable_settings():
    assert _croppable(resolve_params({"imageType": {"Original": {}}}))
    assert not _croppable(resolve_params({"imageType": {"Original": {}, "Wavelet": {}}}))
    assert not _croppable(resolve_params("ct"))  # resampled and filtered
    assert not _croppable(
        resolve_params({"imageType": {"Original": {}},
                        "setting": {"resampledPixelSpacing": [1, 1, 1], "interpolator": "sitkBSpline"}})
    )  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [
        "pyradiomics-default",  # diagnostics on (additionalInfo True)
        {
            "preset": "mr",
            "imageType": {"Original": {}},
            "featureClass": {"firstorder": [], "glcm": [], "shape": []},
        },
        {"preset": "pyradiomics-default", "setting": {"binWidth": 10, "additionalInfo": False}},
    ],
    ids=["default-with-diagnostics", "mr-normalised", "no-diagnostics"],
)
def test_extract_case_on_box_equals_pyradiomics_on_whole_volume(small_s3, params):
    """Features and every diagnostic (hashes, image statistics, mask box) are PyRadiomics' own."""
    cohort, _ = small_s3
    pid = cohort.patient_ids[1]
    image, mask = cohort.image(pid, "ADC"), cohort.mask(pid)
    p = resolve_params(params)
    assert _croppable(p)
    got = extract_case(image, mask, p)
    m = sitk.Cast(mask > 0, sitk.sitkUInt8)
    m.CopyInformation(image)
    ref_feats, ref_diags = _split(_extractor(p).execute(image, m, label=1))
    assert list(got.features.index) == list(ref_feats)
    np.testing.assert_allclose(got.features.to_numpy(), list(ref_feats.values()), rtol=1e-10)
    assert got.diagnostics == ref_diags
    if p["setting"].get("additionalInfo", True):
        assert "diagnostics_Image-original_Hash" in got.diagnostics
        # the whole image, not the box, is described
        assert got.diagnostics["diagnostics_Image-original_Size"] == str(image.GetSize())
