"""Negative controls of a signature (radnb.study.controls) on SIMULATED S1 cohorts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from radnb import datasets
from radnb.errors import RadnbError
from radnb.study import Study
from radnb.study._control_images import control_features
from radnb.study.controls import _refit_score, _sub_study

LASSO = {"rule": "min", "n_lambdas": 15, "cv": 5}
N_PERM = 39  # smallest attainable p = 1 / 40 = 0.025


@pytest.fixture(scope="module")
def s1():
    return datasets.simulate("S1", images=False)


def latent_study(cohort, z, seed=1, steps=("corr", "lasso")):
    """Study on S1's table with a block of 3 noisy copies of ``z`` + 20 noise features."""
    rng = np.random.default_rng(seed)
    n = len(z)
    d = {f"f{i}": z + rng.normal(size=n) for i in range(3)}
    d |= {f"noise{i}": rng.normal(size=n) for i in range(20)}
    d["volume"] = np.exp(rng.normal(size=n))  # a tumour size unrelated to HER2
    block = pd.DataFrame(d, index=cohort.clinical.index)
    study = Study(cohort, outcome="her2", train="train")
    final = "auto" if steps[-1] == "lasso" else "logistic"
    study.add_block("rad", block)
    study.signature("Rad score", "rad", steps=list(steps), final=final, lasso=LASSO)
    return study.fit()


def test_no_planted_signal_does_not_beat_permuted_labels(s1):
    # A valid permutation test has P(p <= 0.05) <= 0.05 under the null: this
    # fixed seed is one draw of it, not a tuned result.
    # A LASSO keeps nothing here (honestly); two mRMR features + logistic always fit.
    z = np.random.default_rng(7).normal(size=len(s1.clinical))  # unrelated to HER2
    study = latent_study(s1, z, steps=[("mrmr", {"n_features": 2})])
    nc = study.negative_controls("Rad score", n_permutations=N_PERM, controls=["permuted"])
    row = nc.table.set_index("control").loc["permuted"]
    assert row["p"] > 0.05
    assert nc.permutation_aucs.size == N_PERM
    assert nc.table["control"].tolist() == ["real", "permuted"]
    assert study.negative_controls_["Rad score"] is nc


def test_planted_signal_beats_permuted_labels_and_volume(s1):
    lat = s1.truth["latent"]
    study = latent_study(s1, (lat["radiomic"] + lat["deep"]).to_numpy())
    nc = study.negative_controls(
        "Rad score", n_permutations=N_PERM, controls=["permuted", "volume"], volume="volume"
    )
    t = nc.table.set_index("control")
    assert t.loc["permuted", "p"] <= 0.05
    assert t.loc["real", "auc"] > t.loc["permuted", "auc_upper"]
    assert t.loc["real", "auc"] > t.loc["volume", "auc"]
    assert t.loc["volume", "p_method"] == "paired DeLong vs real"
    assert (t["n"] == len(study.cohort_ids("test"))).all()
    ax = nc.plot()
    assert ax.get_xlim() == (0, 1)
    fig, mine = plt.subplots()
    assert nc.plot(ax=mine) is mine
    assert "<table" in nc._repr_html_()


def test_controls_fit_on_training_rows_only(s1):
    lat = s1.truth["latent"]
    study = latent_study(s1, lat["radiomic"].to_numpy())
    test_ids = study.cohort_ids("test")
    yp = study.y.copy()
    yp.loc[study.train_ids] = np.random.default_rng(0).permutation(yp.loc[study.train_ids])
    a, _ = _refit_score(_sub_study(study, "Rad score", y=yp), "Rad score", test_ids)
    yp.loc[test_ids] = 1 - yp.loc[test_ids]  # every test label flipped
    b, _ = _refit_score(_sub_study(study, "Rad score", y=yp), "Rad score", test_ids)
    pd.testing.assert_series_equal(a, b, check_exact=True)


def test_image_controls_on_small_simulated_images():
    from radnb.features.radiomic import extract_radiomics

    cohort = datasets.simulate("S1", n=40)
    real = extract_radiomics(cohort, client="serial", progress=False, cache=False).features
    rng = np.random.default_rng(0)
    shuffled = control_features(cohort, "shuffled", rng=rng).loc[real.index]
    moved = control_features(cohort, "random_mask", rng=rng).loc[real.index]
    mean, vol, glcm = (
        "CT__original_firstorder_Mean",
        "CT__original_shape_VoxelVolume",
        "CT__original_glcm_Contrast",
    )
    # shuffling inside the mask keeps the histogram and the shape, not the texture
    np.testing.assert_allclose(shuffled[mean], real[mean])
    np.testing.assert_allclose(shuffled[vol], real[vol])
    assert not np.allclose(shuffled[glcm], real[glcm])
    # a moved mask keeps the volume, not the intensities
    np.testing.assert_allclose(moved[vol], real[vol])
    assert not np.allclose(moved[mean], real[mean])

    study = Study(cohort, outcome="her2", train="train")
    study.add_block("rad", real)
    study.signature("Rad score", "rad", steps=[("mrmr", {"n_features": 2})], final="logistic")
    nc = study.fit().negative_controls("Rad score", n_permutations=3, images=cohort)
    t = nc.table.set_index("control")
    assert list(t.index) == ["real", "permuted", "shuffled", "random_mask", "volume"]
    assert t["auc"].notna().all()
    assert nc.settings["n_permutations"] == 3


def test_controls_input_checks(s1):
    study = latent_study(s1, s1.truth["latent"]["radiomic"].to_numpy())
    with pytest.raises(RadnbError, match="unknown control"):
        study.negative_controls("Rad score", controls=["bogus"])
    with pytest.raises(RadnbError, match="not a fitted signature"):
        study.negative_controls("Rad", controls=["volume"])
    nc = study.negative_controls("Rad score", controls=["shuffled"])
    assert "needs images=" in nc.table["note"].iloc[1]
