"""HabitatExplorer: training-only fit, k auto / slider, fractions, stability (headless)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb import datasets
from radnb.features import habitat
from radnb.widgets.habitat import HabitatExplorer

KW = {"n_supervoxels": 20, "n_init": 2}


@pytest.fixture(scope="module")
def s3():
    """Study S3 design, 16 SIMULATED patients (two sequences, planted sub-regions)."""
    return datasets.simulate("S3", n=16, random_state=0, shape=(16, 32, 32))


@pytest.fixture(scope="module")
def explorer(s3):
    ex = HabitatExplorer(s3, outcome=s3.outcomes[0], model_kws=KW)
    ex.fit()
    return ex


def test_fit_is_training_only_and_matches_library(explorer, s3):
    m = explorer.model_
    train = [p for p in s3.patient_ids if s3.splits[p] == "train"]
    assert m.train_ids_ == train
    ref = habitat.HabitatModel(list(s3.sequences), n_habitats="auto", **KW).fit(s3, train="train")
    assert m.n_habitats_ == ref.n_habitats_
    np.testing.assert_allclose(m.centroids_, ref.centroids_)
    pd.testing.assert_frame_equal(
        explorer.features_, habitat.habitat_features(ref.transform(s3)).features, check_like=True
    )
    assert len(explorer.maps_) == len(s3.patient_ids)
    assert "training" in explorer.children[1].value
    assert "hab_model.fit(cohort, train='train')" in explorer.code.code


def test_curve_marks_chosen_k_and_fixed_k(explorer):
    ax = explorer.curve.fig.axes[0]
    assert ax.get_legend().get_texts()[0].get_text() == f"chosen k = {explorer.model_.n_habitats_}"
    explorer.auto.value = False
    assert not explorer.k.disabled
    explorer.k.value = 2
    explorer.fit()
    assert explorer.model_.n_habitats_ == 2
    assert len(explorer.curve.fig.axes[0].lines[0].get_xdata()) > 1  # the auto curve stays
    assert {c for c in explorer.features_.columns if c.endswith("_fraction")} == {
        "habitat1_fraction",
        "habitat2_fraction",
    }
    explorer.auto.value = True


def test_fractions_and_map(explorer, s3):
    long = explorer.fraction_table()
    assert set(long["outcome"].dropna().unique()) <= {0, 1}
    assert explorer.fractions.n_draws >= 1
    n = explorer.map.n_draws
    explorer.patient.value = s3.patient_ids[3]
    assert explorer.map.n_draws == n + 1
    assert s3.patient_ids[3] in explorer.map.fig.axes[0].get_title()


def test_seed_stability(explorer):
    tab = explorer.stability(seeds=(0, 1))
    assert len(tab) == 1 and 0 <= tab["ari"].iloc[0] <= 1 and tab["n_voxels"].iloc[0] > 0
    assert "mean ARI" in explorer.stability_html.value


def test_habitat_map_in_the_viewer(explorer, s3):
    explorer.use_viewer, explorer.viewer_backend = True, "slices"
    explorer.show_map(s3.patient_ids[1])
    v = explorer.viewer
    assert v is not None and v.patient_id == s3.patient_ids[1], explorer.messages.errors
    assert "habitats" in v.layers


def test_use_fitted_shows_a_model_fitted_elsewhere(explorer, s3):
    other = HabitatExplorer(s3, outcome=s3.outcomes[0])
    n = other.fractions.n_draws
    other.use_fitted(explorer.model_, explorer.maps_, explorer.features_)
    assert other.messages.errors == [] and other.model_ is explorer.model_
    assert f"k = {explorer.model_.n_habitats_} habitats" in other.summary.value
    assert other.fractions.n_draws == n + 1 and "fraction" in other.features_html.value
    fresh = HabitatExplorer(s3)
    fresh.use_fitted(habitat.HabitatModel(n_habitats=3), {}, pd.DataFrame())
    assert fresh.model_ is None and "not fitted" in fresh.messages.errors[-1]
