"""ROC / AUC / DeLong / cut-off tests against pROC on its own aSAH data.

Reference numbers come from pROC's test suite (xrobin/pROC, tests/testthat) and
its printed documentation; each assertion names the R call that produced it.
In pROC, r.s100b <- roc(aSAH$outcome, aSAH$s100b), likewise r.ndka, r.wfns;
outcome "Good" = control, "Poor" = case; direction auto ("<" for all three).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radnb.errors import RadnbError
from radnb.evaluate import (
    auc_ci,
    delong_test,
    pairwise_delong,
    roc_curve,
    score_direction,
    threshold_metrics,
    youden_threshold,
)
from radnb.evaluate.classification import _midrank


@pytest.fixture(scope="module")
def asah(data_dir):
    d = pd.read_csv(data_dir / "stats" / "aSAH.csv")
    d["y"] = (d["outcome"] == "Poor").astype(int)
    return d


def naive_auc(y, s):
    """Mann-Whitney AUC by all pairs (ties count 1/2)."""
    y = np.asarray(y)
    s = np.asarray(s, float)
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def naive_delong_var(y, s):
    """DeLong (1988) variance from the placement values, O(m n)."""
    y = np.asarray(y)
    s = np.asarray(s, float)
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size


# ----------------------------------------------------------------------------- AUC and CI


def test_auc_values_match_proc(asah):
    # pROC tests/testthat/test-auc.R: auc(r.wfns) = 0.823678861788618,
    # auc(r.ndka) = 0.611957994579946; print(r.s100b): "Area under the curve: 0.7314"
    assert auc_ci(asah.y, asah.wfns).auc == pytest.approx(0.823678861788618, abs=1e-12)
    assert auc_ci(asah.y, asah.ndka).auc == pytest.approx(0.611957994579946, abs=1e-12)
    assert round(auc_ci(asah.y, asah.s100b).auc, 4) == 0.7314


def test_delong_ci_matches_proc(asah):
    # pROC tests/testthat/test-ci.auc.R: ci.auc(r.ndka) =
    # c(0.501244999271703, 0.611957994579946, 0.722670989888189)
    auc, lo, hi = auc_ci(asah.y, asah.ndka)
    assert (lo, auc, hi) == pytest.approx(
        (0.501244999271703, 0.611957994579946, 0.722670989888189), abs=1e-12
    )
    # same file: ci.auc(outcome ~ ndka, data = aSAH, subset = (gender == "Female"))
    f = asah[asah.gender == "Female"]
    assert tuple(auc_ci(f.y, f.ndka)) == pytest.approx(
        (0.6671428571, 0.5261398281, 0.8081458862), abs=1e-9
    )
    # ci(roc(aSAH$outcome, aSAH$s100b)) prints "95% CI: 0.6301-0.8326 (DeLong)" (pROC session
    # quoted in github.com/RaulSanchezVazquez/common, "Ground truth via R package pROC").
    # wfns "0.7485-0.8988" is the value in radnb issue 7's brief; it is not printed in
    # pROC's own sources, so it rests on the same DeLong formula as the ndka check above.
    r = auc_ci(asah.y, asah.s100b)
    assert (round(r.lower, 4), round(r.upper, 4)) == (0.6301, 0.8326)
    r = auc_ci(asah.y, asah.wfns)
    assert (round(r.lower, 4), round(r.upper, 4)) == (0.7485, 0.8988)


def test_direction_reversed_gives_same_ci(asah):
    # pROC test-ci.auc.R: ci.auc(aSAH$outcome, -aSAH$ndka) equals ci.auc(r.ndka)
    assert score_direction(asah.y, -asah.ndka) == ">"
    assert tuple(auc_ci(asah.y, -asah.ndka)) == pytest.approx(tuple(auc_ci(asah.y, asah.ndka)))
    # a fixed direction is never re-chosen: forcing "<" on the negated score gives 1 - AUC
    assert auc_ci(asah.y, -asah.ndka, direction="<").auc == pytest.approx(1 - 0.611957994579946)


def test_auc_result_unpacks_and_prints(asah):
    res = auc_ci(asah.y, asah.s100b)
    auc, lo, hi = res
    assert lo < auc < hi
    assert res.auc == auc
    assert str(res) == "0.731 (0.630-0.833)"


def test_bootstrap_ci_close_to_delong_and_deterministic(asah):
    b1 = auc_ci(asah.y, asah.s100b, method="bootstrap", n_boot=500, random_state=1)
    b2 = auc_ci(asah.y, asah.s100b, method="bootstrap", n_boot=500, random_state=1)
    assert tuple(b1) == tuple(b2)
    d = auc_ci(asah.y, asah.s100b)
    assert b1.auc == d.auc
    assert abs(b1.lower - d.lower) < 0.03 and abs(b1.upper - d.upper) < 0.03


def test_bad_inputs_raise(asah):
    with pytest.raises(RadnbError, match="both events"):
        auc_ci(np.zeros(5), np.arange(5))
    with pytest.raises(RadnbError, match="0/1 or boolean"):
        auc_ci(asah.outcome, asah.s100b)
    with pytest.raises(RadnbError, match="non-finite"):
        auc_ci([0, 1, 0, 1], [0.1, np.nan, 0.3, 0.4])
    with pytest.raises(RadnbError, match="method"):
        auc_ci([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], method="hanley")
    with pytest.raises(RadnbError, match="direction"):
        auc_ci([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], direction="up")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=4, max_size=40).filter(
        lambda v: 0 < sum(b for b, _ in v) < len(v)
    )
)
def test_fast_delong_equals_naive_with_ties(pairs):
    y = np.array([int(b) for b, _ in pairs])
    s = np.array([float(v) for _, v in pairs])
    from radnb.evaluate.classification import _delong

    aucs, cov = _delong(y, s[None, :])
    assert aucs[0] == pytest.approx(naive_auc(y, s), abs=1e-12)
    if y.sum() > 1 and (1 - y).sum() > 1:
        assert cov[0, 0] == pytest.approx(naive_delong_var(y, s), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=30))
def test_midrank_equals_scipy(values):
    from scipy.stats import rankdata

    x = np.array(values, float)
    np.testing.assert_allclose(_midrank(x), rankdata(x))


# ----------------------------------------------------------------------------- DeLong tests


def test_paired_delong_matches_proc(asah):
    # pROC tests/testthat/test-roc.test.R (roc.test defaults: DeLong, paired):
    # t1 <- roc.test(r.wfns, r.s100b): Z = 2.20898359144091, p = 0.0271757822291882,
    #   conf.int = (0.0104061769564846, 0.174214419249478)
    t1 = delong_test(asah.y, asah.wfns, asah.s100b)
    assert t1["z"] == pytest.approx(2.20898359144091, abs=1e-10)
    assert t1["p"] == pytest.approx(0.0271757822291882, abs=1e-12)
    assert t1["ci"] == pytest.approx((0.0104061769564846, 0.174214419249478), abs=1e-12)
    # t2 <- roc.test(r.wfns, r.ndka): Z = 2.79777591868904, p = 0.00514557970691098
    t2 = delong_test(asah.y, asah.wfns, asah.ndka)
    assert t2["z"] == pytest.approx(2.79777591868904, abs=1e-10)
    assert t2["p"] == pytest.approx(0.00514557970691098, abs=1e-12)
    assert t2["ci"] == pytest.approx((0.0634011709339876, 0.3600405634833566), abs=1e-12)
    # t3 <- roc.test(r.ndka, r.s100b): Z = -1.39077002573558, p = 0.164295175223054
    # (pROC's docs: roc.test(s100b, ndka) "Z = 1.3908, p-value = 0.1643")
    t3 = delong_test(asah.y, asah.ndka, asah.s100b)
    assert t3["z"] == pytest.approx(-1.39077002573558, abs=1e-10)
    assert t3["p"] == pytest.approx(0.164295175223054, abs=1e-12)
    assert t3["ci"] == pytest.approx((-0.2876917446341914, 0.0488706064228094), abs=1e-12)
    assert t3["auc1"] == pytest.approx(0.611957994579946)
    assert t3["diff"] == pytest.approx(t3["auc1"] - t3["auc2"])


def test_paired_delong_swap_negates(asah):
    # test-roc.test.R: reversed curves give -Z and the same p
    a = delong_test(asah.y, asah.s100b, asah.ndka)
    b = delong_test(asah.y, asah.ndka, asah.s100b)
    assert a["z"] == pytest.approx(-b["z"])
    assert a["p"] == pytest.approx(b["p"])


def test_identical_curves(asah):
    # test-roc.test.R: roc.test(r.wfns, r.wfns) gives Z = 0, p = 1
    r = delong_test(asah.y, asah.wfns, asah.wfns)
    assert r["z"] == 0.0 and r["p"] == 1.0


def test_unpaired_delong_matches_proc(asah):
    # test-roc.test.R: roc.test(r.wfns, r.s100b, paired = FALSE):
    #   D = 1.43490640926908, p = 0.152825378808796
    # roc.test(r.wfns, r.ndka, paired = FALSE): D = 3.10125096778969, p = 0.00220950791756457
    # roc.test(r.ndka, r.s100b, paired = FALSE): D = -1.55995743389685, p = 0.120192832430845
    cases = [
        ("wfns", "s100b", 1.43490640926908, 0.152825378808796),
        ("wfns", "ndka", 3.10125096778969, 0.00220950791756457),
        ("ndka", "s100b", -1.55995743389685, 0.120192832430845),
    ]
    for a, b, d, p in cases:
        r = delong_test(asah.y, asah[a], asah[b], paired=False)
        assert r["z"] == pytest.approx(d, abs=1e-10)
        assert r["p"] == pytest.approx(p, abs=1e-12)
        assert np.isfinite(r["df"])


def test_unpaired_two_cohorts(asah):
    f = asah[asah.gender == "Female"]
    m = asah[asah.gender == "Male"]
    r = delong_test(f.y, f.ndka, m.ndka, paired=False, y2=m.y)
    assert r["auc1"] == pytest.approx(auc_ci(f.y, f.ndka).auc)
    assert r["auc2"] == pytest.approx(auc_ci(m.y, m.ndka).auc)
    with pytest.raises(RadnbError, match="paired=False"):
        delong_test(f.y, f.ndka, m.ndka, y2=m.y)


def test_pairwise_delong_table(asah):
    tab = pairwise_delong(asah.y, asah[["wfns", "s100b", "ndka"]], adjust="holm")
    assert list(zip(tab.model1, tab.model2)) == [
        ("wfns", "s100b"),
        ("wfns", "ndka"),
        ("s100b", "ndka"),
    ]
    # rows equal the pROC-checked pairwise tests above
    assert tab.p.tolist() == pytest.approx(
        [0.0271757822291882, 0.00514557970691098, 0.164295175223054]
    )
    # Holm: sorted p (0.00515, 0.0272, 0.164) x (3, 2, 1), made monotone
    assert tab.p_adjusted.tolist() == pytest.approx(
        [2 * 0.0271757822291882, 3 * 0.00514557970691098, 0.164295175223054]
    )
    bonf = pairwise_delong(asah.y, {"a": asah.wfns, "b": asah.ndka}, adjust="bonferroni")
    assert bonf.p_adjusted.iloc[0] == pytest.approx(bonf.p.iloc[0])


# ----------------------------------------------------------------------------- ROC and cut-offs


def test_roc_curve_matches_proc_coords(asah):
    # pROC tests/testthat/helper-coords-expected.R (coords(r.s100b, "all")): 51 thresholds;
    # rows (threshold, specificity, sensitivity) include
    # (-Inf, 0, 1), (0.035, 0, 0.975609756097561), (0.045, 0.0694444444444444, 0.975609756097561),
    # (0.205, 0.805555555555556, 0.634146341463415), (0.51, 1, 0.292682926829268)
    roc = roc_curve(asah.y, asah.s100b)
    assert len(roc) == 51
    expected = [
        (-np.inf, 0.0, 1.0),
        (0.035, 0.0, 0.975609756097561),
        (0.045, 0.0694444444444444, 0.975609756097561),
        (0.205, 0.805555555555556, 0.634146341463415),
        (0.51, 1.0, 0.292682926829268),
    ]
    for t, sp, se in expected:
        row = roc[np.isclose(roc.threshold, t) | ((roc.threshold == t) & np.isinf(t))]
        assert len(row) == 1
        assert row.specificity.iloc[0] == pytest.approx(sp, abs=1e-12)
        assert row.sensitivity.iloc[0] == pytest.approx(se, abs=1e-12)


def test_roc_curve_area_equals_auc(asah):
    roc = roc_curve(asah.y, asah.ndka)
    x, yv = roc.fpr.to_numpy()[::-1], roc.sensitivity.to_numpy()[::-1]
    assert np.trapezoid(yv, x) == pytest.approx(auc_ci(asah.y, asah.ndka).auc)


def test_youden_threshold_matches_proc(asah):
    # pROC test-coords.R: coords(r.s100b, "best") is the row with threshold 0.205, and
    # coords(r.s100b, 0.205): tp 26, fp 14, tn 58, fn 15 (sens 0.6341, spec 0.8056)
    t = youden_threshold(asah.y, asah.s100b)
    assert t == pytest.approx(0.205)
    m = threshold_metrics(asah.y, asah.s100b, t)
    assert m["sensitivity"]["estimate"] == pytest.approx(26 / 41)
    assert m["specificity"]["estimate"] == pytest.approx(58 / 72)
    assert m["ppv"]["estimate"] == pytest.approx(26 / 40)
    assert m["npv"]["estimate"] == pytest.approx(58 / 73)
    assert m["accuracy"]["estimate"] == pytest.approx(84 / 113)
    assert m["sensitivity"]["n"] == 41


def test_threshold_metrics_clopper_pearson(asah):
    # Clopper-Pearson for 26/41, as R's binom.test(26, 41)$conf.int = 0.4693625 0.7787721
    m = threshold_metrics(asah.y, asah.s100b, 0.205, direction="<")
    assert m["sensitivity"]["lower"] == pytest.approx(0.4693625, abs=1e-6)
    assert m["sensitivity"]["upper"] == pytest.approx(0.7787721, abs=1e-6)
    from scipy.stats import binomtest

    ci = binomtest(58, 72).proportion_ci(method="exact")
    assert m["specificity"]["lower"] == pytest.approx(ci.low)
    assert m["specificity"]["upper"] == pytest.approx(ci.high)


def test_threshold_fixed_direction_on_new_cohort(asah):
    # direction ">" calls a patient positive when score < threshold
    m1 = threshold_metrics(asah.y, asah.s100b, 0.205, direction="<")
    m2 = threshold_metrics(asah.y, -asah.s100b, -0.205, direction=">")
    pd.testing.assert_series_equal(m1["metric"], m2["metric"])
    np.testing.assert_allclose(m1["estimate"], m2["estimate"])
    assert youden_threshold(asah.y, -asah.s100b) == pytest.approx(-0.205)


def test_threshold_metrics_empty_denominator():
    m = threshold_metrics([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4], 0.9, direction="<")
    assert np.isnan(m["ppv"]["estimate"])
    assert m["sensitivity"]["estimate"] == 0.0 and m["sensitivity"]["lower"] == 0.0


# ----------------------------------------------------------------------------- Series pairing


@pytest.fixture
def keyed(rng):
    ids = [f"P{i:03d}" for i in range(80)]
    y = pd.Series((rng.uniform(size=80) < 0.4).astype(int), index=ids)
    s1 = pd.Series(y * 1.2 + rng.normal(0, 1, 80), index=ids)
    s2 = pd.Series(y * 0.5 + rng.normal(0, 1, 80), index=ids)
    return y, s1, s2


def test_series_are_paired_by_index_not_position(keyed, rng):
    y, s1, s2 = keyed
    perm = rng.permutation(80)
    sh1, sh2 = s1.iloc[perm], s2.iloc[perm[::-1]]
    ref = auc_ci(y.to_numpy(), s1.to_numpy(), direction="<")
    assert auc_ci(y, sh1, direction="<") == pytest.approx(ref, abs=1e-12)
    t_ref = delong_test(y.to_numpy(), s1.to_numpy(), s2.to_numpy(), direction="<")
    t = delong_test(y, sh1, sh2, direction="<")
    assert t["z"] == pytest.approx(t_ref["z"], abs=1e-12)
    tu = delong_test(y, sh1, sh2, paired=False, direction="<")
    tu_ref = delong_test(y.to_numpy(), s1.to_numpy(), s2.to_numpy(), paired=False, direction="<")
    assert tu["z"] == pytest.approx(tu_ref["z"], abs=1e-12)
    pw = pairwise_delong(y, {"a": sh1, "b": sh2}, direction="<")
    assert pw.loc[0, "z"] == pytest.approx(t_ref["z"], abs=1e-12)
    m = threshold_metrics(y, sh1, 0.5, direction="<")
    m_ref = threshold_metrics(y.to_numpy(), s1.to_numpy(), 0.5, direction="<")
    pd.testing.assert_frame_equal(m, m_ref)
    pd.testing.assert_frame_equal(
        roc_curve(y, sh1, direction="<"), roc_curve(y.to_numpy(), s1.to_numpy(), direction="<")
    )
    # arrays stay positional: the shuffled values paired by position differ
    assert auc_ci(y.to_numpy(), sh1.to_numpy(), direction="<").auc != pytest.approx(ref.auc)


def test_series_with_other_patients_are_refused(keyed):
    y, s1, s2 = keyed
    other = s2.rename(index={"P005": "X999"})
    with pytest.raises(RadnbError, match=r"only in y: \['P005'\], only in score2: \['X999'\]"):
        delong_test(y, s1, other)
    with pytest.raises(RadnbError, match="different patients"):
        auc_ci(y, s1.iloc[:-1])
    with pytest.raises(RadnbError, match="duplicated index"):
        auc_ci(y, pd.Series(s1.to_numpy(), index=["P000"] * 80))


def test_calibration_and_reclassification_pair_series_by_index(keyed, rng):
    from radnb.evaluate import brier_score, nri

    y, s1, s2 = keyed
    p1 = 1 / (1 + np.exp(-s1))
    p2 = 1 / (1 + np.exp(-s2))
    perm = rng.permutation(80)
    assert brier_score(y, p1.iloc[perm]) == pytest.approx(brier_score(y.to_numpy(), p1.to_numpy()))
    a = nri(y, p1.iloc[perm], p2.iloc[perm[::-1]])
    b = nri(y.to_numpy(), p1.to_numpy(), p2.to_numpy())
    assert a["estimate"] == pytest.approx(b["estimate"], abs=1e-12) and a["z"] == b["z"]
