"""Decision curve analysis against the R dcurves tables.

The oracles are MSKCC-Epi-Bio/dcurves@168c8b6 tests/benchmark_data (copied to
../shared/data/stats/dcurves), computed with R's dcurves::dca() on df_binary:
  r_case1_results.csv                dca(cancer ~ famhistory, df_binary)
  r_case3_results.csv                dca(cancer ~ marker, df_binary, as_probability = "marker",
                                         thresholds = seq(0, 0.35, 0.01),
                                         harm = list(marker = 0.0333))
  r_simple_binary_dca_result_df.csv  dca(cancer ~ age, df_binary, as_probability = "age")
(settings from the docstrings of dcurves' tests/load_test_data.py). as_probability fits
glm(cancer ~ x, family = binomial) and uses its fitted risks; here statsmodels' GLM does that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radnb.errors import RadnbError
from radnb.evaluate import decision_curve, net_benefit

TOL = 1e-6


@pytest.fixture(scope="module")
def dcdir(data_dir):
    return data_dir / "stats" / "dcurves"


@pytest.fixture(scope="module")
def df_binary(dcdir):
    return pd.read_csv(dcdir / "df_binary.csv")


def glm_risk(y, x):
    import statsmodels.api as sm

    fit = sm.GLM(
        np.asarray(y, float), sm.add_constant(np.asarray(x, float)), family=sm.families.Binomial()
    ).fit()
    return fit.fittedvalues


def check_against_r(ours: pd.DataFrame, r: pd.DataFrame, variable: str):
    rv = r[r.variable == variable].reset_index(drop=True)
    assert len(ours) == len(rv)
    np.testing.assert_allclose(ours.threshold, rv.threshold, atol=1e-12)
    for col in ["net_benefit", "tp_rate", "fp_rate", "pos_rate", "harm"]:
        np.testing.assert_allclose(ours[col], rv[col], atol=TOL, err_msg=col)
    if "test_pos_rate" in rv:
        np.testing.assert_allclose(ours.test_pos_rate, rv.test_pos_rate, atol=TOL)
    if "net_intervention_avoided" in rv:
        pos = rv.threshold > 0  # R gives NA / -Inf at threshold 0
        np.testing.assert_allclose(
            ours.net_intervention_avoided[pos], rv.net_intervention_avoided[pos], atol=TOL
        )
    ra = r[r.variable == "all"].reset_index(drop=True)
    np.testing.assert_allclose(ours.treat_all, ra.net_benefit, atol=TOL)
    rn = r[r.variable == "none"].reset_index(drop=True)
    np.testing.assert_allclose(ours.treat_none, rn.net_benefit, atol=TOL)


def test_case1_famhistory(df_binary, dcdir):
    r = pd.read_csv(dcdir / "r_case1_results.csv")
    nb = net_benefit(df_binary.cancer, df_binary.famhistory)  # default thresholds 0..0.99
    check_against_r(nb, r, "famhistory")
    # threshold 0: dcurves treats a risk of exactly 0 as test-negative
    assert nb.test_pos_rate.iloc[0] == pytest.approx(0.153333333333333)


def test_case3_marker_with_harm(df_binary, dcdir):
    r = pd.read_csv(dcdir / "r_case3_results.csv")
    p = glm_risk(df_binary.cancer.astype(int), df_binary.marker)
    nb = net_benefit(df_binary.cancer, p, np.arange(36) / 100, harm=0.0333)
    check_against_r(nb, r, "marker")


def test_simple_binary_age(df_binary, dcdir):
    r = pd.read_csv(dcdir / "r_simple_binary_dca_result_df.csv")
    p = glm_risk(df_binary.cancer.astype(int), df_binary.age)
    check_against_r(net_benefit(df_binary.cancer, p), r, "age")


def test_boolean_outcome_models_true(df_binary):
    # the Python dcurves package models P(cancer == False) for a boolean column; radnb
    # must give the same table for the boolean column and its 0/1 cast
    assert df_binary.cancer.dtype == bool
    a = net_benefit(df_binary.cancer, df_binary.cancerpredmarker)
    b = net_benefit(df_binary.cancer.astype(int), df_binary.cancerpredmarker)
    pd.testing.assert_frame_equal(a, b)
    assert a.pos_rate.iloc[0] == pytest.approx(0.14)


def test_decision_curve_long_table(df_binary, dcdir):
    r = pd.read_csv(dcdir / "r_case1_results.csv")
    dc = decision_curve(
        df_binary.cancer,
        {"famhistory": df_binary.famhistory, "cancerpredmarker": df_binary.cancerpredmarker},
    )
    assert set(dc.model) == {"Treat all", "Treat none", "famhistory", "cancerpredmarker"}
    for ours, theirs in [
        ("Treat all", "all"),
        ("Treat none", "none"),
        ("famhistory", "famhistory"),
    ]:
        a = dc[dc.model == ours].reset_index(drop=True)
        b = r[r.variable == theirs].reset_index(drop=True)
        np.testing.assert_allclose(a.net_benefit, b.net_benefit, atol=TOL)
        pos = b.threshold > 0
        np.testing.assert_allclose(
            a.net_intervention_avoided[pos], b.net_intervention_avoided[pos], atol=TOL
        )


def test_decision_curve_harm_per_model(df_binary):
    p = df_binary.cancerpredmarker
    dc = decision_curve(df_binary.cancer, {"a": p, "b": p}, [0.1, 0.2], harm={"b": 0.01})
    a = dc[dc.model == "a"].net_benefit.to_numpy()
    b = dc[dc.model == "b"].net_benefit.to_numpy()
    np.testing.assert_allclose(a - b, 0.01)


def test_case_control_prevalence(data_dir):
    # dcurves' case-control rule: tp = P(test+ | case) * prevalence, fp = P(test+ | control) * (1 - prev)
    d = pd.read_csv(data_dir / "stats" / "dcurves" / "df_case_control.csv")
    y, p = d.casecontrol.to_numpy(), d.cancerpredmarker.to_numpy()
    nb = net_benefit(y, p, [0.1, 0.2], prevalence=0.2)
    sens = np.array([(p[y == 1] >= t).mean() for t in (0.1, 0.2)])
    fpr = np.array([(p[y == 0] >= t).mean() for t in (0.1, 0.2)])
    np.testing.assert_allclose(nb.tp_rate, sens * 0.2)
    np.testing.assert_allclose(nb.fp_rate, fpr * 0.8)
    np.testing.assert_allclose(
        nb.treat_all, 0.2 - 0.8 * np.array([0.1, 0.2]) / np.array([0.9, 0.8]), atol=1e-12
    )


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.floats(0.001, 0.999)), min_size=2, max_size=50),
    st.floats(0.01, 0.9),
)
def test_net_benefit_properties(rows, t):
    y = np.array([int(b) for b, _ in rows])
    p = np.array([v for _, v in rows])
    nb = net_benefit(y, p, [t])
    # never above the prevalence; a perfect classifier reaches it
    assert nb.net_benefit.iloc[0] <= y.mean() + 1e-12
    perfect = net_benefit(y, y.astype(float), [t])
    assert perfect.net_benefit.iloc[0] == pytest.approx(y.mean())
    # a test calling everyone positive equals treat-all
    ones = net_benefit(y, np.ones_like(p), [t])
    assert ones.net_benefit.iloc[0] == pytest.approx(ones.treat_all.iloc[0])


def test_bad_inputs():
    with pytest.raises(RadnbError, match="probabilities"):
        net_benefit([0, 1], [0.2, 1.5])
    with pytest.raises(RadnbError, match="thresholds"):
        net_benefit([0, 1], [0.2, 0.5], [1.0])
    with pytest.raises(RadnbError, match="prevalence"):
        net_benefit([0, 1], [0.2, 0.5], prevalence=1.2)
