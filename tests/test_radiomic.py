"""Cohort-level radiomics: equality with PyRadiomics, cache, resume, errors, presets."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radnb.cohort import Cohort
from radnb.features import _cache, radiomic
from radnb.features.presets import PRESETS, resolve_params
from radnb.features.radiomic import extract_case, extract_radiomics

PARAMS = {"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "glcm": []}}
CASES = {
    "brain1": ("brain1_image.nrrd", "brain1_label.nrrd"),
    "lung1": ("lung1_image.nrrd", "lung1_label.nrrd"),
    "breast1": ("breast1_image.nrrd", "breast1_label.nrrd"),
}


def _cohort(data_dir, cases=CASES, extra_rows=()):
    d = data_dir / "pyradiomics"
    rows = [
        {"patient_id": k, "img": str(d / v[0]), "mask": str(d / v[1])} for k, v in cases.items()
    ]
    rows += list(extra_rows)
    return Cohort.from_table(pd.DataFrame(rows), images={"CT": "img"}, mask="mask")


def _direct(image, mask, params):
    import radiomics
    from radiomics import featureextractor

    radiomics.setVerbosity(logging.ERROR)
    ext = featureextractor.RadiomicsFeatureExtractor(params)
    out = ext.execute(str(image), str(mask))
    return {k: float(v) for k, v in out.items() if not k.startswith("diagnostics_")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, data_dir):
    cache = tmp_path_factory.mktemp("cache")
    res = extract_radiomics(
        _cohort(data_dir), params=PARAMS, cache=cache, client="serial", progress=False
    )
    return res, cache


def test_equals_direct_pyradiomics(first_run, data_dir):
    res, _ = first_run
    assert list(res.features.index) == ["brain1", "lung1", "breast1"]
    assert res.errors.empty
    d = data_dir / "pyradiomics"
    for pid in ("brain1", "lung1"):
        img, msk = CASES[pid]
        ref = _direct(d / img, d / msk, PARAMS)
        got = res.features.loc[pid]
        assert len(ref) == got.size
        for k, v in ref.items():
            assert got[f"CT__{k}"] == pytest.approx(v, rel=1e-12, abs=1e-12), k


def test_columns_and_diagnostics_apart(first_run):
    res, _ = first_run
    cols = res.features.columns
    assert all(c.startswith("CT__original_") for c in cols)
    assert not any("diagnostics" in c for c in cols)
    assert all(pd.api.types.is_float_dtype(t) for t in res.features.dtypes)
    assert "CT__diagnostics_Versions_PyRadiomics" in res.diagnostics.columns
    assert res.n_computed == 3 and res.n_cached == 0
    assert "3 computed" in repr(res)
    features, errors = res
    assert features is res.features and errors is res.errors


def test_cache_hit_and_miss(first_run, data_dir, tmp_path):
    res, cache = first_run
    again = extract_radiomics(
        _cohort(data_dir), params=PARAMS, cache=cache, client="serial", progress=False
    )
    assert again.n_computed == 0 and again.n_cached == 3
    pd.testing.assert_frame_equal(again.features, res.features)
    entries = sorted(cache.rglob("*.parquet"))
    assert len(entries) == 3
    table = pd.read_parquet(entries[0])
    assert list(table.columns) == ["feature", "value"]  # long format
    # other settings: a miss
    other = {**PARAMS, "setting": {"binWidth": 10}}
    small = {"brain1": CASES["brain1"]}
    miss = extract_radiomics(
        _cohort(data_dir, small), params=other, cache=cache, client="serial", progress=False
    )
    assert miss.n_computed == 1
    # same file name, other content: a miss; same content under another path: a hit
    d = data_dir / "pyradiomics"
    shutil.copy(d / "brain1_label.nrrd", tmp_path / "m.nrrd")
    shutil.copy(d / "brain1_image.nrrd", tmp_path / "i.nrrd")
    row = {
        "patient_id": "brain1",
        "img": str(tmp_path / "i.nrrd"),
        "mask": str(tmp_path / "m.nrrd"),
    }
    moved = Cohort.from_table(pd.DataFrame([row]), images={"CT": "img"}, mask="mask")
    hit = extract_radiomics(moved, params=PARAMS, cache=cache, client="serial", progress=False)
    assert hit.n_cached == 1
    img = sitk.ReadImage(str(tmp_path / "i.nrrd"))
    sitk.WriteImage(img + 1, str(tmp_path / "i.nrrd"))
    changed = extract_radiomics(moved, params=PARAMS, cache=cache, client="serial", progress=False)
    assert changed.n_computed == 1
    assert changed.features.loc["brain1", "CT__original_firstorder_Mean"] == pytest.approx(
        res.features.loc["brain1", "CT__original_firstorder_Mean"] + 1
    )


def test_no_cache(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RADNB_CACHE_DIR", str(tmp_path / "envcache"))
    small = {"breast1": CASES["breast1"]}
    r = extract_radiomics(
        _cohort(data_dir, small), params=PARAMS, cache=False, client="serial", progress=False
    )
    assert r.cache_dir is None and not (tmp_path / "envcache").exists()
    r = extract_radiomics(_cohort(data_dir, small), params=PARAMS, client="serial", progress=False)
    assert r.cache_dir == tmp_path / "envcache" / "radiomics"
    assert len(list((tmp_path / "envcache").rglob("*.parquet"))) == 1


def test_resume_after_interrupt(data_dir, tmp_path, monkeypatch):
    calls = []
    real = radiomic._extract_task

    def interrupted(task):
        if len(calls) == 1:
            raise KeyboardInterrupt  # the user stops the kernel after one case
        calls.append(task["patient_id"])
        return real(task)

    monkeypatch.setattr(radiomic, "_extract_task", interrupted)
    cohort = _cohort(data_dir)
    with pytest.raises(KeyboardInterrupt):
        extract_radiomics(cohort, params=PARAMS, cache=tmp_path, client="serial", progress=False)
    assert len(list(tmp_path.rglob("*.parquet"))) == 1
    assert not list(tmp_path.rglob(".tmp-*"))
    monkeypatch.setattr(radiomic, "_extract_task", real)
    done = extract_radiomics(cohort, params=PARAMS, cache=tmp_path, client="serial", progress=False)
    assert done.n_cached == 1 and done.n_computed == 2
    assert done.features.shape[0] == 3


def test_atomic_write_leaves_nothing_on_failure(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    def broken(table, where, **kws):
        Path(where).write_bytes(b"PAR1 half written")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    target = tmp_path / "a" / "x.parquet"
    with pytest.raises(OSError):
        _cache.write_entry(target, {"f": 1.0}, {})
    assert not target.exists()
    assert list((tmp_path / "a").iterdir()) == []


def test_bad_patients_go_to_errors(data_dir, tmp_path):
    d = data_dir / "pyradiomics"
    empty = sitk.ReadImage(str(d / "breast1_label.nrrd")) * 0
    sitk.WriteImage(empty, str(tmp_path / "empty.nrrd"))
    extra = [
        {
            "patient_id": "missing",
            "img": str(tmp_path / "nope.nrrd"),
            "mask": str(d / "breast1_label.nrrd"),
        },
        {
            "patient_id": "empty",
            "img": str(d / "breast1_image.nrrd"),
            "mask": str(tmp_path / "empty.nrrd"),
        },
    ]
    cohort = _cohort(data_dir, {"breast1": CASES["breast1"]}, extra)
    res = extract_radiomics(
        cohort, params=PARAMS, cache=tmp_path / "c", client="serial", progress=False
    )
    assert list(res.features.index) == ["breast1"]
    errs = res.errors.set_index("patient_id")
    assert set(errs.index) == {"missing", "empty"}
    assert "not found" in errs.loc["missing", "message"]
    assert "empty" in errs.loc["empty", "message"].lower()
    assert list(res.errors.columns) == ["patient_id", "sequence", "message"]


def test_excess_kurtosis(first_run, data_dir, tmp_path):
    res, cache = first_run
    ex = extract_radiomics(
        _cohort(data_dir),
        params=PARAMS,
        cache=cache,
        client="serial",
        progress=False,
        excess_kurtosis=True,
    )
    assert "CT__original_firstorder_Kurtosis" not in ex.features
    np.testing.assert_allclose(
        ex.features["CT__original_firstorder_ExcessKurtosis"],
        res.features["CT__original_firstorder_Kurtosis"] - 3,
    )


def test_extract_case_matches_cohort(first_run, data_dir):
    res, _ = first_run
    d = data_dir / "pyradiomics"
    out = extract_case(d / "breast1_image.nrrd", d / "breast1_label.nrrd", PARAMS)
    got = res.features.loc["breast1"]
    for k, v in out.features.items():
        assert got[f"CT__{k}"] == v
    assert "diagnostics_Versions_PyRadiomics" in out.diagnostics


def test_presets_and_yaml(data_dir):
    ct = resolve_params("ct")
    assert ct["setting"]["resampledPixelSpacing"] == [1, 1, 1]
    assert ct["setting"]["interpolator"] == "sitkBSpline"
    assert ct["imageType"]["LoG"]["sigma"] == [1.0, 2.0, 3.0]
    assert "Wavelet" in ct["imageType"] and ct["setting"]["binWidth"] == 25
    mr = resolve_params("mr")
    assert mr["setting"]["normalize"] is True and mr["setting"]["binCount"] == 32
    assert set(PRESETS) == {"pyradiomics-default", "ct", "mr"}
    y = resolve_params(data_dir / "pyradiomics" / "exampleSettings" / "Params.yaml")
    assert y["setting"]["binWidth"] == 25 and "glrlm" in y["featureClass"]
    over = resolve_params({"preset": "ct", "setting": {"binWidth": 10}})
    assert over["setting"]["binWidth"] == 10 and over["setting"]["voxelArrayShift"] == 1000
    with pytest.raises(ValueError, match="preset"):
        resolve_params("no-such-preset")
    with pytest.raises(ValueError, match="top-level"):
        resolve_params({"settings": {}})


def test_preprocess_option_and_mask_sequence(data_dir, tmp_path):
    d = data_dir / "pyradiomics"
    img = sitk.ReadImage(str(d / "brain1_image.nrrd"))
    from radnb.preprocess import resample

    sp = img.GetSpacing()
    coarse = resample(img, [sp[0] * 1.5, sp[1] * 1.5, sp[2]], interpolator="linear")
    sitk.WriteImage(coarse, str(tmp_path / "coarse.nrrd"))
    row = {
        "patient_id": "brain1",
        "fine": str(d / "brain1_image.nrrd"),
        "coarse": str(tmp_path / "coarse.nrrd"),
        "mask_fine": str(d / "brain1_label.nrrd"),
        "mask_coarse": str(d / "brain1_label.nrrd"),
    }
    cohort = Cohort.from_table(
        pd.DataFrame([row]),
        images={"A": "fine", "B": "coarse"},
        mask={"A": "mask_fine", "B": "mask_coarse"},
    )
    params = {"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "shape": []}}
    res = extract_radiomics(
        cohort,
        params=params,
        mask_sequence="A",
        cache=tmp_path / "c",
        client="serial",
        progress=False,
    )
    assert res.errors.empty, res.errors
    va = res.features.loc["brain1", "A__original_shape_VoxelVolume"]
    vb = res.features.loc["brain1", "B__original_shape_VoxelVolume"]
    assert vb == pytest.approx(va, rel=0.1)
    # without mask_sequence, B's own mask is on the wrong grid: an error, A still finishes
    own = extract_radiomics(
        cohort, params=params, cache=tmp_path / "c", client="serial", progress=False
    )
    assert list(own.errors["sequence"]) == ["B"]
    # preprocessing is part of the key and equals the per-case function
    z = extract_radiomics(
        cohort,
        "A",
        params=params,
        preprocess={"normalize": "zscore"},
        cache=tmp_path / "c",
        client="serial",
        progress=False,
    )
    assert z.n_computed == 1
    case = extract_case(
        d / "brain1_image.nrrd", d / "brain1_label.nrrd", params, preprocess={"normalize": "zscore"}
    )
    assert z.features.loc["brain1", "A__original_firstorder_Mean"] == pytest.approx(
        case.features["original_firstorder_Mean"]
    )
    assert abs(case.features["original_firstorder_Mean"]) < 10  # z-scored scale


_KILL_SCRIPT = """
import sys, time, pandas as pd
from radnb.cohort import Cohort
from radnb.features import radiomic
real = radiomic._extract_task
done = []
def slow_after_first(task):
    if done:
        time.sleep(60)  # the kernel is killed during this case
    done.append(task["patient_id"])
    return real(task)
radiomic._extract_task = slow_after_first
rows = pd.read_json(sys.argv[1])
cohort = Cohort.from_table(rows, images={"CT": "img"}, mask="mask")
params = {"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "glcm": []}}
radiomic.extract_radiomics(cohort, params=params, cache=sys.argv[2], client="serial",
                           progress=False)
"""


def test_resume_after_killed_process(data_dir, tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    d = data_dir / "pyradiomics"
    small = {k: CASES[k] for k in ("breast1", "brain1")}
    rows = [{"patient_id": k, "img": str(d / a), "mask": str(d / b)} for k, (a, b) in small.items()]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(tmp_path / "rows.json"), str(cache)]
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not list(cache.rglob("*.parquet")):
            time.sleep(0.2)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(list(cache.rglob("*.parquet"))) == 1
    cohort = Cohort.from_table(pd.DataFrame(rows), images={"CT": "img"}, mask="mask")
    res = extract_radiomics(cohort, params=PARAMS, cache=cache, client="serial", progress=False)
    assert res.n_cached == 1 and res.n_computed == 1
    assert list(res.features.index) == ["breast1", "brain1"]


def test_complex_feature_values_become_real_or_nan():
    """numpy >= 2.5 returns shape-axis lengths as complex with a zero imaginary part."""
    from radnb.features.radiomic import _split

    feats, _ = _split(
        {
            "original_shape_Elongation": np.complex128(0.8 + 0j),
            "original_shape_Flatness": np.complex128(0.7 + 0.3j),
            "diagnostics_Versions": "x",
        }
    )
    assert feats["original_shape_Elongation"] == 0.8
    assert np.isnan(feats["original_shape_Flatness"])
