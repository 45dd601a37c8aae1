"""Study's own vocabulary (issue 13.5): scores / probabilities, cut-offs and risk
groups fitted on training only, auc with the training direction, typed state,
and the deprecated names (which warn and give the same values).

Data: SIMULATED (a planted signal in one feature, exponential survival times).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb.evaluate import auc_ci
from radnb.evaluate import survival as sv
from radnb.study import Study
from radnb.study._state import FitState, ModelFit, ModelSpec, SignatureSpec


@pytest.fixture(scope="module")
def study():
    rng = np.random.default_rng(7)
    n = 160
    ids = [f"P{i:03d}" for i in range(n)]
    y = rng.binomial(1, 0.45, n)
    table = pd.DataFrame(
        {
            "split": ["train"] * 100 + ["test"] * 60,
            "y": y,
            "age": rng.normal(60, 10, n) + 6 * y,
            "rfs_months": rng.exponential(30 / (1 + y), n),
            "rfs_event": rng.binomial(1, 0.7, n),
        },
        index=pd.Index(ids, name="patient_id"),
    )
    feats = pd.DataFrame(rng.normal(size=(n, 8)), index=ids, columns=[f"f{i}" for i in range(8)])
    feats["f0"] += 1.3 * y
    s = Study(table, outcome="y", clinical=["age"])
    s.add_block("rad", feats).signature("Rad", "rad", steps=["lasso"], lasso={"n_lambdas": 20})
    s.model("Combined", ["Rad"], clinical=["age"])
    return s.fit()


def test_scores_and_probabilities(study):
    all_scores = study.scores()
    assert list(all_scores.columns) == ["Rad", "Combined"]
    pd.testing.assert_series_equal(study.scores("Rad"), all_scores["Rad"])
    p = study.probabilities("Combined")
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-study.scores("Combined"))), rtol=1e-10)
    pd.testing.assert_frame_equal(study.probabilities(), study.probabilities_)


def test_deprecated_aliases_warn_and_agree(study):
    with pytest.warns(DeprecationWarning, match=r"Study\.scores\(name\)"):
        old = study.score("Rad")
    pd.testing.assert_series_equal(old, study.scores("Rad"))
    with pytest.warns(DeprecationWarning, match=r"Study\.probabilities\(name\)"):
        old = study.predict_proba("Combined")
    pd.testing.assert_series_equal(old, study.probabilities("Combined"))
    with pytest.warns(DeprecationWarning, match="probabilities"):
        pd.testing.assert_frame_equal(study.predict_proba(), study.probabilities())


def test_cutoff_is_fitted_on_training_only(study):
    s = study.scores("Rad")
    train = study.table.index[study.table["split"] == "train"]
    test = study.table.index.difference(train)
    cut = study.cutoff("Rad")
    assert cut.cutoff == pytest.approx(float(np.median(s.loc[train])), rel=1e-12)
    scrambled = s.copy()
    scrambled.loc[test] = np.random.default_rng(1).normal(50, 10, len(test))
    assert study.cutoff(scrambled).cutoff == cut.cutoff  # test rows never seen
    moved = s.copy()
    moved.loc[train[:60]] += 5.0  # ... but training rows are
    assert study.cutoff(moved).cutoff != cut.cutoff


def test_risk_groups_of_test_rows_use_the_training_cutoff(study):
    s = study.scores("Rad")
    cut = study.cutoff("Rad").cutoff
    groups = study.risk_groups("Rad", cohort="test")
    assert groups.name == "risk_group" and (study.table.loc[groups.index, "split"] == "test").all()
    expected = np.where(s.loc[groups.index] <= cut, "low", "high")
    assert (groups.astype(str).to_numpy() == expected).all()
    everyone = study.risk_groups("Rad")
    assert everyone.index.equals(study.table.index)
    assert everyone.loc[study.train_ids].value_counts().tolist() == [50, 50]


def test_maxstat_cutoff_equals_hand_filtered_call(study):
    d = study.table.join(study.scores())
    tr = d[d["split"] == "train"]
    by_hand = sv.cutoff(tr["Combined"], tr["rfs_months"], tr["rfs_event"], method="maxstat")
    cut = study.cutoff("Combined", "maxstat", time_col="rfs_months", event_col="rfs_event")
    assert cut.cutoff == by_hand.cutoff


def test_auc_equals_auc_ci_with_training_direction(study):
    test = study.cohort_ids("test")
    for name in ("Rad", "Combined"):
        est = study.auc(name, "test")
        ref = auc_ci(
            study.y.loc[test], study.scores(name).loc[test], direction=study.directions_[name]
        )
        assert tuple(est) == pytest.approx(tuple(ref), rel=1e-12)
        row = study.results().query("model == @name and cohort == 'test'").iloc[0]
        assert est.estimate == pytest.approx(row["auc"], rel=1e-12)
    assert study.auc("Rad").estimate == pytest.approx(
        auc_ci(study.y.loc[study.train_ids], study.scores("Rad").loc[study.train_ids]).estimate
    )


def test_typed_state_keeps_the_dict_view(study):
    assert isinstance(study.state_, FitState)
    assert isinstance(study._signatures["Rad"], SignatureSpec)
    assert isinstance(study._models["Combined"], ModelSpec)
    info = study.state_["models"].get("Combined")  # as radnb.widgets.models reads it
    assert isinstance(info, ModelFit) and info.is_logistic and "result" in info
    pd.testing.assert_series_equal(info["coef"], info.result.params)
    spec = study._signatures["Rad"]
    assert (spec["block"], spec["steps"], spec["final"]) == ("rad", ["lasso"], "auto")
    assert "estimator" not in info  # a logistic model has no scikit-learn estimator
    with pytest.raises(KeyError):
        spec["nope"]


def test_results_module_moved_with_a_shim():
    import radnb.evaluate.results as old
    import radnb.study.results as new

    with pytest.warns(DeprecationWarning, match=r"radnb\.study\.results\.evaluation_table"):
        f = old.evaluation_table
    assert f is new.evaluation_table


def test_bad_arguments_are_value_errors(study):
    with pytest.raises(ValueError, match="no column 'rfs_days'"):
        study.cutoff("Rad", "maxstat", time_col="rfs_days", event_col="rfs_event")
    with pytest.raises(ValueError, match="unknown score 'Nope'"):
        study.risk_groups("Nope")
    with pytest.raises(ValueError, match="shares no patient_id"):
        study.cutoff(pd.Series([0.1, 0.2], index=["X1", "X2"]))
