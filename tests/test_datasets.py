"""Tests of radnb.datasets: simulated study designs, planted truth, determinism, loaders."""

from __future__ import annotations

import doctest
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

import radnb.datasets as ds
from radnb.datasets import designs
from radnb.errors import RadnbError

SMALL = {"shape": (12, 24, 24)}


def _hash_folder(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(Path(root).rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _arr(path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


# ---------------------------------------------------------------- designs
@pytest.mark.parametrize("study", ["S1", "S2", "S3", "S4", "S5"])
def test_full_design_counts_and_columns(study):
    c = ds.simulate(study, images=False)
    d = designs.DESIGNS[study]
    clin = c.clinical
    assert c.simulated and c.name.startswith("SIMULATED")
    assert "SIMULATED" in repr(c)
    assert "simulated" in clin.attrs
    assert clin["split"].value_counts().to_dict() == d.splits
    assert len(c) == {"S1": 181, "S2": 610, "S3": 375, "S4": 726, "S5": 475}[study]
    assert c.validate().query("severity == 'error'").empty
    for time, event in c.survival:
        assert (clin[time] > 0).all() and set(clin[event].unique()) <= {0, 1}
    for name, model in c.truth["outcomes"].items():
        assert 0.5 < model["auc"] < 1.0
        assert set(clin[name].dropna().unique()) == {0.0, 1.0}


def test_study_specific_columns():
    s1 = ds.simulate("S1", images=False).clinical
    assert {"her2", "rfs_months", "rfs_event", "age", "sex", "tumour_size_cm", "grade",
            "multiplicity"} <= set(s1.columns)  # fmt: skip
    assert s1["grade"].isna().any()  # some missingness
    s2 = ds.simulate("S2", images=False).clinical
    assert s2.loc[s2.split != "ici", "dcb"].isna().all()
    assert s2.loc[s2.split == "ici", "dcb"].notna().all()
    assert {"pdl1", "pfs_months", "pfs_event", "smoking", "t_stage", "n_stage", "site"} <= set(
        s2.columns
    )
    s3 = ds.simulate("S3", images=False).clinical
    assert (s3["age"] < 40).all()
    assert s3.loc[s3.her2_positive == 1, "her2_low"].isna().all()
    assert s3.loc[s3.her2_positive == 0, "her2_low"].notna().all()
    assert (s3.loc[s3.split == "train", "centre"] == "centre 1").all()
    assert (s3.loc[s3.split == "external", "centre"] == "centre 2").all()
    s4c = ds.simulate("S4", images=False)
    s4 = s4c.clinical
    assert set(s4["arm"]) == {"none", "single", "dual"}
    assert (s4["os_months"] >= s4["rfs_months"]).all()
    shares = s4c.truth["latent"]["risk_group"].value_counts(normalize=True)
    assert abs(shares["low"] - 0.6) < 0.06 and abs(shares["high"] - 0.2) < 0.05
    s5 = ds.simulate("S5", images=False).clinical
    assert {"metastasis", "tumour_size_cm", "n_nodules", "afp_ng_ml", "bclc", "child_pugh"} <= set(
        s5.columns
    )
    afp = np.log(s5["afp_ng_ml"].dropna())
    assert abs(float(pd.Series(afp).skew())) < 0.5  # log-normal: log is symmetric


def test_n_keeps_proportions():
    c = ds.simulate("S2", n=40, images=False)
    counts = c.clinical["split"].value_counts()
    assert counts.sum() == 40
    full = designs.DESIGNS["S2"].splits
    for k, v in full.items():
        assert abs(counts[k] - 40 * v / sum(full.values())) < 1.0


# ---------------------------------------------------------------- planted truth
@pytest.mark.parametrize(
    ("study", "outcome"), [("S1", "her2"), ("S3", "her2_low"), ("S5", "metastasis")]
)
def test_logistic_on_latent_recovers_planted_auc(study, outcome):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    c = ds.simulate(study, n=4000, random_state=3, images=False)
    truth = c.truth
    y = c.clinical[outcome]
    ok = y.notna()
    x = truth["latent"].loc[ok, truth["blocks"]].to_numpy()
    fit = LogisticRegression(C=1e6).fit(x, y[ok])
    auc = roc_auc_score(y[ok], fit.decision_function(x))
    assert abs(auc - truth["outcomes"][outcome]["auc"]) < 0.03
    coef = np.array([truth["outcomes"][outcome]["coef"][b] for b in truth["blocks"]])
    assert np.allclose(fit.coef_.ravel(), coef, atol=0.2)


def test_no_signal_gives_chance_auc():
    c = ds.simulate("S1", n=50, signal=0.0, images=False)
    assert c.truth["outcomes"]["her2"]["auc"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize(("study", "endpoint"), [("S1", "rfs"), ("S2", "pfs")])
def test_cox_on_latent_recovers_planted_hazard_ratios(study, endpoint):
    from lifelines import CoxPHFitter

    c = ds.simulate(study, n=3000, random_state=5, images=False)
    t = c.truth
    s = t["survival"][endpoint]
    df = t["latent"][t["blocks"]].copy()
    df["T"] = c.clinical[s["time"]].to_numpy()
    df["E"] = c.clinical[s["event"]].to_numpy()
    cph = CoxPHFitter().fit(df, "T", "E")
    for b in t["blocks"]:
        assert cph.params_[b] == pytest.approx(s["coef"][b], abs=0.1)
    # the true risk score has HR ~ e per unit of its linear predictor
    risk = pd.DataFrame({"lp": t["latent"][f"lp_{endpoint}"], "T": df["T"], "E": df["E"]})
    hr = float(np.exp(CoxPHFitter().fit(risk, "T", "E").params_["lp"]))
    assert hr == pytest.approx(np.e, rel=0.15)


def test_s4_treatment_effect_by_risk_group():
    from lifelines import CoxPHFitter

    c = ds.simulate("S4", n=8000, random_state=2, images=False)
    t = c.truth
    table = t["treatment_effect"].set_index(["risk_group", "arm"])["hazard_ratio"]
    df = pd.DataFrame(
        {
            "group": t["latent"]["risk_group"].to_numpy(),
            "lp": t["latent"]["lp_rfs"].to_numpy(),
            "single": (c.clinical["arm"] == "single").astype(int).to_numpy(),
            "dual": (c.clinical["arm"] == "dual").astype(int).to_numpy(),
            "T": c.clinical["rfs_months"].to_numpy(),
            "E": c.clinical["rfs_event"].to_numpy(),
        }
    )
    for group in ("low", "moderate", "high"):
        sub = df[df.group == group].drop(columns="group")
        fit = CoxPHFitter().fit(sub, "T", "E")
        for arm in ("single", "dual"):
            planted = np.log(table[(group, arm)])
            assert fit.params_[arm] == pytest.approx(planted, abs=0.3), (group, arm)
    assert table[("low", "dual")] == 1.0 and table[("high", "dual")] < table[("high", "single")]


# ---------------------------------------------------------------- images
def test_small_cohort_files_and_validation(tmp_path):
    c = ds.simulate("S2", n=8, root=tmp_path, **SMALL)
    assert c.sequences == ["T1WI", "T2WI", "CE_T1WI"]
    assert "SIMULATED" in (tmp_path / "README.txt").read_text(encoding="utf-8")
    assert (tmp_path / "clinical.csv").is_file()
    assert c.validate().query("severity == 'error'").empty
    pid = c.patient_ids[0]
    grids = {s: c.image(pid, s) for s in c.sequences}
    ref = grids["T1WI"]
    for img in grids.values():
        assert img.GetSize() == (24, 24, 12) and img.GetSpacing() == ref.GetSpacing()
        assert img.GetPixelID() == sitk.sitkInt16
    m1 = _arr(c.mask_path(pid))
    m2 = _arr(c.clinical.loc[pid, "mask_reader2"])
    dice = 2 * (m1 & m2).sum() / (m1.sum() + m2.sum())
    assert 0.6 < dice < 1.0  # two readers agree, but not perfectly
    sub = _arr(c.clinical.loc[pid, "subregions_path"])
    assert set(np.unique(sub)) == {0, 1, 2, 3} and c.truth["n_subregions"] == 3
    second = c.with_masks("mask_reader2")
    assert second.mask(pid).GetSize() == ref.GetSize()


def test_ct_in_hounsfield_units(tmp_path):
    c = ds.simulate("S5", n=4, root=tmp_path, **SMALL)
    a = _arr(c.image_path(c.patient_ids[0], "CT_portal"))
    assert a.min() >= -1024 and -150 < np.median(a) < 200
    assert c.truth["units"]["CT_portal"] == "HU"


def test_habitat_fractions_follow_latent(tmp_path):
    c = ds.simulate("S3", n=12, root=tmp_path, n_subregions=4, shape=(16, 32, 32))
    lat = c.truth["latent"]
    assert c.truth["subregion_labels"] == {
        1: "necrotic",
        2: "hypoxic",
        3: "intermediate",
        4: "enhancing",
    }
    for pid in c.patient_ids:
        sub = _arr(c.clinical.loc[pid, "subregions_path"])
        frac = (sub == 1).sum() / (sub > 0).sum()
        assert frac == pytest.approx(lat.loc[pid, "frac_necrotic"], abs=0.05)
    # more habitat latent -> less intermediate tissue
    rho = np.corrcoef(lat["habitat"], lat["frac_intermediate"])[0, 1]
    assert rho < -0.7


def test_deep_pattern_lives_in_the_chosen_sequence(tmp_path):
    from scipy import ndimage, stats

    c = ds.simulate("S2", n=40, root=tmp_path, shape=(16, 48, 48), random_state=1, latent_corr=0.0)
    deep = c.truth["latent"]["deep"]
    score = {s: [] for s in c.sequences}
    for pid in c.patient_ids:
        m = _arr(c.mask_path(pid)).astype(bool)
        for s in c.sequences:
            a = _arr(c.image_path(pid, s)).astype(np.float32)
            spots = a - ndimage.grey_opening(a, size=(1, 5, 5))  # white top-hat
            score[s].append(float(stats.kurtosis(spots[m])))  # heavy tail = bright spots
    rho = {s: stats.spearmanr(v, deep).statistic for s, v in score.items()}
    assert rho["CE_T1WI"] > 0.3
    assert rho["CE_T1WI"] > max(rho["T1WI"], rho["T2WI"]) + 0.1


def test_deep_pattern_is_causal_and_sequence_specific():
    from radnb.datasets._phantom import synth_patient

    d = designs.DESIGNS["S2"]
    kw = dict(shape=(16, 32, 32), spacing=d.spacing, sequences=d.sequences,
              proportions=np.array([0.2, 0.45, 0.35]), diameter_mm=22.0, radiomic=0.0,
              deep_sequence="CE_T1WI")  # fmt: skip
    lo = synth_patient(11, deep=-1.5, **kw).images
    hi = synth_patient(11, deep=1.5, **kw).images
    change = {s: np.abs(hi[s].astype(float) - lo[s]).sum() / np.abs(lo[s]).sum() for s in lo}
    assert change["CE_T1WI"] > 4 * max(change["T1WI"], change["T2WI"])


def test_determinism_byte_identical(tmp_path):
    a = ds.simulate("S1", n=6, root=tmp_path / "a", random_state=7, **SMALL)
    b = ds.simulate("S1", n=6, root=tmp_path / "b", random_state=7, n_jobs=1, **SMALL)
    ds.simulate("S1", n=6, root=tmp_path / "c", random_state=8, **SMALL)
    assert _hash_folder(tmp_path / "a") == _hash_folder(tmp_path / "b")
    assert _hash_folder(tmp_path / "a") != _hash_folder(tmp_path / "c")
    cols = [col for col in a.clinical.columns if col not in ("mask_reader2", "subregions_path")]
    pd.testing.assert_frame_equal(a.clinical[cols], b.clinical[cols])
    pd.testing.assert_frame_equal(a.truth["latent"], b.truth["latent"])


def test_cache_folder_is_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("RADNB_CACHE_DIR", str(tmp_path))
    a = ds.simulate("S1", n=4, **SMALL)
    root = Path(a.truth["root"])
    assert root.parent == tmp_path / "simulated" and root.name.startswith("S1-4-0-")
    stamp = (root / "manifest.json").stat().st_mtime_ns
    b = ds.simulate("S1", n=4, **SMALL)
    assert b.truth["root"] == a.truth["root"]
    assert (root / "manifest.json").stat().st_mtime_ns == stamp  # not rewritten
    other = ds.simulate("S1", n=4, signal=2.0, **SMALL)
    assert other.truth["root"] != a.truth["root"]


def test_bad_arguments():
    with pytest.raises(RadnbError, match="unknown study"):
        ds.simulate("S9", images=False)
    with pytest.raises(RadnbError, match="n_subregions"):
        ds.simulate("S1", n=5, n_subregions=6, images=False)
    with pytest.raises(RadnbError, match="deep_sequence"):
        ds.simulate("S2", n=5, deep_sequence="FLAIR", images=False)
    with pytest.raises(RadnbError, match="signal block"):
        ds.simulate("S1", n=5, signal={"genomic": 1.0}, images=False)
    with pytest.raises(RadnbError, match="random_state"):
        ds.simulate("S1", n=5, random_state=None, images=False)


@pytest.mark.slow
def test_full_s1_with_images(tmp_path):
    c = ds.simulate("S1", root=tmp_path)
    assert len(c) == 181
    assert c.clinical["split"].value_counts().to_dict() == {"train": 126, "test": 55}
    report = c.validate(read_images=False)
    assert report.query("severity == 'error'").empty
    assert len(list(tmp_path.glob("S1_*/CT.nii.gz"))) == 181


# ---------------------------------------------------------------- real data
def test_sts_pet_mr_loader(data_dir):
    c = ds.load_sts_pet_mr(data_dir)
    assert len(c) == 51 and int(c.clinical["lung_metastasis"].sum()) == 19
    assert c.sequences == ["PET", "MR_T1"] and not c.simulated
    report = c.validate(read_images=False)
    assert report.query("severity == 'error'").empty
    pid = c.patient_ids[0]
    assert c.image(pid, "PET").GetSpacing() != c.image(pid, "MR_T1").GetSpacing()
    assert c.mask(pid, "MR_T1").GetSize() == c.image(pid, "MR_T1").GetSize()


def test_pyradiomics_cases_loader(data_dir):
    c = ds.load_pyradiomics_cases(data_dir)
    assert set(c.patient_ids) == {
        "brain1",
        "brain2",
        "breast1",
        "lung1",
        "lung2",
        "prostate_phantom",
    }
    report = c.validate(read_images=False)
    assert report.query("severity == 'error'").empty


def test_load_table(data_dir):
    df = ds.load_table("gbsg2", data_dir)
    assert df.shape == (686, 10)  # GBSG2: 686 patients (Schumacher et al. 1994)
    assert "lifelines" in df.attrs["source"]
    assert len(ds.load_table("aSAH", data_dir)) == 113  # pROC::aSAH has 113 rows
    with pytest.raises(RadnbError, match="unknown table"):
        ds.load_table("nope")


def test_missing_data_folder_message(tmp_path):
    with pytest.raises(RadnbError, match="not found"):
        ds.data_dir(tmp_path / "absent")
    with pytest.raises(RadnbError, match="download=True"):
        ds.load_sts_pet_mr(tmp_path)


def test_doctests():
    import radnb.datasets._phantom as ph
    import radnb.datasets.real as real
    import radnb.datasets.simulation as sim

    for mod in (ph, sim, real):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, mod.__name__


def test_submodule_import_does_not_shadow_function():
    import radnb.datasets.simulation  # noqa: F401

    assert callable(ds.simulate) and ds.simulate.__name__ == "simulate"
