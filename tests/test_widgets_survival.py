"""SurvivalExplorer: cut-off on training, KM per cohort, Cox, interaction (headless)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _widgets_data import small_cohort, small_study

from radnb.evaluate import survival as sv
from radnb.widgets.survival import SurvivalExplorer, risk_groups


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    return SurvivalExplorer.from_study(
        small_study(), small_cohort(), folder=tmp_path_factory.mktemp("export")
    )


def test_cutoff_is_fitted_on_training_only(explorer):
    d = explorer.data
    train = d[d["split"] == "train"]
    score = explorer.score.value
    assert explorer.cut_.cutoff == pytest.approx(float(np.median(train[score])))
    # scrambling test patients' scores does not move the cut-off
    d2 = d.copy()
    test = d2["split"] == "test"
    d2.loc[test, score] = d2.loc[test, score].to_numpy()[::-1] * 100
    cut2, _ = risk_groups(d2, score, "rfs_months", "rfs_event")
    assert cut2.cutoff == explorer.cut_.cutoff


def test_km_and_logrank_update_live(explorer):
    d = explorer.data
    assert set(explorer.logrank_) <= {"train", "test"} and explorer.logrank_
    n0 = explorer.km.n_draws
    explorer.method.value = "manual"
    explorer.manual.value = explorer.manual.min  # almost everyone high
    assert explorer.km.n_draws > n0
    assert explorer.cut_.cutoff == pytest.approx(explorer.manual.value)
    ids = explorer.groups_.index[d.loc[explorer.groups_.index, "split"] == "train"]
    g = explorer.groups_.loc[ids]
    ref = sv.logrank_test(d.loc[ids, "rfs_months"], d.loc[ids, "rfs_event"], g)
    assert explorer.logrank_["train"]["p"] == pytest.approx(ref["p"])
    assert f"{ref['p']:.3g}" in explorer.summary.value
    explorer.method.value = "tertiles"
    assert len(explorer.cut_.cutoffs_) == 2 and explorer.groups_.nunique() == 3
    explorer.method.value = "median"


def test_cox_table_and_covariates(explorer):
    assert list(explorer.cox_["covariate"].unique()) == [explorer.score.value]
    explorer.covariates.value = ("age",)
    assert set(explorer.cox_["covariate"]) == {explorer.score.value, "age"}
    assert explorer.forest.n_draws >= 2
    explorer.covariates.value = ()


def test_treatment_interaction():
    rng = np.random.default_rng(0)
    n = 120
    score = rng.normal(size=n)
    arm = np.array(["none", "drug"] * (n // 2))
    hazard = np.exp(score * (arm == "none"))
    t = rng.exponential(10 / hazard)
    df = pd.DataFrame(
        {"score": score, "t": t, "e": (t < 15).astype(int), "arm": arm,
         "split": ["train"] * 80 + ["test"] * 40},
        index=[f"P{i}" for i in range(n)],
    )  # fmt: skip
    ex = SurvivalExplorer(df, ["score"], {"os": ("t", "e")}, treatment="arm")
    assert ex.interaction_ is not None
    ref = sv.treatment_by_risk(
        df.assign(risk_group=ex.groups_), "t", "e", "arm", "risk_group", reference="drug"
    )
    assert ex.interaction_.interaction["p"] == pytest.approx(ref.interaction["p"])
    assert "interaction p" in ex.interaction_html.value
    assert "treatment_by_risk" in ex.figures()


def test_bad_input_shows_message_not_traceback():
    df = pd.DataFrame({"s": [1.0, 2.0], "t": [1, 2], "e": [1, 0], "split": ["test", "test"]})
    ex = SurvivalExplorer(df, ["s"], [("t", "e")])
    assert ex.messages.errors and "training" in ex.messages.errors[0]


def test_exports(explorer):
    paths = explorer.export.export_figures() + explorer.export.export_tables()
    names = {p.name for p in paths}
    assert {"km.png", "km.svg", "cox.csv", "cox.xlsx", "cox.tex"} <= names


def test_patient_click_opens_the_viewer(explorer):
    explorer.viewer_backend = "slices"
    pid = explorer.patients.options[1][1]
    explorer.patients.value = pid
    viewer = explorer.open_selected()
    assert viewer is not None and viewer.patient_id == pid, explorer.messages.errors
