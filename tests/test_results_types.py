"""The one vocabulary of radnb.evaluate: result types, renamed names, deprecations."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# ----------------------------------------------------------------------------- 13.1 plots


def test_plot_names_and_deprecated_aliases():
    from radnb import plots
    from radnb.plots import survival as ps

    t, e, g = [1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 1], list("aaabbb")
    ax = plots.plot_km(t, e, g)
    assert len(ax.lines) >= 2
    with pytest.warns(DeprecationWarning, match="plot_km"):
        ax2 = ps.km_plot(t, e, g)
    assert len(ax2.lines) == len(ax.lines)
    import pandas as pd

    tab = pd.DataFrame({"covariate": ["age"], "hr": [1.1], "lower": [1.0], "upper": [1.2]})
    with pytest.warns(DeprecationWarning, match="plot_forest"):
        ax3 = plots.forest_plot(tab)
    assert [x.get_text() for x in ax3.get_yticklabels()] == ["age"]


def test_evaluate_survival_plot_aliases_are_lazy_and_warn():
    import radnb.evaluate.survival as sv
    from radnb.plots.survival import plot_forest, plot_km

    assert "km_plot" not in sv.__all__ and "forest_plot" not in sv.__all__
    with pytest.warns(DeprecationWarning, match=r"radnb\.plots\.plot_km"):
        assert sv.km_plot is plot_km
    with pytest.warns(DeprecationWarning, match=r"radnb\.plots\.plot_forest"):
        assert sv.forest_plot is plot_forest
    with pytest.raises(AttributeError):
        sv.no_such_name  # noqa: B018
    import radnb.evaluate as ev

    with pytest.warns(DeprecationWarning, match="plot_km"):
        assert ev.km_plot is plot_km


def test_n_at_risk_public():
    from radnb.evaluate import n_at_risk
    from radnb.evaluate.survival import kaplan_meier

    t = np.array([1, 2, 2, 3, 5, 8])
    e = np.array([1, 0, 1, 1, 0, 1])
    km = kaplan_meier(t, e)
    # the risk set of each KM row is the number at risk at that time
    assert n_at_risk(t, km["time"]).tolist() == km["n_risk"].tolist()


def test_cox_model_plot_still_works_but_warns():
    import pandas as pd

    from radnb.evaluate.survival import cox_fit

    df = pd.DataFrame(
        {
            "t": [5, 8, 3, 9, 12, 2, 7, 10],
            "e": [1, 1, 1, 0, 0, 1, 1, 0],
            "x": [2.0, 1.0, 3.0, 0.5, 0.1, 2.5, 0.4, 1.5],
        }
    )
    m = cox_fit(df, "t", "e", ["x"])
    with pytest.warns(DeprecationWarning, match="plot_forest"):
        ax = m.plot()
    assert len(ax.get_yticklabels()) == 1


def test_import_radnb_evaluate_survival_does_not_load_plots():
    import subprocess
    import sys

    code = (
        "import sys, radnb.evaluate.survival as sv, radnb.evaluate as ev; "
        "ev.auc_ci; ev.hosmer_lemeshow; ev.nri; ev.decision_curve; "
        "print(any(m.startswith('radnb.plots') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_warning_from_new_names():
    from radnb.evaluate import survival as sv

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        sv.n_at_risk([1, 2], [1])
        sv.km_median([1, 2, 3], [1, 1, 1])


# ----------------------------------------------------------------------------- 13.3 types

Y = [0, 0, 0, 1, 1, 1, 0, 1]
S1 = [1, 2, 3, 4, 5, 6, 2.5, 3.5]
S2 = [2, 1, 4, 3, 6, 5, 1, 2]


def test_estimate_unpacks_indexes_and_displays():
    from radnb.evaluate import Estimate

    e = Estimate(0.8, 0.7, 0.9, se=0.05, level=0.9, method="m")
    est, lo, hi = e
    assert (est, lo, hi) == (0.8, 0.7, 0.9) == tuple(e)
    assert e[0] == 0.8 and e[-1] == 0.9 and len(e) == 3 and float(e) == 0.8
    assert e == (0.8, 0.7, 0.9)
    assert "90% CI 0.7 to 0.9" in repr(e) and "method='m'" in repr(e)
    assert str(e) == "0.800 (0.700-0.900)"
    f = e.to_frame()
    assert f.shape == (1, 6) and f.loc[0, "se"] == 0.05 and f.loc[0, "level"] == 0.9
    assert "<table" in e._repr_html_()
    with pytest.raises(dataclasses_frozen_error()):
        e.estimate = 1.0


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_auc_ci_is_an_estimate_with_the_old_tuple_access():
    from radnb.evaluate import AUCResult, Estimate, auc_ci

    r = auc_ci([0, 0, 1, 0, 1, 1], [0.1, 0.3, 0.35, 0.4, 0.8, 0.9])
    assert isinstance(r, AUCResult) and isinstance(r, Estimate)
    auc, lo, hi = r
    assert auc == r.auc == r.estimate == r[0] and lo == r.lower and hi == r.upper
    assert round(auc, 4) == 0.8889
    assert r.method == "DeLong" and r.level == 0.95 and r.se > 0
    # the DeLong CI is estimate +- z se, clipped to [0, 1]
    assert r.lower == pytest.approx(max(0, auc - 1.959964 * r.se), abs=1e-6)
    assert r._asdict() == {"auc": auc, "lower": lo, "upper": hi}
    assert repr(r).startswith("AUCResult(auc=0.8889, 95% CI")
    b = auc_ci([0, 0, 1, 0, 1, 1], [0.1, 0.3, 0.35, 0.4, 0.8, 0.9], method="bootstrap", n_boot=50)
    assert "bootstrap" in b.method and np.isfinite(b.se)


def test_cindex_and_km_median_are_estimates():
    from radnb.evaluate import Estimate
    from radnb.evaluate.survival import harrell_c, km_median, uno_c

    h = harrell_c([1, 2, 3, 4, 5], [1, 1, 1, 0, 1], [4, 3, 2, 1, 3])
    c, lo, hi = h
    assert isinstance(h, Estimate) and c == h.c == h.estimate and h.n == 5
    assert (h.concordant, h.discordant, h.tied_x) == (7, 1, 1)
    assert h.to_frame().loc[0, "concordant"] == 7
    u = uno_c([1, 2, 3, 4], [1, 1, 1, 0], [4, 3, 2, 1], n_boot=20, random_state=0)
    assert isinstance(u, Estimate) and u.c == 1.0 and u.method.startswith("Uno")
    m = km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1])
    med, lo, hi = m
    assert (med, lo) == (3.5, 2.0) and np.isnan(hi) and isinstance(m, Estimate)


def test_delong_test_is_a_test_result_read_as_the_old_dict():
    from radnb.evaluate import TestResult, delong_test

    r = delong_test(Y, S1, S2)
    assert isinstance(r, TestResult)
    assert sorted(r) == ["auc1", "auc2", "ci", "df", "diff", "method", "p", "se", "z"]
    assert r["z"] == r.statistic == r["statistic"] and r["p"] == r.p and r.df == np.inf
    assert r["auc1"] == r.auc1 and r["ci"][0] < r["diff"] < r["ci"][1]
    assert dict(r)["method"] == "DeLong paired" and "z" in r and "nope" not in r
    with pytest.raises(KeyError):
        r["nope"]
    with pytest.raises(AttributeError):
        r.nope  # noqa: B018
    f = r.to_frame()
    assert f.loc[0, "p"] == r.p and f.loc[0, "ci_lower"] == r["ci"][0]
    assert repr(r).startswith("TestResult(DeLong paired: z=")
    assert "<table" in r._repr_html_()
    import pandas as pd

    assert pd.DataFrame([r]).loc[0, "auc2"] == r.auc2  # rows from results, as from dicts


def test_survival_and_calibration_tests_are_test_results():
    import pandas as pd

    from radnb.evaluate import TestResult, hosmer_lemeshow, idi, nri, spiegelhalter_z
    from radnb.evaluate.survival import compare_cindex, logrank_test, treatment_by_risk

    lr = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1])
    assert isinstance(lr, TestResult) and list(lr) == ["chisq", "df", "p", "table"]
    assert round(lr["chisq"], 3) == round(lr.statistic, 3) == 5.052 and lr["df"] == 1
    assert isinstance(lr["table"], pd.DataFrame) and "table=<DataFrame" in repr(lr)
    assert "<table" in lr._repr_html_() and "observed" in lr._repr_html_()
    cc = compare_cindex([1, 2, 3, 4, 5], [1, 1, 1, 1, 0], [5, 4, 3, 2, 1], [5, 4, 3, 1, 2])
    assert isinstance(cc, TestResult) and cc["diff"] == cc.c_a - cc.c_b
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, 300)
    y = (rng.uniform(size=300) < p).astype(int)
    hl = hosmer_lemeshow(y, p)
    assert list(hl) == ["statistic", "df", "p", "groups", "table"] and hl["df"] == 8
    sz = spiegelhalter_z(y, p)
    assert sorted(sz) == ["p", "z"] and sz.z == sz.statistic
    q = np.clip(p + rng.normal(0, 0.05, 300), 0.01, 0.99)
    for r in (nri(y, p, q), idi(y, p, q), nri(y, p, q, cutoffs=[0.3, 0.6])):
        assert isinstance(r, TestResult) and r["z"] == r.statistic
        assert r["method"] == "asymptotic" and r["lower"] < r["estimate"] < r["upper"]
    df = pd.DataFrame(
        {
            "t": rng.exponential(5, 60),
            "e": rng.integers(0, 2, 60),
            "arm": ["none", "single"] * 30,
            "risk": ["low"] * 30 + ["high"] * 30,
        }
    )
    i = treatment_by_risk(df, "t", "e", "arm", "risk").interaction
    assert (
        isinstance(i, TestResult) and i["chisq"] == i.statistic and i["test"] == "likelihood ratio"
    )


def test_threshold_metrics_table_is_tidy_and_matches_the_dict():
    from radnb.evaluate import threshold_metrics, threshold_metrics_table

    y, s = [0, 0, 1, 1, 1, 0], [0.1, 0.6, 0.7, 0.9, 0.3, 0.2]
    tab = threshold_metrics_table(y, s, 0.5, direction="<")
    assert tab.columns.tolist() == ["metric", "estimate", "lower", "upper", "n"]
    assert tab["metric"].tolist() == ["sensitivity", "specificity", "accuracy", "ppv", "npv"]
    d = threshold_metrics(y, s, 0.5, direction="<")
    for r in tab.itertuples():
        assert d[r.metric] == {"estimate": r.estimate, "lower": r.lower, "upper": r.upper, "n": r.n}
    # sensitivity 2/3 with its exact Clopper-Pearson CI (R binom.test(2, 3)$conf.int)
    sens = tab.set_index("metric").loc["sensitivity"]
    assert sens["estimate"] == pytest.approx(2 / 3)
    assert (sens["lower"], sens["upper"]) == pytest.approx((0.09429932, 0.99159624), abs=1e-7)


def test_test_result_is_read_only_and_pickles():
    import pickle

    from radnb.evaluate import delong_test

    r = delong_test(Y, S1, S2)
    with pytest.raises(AttributeError):
        r.p = 0.5
    with pytest.raises(TypeError):
        r.details["auc1"] = 0.0
    r2 = pickle.loads(pickle.dumps(r))
    assert dict(r2) == dict(r) and r2.method == r.method and r2 == r


# ----------------------------------------------------------------------------- 13.9 vocabulary


def test_one_p_adjustment_matches_r_p_adjust():
    from radnb.errors import RadnbError
    from radnb.evaluate._common import p_adjust

    p = [0.01, 0.04, 0.03, 0.2, np.nan]
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "holm") -> 0.04 0.09 0.09 0.20
    assert p_adjust(p, "holm")[:4] == pytest.approx([0.04, 0.09, 0.09, 0.2])
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH") -> 0.04 0.05333333 0.05333333 0.20
    assert p_adjust(p, "BH")[:4] == pytest.approx([0.04, 0.0533333333, 0.0533333333, 0.2])
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "bonferroni") -> 0.04 0.16 0.12 0.80
    assert p_adjust(p, "bonferroni")[:4] == pytest.approx([0.04, 0.16, 0.12, 0.8])
    assert np.isnan(p_adjust(p, "holm")[4])
    assert p_adjust(p, "fdr")[:4] == pytest.approx(p_adjust(p, "fdr_bh")[:4])
    assert p_adjust(p, None)[:4] == pytest.approx(p[:4])
    with pytest.raises(RadnbError, match="adjust must be"):
        p_adjust(p, "nonsense")


def test_pairwise_tables_share_p_and_p_adjusted():
    from radnb.evaluate import pairwise_delong
    from radnb.evaluate.survival import pairwise_logrank

    rng = np.random.default_rng(0)
    t = rng.exponential(5, 60)
    g = np.repeat(["a", "b", "c"], 20)
    pw = pairwise_logrank(t, np.ones(60, int), g, adjust="holm")
    assert {"p", "p_adjusted", "p_adj"} <= set(pw.columns)
    assert pw["p_adj"].tolist() == pw["p_adjusted"].tolist()
    y = rng.integers(0, 2, 60)
    pd_ = pairwise_delong(
        y,
        {"a": rng.normal(size=60), "b": rng.normal(size=60), "c": y + rng.normal(size=60)},
        adjust="BH",
    )
    assert (pd_["p_adjusted"] >= pd_["p"] - 1e-15).all()


def test_conf_type_everywhere_and_ci_deprecated():
    from radnb.evaluate.survival import calibration_at, km_median, median_table

    t, e = [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 1, 1, 0, 1, 1]
    new = km_median(t, e, conf_type="log-log")
    with pytest.warns(DeprecationWarning, match=r"km_median\(conf_type=\.\.\.\)"):
        old = km_median(t, e, ci="log-log")
    assert tuple(old) == pytest.approx(tuple(new), nan_ok=True)
    assert tuple(new) != pytest.approx(tuple(km_median(t, e)), nan_ok=True)
    with pytest.warns(DeprecationWarning, match="median_table"):
        a = median_table(t, e, ci="plain")
    assert a.equals(median_table(t, e, conf_type="plain"))
    risk = [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1]
    c_log = calibration_at(t, e, risk, 4.5, n_groups=2)
    c_pl = calibration_at(t, e, risk, 4.5, n_groups=2, conf_type="plain")
    assert c_log["observed"].tolist() == c_pl["observed"].tolist()
    assert c_log["upper"].tolist() != c_pl["upper"].tolist()


def test_decision_curve_pair_and_deprecated_dca_survival():
    from radnb.evaluate import decision_curve
    from radnb.evaluate.survival import dca_survival, decision_curve_survival

    args = ([1, 2, 3, 4], [1, 0, 1, 0], {"m": [0.9, 0.2, 0.8, 0.1]}, 3.5)
    new = decision_curve_survival(*args, thresholds=[0.5])
    with pytest.warns(DeprecationWarning, match="decision_curve_survival"):
        old = dca_survival(*args, thresholds=[0.5])
    assert old.equals(new)
    assert callable(decision_curve)


def test_maxstat_result_is_a_test_result_with_its_old_attributes():
    import pickle

    from radnb.evaluate import TestResult
    from radnb.evaluate.survival import cutoff, maxstat_test

    rng = np.random.default_rng(0)
    x, t, e = rng.normal(size=80), rng.exponential(5, 80), rng.integers(0, 2, 80)
    r = maxstat_test(x, t, e)
    assert isinstance(r, TestResult) and r["p"] == r.p and np.isnan(r.df)
    assert r.cutpoint == r["cutpoint"] and r.pmethod == "Lau92" and r.n == 80
    assert r.table.shape[1] == 3 and repr(r).startswith("MaxstatResult(M=")
    r2 = pickle.loads(pickle.dumps(cutoff(x, t, e, method="maxstat"))).maxstat_
    assert type(r2).__name__ == "MaxstatResult" and r2.statistic == r.statistic


def test_reprs_read_numpy_scalars_as_numbers():
    from radnb.evaluate import TestResult

    r = TestResult(np.float64(2.5), np.int64(3), np.float64(0.01), "x", {"n": np.int64(5)})
    assert repr(r) == "TestResult(x: statistic=2.5, df=3, p=0.01; n=5)"
    assert r.to_frame().loc[0, "n"] == 5


def test_test_results_with_tables_compare_equal_after_pickling():
    import pickle

    from radnb.evaluate.survival import logrank_test

    r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1])
    r2 = pickle.loads(pickle.dumps(r))
    assert r2 == r and r2["table"] is not r["table"]
    other = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1])
    assert other != r
