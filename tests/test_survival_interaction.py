"""Treatment x risk group (S4), score HR per cohort (S2) and survival plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb.evaluate import survival as sv
from radnb.plots import survival as sp


def test_interaction_lr_matches_r_anova_ovarian(data_dir):
    # therneau/survival tests/Examples/survival-Ex.Rout.save, ?anova.coxph:
    #   fit2 <- coxph(Surv(futime, fustat) ~ resid.ds + rx + ecog.ps, data=ovarian)
    #   fit  <- coxph(Surv(futime, fustat) ~ resid.ds * rx + ecog.ps, data=ovarian)
    #   anova(fit2, fit): Chisq 2.0469, Df 1, P(>|Chi|) 0.1525
    o = pd.read_csv(data_dir / "stats" / "survival_ovarian.csv")
    res = sv.treatment_by_risk(
        o, "futime", "fustat", "rx", "resid.ds", reference=1.0, covariates=["ecog.ps"]
    )
    assert res.interaction["chisq"] == pytest.approx(2.0469, abs=5e-5)
    assert res.interaction["df"] == 1
    assert res.interaction["p"] == pytest.approx(0.1525, abs=5e-5)


def test_treatment_by_risk_colon_trial(data_dir):
    # Real randomised trial (R survival::colon, death endpoint): Obs / Lev / Lev+5FU.
    c = pd.read_csv(data_dir / "survival" / "colon_chemo_trial_survset.csv")
    c["nodes"] = pd.Categorical(
        np.where(c.fac_node4 == 1, "> 4 nodes", "<= 4 nodes"),
        categories=["<= 4 nodes", "> 4 nodes"],
    )
    res = sv.treatment_by_risk(
        c, "time", "event", "fac_rx", "nodes", reference="Obs", arms=["Obs", "Lev", "Lev+5FU"]
    )
    tab = res.table
    assert list(tab.risk_group.unique()) == ["<= 4 nodes", "> 4 nodes"]
    assert set(tab.comparison) == {"Lev vs Obs", "Lev+5FU vs Obs", "Lev+5FU vs Lev"}
    assert tab.n.sum() == 2 * len(c)  # each patient is in the two comparisons of its arm
    # the trial's known result: Lev+5FU improves survival, levamisole alone does not
    row = tab[(tab.risk_group == "<= 4 nodes") & (tab.comparison == "Lev+5FU vs Obs")].iloc[0]
    assert row.hr < 1 and row.p < 0.05 and row.logrank_p < 0.05
    lev = tab[tab.comparison == "Lev vs Obs"]
    assert (lev.p > 0.05).all()
    # Wald p of a two-arm Cox model ~ log-rank p (same score-type information)
    np.testing.assert_allclose(tab.p, tab.logrank_p, atol=0.01)
    assert res.interaction["df"] == 2 and 0 < res.interaction["p"] <= 1
    ax = sp.plot_treatment_by_risk(res)
    assert len(ax.get_yticklabels()) == len(tab)


def test_treatment_by_risk_recovers_planted_s4_pattern(tmp_path):
    # radnb's simulated S4 cohort plants (truth["treatment_effect"]): no benefit at
    # low risk, single-agent benefit at moderate risk, dual benefit at high risk.
    from radnb.datasets import simulate

    cohort = simulate("S4", n=3000, random_state=0, images=False, root=tmp_path / "s4")
    truth = cohort.truth["latent"]["risk_group"]
    df = cohort.clinical.join(truth)
    df["risk_group"] = pd.Categorical(df["risk_group"], categories=["low", "moderate", "high"])
    res = sv.treatment_by_risk(
        df,
        "rfs_months",
        "rfs_event",
        "arm",
        "risk_group",
        reference="none",
        arms=["none", "single", "dual"],
    )
    tab = res.table.set_index(["risk_group", "comparison"])
    assert tab.loc[("low", "single vs none"), "p"] > 0.05
    assert tab.loc[("low", "dual vs none"), "p"] > 0.05
    mod = tab.loc[("moderate", "single vs none")]
    assert mod.hr < 1 and mod.p < 0.05
    high = tab.loc[("high", "dual vs none")]
    assert high.hr < 1 and high.p < 0.05
    assert tab.loc[("high", "dual vs single"), "hr"] < 1
    assert res.interaction["p"] < 0.05


def test_hr_by_cohort_continuous_and_grouped(rng):
    n = 300
    score = rng.normal(size=n)
    t = rng.exponential(np.exp(0.7 * score))  # higher score -> longer survival (S2)
    e = (rng.uniform(size=n) < 0.8).astype(int)
    df = pd.DataFrame(
        {
            "dls": score,
            "pfs": t,
            "ev": e,
            "cohort": np.repeat(["train", "internal", "external"], 100),
        }
    )
    cont = sv.hr_by_cohort(df, "pfs", "ev", "dls", "cohort")
    assert list(cont.cohort) == ["train", "internal", "external"]
    assert (cont.hr < 1).all() and (cont.lower < cont.hr).all() and (cont.hr < cont.upper).all()
    cut = sv.cutoff(df.loc[df.cohort == "train", "dls"], method="median")
    grp = sv.hr_by_cohort(df, "pfs", "ev", "dls", "cohort", grouped=cut)
    assert set(grp.comparison) == {"high vs low"}
    # the former order (score first) and keywords still give the same table, with a warning
    with pytest.warns(DeprecationWarning, match="former argument order"):
        old = sv.hr_by_cohort(df, "dls", "pfs", "ev", "cohort", grouped=cut)
    pd.testing.assert_frame_equal(old, grp)
    with pytest.warns(DeprecationWarning) as rec:
        kw = sv.hr_by_cohort(df, score="dls", duration="pfs", event="ev", cohort_col="cohort")
    pd.testing.assert_frame_equal(kw, cont)
    said = " ".join(str(w.message) for w in rec)
    assert all(f"hr_by_cohort({n}_col=...)" in said for n in ("score", "duration", "event"))
    assert (grp.hr < 1).all() and grp.logrank_p.between(0, 1).all()
    ax = sv.forest_plot(grp)
    assert len(ax.get_yticklabels()) == 3


def test_km_plot_draws_bands_at_risk_and_p(lung_df):
    ax = sv.km_plot("time", "status", "sex", data=lung_df, at_risk_times=[0, 250, 500, 750])
    at_risk = [t for t in ax.texts if t.get_gid() == "at_risk"]
    assert len(at_risk) == 8  # two groups x four times
    assert at_risk[0].get_text() == "138"  # all 138 men at risk at time 0
    assert any("Log-rank p = 0.001" in t.get_text() for t in ax.texts)
    assert len(ax.collections) >= 2  # confidence bands


def test_cox_forest_and_calibration_plots(lung_df):
    tab = sv.cox_table(
        lung_df, "time", "status", ["age", "sex"], multivariable=None, ph_check=False
    )
    ax = sv.forest_plot(tab)
    # no "[univa.]" suffixes (issue 15.18): one model, no heading either
    assert [t.get_text() for t in ax.get_yticklabels()] == ["age", "sex"]
    cal = pd.DataFrame(
        {"predicted": [0.2, 0.6], "observed": [0.25, 0.5], "lower": [0.1, 0.4], "upper": [0.3, 0.7]}
    )
    assert sp.plot_survival_calibration(cal).get_ylabel().startswith("Observed")


@pytest.fixture
def lung_df(data_dir):
    d = pd.read_csv(data_dir / "stats" / "survival_lung.csv")
    d["status"] = d["status"] - 1
    return d
