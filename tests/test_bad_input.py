"""Bad input never gives a silent wrong number (issue 16; 15.7, 15.13, 15.17).

One test per kind of bad input, on files made in the test: each passes only when the
behaviour is the clear, per-patient, nothing-lost one (an error naming the patient, the
file and the problem; the rest of the cohort finishes).
"""

from __future__ import annotations

import os
import signal
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radnb import Cohort, io
from radnb.errors import CohortError, PatientError, RadnbError
from radnb.features.radiomic import extract_radiomics

SHAPE = (16, 16, 12)  # x, y, z
SMALL = {
    "imageType": {"Original": {}},
    "featureClass": {"firstorder": ["Mean", "Maximum"], "shape": ["VoxelVolume"]},
    "setting": {"binWidth": 25},
}


def _img(arr, path: Path, spacing=(1.0, 1.0, 2.0), origin=(0.0, 0.0, 0.0)) -> str:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing[: img.GetDimension()])
    img.SetOrigin(origin[: img.GetDimension()])
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(img, str(path))
    return str(path)


def _ct(rng) -> np.ndarray:
    return rng.normal(40, 10, size=SHAPE[::-1]).astype(np.float32)


def _mask() -> np.ndarray:
    m = np.zeros(SHAPE[::-1], np.uint8)
    m[3:8, 4:12, 4:12] = 1
    return m


def _table(tmp_path, rng, n=3) -> pd.DataFrame:
    rows = []
    for i in range(n):
        pid = f"P{i}"
        rows.append(
            {
                "patient_id": pid,
                "ct": _img(_ct(rng), tmp_path / pid / "ct.nii.gz"),
                "mask": _img(_mask(), tmp_path / pid / "mask.nii.gz"),
                "split": "train",
                "y": i % 2,
            }
        )
    return pd.DataFrame(rows)


def _cohort(df, **kw) -> Cohort:
    return Cohort.from_table(df, images={"CT": "ct"}, mask="mask", **kw)


def _extract(cohort, **kw):
    return extract_radiomics(cohort, params=SMALL, cache=False, client="serial", progress=False,
                             **kw)  # fmt: skip


def _error(res, pid) -> str:
    rows = res.errors[res.errors["patient_id"] == pid]
    assert len(rows) == 1, res.errors
    return rows["message"].iloc[0]


def _checks(problems, pid):
    return set(problems.loc[problems["patient_id"] == pid, "check"])


# ------------------------------------------------------------------ 1. truncated file
def test_truncated_nifti_is_refused_by_every_reader(tmp_path, rng):
    df = _table(tmp_path, rng)
    path = Path(df.loc[1, "ct"])
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) * 2 // 3])
    c = _cohort(df)
    with pytest.raises(PatientError, match="truncated") as exc:
        c.image("P1")
    assert exc.value.check == "unreadable" and exc.value.patient_id == "P1"
    res = _extract(c)
    assert "truncated" in _error(res, "P1") and str(path) in _error(res, "P1")
    assert set(res.features.index) == {"P0", "P2"}
    assert _checks(c.validate(), "P1") == {"unreadable"}


# ------------------------------------------------------------------ 2. NaN voxels
def test_nan_voxels_are_a_per_patient_error_everywhere(tmp_path, rng):
    df = _table(tmp_path, rng, n=4)
    arr = _ct(rng)
    arr[5, 8, 8] = np.nan  # inside the mask
    _img(arr, Path(df.loc[2, "ct"]))
    c = _cohort(df)
    res = _extract(c)
    assert "NaN" in _error(res, "P2") and df.loc[2, "ct"] in _error(res, "P2")
    assert len(res.features) == 3
    assert _checks(c.validate(), "P2") == {"non_finite"}

    from radnb.features.habitat import HabitatModel

    hm = HabitatModel(n_habitats=2, n_supervoxels=4, random_state=0).fit(c)
    assert hm.train_ids_ == ["P0", "P1", "P3"]
    assert hm.errors_["patient_id"].tolist() == ["P2"]
    assert "NaN" in hm.errors_["message"].iloc[0]

    from radnb.features import deep, errors_table

    crops, err = deep.CropDataset(c, spec=deep.CropSpec(dims=2, size=16)).load_all()
    assert err["patient_id"].tolist() == ["P2"] and "NaN" in err["message"].iloc[0]
    assert df.loc[2, "ct"] in err["message"].iloc[0]
    # a crop whose network output is NaN is an error row too, never a silent drop
    values = np.ones((4, 3), np.float32)
    values[1] = np.nan
    meta = [(p, "CT", "") for p in c.patient_ids]
    with pytest.warns(RuntimeWarning, match="failed"):
        dl, dl_err = deep._to_frame(values, meta, ["CT"], c.patient_ids, [])
    assert list(dl.index) == ["P0", "P2", "P3"]
    assert errors_table(deep.FeatureResult(dl, dl_err))["patient_id"].tolist() == ["P1"]


# ------------------------------------------------------------------ 3. probability map
def test_probability_map_is_refused_unless_thresholded(tmp_path, rng):
    df = _table(tmp_path, rng)
    prob = np.zeros(SHAPE[::-1], np.float32)
    prob[3:8, 4:12, 4:12] = 0.8
    prob[5, 6:8, 6:8] = 1.0
    prob[2, 4:12, 4:12] = 0.3
    _img(prob, Path(df.loc[0, "mask"]))
    c = _cohort(df)
    res = _extract(c)
    assert "probability map" in _error(res, "P0") and "threshold" in _error(res, "P0")
    assert _checks(c.validate(), "P0") == {"probability_mask"}
    t = _cohort(df, mask_threshold=0.5)
    res = _extract(t)
    assert res.errors.empty
    ct = sitk.GetArrayFromImage(sitk.ReadImage(df.loc[0, "ct"]))
    assert res.features.loc["P0", "CT__original_firstorder_Mean"] == pytest.approx(
        ct[prob >= 0.5].mean(), rel=1e-5
    )


# ------------------------------------------------------------------ 4. swapped columns
def test_image_given_as_mask_is_not_a_label_map(tmp_path, rng):
    df = _table(tmp_path, rng)
    df.loc[0, "mask"] = df.loc[0, "ct"]  # CT (negative values) as the mask
    mr = rng.integers(0, 3000, size=SHAPE[::-1]).astype(np.int16)  # MR-like, hundreds of values
    df.loc[1, "mask"] = _img(mr, tmp_path / "P1" / "mr_as_mask.nii.gz")
    ct = rng.normal(-300, 300, size=SHAPE[::-1]).astype(np.int16)
    df.loc[0, "mask"] = _img(ct, tmp_path / "P0" / "ct_as_mask.nii.gz")
    c = _cohort(df)
    res = _extract(c)
    for pid in ("P0", "P1"):
        assert "swapped" in _error(res, pid)
        assert _checks(c.validate(), pid) == {"not_label_map"}
    assert list(res.features.index) == ["P2"]


# ------------------------------------------------------------------ 5. DICOM series
def _dicom(folder: Path, arr, uid: str, zs, desc="AX") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    w = sitk.ImageFileWriter()
    w.KeepOriginalImageUIDOn()
    for i, z in enumerate(zs):
        sl = sitk.GetImageFromArray(arr[i].astype(np.int16))
        sl.SetSpacing((1.0, 1.0))
        tags = {"0008|0060": "CT", "0020|000d": "1.2.826.0.1.1", "0020|000e": uid,
                "0008|103e": desc, "0020|0032": f"0\\0\\{z}", "0020|0037": "1\\0\\0\\0\\1\\0",
                "0020|0013": str(i + 1), "0008|0018": f"{uid}.{i + 1}"}  # fmt: skip
        for k, v in tags.items():
            sl.SetMetaData(k, v)
        w.SetFileName(str(folder / f"{uid[-1]}_{i:03d}.dcm"))
        w.Execute(sl)


def test_dicom_missing_slice_and_two_series(tmp_path, rng):
    arr = rng.integers(0, 100, size=(8, 16, 16))
    gap = tmp_path / "gap"
    _dicom(gap, arr[:7], "1.2.3.1", [0, 2, 4, 8, 10, 12, 14])  # the slice at 6 mm is missing
    with pytest.raises(PatientError, match="not uniform.*4 mm apart") as exc:
        io.read_image(gap)
    assert exc.value.check == "slice_spacing"
    two = tmp_path / "two"
    _dicom(two, arr, "1.2.3.1", np.arange(8) * 2.0, desc="AX T1")
    _dicom(two, arr[:4], "1.2.3.2", np.arange(4) * 5.0, desc="SAG")
    with pytest.raises(PatientError, match="several DICOM series") as exc:
        io.read_image(two)
    # the series are listed by index, description and size; UIDs are identifiers and
    # never appear in a message (issue 17), though series= accepts one
    assert "[0] 'AX T1' (8 files)" in str(exc.value) and "[1] 'SAG' (4 files)" in str(exc.value)
    assert "1.2.3.1" not in str(exc.value) and "1.2.3.2" not in str(exc.value)
    assert io.read_image(two, series="1.2.3.2").GetSize() == (16, 16, 4)
    assert exc.value.check == "dicom_series"
    assert io.read_image(two, series="SAG").GetSize() == (16, 16, 4)
    mask = np.zeros((8, 16, 16), np.uint8)
    mask[2:6, 4:12, 4:12] = 1
    m = sitk.GetImageFromArray(mask)
    m.SetSpacing((1.0, 1.0, 2.0))
    sitk.WriteImage(m, str(tmp_path / "m.nii.gz"))
    df = pd.DataFrame({"patient_id": ["a"], "ct": [str(two)], "mask": [str(tmp_path / "m.nii.gz")]})
    assert _checks(_cohort(df).validate(), "a") == {"dicom_series"}
    chosen = _cohort(df, read_options={"CT": {"series": "AX T1"}})
    assert chosen.validate().empty and chosen.image("a").GetSize() == (16, 16, 8)
    res = _extract(chosen)
    assert res.errors.empty and len(res.features) == 1


# ------------------------------------------------------------------ 6. 2D and 4D
def test_2d_image_in_3d_cohort_and_4d_image(tmp_path, rng):
    df = _table(tmp_path, rng)
    flat = _ct(rng)[5:6]  # one slice
    df.loc[1, "ct"] = _img(flat, tmp_path / "P1" / "flat.nii.gz")
    df.loc[1, "mask"] = _img(_mask()[5:6], tmp_path / "P1" / "flat_mask.nii.gz")
    c = _cohort(df)
    assert _checks(c.validate(), "P1") == {"dimension"}
    res = _extract(c)
    assert "2D" in _error(res, "P1") and "P1" not in res.features.index

    vols = np.stack([_ct(rng) + 100 * b for b in range(5)])  # (b, z, y, x)
    p4 = tmp_path / "P2" / "dwi.nii.gz"
    v4 = sitk.GetImageFromArray(vols, isVector=False)
    v4.SetSpacing((1.0, 1.0, 2.0, 1.0))
    sitk.WriteImage(v4, str(p4))
    df.loc[2, "ct"] = str(p4)
    with pytest.raises(PatientError, match="4D.*5 volumes.*volume=") as exc:
        io.read_image(p4)
    assert exc.value.check == "dimension"
    assert _checks(_cohort(df).validate(), "P2") == {"dimension"}
    one = io.read_image(p4, volume=3)
    assert one.GetSize() == SHAPE
    assert np.allclose(sitk.GetArrayFromImage(one), vols[3])
    picked = _cohort(df.drop(index=1), read_options={"CT": {"volume": 3}})
    res = _extract(picked)  # the 3D patient cannot take volume=3: a clear error, not a guess
    assert "P2" in res.features.index and "volume=3" in _error(res, "P0")


# ------------------------------------------------------------------ 7. IDs as text
def test_ids_are_text_from_the_first_read(tmp_path, rng):
    df = _table(tmp_path, rng)
    df["patient_id"] = ["007", "", "010"]
    csv = tmp_path / "clinical.csv"
    df.to_csv(csv, index=False)
    with pytest.warns(UserWarning, match="no patient ID"):
        c = Cohort.from_table(csv, images={"CT": "ct"}, mask="mask")
    assert c.patient_ids == ["007", "010"]
    blank = c.validate().query("check == 'blank_id'")
    assert len(blank) == 1 and "row 2" in blank["message"].iloc[0]
    numeric = pd.DataFrame({"patient_id": [1.0, 2.0, np.nan], "ct": df["ct"], "mask": df["mask"]})
    with pytest.warns(UserWarning):
        assert _cohort(numeric).patient_ids == ["1", "2"]


def test_from_folder_join_warns_on_unmatched_ids(tmp_path, rng):
    root = tmp_path / "cohort"
    for pid in ("007", "008"):
        _img(_ct(rng), root / pid / "CT.nii.gz")
        _img(_mask(), root / pid / "mask.nii.gz")
    good = tmp_path / "good.csv"
    pd.DataFrame({"patient_id": ["007", "008"], "age": [50, 60]}).to_csv(good, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = Cohort.from_folder(root, clinical=good)
    assert c.clinical["age"].tolist() == [50, 60]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"patient_id": ["7", "8"], "age": [50, 60]}).to_csv(bad, index=False)
    with pytest.warns(UserWarning, match=r"2 of 2 .*'007'.*leading zeros"):
        Cohort.from_folder(root, clinical=bad)


# ------------------------------------------------------------------ 10. tolerance agreement
def test_origin_within_tolerance_passes_validate_and_extraction(tmp_path, rng):
    df = _table(tmp_path, rng)
    _img(_mask(), Path(df.loc[0, "mask"]), origin=(1e-4, 0.0, 0.0))
    c = _cohort(df)
    assert c.validate().empty
    res = _extract(c)
    assert res.errors.empty and len(res.features) == 3
    _img(_mask(), Path(df.loc[0, "mask"]), origin=(0.5, 0.0, 0.0))
    res = _extract(_cohort(df))
    msg = _error(res, "P0")
    assert "origin" in msg and "0.5 mm apart" in msg and "geometryTolerance" not in msg
    assert "resample_to" in msg and df.loc[0, "mask"] in msg


# ------------------------------------------------------------------ 11. device files
class _Timeout(Exception):
    pass


def test_device_and_pipe_are_refused_without_hanging(tmp_path, rng):
    df = _table(tmp_path, rng)
    fifo = tmp_path / "pipe.nii.gz"
    os.mkfifo(fifo)
    df.loc[0, "ct"] = "/dev/zero"
    df.loc[1, "ct"] = str(fifo)
    c = _cohort(df)

    def stop(*_):
        raise _Timeout("a read hung")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(30)
    try:
        problems = c.validate()
        res = _extract(c)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert _checks(problems, "P0") == {"not_a_file"} and _checks(problems, "P1") == {"not_a_file"}
    assert "character device" in _error(res, "P0") and "pipe" in _error(res, "P1")
    assert list(res.features.index) == ["P2"]
    junk = tmp_path / "notes.bin"
    junk.write_bytes(b"\x00hello" * 100)
    with pytest.raises(PatientError, match="not an image file"):
        io.read_image(junk)


# ------------------------------------------------------------------ 12. full messages
def test_size_and_spacing_mismatch_messages_are_whole(tmp_path, rng):
    df = _table(tmp_path, rng)
    bigger = np.zeros((14, 16, 16), np.uint8)
    bigger[3:8, 4:12, 4:12] = 1
    _img(bigger, Path(df.loc[0, "mask"]))
    _img(_mask(), Path(df.loc[1, "mask"]), spacing=(1.0, 1.0, 2.5))
    res = _extract(_cohort(df))
    size = _error(res, "P0")
    assert "size (16, 16, 12) vs (16, 16, 14)" in size and not size.rstrip().endswith(":")
    assert "cxx" not in size and df.loc[0, "mask"] in size
    spacing = _error(res, "P1")
    assert "spacing" in spacing and "25.00% apart" in spacing
    assert "geometryTolerance" not in spacing and "resample_to" in spacing


# ------------------------------------------------------------------ 13. one class
def test_single_class_training_outcome_is_one_clear_error(tmp_path, rng):
    from radnb import Study

    df = pd.DataFrame({"patient_id": [f"p{i}" for i in range(20)],
                       "split": ["train"] * 12 + ["test"] * 8,
                       "y": [1] * 12 + [0, 1] * 4, "age": rng.normal(60, 10, 20)})  # fmt: skip
    st = Study(df, outcome="y")
    st.model("Clinical", clinical="auto")
    with pytest.raises(RadnbError, match="single class among the 12 training patients"):
        st.fit()
    st = Study(df, outcome="y")
    st.model("RF", clinical=["age"], estimator="rf")
    with pytest.raises(RadnbError, match="single class"):
        st.fit()


# ------------------------------------------------------------------ 14. add_block
def test_add_block_names_duplicated_ids_and_infinite_values(rng):
    from radnb import Study

    df = pd.DataFrame({"patient_id": [f"p{i}" for i in range(10)], "split": ["train"] * 10,
                       "y": [0, 1] * 5})  # fmt: skip
    st = Study(df, outcome="y")
    block = pd.DataFrame({"f1": rng.normal(size=10), "f2": rng.normal(size=10)},
                         index=[f"p{i}" for i in range(10)])  # fmt: skip
    dup = pd.concat([block, block.iloc[[3]]])
    with pytest.raises(CohortError, match=r"duplicated patient ID.*'p3'"):
        st.add_block("rad", dup)
    inf = block.copy()
    inf.loc["p7", "f2"] = np.inf
    with pytest.raises(RadnbError, match=r"infinite values.*\['f2'\].*\['p7'\]"):
        st.add_block("rad", inf)


# ------------------------------------------------------------------ 15. encoding
def test_latin1_table_says_how_to_fix_it(tmp_path, rng):
    df = _table(tmp_path, rng)
    df["centre"] = ["Créteil", "Besançon", "Orléans"]
    csv = tmp_path / "latin1.csv"
    csv.write_bytes(df.to_csv(index=False).encode("latin-1"))
    with pytest.raises(CohortError, match=r"line 2.*encoding='latin-1'"):
        Cohort.from_table(csv, images={"CT": "ct"}, mask="mask")
    c = Cohort.from_table(csv, images={"CT": "ct"}, mask="mask", encoding="latin-1")
    assert c.clinical["centre"].tolist() == ["Créteil", "Besançon", "Orléans"]


# ------------------------------------------------------------------ 15.13 border
def test_mask_touching_the_border_is_a_warning(tmp_path, rng):
    df = _table(tmp_path, rng)
    m = _mask()
    m[0:3, 4:12, 4:12] = 1  # reaches the first slice
    _img(m, Path(df.loc[2, "mask"]))
    problems = _cohort(df).validate()
    row = problems[problems["check"] == "mask_at_border"]
    assert row["patient_id"].tolist() == ["P2"] and (row["severity"] == "warning").all()
    assert "z-" in row["message"].iloc[0]


# ------------------------------------------------------------------ 15.17 one wording
def test_empty_mask_has_one_check_and_one_message(tmp_path, rng):
    df = _table(tmp_path, rng, n=4)
    _img(np.zeros(SHAPE[::-1], np.uint8), Path(df.loc[1, "mask"]))
    c = _cohort(df)
    problems = c.validate()
    row = problems[problems["patient_id"] == "P1"]
    assert row["check"].tolist() == ["empty_mask"]
    assert "the mask is empty" in row["message"].iloc[0]
    assert "the mask is empty" in _error(_extract(c), "P1")
    from radnb.features.deep import CropDataset
    from radnb.features.habitat import HabitatModel

    with pytest.raises(PatientError, match="the mask is empty") as exc:
        CropDataset(c).crop(1)
    assert exc.value.check == "empty_mask"
    hm = HabitatModel(n_habitats=2, n_supervoxels=4, random_state=0).fit(c)
    assert "the mask is empty" in hm.errors_["message"].iloc[0]


def test_largest_mask_runs_first(tmp_path, rng, monkeypatch):
    import radnb.parallel

    df = _table(tmp_path, rng)
    big = np.zeros(SHAPE[::-1], np.uint8)
    big[1:11, 2:14, 2:14] = 1
    _img(big, Path(df.loc[2, "mask"]))
    seen = {}
    real = radnb.parallel.run_tasks

    def spy(func, tasks, **kw):
        seen["priority"] = list(kw.get("priority"))
        return real(func, tasks, **kw)

    monkeypatch.setattr(radnb.parallel, "run_tasks", spy)
    _extract(_cohort(df))
    assert seen["priority"] == [320, 320, 1440]
