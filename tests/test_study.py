"""Tests for radnb.study.Study on synthetic feature tables with planted signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb.errors import CohortError, NotFittedError, RadnbError
from radnb.evaluate import delong_test, threshold_metrics, youden_threshold
from radnb.study import Study, select_clinical

LASSO = {"n_lambdas": 20, "cv": 5}


def make_data(rng, n=200, clinical_signal=True):
    ids = [f"P{i:03d}" for i in range(n)]
    split = np.array(["train"] * 120 + ["test"] * 50 + ["external"] * 30)
    y = rng.binomial(1, 0.4, n)
    rad = pd.DataFrame(rng.normal(size=(n, 25)), index=ids, columns=[f"rad{i}" for i in range(25)])
    rad["rad0"] += 1.2 * y
    rad["rad1"] -= 0.9 * y
    rad["rad2"] = (
        rad["rad0"] * 3 + 10 + rng.normal(scale=0.2, size=n)
    )  # redundant copy, other scale
    dl = pd.DataFrame(rng.normal(size=(n, 12)), index=ids, columns=[f"dl{i}" for i in range(12)])
    dl["dl0"] += 1.0 * y
    age = rng.normal(60, 10, n) + (8 * y if clinical_signal else 0)
    table = pd.DataFrame(
        {
            "split": split,
            "her2": y,
            "age": age,
            "sex": rng.choice(["F", "M"], n),
            "noise": rng.normal(size=n),
            "rfs_months": rng.exponential(30, n),
        },
        index=pd.Index(ids, name="patient_id"),
    )
    return table, rad, dl


def build(table, rad, dl, clinical="auto"):
    study = Study(
        table,
        outcome="her2",
        train="train",
        clinical=["age", "sex", "noise"],
        cohorts={"train": "Training", "test": "Test", "external": "External"},
    )
    study.add_block("rad", rad).add_block("dl", dl)
    study.signature("Rad score", "rad", steps=["variance", "corr", "lasso"], lasso=LASSO)
    study.signature(
        "DL score", "dl", steps=["univariate", "lasso"], univariate={"alpha": 0.2}, lasso=LASSO
    )
    study.model("Clinical", clinical=clinical)
    study.model("Combined", ["Rad score", "DL score"], clinical=clinical)
    return study


@pytest.fixture
def fitted(rng):
    table, rad, dl = make_data(rng)
    return build(table, rad, dl).fit(), table, rad


def test_results_table(fitted):
    study, table, _ = fitted
    res = study.results()
    assert list(res.model.unique()) == ["Rad score", "DL score", "Clinical", "Combined"]
    assert list(res.cohort.unique()) == ["Training", "Test", "External"]
    assert len(res) == 12
    for col in (
        "auc",
        "auc_lower",
        "auc_upper",
        "sensitivity",
        "specificity",
        "accuracy",
        "ppv",
        "npv",
        "brier",
        "hl_p",
    ):
        assert res[col].dtype.kind == "f"
    assert ((res.auc_lower <= res.auc) & (res.auc <= res.auc_upper)).all()
    tr = res[(res.cohort == "Training")].set_index("model")
    assert tr.loc["Rad score", "auc"] > 0.75 and tr.loc["Combined", "auc"] > 0.8
    assert (tr.n == 120).all()
    fmt = study.results(formatted=True)
    assert fmt.loc[0, "AUC (95% CI)"].count("(") == 1


def test_threshold_fixed_on_training_and_reused(fitted):
    study, table, _ = fitted
    tr = study.train_ids
    te = study.cohort_ids("Test")
    s = study.score("Combined")
    y = table["her2"]
    thr = youden_threshold(y[tr], s[tr], direction=study.directions_["Combined"])
    assert study.thresholds_["Combined"] == thr
    res = study.results().set_index(["model", "cohort"])
    m = threshold_metrics(y[te], s[te], thr, direction=study.directions_["Combined"])
    for k in ("sensitivity", "specificity", "accuracy", "ppv", "npv"):
        assert res.loc[("Combined", "Test"), k] == pytest.approx(m[k]["estimate"])


def test_signature_formula_reproduces_score(fitted):
    study, _, rad = fitted
    sig = study.signatures_["Rad score"]
    # rad2 is a rescaled copy of rad0: the correlation filter keeps exactly one
    assert len({"rad0", "rad2"} & set(sig.features)) == 1
    manual = sig.intercept + rad[sig.coef.index].to_numpy() @ sig.coef.to_numpy()
    np.testing.assert_allclose(study.score("Rad score").to_numpy(), manual, rtol=1e-10)
    text = study.formula("Rad score")
    assert text.startswith("Rad score = ")
    assert all(f in text for f in sig.features)
    std = study.formula("Rad score", scale="standardised")
    assert "z(rad" in std
    # standardised coefficients = original ones times the training SD
    np.testing.assert_allclose(sig.coef_std.to_numpy(), (sig.coef * sig.scale).to_numpy())
    rep = study.selection_report("Rad score")
    assert {"variance", "corr", "lasso"} <= set(rep.step)


def test_leakage_scrambled_test_labels_change_nothing_fitted(rng):
    table, rad, dl = make_data(rng)
    a = build(table, rad, dl).fit()
    scrambled = table.copy()
    other = scrambled.split != "train"
    scrambled.loc[other, "her2"] = (
        1
        - scrambled.loc[other, "her2"].to_numpy()[np.random.default_rng(5).permutation(other.sum())]
    )
    assert (scrambled.her2 != table.her2).any()
    b = build(scrambled, rad, dl).fit()
    for name, sig in a.signatures_.items():
        pd.testing.assert_series_equal(sig.coef, b.signatures_[name].coef)
        assert sig.intercept == b.signatures_[name].intercept
        pd.testing.assert_frame_equal(a.selection_report(name), b.selection_report(name))
    for name in ("Clinical", "Combined"):
        pd.testing.assert_frame_equal(a.coefficients(name), b.coefficients(name))
        pd.testing.assert_frame_equal(a.clinical_selection(name), b.clinical_selection(name))
    assert a.thresholds_ == b.thresholds_ and a.directions_ == b.directions_
    pd.testing.assert_frame_equal(a.scores(), b.scores())
    ra, rb = a.results(), b.results()
    pd.testing.assert_frame_equal(ra[ra.cohort == "Training"], rb[rb.cohort == "Training"])
    assert not np.allclose(ra[ra.cohort == "Test"].auc, rb[rb.cohort == "Test"].auc)


def test_clinical_auto_selects_and_absent(rng):
    table, rad, dl = make_data(rng)
    study = build(table, rad, dl).fit()
    assert study.clinical_selection("Clinical").set_index("variable").loc["age", "selected"]
    assert list(study.coefficients("Clinical").index) == ["const", "age"]
    # no clinical signal: the clinical model is absent, not faked
    table, rad, dl = make_data(np.random.default_rng(7), clinical_signal=False)
    table["age"] = np.random.default_rng(8).normal(60, 10, len(table))
    study = build(table, rad, dl).fit()
    assert "Clinical" in study.absent_
    assert "Clinical" not in study.scores().columns
    assert "Clinical" not in set(study.results().model)
    assert any(n.startswith("Clinical: absent") for n in study.results().attrs["notes"])
    assert any("other inputs only" in n for n in study.notes())
    with pytest.raises(RadnbError, match="absent"):
        study.score("Clinical")
    # the absent model's selection table says why nothing qualified
    tab = study.clinical_selection("Clinical")
    assert not tab["selected"].any() and "no clinical variable" in tab.attrs["absent"]
    ax = study.plot_roc("Test")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Clinical: absent" in texts and any(t.startswith("Combined: AUC") for t in texts)


def test_select_clinical_matches_statsmodels(rng):
    import statsmodels.api as sm

    table, _, _ = make_data(rng)
    tr = table[table.split == "train"]
    chosen, tab = select_clinical(tr, tr.her2, ["age", "sex", "noise"])
    assert chosen == ["age"]
    ref = sm.Logit(tr.her2, sm.add_constant(tr[["age"]])).fit(disp=0)
    row = tab.set_index("variable").loc["age"]
    assert row.p_uni == pytest.approx(ref.llr_pvalue)
    assert row.or_uni == pytest.approx(np.exp(ref.params["age"]))
    assert tab.set_index("variable").loc["sex", "n"] == len(tr)


def test_delong_table(fitted):
    study, table, _ = fitted
    d = study.delong_table("Test")
    assert list(d.index) == list(d.columns) == ["Rad score", "DL score", "Clinical", "Combined"]
    assert np.isnan(np.diag(d.to_numpy())).all()
    np.testing.assert_allclose(d.to_numpy(), d.to_numpy().T)
    te = study.cohort_ids("Test")
    ref = delong_test(
        table.her2[te],
        study.score("Rad score")[te],
        study.score("Combined")[te],
        direction=(study.directions_["Rad score"], study.directions_["Combined"]),
    )
    assert d.loc["Rad score", "Combined"] == pytest.approx(ref["p"])


def test_internal_validation(fitted):
    study, _, _ = fitted
    boot = study.internal_validation(method="bootstrap", n_boot=3)
    assert list(boot.model) == study.outputs
    assert (boot.n_boot + boot.n_failed == 3).all()
    np.testing.assert_allclose(boot.corrected_auc, boot.apparent_auc - boot.optimism)
    # selection on the resample flatters the resample: optimism is positive on average
    assert boot.optimism.mean() > 0
    cv = study.internal_validation(method="cv", n_splits=3, n_repeats=1)
    assert (cv.n_folds == 3).all() and cv.cv_auc.between(0, 1).all()


def test_other_estimator_and_nomogram(rng):
    table, rad, dl = make_data(rng)
    study = build(table, rad, dl)
    study.model("RF", ["Rad score", "DL score"], estimator="rf")
    study.fit()
    p = study.predict_proba("RF")
    assert p.between(0, 1).all() and p.index.equals(study.table.index)
    with pytest.raises(RadnbError, match="logistic"):
        study.coefficients("RF")
    fig = study.nomogram("Combined")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Points" and labels[-2:] == ["Total Points", "Risk"]
    assert {"Rad score", "DL score", "age"} <= set(labels)


def test_input_checks(rng):
    table, rad, dl = make_data(rng)
    with pytest.raises(CohortError, match="outcome column"):
        Study(table, outcome="her3")
    with pytest.raises(CohortError, match="no patient has"):
        Study(table, outcome="her2", train="training")
    with pytest.raises(CohortError, match="positive="):
        Study(table.assign(her2=np.where(table.her2 == 1, "pos", "neg")), outcome="her2")
    s = Study(
        table.assign(her2=np.where(table.her2 == 1, "pos", "neg")), outcome="her2", positive="pos"
    )
    assert s.y.sum() == table.her2.sum()
    with pytest.raises(NotFittedError):
        s.results()
    with pytest.raises(RadnbError, match="unknown block"):
        s.signature("x", "rad")
    # default candidates leave out the split, outcome and ID-like text columns
    s2 = Study(table.assign(path=[f"/img/{i}.nii" for i in range(len(table))]), outcome="her2")
    assert "path" not in s2.clinical_candidates and "her2" not in s2.clinical_candidates


def test_select_clinical_leaves_out_outcome_proxies(rng):
    table, _, _ = make_data(rng)
    tr = table[table.split == "train"].copy()
    tr["ihc"] = np.where(tr.her2 == 1, "3+", rng.choice(["0", "1+"], len(tr)))
    chosen, tab = select_clinical(tr, tr.her2, ["age", "ihc"])
    assert chosen == ["age"]
    assert "separates the outcome perfectly" in tab.set_index("variable").loc["ihc", "note"]


def test_add_block_accepts_a_result_with_features(rng):
    from types import SimpleNamespace

    table, rad, _ = make_data(rng)
    study = Study(table, outcome="her2", train="train")
    study.add_block("rad", SimpleNamespace(features=rad))
    pd.testing.assert_frame_equal(
        study.blocks["rad"], rad.astype(float).reindex(study.table.index), check_names=False
    )


def test_results_explain_a_missing_hosmer_lemeshow():
    from radnb.evaluate.results import evaluation_table

    y = np.array([0, 1] * 10)
    p = np.where(np.arange(20) < 10, 0.3, 0.6)  # two distinct risks: no deciles
    t = evaluation_table(
        y, {"m": p}, probabilities={"m": p}, directions={"m": "<"}, thresholds={"m": 0.45}
    )
    assert np.isnan(t.loc[0, "hl_p"]) and "Hosmer-Lemeshow" in t.loc[0, "hl_note"]
    ok = evaluation_table(
        y,
        {"m": np.linspace(0.05, 0.95, 20)},
        probabilities={"m": np.linspace(0.05, 0.95, 20)},
        directions={"m": "<"},
        thresholds={"m": 0.5},
    )
    assert np.isfinite(ok.loc[0, "hl_p"]) and ok.loc[0, "hl_note"] == ""


def test_signature_without_features_can_be_recorded_absent(rng):
    table, rad, _ = make_data(rng)
    noise = pd.DataFrame(
        rng.normal(size=(len(table), 5)), index=table.index, columns=[f"n{i}" for i in range(5)]
    )
    study = Study(table, outcome="her2", train="train", clinical=["age", "sex", "noise"])
    study.add_block("rad", rad).add_block("noise", noise)
    study.signature("Rad score", "rad", steps=["corr", "lasso"])
    study.signature("Noise score", "noise", steps=["lasso"], on_empty="absent")
    study.model("Noise only", ["Noise score"])
    study.model("Combined", ["Rad score", "Noise score"], clinical=["age"])
    study.fit()
    assert (
        "Noise score" in study.absent_ and "LASSO kept no feature" in study.absent_["Noise score"]
    )
    assert "Noise only" in study.absent_
    assert "Combined" not in study.absent_
    assert any("absent input(s) ['Noise score']" in n for n in study.notes())
    res = study.results()
    assert set(res["model"]) == {"Rad score", "Combined"}
    assert res.set_index(["model", "cohort"]).loc[("Combined", "train"), "auc"] > 0.75
    with pytest.raises(RadnbError, match="absent"):
        study.score("Noise score")
    # an absent signature can be inspected: what selection did and why nothing was kept
    rep = study.selection_report("Noise score")
    assert set(rep["feature"]) == set(noise.columns) and not rep["kept"].any()
    assert (rep["reason"] == "zero at lambda.1se").all()
    assert "LASSO kept no feature" in rep.attrs["absent"]
    ax = study.plot_lasso_cv("Noise score")
    assert len(ax.lines) >= 1
    note = [t for t in ax.texts if t.get_gid() == "absent-note"]
    assert note and "absent: Noise score: LASSO kept no feature" in note[0].get_text().replace(
        "\n", " "
    )
    assert study.plot_lasso_path("Noise score").texts
    with pytest.raises(RadnbError, match="is a signature"):
        study.clinical_selection("Noise score")
    with pytest.raises(RadnbError, match="not a signature"):
        study.selection_report("Combined")
    # the default still raises, with the reason
    strict = Study(table, outcome="her2", train="train", clinical=["age"])
    strict.add_block("noise", noise).signature("Noise score", "noise", steps=["lasso"])
    with pytest.raises(RadnbError, match="LASSO kept no feature"):
        strict.fit()


def test_printed_formula_recomputes_the_score(rng):
    """The printed formula has enough digits to recompute every score by hand,
    including a feature in large units (a volume in mm^3: coefficient ~1e-5)."""
    import re

    n = 160
    ids = [f"P{i:03d}" for i in range(n)]
    y = rng.binomial(1, 0.5, n)
    X = pd.DataFrame(rng.normal(size=(n, 6)), index=ids, columns=[f"f{i}" for i in range(6)])
    X["f0"] += 1.2 * y
    X["volume_mm3"] = 40000 + 15000 * (rng.normal(size=n) + 0.9 * y)  # SIMULATED
    table = pd.DataFrame(
        {"split": ["train"] * 120 + ["test"] * 40, "y": y}, index=pd.Index(ids, name="patient_id")
    )
    study = Study(table, outcome="y").add_block("rad", X)
    study.signature("Rad score", "rad", steps=["lasso"], lasso={"rule": "min", "cv": 5})
    study.fit()
    text = study.formula("Rad score")
    assert "volume_mm3" in text
    num = r"([0-9.]+(?:e[-+]?[0-9]+)?)"
    head = re.match(rf"Rad score = (-?{num[1:-1]})", text)
    assert head, text
    manual = np.full(n, float(head.group(1)))
    terms = re.findall(rf" ([+-]) {num} × (\w+)", text)
    assert {t[2] for t in terms} == set(study.signatures_["Rad score"].features)
    for sign, value, feat in terms:
        manual = manual + (1 if sign == "+" else -1) * float(value) * X[feat].to_numpy()
    np.testing.assert_allclose(manual, study.score("Rad score").to_numpy(), rtol=1e-5, atol=1e-5)


def test_internal_validation_same_numbers_serial_or_parallel(rng):
    """Resamples drawn up front from random_state: a local Dask cluster gives the
    serial table exactly (issue 15.10)."""
    table, rad, dl = make_data(rng)
    study = Study(table, outcome="her2", clinical=["age", "sex"])
    study.add_block("rad", rad)
    study.signature("Rad score", "rad", steps=["lasso"], lasso={"n_lambdas": 15, "cv": 3})
    study.model("Combined", ["Rad score"], clinical=["age"])
    study.fit()
    serial = study.internal_validation(n_boot=4, client="serial")
    parallel = study.internal_validation(n_boot=4, client="local", n_workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert (serial["n_boot"] + serial["n_failed"] == 4).all()
    cv_s = study.internal_validation(method="cv", n_splits=2, n_repeats=2, client="serial")
    cv_p = study.internal_validation(method="cv", n_splits=2, n_repeats=2, client="local")
    pd.testing.assert_frame_equal(cv_s, cv_p)
