"""No DICOM identifier reaches anything radnb writes (SIMULATED DICOM with fake identifiers).

A small study runs end to end (cohort with RTSTRUCT, SEG and DICOM-series inputs ->
validate -> radiomics with its cache -> Study fit / results -> figures -> errors
table) into a temporary folder; then every file written there, and the caches,
are searched for the fake identifiers and the DICOM UIDs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radnb import Cohort, Study, io
from radnb.dicom.phantom import FAKE_IDENTIFIERS, write_ct_series, write_rtstruct, write_seg

pytest.importorskip("highdicom")

SIZE, SPACING, ORIGIN = (24, 24, 12), (1.0, 1.0, 2.0), (-12.0, -12.0, -12.0)


def _uids(folder: Path) -> set[str]:
    import pydicom

    out = set()
    for f in folder.rglob("*.dcm"):
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        for key in (
            "StudyInstanceUID",
            "SeriesInstanceUID",
            "SOPInstanceUID",
            "FrameOfReferenceUID",
        ):
            if key in ds:
                out.add(str(ds.get(key)))
    return out


def _secrets(i: int) -> dict[str, str]:
    return {
        k: f"{v}{i:02d}" if k != "PatientBirthDate" else f"19{50 + i}0315"
        for k, v in FAKE_IDENTIFIERS.items()
    }


def _write_cohort(root: Path, n: int = 16):
    rows, secrets = [], set()
    for i in range(n):
        ids = _secrets(i)
        secrets |= {v for k, v in ids.items()}
        y = i % 2
        radius = 4.0 + 2.5 * y + 0.3 * (i % 3)
        f = root / "input" / f"case{i:02d}"
        ct = write_ct_series(
            f / "CT",
            size=SIZE,
            spacing=SPACING,
            origin=ORIGIN,
            centre=(0.2, -0.3, 0.1),
            radius=radius,
            identifiers=ids,
            seed=i,
        )
        if i % 4 == 3:  # some patients come with a SEG
            from radnb.dicom.phantom import sphere_mask

            m = sphere_mask(SIZE, SPACING, ORIGIN, (0.2, -0.3, 0.1), radius)
            mask = write_seg(f / "SEG" / "seg.dcm", ct, {"GTV": m})
        else:
            mask = write_rtstruct(
                f / "RS" / "rs.dcm",
                ct,
                {"GTV": {"centre": (0.2, -0.3, 0.1), "radius": radius}},
                frame_uid="1.2.826.0.1.99" if i == 5 else None,  # frame-of-reference mismatch
            )
        rows.append(
            {
                "patient_id": f"P{i:02d}",
                "ct": str(f / "CT"),
                "mask": str(mask),
                "y": y,
                "age": 50 + i,
                "split": "train" if i < 10 else "test",
            }
        )
    # a single-file DICOM image, written to NRRD by radnb.io (SimpleITK would keep its tags)
    single = sorted((root / "input" / "case00" / "CT").glob("*.dcm"))[0]
    return pd.DataFrame(rows), secrets, single


def test_no_identifier_in_any_output(tmp_path, monkeypatch):
    cache, out = tmp_path / "cache", tmp_path / "out"
    monkeypatch.setenv("RADNB_CACHE_DIR", str(cache))
    table, secrets, single = _write_cohort(tmp_path)
    uids = _uids(tmp_path / "input")
    needles = sorted(secrets | uids)
    # the inputs do hold them (the search below could fail)
    assert any(s.encode() in single.read_bytes() for s in secrets)

    out.mkdir(parents=True)
    log = logging.FileHandler(out / "run.log")
    logging.getLogger().addHandler(log)
    logging.getLogger().setLevel(logging.INFO)
    try:
        img = io.read_image(single)
        assert not any(k.startswith("0010|") for k in img.GetMetaDataKeys())
        io.write_image(img, out / "single.nrrd")
        io.write_image(img, out / "single.mha")

        cohort = Cohort.from_table(
            table,
            images={"CT": "ct"},
            mask="mask",
            outcomes=["y"],
            mask_options={"roi": "GTV", "segment": "GTV"},
        )
        problems = cohort.validate()
        assert problems.loc[problems.patient_id == "P05", "check"].tolist() == [
            "frame_of_reference"
        ]
        problems.to_csv(out / "problems.csv")
        (out / "cohort.html").write_text(cohort._repr_html_())

        from radnb.features import errors_table
        from radnb.features.radiomic import extract_radiomics

        params = {
            "featureClass": {
                "firstorder": ["Mean", "Energy", "Skewness"],
                "shape": ["VoxelVolume", "Sphericity"],
            }
        }
        res = extract_radiomics(
            cohort, params=params, cache=cache / "radiomics", progress=False, n_workers=1
        )
        again = extract_radiomics(
            cohort, params=params, cache=cache / "radiomics", progress=False, n_workers=1
        )
        assert again.n_cached == len(res.features) == 15
        assert res.errors["patient_id"].tolist() == ["P05"]
        res.features.to_csv(out / "features.csv")
        res.features.to_parquet(out / "features.parquet")
        res.diagnostics.to_csv(out / "diagnostics.csv")
        errors_table(res).to_csv(out / "errors.csv")
        (out / "radiomics.html").write_text(res._repr_html_())
        (out / "repr.txt").write_text(repr(res) + "\n" + repr(cohort))

        study = Study(
            cohort.clinical.loc[res.features.index],
            outcome="y",
            train="train",
            clinical=["age"],
            cohorts={"train": "Training", "test": "Test"},
        )
        study.add_block("rad", res.features)
        study.signature(
            "Rad score", "rad", steps=["variance", "corr", "univariate"], univariate={"alpha": 1.0}
        )
        study.model("Rad", ["Rad score"])
        study.fit()
        study.results(formatted=True).to_csv(out / "results.csv")
        (out / "results.html").write_text(study.results().to_html())
        study.scores().to_csv(out / "scores.csv")
        for name, ax in (("roc", study.plot_roc()), ("cal", study.plot_calibration())):
            fig = np.ravel(ax)[0].figure if isinstance(ax, np.ndarray) else ax.figure
            fig.savefig(out / f"{name}.svg")
            fig.savefig(out / f"{name}.png")
            fig.savefig(out / f"{name}.pdf")
    finally:
        logging.getLogger().removeHandler(log)
        log.close()

    files = [p for root in (out, cache) for p in root.rglob("*") if p.is_file()]
    assert len(files) > 20
    assert any(p.suffix == ".parquet" for p in (cache / "radiomics").rglob("*"))
    assert any(p.name.endswith(".nii.gz") for p in (cache / "dicom-masks").rglob("*"))
    found = []
    for p in files:
        raw = p.read_bytes()
        texts = [raw]
        if p.name.endswith(".gz"):
            import gzip

            texts.append(gzip.decompress(raw))
        for needle in needles:
            for variant in {needle, needle.replace("^", " ")}:
                if any(variant.encode() in t for t in texts):
                    found.append((p.relative_to(tmp_path), needle))
    assert not found, found
    # the rasterised masks agree with the SEG patients' masks (same sphere, same grid)
    m = sitk.GetArrayFromImage(cohort.mask("P03", "CT"))
    assert m.sum() > 50
