"""Cohort: building, lazy access, subsets, validation (one bad fixture per check), Table 1."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radnb import Cohort
from radnb.errors import CohortError, PatientError
from radnb.validation import CHECKS

SHAPE = (12, 12, 8)  # x, y, z


def _write(arr: np.ndarray, path: Path, spacing=(1.0, 1.0, 2.0), origin=(0.0, 0.0, 0.0)) -> str:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(img, str(path))
    return str(path)


def _case(folder: Path, pid: str, rng, *, mask_kind="good", **geom) -> dict:
    z, y, x = SHAPE[2], SHAPE[1], SHAPE[0]
    img = rng.normal(100, 10, size=(z, y, x)).astype(np.float32)
    mask = np.zeros((z, y, x), np.uint8)
    mask[2:6, 3:9, 3:9] = 1
    if mask_kind == "empty":
        mask[:] = 0
    elif mask_kind == "tiny":
        mask[:] = 0
        mask[4, 5, 5] = 1
    elif mask_kind == "labelled":
        mask[2:4, 3:9, 3:9] = 2
    elif mask_kind == "wrong_label":
        mask[mask == 1] = 3
    image_path = _write(img, folder / pid / "ct.nii.gz")
    mask_geom = geom or {}
    mask_path = _write(mask, folder / pid / "mask.nii.gz", **mask_geom)
    return {"patient_id": pid, "ct": image_path, "mask": mask_path}


@pytest.fixture
def good_table(tmp_path, rng) -> pd.DataFrame:
    rows = [_case(tmp_path, f"P{i:02d}", rng) for i in range(6)]
    df = pd.DataFrame(rows)
    df["split"] = ["train"] * 4 + ["test"] * 2
    df["her2"] = [0, 1, 0, 1, 1, 0]
    df["age"] = [55, 61, 70, 48, 66, 59]
    df["sex"] = ["M", "F", "M", "M", "F", "F"]
    df["rfs"] = [10.0, 20.5, 3.0, 40.0, 12.0, 8.0]
    df["rfs_event"] = [1, 0, 1, 0, 0, 1]
    return df


def _cohort(df, **kw) -> Cohort:
    return Cohort.from_table(
        df,
        images={"CT": "ct"},
        mask="mask",
        outcomes=["her2"],
        survival=[("rfs", "rfs_event")],
        **kw,
    )


def _checks_for(problems: pd.DataFrame, pid: str | None) -> set[str]:
    sel = problems["patient_id"].isna() if pid is None else problems["patient_id"] == pid
    return set(problems.loc[sel, "check"])


# ---------------------------------------------------------------- building / access
def test_from_table_lazy_access(good_table):
    c = _cohort(good_table)
    assert len(c) == 6 and list(c) == [f"P{i:02d}" for i in range(6)]
    assert c.sequences == ["CT"]
    assert "P03" in c and "nope" not in c
    img, mask = c.image("P01", "CT"), c.mask("P01")
    assert img.GetSize() == SHAPE and mask.GetSize() == SHAPE
    assert mask.GetPixelID() == sitk.sitkUInt8
    assert int(sitk.GetArrayViewFromImage(mask).sum()) == 4 * 6 * 6
    clin = c.clinical
    assert clin.index.name == "patient_id" and "ct" not in clin.columns
    assert clin.loc["P01", "age"] == 61


def test_subset_by_split_and_ids(good_table):
    c = _cohort(good_table)
    assert c.subset(split="train").patient_ids == ["P00", "P01", "P02", "P03"]
    assert c.subset(["P05", "P01"]).patient_ids == ["P05", "P01"]
    with pytest.raises(CohortError, match="unknown split"):
        c.subset(split="validation")
    with pytest.raises(KeyError):
        c.subset(["P99"])


def test_relative_paths_resolve_against_table_folder(tmp_path, good_table):
    df = good_table.copy()
    df["ct"] = [str(Path(p).relative_to(tmp_path)) for p in df["ct"]]
    df["mask"] = [str(Path(p).relative_to(tmp_path)) for p in df["mask"]]
    csv = tmp_path / "clinical.csv"
    df.to_csv(csv, index=False)
    c = Cohort.from_table(csv, images={"CT": "ct"}, mask="mask")
    assert c.image_path("P00", "CT") == tmp_path / "P00" / "ct.nii.gz"
    assert c.validate().empty
    xlsx = tmp_path / "clinical.xlsx"
    df.to_excel(xlsx, index=False)
    assert Cohort.from_table(xlsx, images={"CT": "ct"}, mask="mask").patient_ids == c.patient_ids


def test_from_folder_layout(tmp_path, rng):
    for i in range(3):
        _case(tmp_path / "cohort", f"S{i}", rng)
    clin = pd.DataFrame({"patient_id": ["S0", "S1", "S2"], "y": [0, 1, 1]})
    c = Cohort.from_folder(tmp_path / "cohort", clinical=clin)
    assert c.sequences == ["ct"] and len(c) == 3
    assert c.clinical["y"].tolist() == [0, 1, 1]
    assert c.validate().empty


def test_bad_columns_raise_cohort_error(good_table):
    with pytest.raises(CohortError, match="ID column 'pid'"):
        Cohort.from_table(good_table, id="pid", images={"CT": "ct"})
    with pytest.raises(CohortError, match="image column"):
        Cohort.from_table(good_table, images={"CT": "nope"})


def test_formats_nrrd_mha_and_dicom_series(tmp_path, rng):
    arr = rng.integers(0, 1000, size=(5, 8, 8)).astype(np.int16)
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing((0.7, 0.7, 2.5))
    paths = {}
    for suffix in ("nrrd", "mha"):
        paths[suffix] = tmp_path / f"im.{suffix}"
        sitk.WriteImage(img, str(paths[suffix]))
    dicom = tmp_path / "dicom"
    dicom.mkdir()
    for k in range(arr.shape[0]):
        sl = img[:, :, k]
        sl.SetMetaData("0020|000e", "1.2.826.0.1.3680043.2.1125.1")
        sl.SetMetaData("0020|0013", str(k + 1))
        sl.SetMetaData("0020|0032", "0\\0\\%f" % (k * 2.5))
        sl.SetMetaData("0020|0037", "1\\0\\0\\0\\1\\0")
        sl.SetMetaData("0020|000d", "1.2.826.0.1.3680043.2.1125.2")
        sl.SetMetaData("0008|0060", "CT")
        writer = sitk.ImageFileWriter()
        writer.KeepOriginalImageUIDOn()
        writer.SetFileName(str(dicom / f"slice{k:03d}.dcm"))
        writer.Execute(sl)
    table = pd.DataFrame(
        {"patient_id": ["a", "b", "c"], "img": [str(paths["nrrd"]), str(paths["mha"]), str(dicom)]}
    )
    c = Cohort.from_table(table, images={"CT": "img"})
    for pid in c:
        got = sitk.GetArrayFromImage(c.image(pid, "CT"))
        assert got.shape == arr.shape
        np.testing.assert_array_equal(got, arr)


def test_labelled_mask_pick_label(tmp_path, good_table, rng):
    df = good_table.copy()
    df.loc[0, "mask"] = _case(tmp_path / "lab", "P00", rng, mask_kind="labelled")["mask"]
    c1 = _cohort(df, label=1)
    c2 = _cohort(df, label=2)
    n1 = int(sitk.GetArrayFromImage(c1.mask("P00")).sum())
    n2 = int(sitk.GetArrayFromImage(c2.mask("P00")).sum())
    assert (n1, n2) == (2 * 36, 2 * 36)
    anyl = Cohort.from_table(df, images={"CT": "ct"}, mask="mask", label=None)
    assert int(sitk.GetArrayFromImage(anyl.mask("P00")).sum()) == 4 * 36


def test_with_masks_second_reader(tmp_path, good_table, rng):
    df = good_table.copy()
    df["mask_r2"] = [
        _case(tmp_path / "r2", p, rng, mask_kind="tiny")["mask"] for p in df["patient_id"]
    ]
    c = _cohort(df).with_masks("mask_r2")
    assert int(sitk.GetArrayFromImage(c.mask("P02")).sum()) == 1


def test_reading_errors_name_patient_and_file(good_table):
    df = good_table.copy()
    df.loc[1, "ct"] = "/nonexistent/ct.nii.gz"
    c = _cohort(df)
    with pytest.raises(PatientError) as exc:
        c.image("P01", "CT")
    msg = str(exc.value)
    assert "P01" in msg and "/nonexistent/ct.nii.gz" in msg and "not found" in msg


# ---------------------------------------------------------------- validation
def test_good_cohort_has_no_problems(good_table):
    problems = _cohort(good_table).validate()
    assert list(problems.columns) == ["patient_id", "sequence", "check", "severity", "message"]
    assert problems.empty


@pytest.fixture
def bad_cohort(tmp_path, good_table, rng):
    """One purpose-built problem per patient; P00 stays good."""
    df = good_table.copy()
    bad = tmp_path / "bad"
    # missing file
    df.loc[1, "ct"] = str(bad / "missing.nii.gz")
    # unreadable / corrupt: a truncated gzip NIfTI
    corrupt = bad / "P02" / "ct.nii.gz"
    corrupt.parent.mkdir(parents=True)
    raw = Path(df.loc[2, "ct"]).read_bytes()
    corrupt.write_bytes(raw[: len(raw) // 3])
    df.loc[2, "ct"] = str(corrupt)
    # geometry mismatch (spacing and origin)
    df.loc[3, "mask"] = _case(bad, "P03", rng, spacing=(1.0, 1.0, 3.0), origin=(5.0, 0, 0))["mask"]
    # empty mask
    df.loc[4, "mask"] = _case(bad, "P04", rng, mask_kind="empty")["mask"]
    extra = []
    # tiny mask, labelled (non-binary) mask, wrong label, duplicate ID
    for pid, kind in (("P06", "tiny"), ("P07", "labelled"), ("P08", "wrong_label")):
        row = _case(bad, pid, rng, mask_kind=kind)
        row.update(split="train", her2=1, age=50, sex="M", rfs=5.0, rfs_event=0)
        extra.append(row)
    dup = dict(df.iloc[0])
    extra.append(dup)
    # outcome, survival time and event problems
    df.loc[5, "her2"] = np.nan
    df = pd.concat([df, pd.DataFrame(extra)], ignore_index=True)
    df["rfs"] = df["rfs"].astype(object)
    df.loc[df["patient_id"] == "P06", "rfs"] = -3.0
    df.loc[df["patient_id"] == "P07", "rfs"] = "unknown"
    df.loc[df["patient_id"] == "P08", "rfs_event"] = 2
    # a real float probability map mask
    prob = bad / "P09" / "mask.nii.gz"
    arr = np.zeros((SHAPE[2], SHAPE[1], SHAPE[0]), np.float32)
    arr[2:6, 3:9, 3:9] = 0.7
    _write(arr, prob)
    row = _case(bad, "P09x", rng)
    row.update(
        patient_id="P09",
        mask=str(prob),
        split="test",
        her2=0,
        age=40,
        sex="F",
        rfs=3.0,
        rfs_event=1,
    )
    df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
    return _cohort(df)


def test_validate_reports_each_problem_on_the_right_patient(bad_cohort):
    problems = bad_cohort.validate()
    expected = {
        "P01": {"missing_file"},
        "P02": {"unreadable"},
        "P03": {"geometry"},
        "P04": {"empty_mask"},
        "P05": {"missing_outcome"},
        "P06": {"tiny_mask", "survival_time"},
        "P07": {"non_binary_mask", "survival_time"},
        "P08": {"missing_label", "event_values"},
        "P09": {"probability_mask"},
    }
    for pid, checks in expected.items():
        assert _checks_for(problems, pid) == checks, pid
    dup = problems[problems["check"] == "duplicate_id"]
    assert dup["patient_id"].tolist() == ["P00"] and (dup["severity"] == "error").all()
    assert _checks_for(problems, "P00") == {"duplicate_id"}
    sev = problems.set_index(["patient_id", "check"])["severity"]
    assert sev[("P06", "tiny_mask")] == "warning"
    assert sev[("P07", "non_binary_mask")] == "warning"
    assert sev[("P09", "probability_mask")] == "error"
    for _, row in problems.iterrows():
        assert row["patient_id"] in row["message"]
    geo = problems[problems["check"] == "geometry"]["message"].iloc[0]
    assert "spacing" in geo and "origin" in geo and "mask.nii.gz" in geo
    assert set(problems["check"]) <= set(CHECKS)
    # the good patients still load
    assert bad_cohort.mask("P00").GetSize() == SHAPE


def test_single_class_in_training(good_table):
    df = good_table.copy()
    df.loc[df["split"] == "train", "her2"] = 1
    problems = _cohort(df).validate()
    single = problems[problems["check"] == "single_class"]
    assert len(single) == 1 and "her2" in single["message"].iloc[0]


def test_geometry_tolerance(tmp_path, good_table, rng):
    from radnb.io import GeometryTolerance

    df = good_table.copy()
    df.loc[0, "mask"] = _case(tmp_path / "tol", "P00", rng, origin=(0.0005, 0, 0))["mask"]
    assert _cohort(df).validate().empty
    strict = _cohort(df).validate(tolerance=GeometryTolerance(origin=1e-5))
    assert _checks_for(strict, "P00") == {"geometry"}


def test_validate_header_only_mode(good_table):
    assert _cohort(good_table).validate(read_images=False).empty


# ---------------------------------------------------------------- table 1 and repr
def test_table1_by_split_with_pvalues(tmp_path, good_table):
    t1 = _cohort(good_table).table1(
        by="split", columns=["age", "sex", "her2"], categorical=["sex", "her2"]
    )
    table = t1.tableone
    assert ("Grouped by split", "P-Value") in table.columns
    assert any("age" in str(i) for i in table.index.get_level_values(0))
    t1.to_csv(tmp_path / "t1.csv")
    t1.to_excel(tmp_path / "t1.xlsx")
    assert "age" in (tmp_path / "t1.csv").read_text(encoding="utf-8")
    assert "tabular" in t1.to_latex()


def test_repr_and_html(good_table):
    c = _cohort(good_table)
    assert "6 patients" in repr(c) and "train=4" in repr(c)
    html = c._repr_html_()
    assert "train" in html and "validate()" in html
    c.validate()
    assert "0 errors" in c._repr_html_()
    sim = _cohort(good_table, simulated=True)
    assert "SIMULATED" in repr(sim) and "SIMULATED" in sim._repr_html_()


def test_real_pyradiomics_cases_through_from_table(data_dir):
    folder = data_dir / "pyradiomics"
    cases = ["brain1", "brain2", "breast1", "lung1", "lung2"]
    table = pd.DataFrame(
        {
            "patient_id": cases,
            "image": [f"{c}_image.nrrd" for c in cases],
            "mask": [f"{c}_label.nrrd" for c in cases],
        }
    )
    c = Cohort.from_table(table, images={"MR": "image"}, mask="mask", root=folder)
    problems = c.validate()
    assert not (problems["severity"] == "error").any(), problems
    img, m = c.image("brain1", "MR"), c.mask("brain1")
    assert img.GetSize() == m.GetSize()
    assert sitk.GetArrayFromImage(m).sum() > 1000


def test_corrupt_gzip_is_reported_not_raised(tmp_path, good_table):
    df = good_table.copy()
    p = tmp_path / "garbage.nii.gz"
    with gzip.open(p, "wb") as fh:
        fh.write(b"not a nifti at all" * 10)
    df.loc[0, "mask"] = str(p)
    problems = _cohort(df).validate()
    assert _checks_for(problems, "P00") == {"unreadable"}
    shutil.rmtree(tmp_path / "P05")
    problems = _cohort(df).validate()
    assert _checks_for(problems, "P05") == {"missing_file"}


def test_table1_text_columns_stay_categorical_when_not_listed(good_table):
    t1 = _cohort(good_table).table1(columns=["sex", "her2"], categorical=["her2"])
    index = [str(i) for i in t1.tableone.index.get_level_values(0)]
    assert any(i.startswith("sex") for i in index) and any(i.startswith("her2") for i in index)
