"""Cross-fitting (stacking) of combined models on the simulated S1 design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb import datasets
from radnb.errors import RadnbError
from radnb.evaluate import calibration_intercept_slope, hosmer_lemeshow
from radnb.study import Study
from radnb.study.crossfit import check_crossfit, crossfit_folds, out_of_fold_scores

LASSO = {"rule": "min", "n_lambdas": 20, "cv": 5}


@pytest.fixture(scope="module")
def s1():
    """S1 (SIMULATED, 126 train / 55 test): blocks from the planted latents plus noise.

    Each block has 4 noisy copies of its latent and 50 pure-noise features,
    so a LASSO at lambda.min overfits the training rows, as image features do.
    """
    cohort = datasets.simulate("S1", images=False)
    lat = cohort.truth["latent"]
    rng = np.random.default_rng(1)

    def block(z, prefix):
        d = {f"{prefix}{i}": z + rng.normal(scale=1.5, size=len(z)) for i in range(4)}
        d |= {f"{prefix}_noise{i}": rng.normal(size=len(z)) for i in range(50)}
        return pd.DataFrame(d, index=lat.index)

    return cohort, block(lat["radiomic"].to_numpy(), "rad"), block(lat["deep"].to_numpy(), "dl")


def build(data, crossfit, *, table=None):
    cohort, rad, dl = data
    study = Study(cohort.clinical if table is None else table, outcome="her2", train="train")
    study.add_block("rad", rad).add_block("dl", dl)
    study.signature("Rad score", "rad", steps=["variance", "corr", "lasso"], lasso=LASSO)
    study.signature("DL score", "dl", steps=["variance", "corr", "lasso"], lasso=LASSO)
    study.model("DLCS", ["DL score", "Rad score"], clinical="auto", crossfit=crossfit)
    return study.fit()


def test_crossfit_brings_test_calibration_slope_closer_to_one(s1):
    naive, cf = build(s1, None), build(s1, 5)
    ids = naive.cohort_ids("test")
    y = naive.y.loc[ids]
    slope = {}
    hl = {}
    for key, st in (("naive", naive), ("crossfit", cf)):
        p = st.predict_proba("DLCS").loc[ids]
        slope[key] = calibration_intercept_slope(y, p).slope.estimate
        hl[key] = hosmer_lemeshow(y, p)["statistic"]
    assert abs(slope["crossfit"] - 1) < abs(slope["naive"] - 1)
    assert slope["naive"] < 0.5  # the second stage trusts in-sample scores too much
    assert hl["crossfit"] < hl["naive"]
    # the signatures applied to every cohort are the same full-training fits
    sig = ["Rad score", "DL score"]
    pd.testing.assert_frame_equal(naive.scores()[sig], cf.scores()[sig])
    # the second stage shrinks: out-of-fold scores separate less than in-sample ones
    c_naive = naive.coefficients("DLCS")["coef"]
    c_cf = cf.coefficients("DLCS")["coef"]
    assert abs(c_cf["Rad score"]) < abs(c_naive["Rad score"])
    assert any("cross-fitted" in n for n in cf.notes())
    assert any("in-sample signature scores" in n for n in naive.notes())


def test_crossfit_never_uses_a_test_row(s1):
    cohort = s1[0]
    a = build(s1, 5)
    table = cohort.clinical.copy()
    test = table["split"] != "train"
    rng = np.random.default_rng(3)
    table.loc[test, "her2"] = rng.permutation(table.loc[test, "her2"].to_numpy())
    b = build(s1, 5, table=table)
    pd.testing.assert_series_equal(
        a.coefficients("DLCS")["coef"], b.coefficients("DLCS")["coef"], check_exact=True
    )
    pd.testing.assert_frame_equal(a.scores(), b.scores(), check_exact=True)
    # the out-of-fold table covers exactly the training rows
    oof, _ = out_of_fold_scores(a, a.train_ids, ["Rad score"], n_splits=5)
    assert set(oof.index) == set(a.train_ids)
    assert oof["Rad score"].notna().all()


def test_folds_keep_bootstrap_copies_together():
    ids = pd.Index([f"P{i}" for i in range(20)])
    y = pd.Series([0, 1] * 10, index=ids)
    boot = ids[[0, 0, 0, 1, 2, 3, 3, *range(4, 20)]]
    folds = crossfit_folds(boot, y, 4, 0)
    assert sum(len(f) for f in folds) == 20  # unique ids, each in one fold
    assert all(f.is_unique for f in folds)
    with pytest.raises(RadnbError, match="2 patients of each class"):
        crossfit_folds(ids[:3], pd.Series([0, 0, 1], index=ids[:3]), 5, 0)


def test_crossfit_option_checked():
    assert check_crossfit(False) is None and check_crossfit(True) == 5
    with pytest.raises(RadnbError, match="crossfit"):
        check_crossfit(1)
    with pytest.raises(RadnbError, match="crossfit"):
        check_crossfit("yes")


def test_internal_validation_cross_fits_inside_each_resample(s1):
    study = build(s1, 3)
    iv = study.internal_validation(method="cv", n_splits=3, n_repeats=1)
    row = iv.set_index("model").loc["DLCS"]
    assert row["n_failed"] == 0 and row["n_folds"] == 3
    assert 0.5 < row["cv_auc"] < 1
