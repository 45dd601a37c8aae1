"""Calibration statistics: property tests and independent re-computations.

Conventions checked: ResourceSelection::hoslem.test (quantile groups, chi-square over
events and non-events, df = g - 2); rms::val.prob (Spiegelhalter Z, logistic slope);
calibration-in-the-large with logit(p) as offset (Steyerberg, Van Calster 2016).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radnb.errors import RadnbError
from radnb.evaluate import (
    brier_score,
    calibration_curve,
    calibration_intercept_slope,
    calibration_summary,
    hosmer_lemeshow,
    optimism_corrected_calibration,
    spiegelhalter_z,
)


def simulate(rng, n, *, distort=lambda p: p):
    """Outcomes drawn from the true risk q; predictions p = distort(q)."""
    lp = rng.normal(-0.5, 1.2, n)
    q = 1 / (1 + np.exp(-lp))
    y = (rng.uniform(size=n) < q).astype(int)
    return y, distort(q)


def hl_reference(y, p, g=10):
    """Direct transcription of hoslem.test: cut at quantile(p, 0:g/g), include.lowest."""
    br = np.quantile(p, np.linspace(0, 1, g + 1))
    grp = pd.cut(p, br, include_lowest=True, right=True)
    df = pd.DataFrame({"g": grp, "y": y, "p": p})
    o1 = df.groupby("g", observed=False).y.sum()
    e1 = df.groupby("g", observed=False).p.sum()
    n = df.groupby("g", observed=False).y.size()
    return float((((o1 - e1) ** 2) / e1 + ((n - o1 - (n - e1)) ** 2) / (n - e1)).sum())


# ----------------------------------------------------------------------------- Hosmer-Lemeshow


def test_hl_matches_direct_transcription(rng):
    y, p = simulate(rng, 400)
    hl = hosmer_lemeshow(y, p)
    assert hl["df"] == 8 and hl["groups"] == 10
    assert hl["statistic"] == pytest.approx(hl_reference(y, p), rel=1e-12)
    from scipy.stats import chi2

    assert hl["p"] == pytest.approx(chi2.sf(hl["statistic"], 8))
    assert hl["table"].n.sum() == 400
    assert hl["table"].observed.sum() == y.sum()


def fitted_risk(rng, n):
    """In-sample risks of a fitted logistic model: the setting of df = g - 2."""
    import statsmodels.api as sm

    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.5 + 1.2 * x)))).astype(int)
    fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit()
    return y, fit.fittedvalues


def test_hl_calibrated_p_values_roughly_uniform(rng):
    ps = np.array([hosmer_lemeshow(*fitted_risk(rng, 500))["p"] for _ in range(200)])
    # type I error near 5% and no pile-up of small p-values (binomial 99% band for 200 draws)
    assert 0.01 <= (ps < 0.05).mean() <= 0.10
    assert 0.40 <= (ps < 0.5).mean() <= 0.60
    from scipy.stats import kstest

    assert kstest(ps, "uniform").pvalue > 0.001


def test_hl_miscalibrated_gives_small_p(rng):
    # over-confident predictions (slope 0.5 on the logit scale would be under-fitting;
    # here risks are pushed towards the extremes)
    def push(q):
        lp = np.log(q / (1 - q))
        return 1 / (1 + np.exp(-2.0 * lp))

    ps = [hosmer_lemeshow(*simulate(rng, 500, distort=push))["p"] for _ in range(20)]
    assert np.median(ps) < 0.001


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_hl_invariant_to_row_order(seed):
    rng = np.random.default_rng(seed)
    y, p = simulate(rng, 200)
    perm = rng.permutation(200)
    a, b = hosmer_lemeshow(y, p), hosmer_lemeshow(y[perm], p[perm])
    assert a["statistic"] == pytest.approx(b["statistic"], rel=1e-10)
    assert a["df"] == b["df"]


def test_hl_ties_merge_groups():
    p = np.repeat([0.1, 0.3, 0.5, 0.7], 25)
    y = (np.arange(100) % 10 < p * 10).astype(int)
    hl = hosmer_lemeshow(y, p)
    # quantile breaks collapse to 0.1 | 0.3 | 0.5 | 0.7: groups [0.1, 0.3], (0.3, 0.5], (0.5, 0.7]
    assert hl["groups"] == 3 and hl["df"] == 1
    assert hl["table"].n.tolist() == [50, 25, 25]
    with pytest.raises(RadnbError, match="2 distinct predicted risk"):
        hosmer_lemeshow([0, 1, 0, 1], [0.2, 0.2, 0.6, 0.6])


@pytest.mark.parametrize("k", [2, 3])
def test_hl_note_explains_few_distinct_risks(rng, k):
    from radnb.study.results import evaluation_table

    p = rng.choice(np.linspace(0.2, 0.7, k), 200)
    y = (rng.uniform(size=200) < p).astype(int)
    t = evaluation_table(
        y, {"m": p}, directions={"m": "<"}, thresholds={"m": 0.4}, probabilities={"m": p}
    )
    assert np.isnan(t.loc[0, "hl_p"])
    note = t.loc[0, "hl_note"]
    assert f"{k} distinct predicted risk" in note and f"only {k - 1} quantile group" in note
    assert "at least 3 risk groups" in note


def test_hl_note_one_outcome_class():
    from radnb.study.results import evaluation_table

    p = np.linspace(0.1, 0.9, 20)
    t = evaluation_table(
        np.zeros(20, int),
        {"m": p},
        directions={"m": "<"},
        thresholds={"m": 0.4},
        probabilities={"m": p},
    )
    assert np.isnan(t.loc[0, "hl_p"]) and "one class" in t.loc[0, "hl_note"]


# ----------------------------------------------------------------------------- other statistics


def test_brier_by_hand():
    assert brier_score([0, 1, 1], [0.1, 0.8, 0.6]) == pytest.approx((0.01 + 0.04 + 0.16) / 3)


def test_intercept_slope_match_statsmodels_glm(rng):
    import statsmodels.api as sm

    y, p = simulate(rng, 600, distort=lambda q: np.clip(q * 0.8 + 0.05, 0, 1))
    lp = np.log(p / (1 - p))
    slope_fit = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit()
    citl_fit = sm.GLM(y, np.ones((600, 1)), family=sm.families.Binomial(), offset=lp).fit()
    r = calibration_intercept_slope(y, p)
    assert r.slope.estimate == pytest.approx(slope_fit.params[1], abs=1e-8)
    assert r.intercept_joint == pytest.approx(slope_fit.params[0], abs=1e-8)
    assert r.intercept.estimate == pytest.approx(citl_fit.params[0], abs=1e-8)
    se = slope_fit.bse[1]
    assert r.slope.upper - r.slope.estimate == pytest.approx(1.959963984540054 * se, rel=1e-6)
    assert r.slope.se == pytest.approx(se, rel=1e-6)
    assert r.intercept.se == pytest.approx(citl_fit.bse[0], rel=1e-6)
    tab = r.to_frame()
    assert tab["parameter"].tolist() == ["intercept", "slope"]
    assert tab.loc[1, "estimate"] == r.slope.estimate and tab.loc[0, "upper"] == r.intercept.upper


def test_old_dict_access_warns_and_gives_the_same_numbers(rng):
    y, p = simulate(rng, 400)
    r = calibration_intercept_slope(y, p)
    for key, new in [("slope", r.slope.estimate), ("slope_lower", r.slope.lower),
                     ("intercept_upper", r.intercept.upper),
                     ("intercept_joint", r.intercept_joint)]:  # fmt: skip
        with pytest.warns(DeprecationWarning, match=r"use res\."):
            assert r[key] == new
    s = calibration_summary(y, p)
    for key, (row, col) in [("brier", ("brier", "estimate")), ("hl_p", ("hosmer_lemeshow", "p")),
                            ("slope_upper", ("slope", "upper")), ("n", ("n", "estimate"))]:  # fmt: skip
        with pytest.warns(DeprecationWarning, match=r"res\.loc\["):
            assert s[key] == s.loc[row, col]
    assert isinstance(s, pd.DataFrame) and isinstance(s.head(), pd.DataFrame)


def test_slope_detects_overfitting(rng):
    def push(q):
        lp = np.log(q / (1 - q))
        return 1 / (1 + np.exp(-2.0 * lp))

    y, p = simulate(rng, 3000, distort=push)
    assert calibration_intercept_slope(y, p).slope.estimate == pytest.approx(0.5, abs=0.08)
    y, p = simulate(rng, 3000)
    r = calibration_intercept_slope(y, p)
    assert r.slope.lower < 1 < r.slope.upper
    assert r.intercept.lower < 0 < r.intercept.upper


def test_spiegelhalter_formula_and_null(rng):
    y, p = simulate(rng, 300)
    z = np.sum((y - p) * (1 - 2 * p)) / np.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    assert spiegelhalter_z(y, p)["z"] == pytest.approx(z)
    zs = np.array([spiegelhalter_z(*simulate(rng, 300))["z"] for _ in range(200)])
    assert abs(zs.mean()) < 0.25 and 0.75 < zs.std() < 1.25


def test_calibration_curve_quantile_bins_and_smooth(rng):
    y, p = simulate(rng, 1000)
    cc = calibration_curve(y, p, n_bins=10)
    bins = cc[cc.kind == "bin"]
    assert len(bins) == 10 and bins.n.sum() == 1000
    assert (bins.n == 100).all()
    assert bins.predicted.is_monotonic_increasing
    assert ((bins.lower <= bins.observed) & (bins.observed <= bins.upper)).all()
    sm = cc[cc.kind == "smooth"]
    assert sm.predicted.is_monotonic_increasing and len(sm) > 50
    # calibrated data: the smooth stays near the diagonal
    assert np.abs(sm.observed - sm.predicted).mean() < 0.05
    uni = calibration_curve(y, p, n_bins=5, strategy="uniform", smoother=None)
    assert set(uni.kind) == {"bin"} and uni.n.sum() == 1000


def test_summary_has_everything(rng):
    y, p = simulate(rng, 500)
    s = calibration_summary(y, p)
    est = s["estimate"]
    for k in ["brier", "intercept", "slope", "ici", "e90", "emax"]:
        assert np.isfinite(est[k])
    assert np.isfinite(s.loc["hosmer_lemeshow", "p"]) and np.isfinite(s.loc["spiegelhalter_z", "p"])
    assert est["n"] == 500 and est["events"] == int(y.sum())
    assert 0 <= est["e50"] <= est["e90"] <= est["emax"]


def test_inputs_validated():
    with pytest.raises(RadnbError, match="probabilities"):
        brier_score([0, 1], [0.5, 2.0])
    with pytest.raises(RadnbError, match="strategy"):
        calibration_curve([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], strategy="kmeans")


# ----------------------------------------------------------------------------- optimism


def test_optimism_corrected_overfit_model(rng):
    from sklearn.linear_model import LogisticRegression

    n, k = 120, 15
    X = rng.normal(size=(n, k))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    est = LogisticRegression(C=100.0, max_iter=1000)
    res = optimism_corrected_calibration(est, X, y, n_boot=25, random_state=3)
    m = res.metrics
    assert m.loc["auc", "optimism"] > 0
    assert m.loc["auc", "corrected"] < m.loc["auc", "apparent"]
    assert m.loc["slope", "corrected"] < 1  # over-fitting shows as shrinkage needed
    assert res.n_boot == 25
    assert list(res.curve.columns) == ["predicted", "apparent", "optimism", "corrected"]
    # deterministic; a factory gives the same result as an estimator
    res2 = optimism_corrected_calibration(
        lambda: LogisticRegression(C=100.0, max_iter=1000), X, y, n_boot=25, random_state=3
    )
    pd.testing.assert_frame_equal(res.metrics, res2.metrics)
    assert "OptimismResult" in repr(res)
