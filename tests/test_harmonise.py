"""ComBat against R sva::ComBat, the leakage boundary, unseen centres and the diagnostics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radnb.features.harmonise import (
    ComBat,
    UnseenBatchWarning,
    batch_effect,
    harmonise,
    plot_batch_effect,
    plot_batch_pca,
)

REF = Path(__file__).parent / "data" / "combat"


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(REF / "input.csv")
    return d.filter(like="f"), d["batch"], d[["age"]]


# Reference values: tests/data/combat/make_reference.R (R 4, sva 3.46.0), e.g.
#   dat <- t(as.matrix(d[, grep("^f", names(d))]))
#   ComBat(dat, batch = d$batch, mod = NULL, par.prior = TRUE)            # sva_parametric.csv
#   ComBat(dat, batch = d$batch, mod = NULL, par.prior = FALSE)           # sva_nonparametric.csv
#   ComBat(dat, batch = d$batch, mod = model.matrix(~age, data = d))      # sva_covariate.csv
#   ComBat(dat, batch = d$batch, mod = NULL, mean.only = TRUE)            # sva_mean_only.csv
@pytest.mark.parametrize(
    "name, kws, use_age",
    [
        ("parametric", {}, False),
        ("nonparametric", {"parametric": False}, False),
        ("covariate", {}, True),
        ("mean_only", {"mean_only": True}, False),
    ],
)
def test_matches_r_sva_combat(data, name, kws, use_age):
    X, batch, age = data
    expected = pd.read_csv(REF / f"sva_{name}.csv")
    got = ComBat(**kws).fit_transform(X, batch=batch, covariates=age if use_age else None)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-6)
    assert np.abs(got.to_numpy() - X.to_numpy()).max() > 0.1  # it did change something


def test_transform_of_seen_centres_equals_fit_transform(data):
    X, batch, age = data
    model = ComBat().fit(X, batch=batch, covariates=age)
    rows = [3, 17, 30]
    part = model.transform(X.iloc[rows], batch=batch.iloc[rows], covariates=age.iloc[rows])
    whole = model.transform(X, batch=batch, covariates=age)
    np.testing.assert_allclose(part.to_numpy(), whole.iloc[rows].to_numpy(), atol=1e-12)


def test_leakage_scrambling_test_rows_changes_nothing_fitted(data, rng):
    X, batch, age = data
    ids = [f"p{i}" for i in range(len(X))]
    X, batch, age = (o.set_axis(ids) for o in (X, batch, age))
    train = ids[::2]
    test = [i for i in ids if i not in train]
    h1, m1 = harmonise(X, batch, train=train, covariates=age)
    scrambled = X.copy()
    scrambled.loc[test] = rng.permutation(X.loc[test].to_numpy()) * 3 + 100
    batch2 = batch.copy()
    batch2.loc[test] = rng.permutation(batch.loc[test].to_numpy())
    h2, m2 = harmonise(scrambled, batch2, train=train, covariates=age)
    for attr in ("grand_mean_", "var_pooled_", "beta_covariates_", "gamma_star_", "delta_star_"):
        np.testing.assert_array_equal(getattr(m1, attr), getattr(m2, attr))
    pd.testing.assert_frame_equal(h1.loc[train], h2.loc[train])


def test_unseen_centre_options(data):
    X, batch, _ = data
    seen = batch != "C"
    model = ComBat().fit(X[seen], batch=batch[seen])
    with pytest.warns(UnseenBatchWarning, match="estimated on its own 12 rows"):
        refit = model.transform(X, batch=batch)
    with pytest.warns(UnseenBatchWarning, match="left unharmonised"):
        kept = ComBat(unseen="keep").fit(X[seen], batch=batch[seen]).transform(X, batch=batch)
    with pytest.raises(ValueError, match="'C' was not seen in training"):
        ComBat(unseen="error").fit(X[seen], batch=batch[seen]).transform(X, batch=batch)
    c = (batch == "C").to_numpy()
    np.testing.assert_array_equal(kept[c].to_numpy(), X[c].to_numpy())
    np.testing.assert_allclose(refit[~c].to_numpy(), kept[~c].to_numpy())
    # refitted: centre C's mean moves to the pooled training location
    gap_raw = np.abs(X[c].mean() - X[~c].mean()).mean()
    gap_refit = np.abs(refit[c].mean() - refit[~c].mean()).mean()
    assert gap_refit < gap_raw / 3


def test_one_training_centre_is_the_reference_as_sva_ref_batch(data):
    # R: ab <- d$batch %in% c("A", "B")
    #    ComBat(dat[, ab], batch = d$batch[ab], mod = NULL, par.prior = TRUE, ref.batch = "A")
    X, batch, _ = data
    ab = batch.isin(["A", "B"]).to_numpy()
    expected = pd.read_csv(REF / "sva_refbatch.csv").to_numpy()
    model = ComBat().fit(X[batch == "A"], batch=batch[batch == "A"])
    with pytest.warns(UnseenBatchWarning):
        got = model.transform(X[ab], batch=batch[ab])
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-6)
    a = (batch[ab] == "A").to_numpy()
    np.testing.assert_allclose(got[a].to_numpy(), X[ab][a].to_numpy(), rtol=0, atol=1e-12)


def test_input_checks(data):
    X, batch, age = data
    with pytest.raises(ValueError, match="missing values"):
        ComBat().fit(X.mask(X > 12), batch=batch)
    with pytest.raises(ValueError, match="pass covariates="):
        ComBat().fit(X, batch=batch, covariates=age).transform(X, batch=batch)
    with pytest.raises(ValueError, match="constant"):
        ComBat().fit(X.assign(f1=1.0), batch=batch)
    with pytest.raises(ValueError, match="one training row"):
        ComBat().fit(X.iloc[:25], batch=batch.iloc[:25].where(batch.index[:25] != 24, "D"))


def test_batch_effect_removed_and_plots(data):
    X, batch, _ = data
    Xh = ComBat().fit_transform(X, batch=batch)
    before, after = batch_effect(X, batch), batch_effect(Xh, batch)
    assert (before["p"] < 0.05).sum() >= 6 and (after["p"] < 0.05).sum() == 0
    ax = plot_batch_effect(X, Xh, batch)
    assert len(ax.collections) == 2 and "0 with p" in ax.get_legend().get_texts()[1].get_text()
    ax2 = plot_batch_pca(Xh, batch)
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["A", "B", "C"]
    assert ax2.get_xlabel().startswith("PC1")
