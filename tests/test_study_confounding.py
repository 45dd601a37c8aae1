"""Confounding by centre (issue 15.11) on SIMULATED two-centre cohorts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radnb.study import Study
from radnb.study.confounding import confounding_table

LASSO = {"n_lambdas": 30, "cv": 5}


def two_centre_cohort(rng, *, confounded: bool, n: int = 300):
    """SIMULATED. Centre A has 80% events, B 20%; the features carry the centre
    (a scanner shift) and, when ``confounded`` is False, the outcome instead."""
    ids = [f"P{i:03d}" for i in range(n)]
    centre = np.where(np.arange(n) % 2 == 0, "A", "B")
    rate = np.where(centre == "A", 0.8, 0.2) if confounded else np.full(n, 0.5)
    y = (rng.uniform(size=n) < rate).astype(int)
    X = rng.normal(size=(n, 15))
    if confounded:
        X[:, :3] += 2.5 * (centre == "A")[:, None]  # scanner effect, no biology
    else:
        X[:, :3] += 1.2 * y[:, None]
    split = rng.choice(["train", "test"], size=n, p=[0.6, 0.4])
    table = pd.DataFrame(
        {"split": split, "y": y, "centre": centre}, index=pd.Index(ids, name="patient_id")
    )
    block = pd.DataFrame(X, index=ids, columns=[f"f{i}" for i in range(15)])
    return table, block


def fit(table, block, **kws):
    s = Study(table, outcome="y", **kws).add_block("rad", block)
    s.signature("Rad score", "rad", steps=["lasso"], lasso=LASSO)
    return s.fit()


def test_confounded_score_is_flagged_and_results_warn(rng):
    table, block = two_centre_cohort(rng, confounded=True)
    study = fit(table, block)
    assert study.centre_column() == "centre"  # found by name
    tab = study.confounding()
    test = tab[(tab.model == "Rad score") & (tab.cohort == "test")].iloc[0]
    assert test["centre_auc"] > 0.9
    assert test["outcome_auc"] > 0.7  # looks good pooled ...
    assert abs(test["within_auc"] - 0.5) < 0.15  # ... and is chance inside each centre
    assert test["confounded"]
    assert {"auc[A]", "auc[B]", "n[A]", "n[B]"} <= set(tab.columns)
    rates = tab.attrs["outcome_by_centre"]
    assert set(rates["cohort"]) == {"train", "test", "all"}
    with pytest.warns(UserWarning, match="confounding by 'centre'.*study.confounding"):
        res = study.results()
    assert any("confounding" in n for n in res.attrs["notes"])
    # per-centre results: the AUC inside each centre, same numbers as the check
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by = study.results(by="centre")
    assert list(by.columns[:3]) == ["model", "cohort", "centre"]
    row = by[(by.cohort == "test") & (by.centre == "A")].iloc[0]
    assert row["auc"] == pytest.approx(test["auc[A]"])
    assert row["n"] == test["n[A]"]


def test_unconfounded_score_is_not_flagged(rng):
    table, block = two_centre_cohort(rng, confounded=False)
    study = fit(table, block)
    tab = study.confounding()
    assert not tab["confounded"].any()
    assert (tab["centre_auc"] < 0.7).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no confounding warning
        study.results()


def test_explicit_centre_column_and_results_by_any_column(rng):
    table, block = two_centre_cohort(rng, confounded=True)
    table = table.rename(columns={"centre": "hosp"})
    table["sex"] = rng.choice(["F", "M"], size=len(table))
    study = fit(table, block, centre="hosp")
    assert study.centre_column() == "hosp"
    with pytest.warns(UserWarning, match="confounding by 'hosp'"):
        study.results()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by = study.results(by="sex")
    assert set(by["sex"]) == {"F", "M"}
    assert by.groupby(["cohort"])["n"].sum().loc["test"] == (table.split == "test").sum()
    with pytest.raises(Exception, match="no such column"):
        study.results(by="nope")


def test_confounding_table_three_centres():
    rng = np.random.default_rng(3)
    centre = pd.Series(np.repeat(["A", "B", "C"], 60))
    y = pd.Series(rng.integers(0, 2, 180))
    s = pd.DataFrame({"s": centre.map({"A": 0.0, "B": 3.0, "C": 6.0}) + rng.normal(size=180)})
    t = confounding_table(y, s, centre)
    assert t.loc[0, "centre_auc"] > 0.9  # pairs of centres, direction-free
    assert not t.loc[0, "confounded"]  # the outcome is unrelated: no pooled AUC to lose
