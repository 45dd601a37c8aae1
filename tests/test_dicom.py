"""RTSTRUCT and DICOM SEG masks on a SIMULATED CT sphere phantom built with pydicom / highdicom."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radnb import Cohort, io
from radnb.dicom import DicomMaskError, list_rois, read_rtstruct, read_seg
from radnb.dicom.phantom import sphere_mask, write_ct_series, write_rtstruct, write_seg
from radnb.dicom.rtstruct import rasterise_contours

pytest.importorskip("highdicom")

SIZE, SPACING, ORIGIN = (40, 40, 24), (1.0, 1.0, 1.5), (-20.0, -20.0, -18.0)
CENTRE, RADIUS = (0.31, -0.17, 0.23), 9.0  # off the voxel lattice: no ties on the boundary


def dice(a, b) -> float:
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def write_patient(folder, *, seed=0, radius=RADIUS, rois=None, frame_uid=None):
    ct = write_ct_series(
        folder / "CT",
        size=SIZE,
        spacing=SPACING,
        origin=ORIGIN,
        centre=CENTRE,
        radius=radius,
        seed=seed,
    )
    rois = rois or {
        "GTV": {"centre": CENTRE, "radius": radius},
        "GTV_2": {"centre": (12, 12, 9), "radius": 3.0},
        "Ring": {"centre": CENTRE, "radius": radius, "hole": 5.0},
    }
    write_rtstruct(folder / "RS" / "rs.dcm", ct, rois, frame_uid=frame_uid, n_points=256)
    truth = sphere_mask(SIZE, SPACING, ORIGIN, CENTRE, radius)
    core = sphere_mask(SIZE, SPACING, ORIGIN, CENTRE, 4.0)
    write_seg(folder / "SEG" / "seg.dcm", ct, {"tumour": truth, "core": core})
    nii = sitk.GetImageFromArray(truth)
    nii.CopyInformation(io.read_image(folder / "CT"))
    io.write_image(nii, folder / "mask.nii.gz")
    return truth


def _series(folder):
    import pydicom

    return sorted(
        (pydicom.dcmread(f) for f in (folder / "CT").glob("*.dcm")),
        key=lambda d: float(d.ImagePositionPatient[2]),
    )


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RADNB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def patient(tmp_path):
    truth = write_patient(tmp_path / "p1")
    return tmp_path / "p1", truth


def test_rtstruct_matches_the_nifti_sphere_and_the_image_grid(patient):
    folder, truth = patient
    out = read_rtstruct(folder / "RS" / "rs.dcm", folder / "CT", roi="GTV")
    assert out.rois == ["GTV"]
    assert io.compare_geometry(out.mask, io.read_image(folder / "CT")) == []
    d = dice(sitk.GetArrayFromImage(out.mask), truth)
    assert d >= 0.97
    assert d > 0.999  # voxel-centre rasterisation of a 256-point contour
    # the referenced series is found beside the RTSTRUCT when no reference is given
    found = read_rtstruct(folder / "RS" / "rs.dcm", roi="GTV")
    assert np.array_equal(sitk.GetArrayFromImage(found.mask), sitk.GetArrayFromImage(out.mask))
    # radnb.io reads an RTSTRUCT holding one ROI as a mask, and a SEG on its own grid
    one = write_rtstruct(
        folder / "RS" / "one.dcm",
        _series(folder),
        {"GTV": {"centre": CENTRE, "radius": RADIUS}},
        n_points=256,
    )
    via_io = io.read_mask(one)
    assert np.array_equal(sitk.GetArrayFromImage(via_io), sitk.GetArrayFromImage(out.mask))
    seg = io.read_mask(folder / "SEG" / "seg.dcm", label=None)  # union of the 2 segments
    assert io.compare_geometry(seg, out.mask) == []
    assert np.array_equal(sitk.GetArrayFromImage(seg), truth)


def test_holes_follow_the_even_odd_rule(patient):
    folder, truth = patient
    ring = read_rtstruct(folder / "RS" / "rs.dcm", folder / "CT", roi="ring").mask
    hollow = truth & (1 - sphere_mask(SIZE, SPACING, ORIGIN, CENTRE, 5.0))
    assert dice(sitk.GetArrayFromImage(ring), hollow) > 0.99
    assert sitk.GetArrayFromImage(ring)[12, 20, 20] == 0  # the centre is in the hole


def test_rasterise_square_with_a_square_hole():
    grid = sitk.Image(10, 10, 1, sitk.sitkUInt8)
    outer = np.array([[0.5, 0.5, 0], [8.5, 0.5, 0], [8.5, 8.5, 0], [0.5, 8.5, 0]])
    inner = np.array([[2.5, 2.5, 0], [6.5, 2.5, 0], [6.5, 6.5, 0], [2.5, 6.5, 0]])
    arr, n_out, _ = rasterise_contours([outer, inner], grid)
    assert arr.sum() == 8 * 8 - 4 * 4 and n_out == 0
    assert arr[0, 4, 4] == 0 and arr[0, 1, 1] == 1
    arr, n_out, _ = rasterise_contours([outer + [5, 0, 0]], grid)
    assert n_out == 2 and arr.sum() == 8 * 4  # the part outside the image is clipped


def test_roi_regex_and_rules(patient):
    folder, _ = patient
    rs = folder / "RS" / "rs.dcm"
    assert list_rois(rs)["name"].tolist() == ["GTV", "GTV_2", "Ring"]
    union = read_rtstruct(rs, folder / "CT", roi="GTV.*")
    first = read_rtstruct(rs, folder / "CT", roi="GTV.*", rule="first")
    assert union.rois == ["GTV", "GTV_2"] and first.rois == ["GTV"]
    n_union = sitk.GetArrayFromImage(union.mask).sum()
    assert n_union > sitk.GetArrayFromImage(first.mask).sum()
    with pytest.raises(DicomMaskError, match="2 ROIs match") as err:
        read_rtstruct(rs, folder / "CT", roi="GTV.*", rule="error")
    assert err.value.check == "roi_ambiguous"
    with pytest.raises(DicomMaskError, match="no ROI matches 'PTV'") as err:
        read_rtstruct(rs, folder / "CT", roi="PTV", patient_id="p1")
    assert err.value.check == "roi_not_found" and "patient 'p1'" in str(err.value)


def test_frame_of_reference_mismatch_is_a_clear_error(tmp_path):
    write_patient(tmp_path / "p", frame_uid="1.2.3.4.5")
    with pytest.raises(DicomMaskError, match="frame of reference mismatch") as err:
        read_rtstruct(tmp_path / "p" / "RS" / "rs.dcm", tmp_path / "p" / "CT", roi="GTV")
    assert err.value.check == "frame_of_reference"


def test_seg_segment_by_number_or_label_and_label_map(patient):
    folder, truth = patient
    seg = folder / "SEG" / "seg.dcm"
    by_label = sitk.GetArrayFromImage(read_seg(seg, folder / "CT", segment="Tumour"))
    by_number = sitk.GetArrayFromImage(read_seg(seg, folder / "CT", segment=1))
    assert np.array_equal(by_label, truth) and np.array_equal(by_number, truth)
    labels = sitk.GetArrayFromImage(read_seg(seg, folder / "CT", label_map=True))
    assert set(np.unique(labels)) == {0, 1, 2}
    assert (labels == 2).sum() == sphere_mask(SIZE, SPACING, ORIGIN, CENTRE, 4.0).sum()
    # onto a NIfTI grid (no UIDs): the SEG's own geometry, resampled
    on_nifti = read_seg(seg, folder / "mask.nii.gz", segment="tumour")
    assert np.array_equal(sitk.GetArrayFromImage(on_nifti), truth)
    with pytest.raises(DicomMaskError, match="no segment 'liver'"):
        read_seg(seg, folder / "CT", segment="liver")


def _cohort(tmp_path, n=4, mask="rs", **opts):
    rows = []
    for i in range(n):
        f = tmp_path / f"pt{i}"
        write_patient(f, seed=i, radius=7.0 + i)
        rows.append(
            {
                "patient_id": f"pt{i}",
                "ct": str(f / "CT"),
                "rs": str(f / "RS" / "rs.dcm"),
                "seg": str(f / "SEG" / "seg.dcm"),
                "nii": str(f / "mask.nii.gz"),
            }
        )
    return pd.DataFrame(rows)


def test_cohort_with_rtstruct_and_seg_masks_validates_and_extracts(tmp_path):
    table = _cohort(tmp_path, n=3)
    params = {"featureClass": {"firstorder": ["Mean", "Energy"], "shape": ["VoxelVolume"]}}
    from radnb.features.radiomic import extract_radiomics

    feats = {}
    for name, col, opts in [
        ("rs", "rs", {"roi": "gtv"}),
        ("seg", "seg", {"segment": "tumour"}),
        ("nii", "nii", None),
    ]:
        c = Cohort.from_table(table, images={"CT": "ct"}, mask=col, mask_options=opts)
        problems = c.validate()
        assert problems.empty, problems.to_string()
        assert str(c.mask_path("pt0", "CT")).endswith(".nii.gz")
        res = extract_radiomics(c, params=params, cache=False, progress=False, n_workers=1)
        assert res.errors.empty, res.errors.to_string()
        feats[name] = res.features
    pd.testing.assert_frame_equal(feats["seg"], feats["nii"])
    np.testing.assert_allclose(feats["rs"], feats["nii"], rtol=0.01)  # within a voxel or two


def test_validate_reports_dicom_mask_problems_per_patient(tmp_path):
    table = _cohort(tmp_path, n=2)
    write_patient(tmp_path / "bad", frame_uid="1.2.3.4.5")
    write_patient(
        tmp_path / "out", rois={"GTV": {"contours": [[50, 50, -18, 60, 50, -18, 60, 60, -18]]}}
    )
    write_patient(
        tmp_path / "edge",
        rois={"GTV": {"contours": [[15, 15, 0, 30, 15, 0, 30, 19, 0, 15, 19, 0]]}},
    )
    extra = [
        {"patient_id": p, "ct": str(tmp_path / p / "CT"), "rs": str(tmp_path / p / "RS" / "rs.dcm")}
        for p in ("bad", "out", "edge")
    ]
    table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    c = Cohort.from_table(table, images={"CT": "ct"}, mask="rs", mask_options={"roi": "GTV.*"})
    problems = c.validate(min_voxels=1)
    got = {(r.patient_id, r.check, r.severity) for r in problems.itertuples()}
    assert ("pt0", "roi_ambiguous", "error") not in got  # union is the default rule
    assert ("bad", "frame_of_reference", "error") in got
    assert ("out", "empty_mask", "error") in got
    assert ("edge", "contour_outside", "warning") in got
    assert not any(p.startswith("pt") for p, _, _ in got), problems.to_string()
    strict = Cohort.from_table(
        table.iloc[:2],
        images={"CT": "ct"},
        mask="rs",
        mask_options={"roi": "GTV.*", "rule": "error"},
    )
    checks = strict.validate()["check"].tolist()
    assert checks == ["roi_ambiguous", "roi_ambiguous"]
    missing = Cohort.from_table(
        table.iloc[:1], images={"CT": "ct"}, mask="rs", mask_options={"roi": "PTV"}
    )
    row = missing.validate().iloc[0]
    assert row.check == "roi_not_found" and "pt0" in row.message and "rs.dcm" in row.message


def test_rounded_rasterisation_is_worse_than_voxel_centres(tmp_path):
    """rt-utils-like rounding vs voxel centres on a 9 mm sphere (1 mm grid)."""
    ct = write_ct_series(
        tmp_path / "CT",
        size=(30, 30, 30),
        spacing=(1, 1, 1),
        origin=(-15, -15, -15),
        centre=CENTRE,
        radius=9.0,
    )
    rs = write_rtstruct(
        tmp_path / "rs.dcm", ct, {"GTV": {"centre": CENTRE, "radius": 9.0}}, n_points=256
    )
    truth = sphere_mask((30, 30, 30), (1, 1, 1), (-15, -15, -15), CENTRE, 9.0)
    centre = dice(sitk.GetArrayFromImage(read_rtstruct(rs, tmp_path / "CT").mask), truth)
    rounded = dice(
        sitk.GetArrayFromImage(read_rtstruct(rs, tmp_path / "CT", method="rounded").mask), truth
    )
    assert centre > 0.999 and rounded < 0.96 and rounded > 0.85


def test_rtstruct_picks_its_series_in_a_folder_of_several(tmp_path):
    ct = write_ct_series(tmp_path / "CT", size=SIZE, spacing=SPACING, origin=ORIGIN)
    other = write_ct_series(  # a second, larger series in the same folder, other grid
        tmp_path / "other", size=(20, 20, 40), spacing=(2, 2, 1), origin=ORIGIN, seed=3
    )
    for f in (tmp_path / "other").glob("*.dcm"):
        f.rename(tmp_path / "CT" / f"b_{f.name}")
    assert len(other) > len(ct)
    rs = write_rtstruct(tmp_path / "rs.dcm", ct, {"GTV": {"centre": CENTRE, "radius": RADIUS}})
    out = read_rtstruct(rs, tmp_path / "CT", roi="GTV")
    assert out.mask.GetSize() == SIZE  # the referenced series, not the largest
