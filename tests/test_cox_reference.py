"""Cox models, ties and cox.zph against R survival 3.5.3 on data made here.

The data (SIMULATED, 150 patients, integer times with many ties, a 3-level
factor, two sites) were drawn once with numpy and are written below; the
reference numbers come from this R script, run on the same rows written to CSV
(``cox_ref.csv``, header time,event,age,marker,grade,site):

    library(survival)                                     # survival 3.5.3
    d <- read.csv("cox_ref.csv"); d$grade <- factor(d$grade)
    for (ti in c("efron", "breslow")) {
      f <- coxph(Surv(time, event) ~ age + marker + grade, data = d, ties = ti)
      coef(f); sqrt(diag(vcov(f))); f$loglik
      for (tr in c("km", "identity", "rank", "log")) {
        cox.zph(f, transform = tr)$table[, "chisq"]                 # per term + GLOBAL
        cox.zph(f, transform = tr, terms = FALSE)$table[, "chisq"]  # per column + GLOBAL
      }
      fs <- coxph(Surv(time, event) ~ age + marker + grade + strata(site), data = d,
                  ties = ti)
      coef(fs); sqrt(diag(vcov(fs))); fs$loglik; cox.zph(fs)$table[, "chisq"]
    }
    nd <- data.frame(age = c(50, 71, 64), marker = c(-1.25, 0.4, 2),
                     grade = factor(c("G3", "G1", "G2"), levels = c("G1", "G2", "G3")))
    predict(coxph(Surv(time, event) ~ age + marker + grade, data = d), newdata = nd,
            type = "lp")
    g <- coxph(Surv(time, event) ~ grade, data = d, ties = "breslow")
    2 * diff(g$loglik); anova(g)[2, "Pr(>|Chi|)"]

printed with ``sprintf("%.15g")``.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from radnb.errors import RadnbError
from radnb.evaluate import survival as sv

_ROWS = """\
2,1,70,0.17,G2,A 21,1,69,-2.02,G3,B 8,1,49,-0.28,G3,A 1,1,60,0.32,G2,B 14,1,53,0.1,G2,A 42,1,58,1.35,G1,A
1,1,56,2.47,G1,A 30,0,53,1.87,G1,A 6,1,57,-1.28,G3,B 14,1,58,1.73,G2,B 17,0,71,-1.17,G1,B 23,1,67,-1.18,G1,A
40,0,74,0.32,G3,B 33,1,67,-1.12,G2,B 65,0,58,-1.84,G2,B 6,1,57,0.58,G3,B 9,1,74,-1.14,G3,A 16,1,60,0.21,G2,B
58,0,49,-0.68,G1,A 6,1,71,-0.22,G3,A 45,1,54,-0.12,G3,B 4,1,73,0.59,G2,A 22,1,52,-1.02,G3,A 25,0,49,1.03,G1,B
14,0,59,-0.73,G2,B 1,1,66,0.57,G1,B 28,0,66,0.13,G1,A 4,1,62,0.44,G3,A 5,1,54,0.54,G3,A 21,0,44,-1.09,G2,A
31,1,47,-0.96,G3,B 50,1,51,-0.2,G2,B 34,1,65,-0.67,G1,A 14,1,60,1.94,G3,A 33,1,63,-0.49,G2,B 16,1,72,0.11,G2,A
34,1,57,0.73,G2,A 27,1,51,-0.32,G2,A 26,1,62,-0.7,G2,B 27,1,57,1.06,G1,B 15,1,51,-0.72,G2,A 30,0,50,-0.02,G2,A
31,0,55,-1.72,G1,A 19,1,62,0.03,G1,B 24,1,71,-0.43,G2,B 10,1,70,0.09,G2,A 55,1,58,-0.98,G2,B 52,0,68,-0.98,G1,B
16,0,59,-1.75,G3,A 10,1,53,0.29,G2,A 34,1,64,-0.81,G2,B 56,1,60,-0.3,G1,B 29,1,66,-0.58,G1,A 15,1,54,0.92,G2,A
7,1,55,-1.16,G1,B 26,1,65,-0.11,G1,B 19,1,59,0.25,G2,B 10,1,72,0.09,G3,A 10,1,67,0.94,G1,B 52,0,52,-1.07,G2,A
11,1,71,0.23,G1,B 4,1,68,0.41,G3,A 30,1,55,-0.12,G2,A 24,0,58,-0.67,G1,A 5,1,63,0.75,G3,A 20,1,67,1.7,G2,A
1,1,63,0.39,G1,B 25,0,48,1.66,G2,A 1,1,65,0.02,G3,A 1,1,67,2.04,G3,B 24,1,37,-0.1,G3,B 4,1,47,-0.58,G1,A
7,1,75,-0.79,G2,B 17,1,61,-1.62,G3,B 6,1,69,-0.75,G2,A 2,1,77,-0.42,G3,B 46,0,60,-0.95,G1,B 1,1,67,0.99,G2,A
1,1,61,0.13,G3,B 19,0,53,-1.69,G3,A 3,1,70,1.37,G3,B 2,1,60,0.46,G1,B 3,1,58,-0.08,G2,B 3,1,62,1.71,G2,A
37,0,73,0.61,G2,B 5,1,44,-0.84,G2,B 14,1,62,-0.8,G2,A 6,1,71,0.17,G2,A 27,1,61,-1.11,G3,B 3,1,62,0.44,G2,B
29,1,62,-1.22,G3,A 15,1,60,0.5,G2,B 21,1,52,-2.28,G2,B 1,1,65,0.89,G2,B 41,0,56,-1.11,G1,B 7,1,46,1.18,G2,B
1,1,58,1.08,G1,A 20,1,57,-0.05,G2,A 61,1,53,-2.21,G1,A 5,1,71,0.61,G3,B 37,1,65,-1.01,G2,B 37,0,61,0.76,G1,B
7,1,56,0.37,G1,A 3,1,63,0.17,G3,B 3,1,60,1.0,G2,B 77,0,45,-2.97,G1,B 1,1,66,1.07,G3,B 1,1,49,0.57,G3,B
64,0,53,-1.2,G2,B 23,1,73,-0.67,G2,B 11,0,58,1.33,G1,B 3,1,67,1.06,G3,A 55,1,57,-0.22,G2,B 33,0,57,-1.08,G1,A
79,0,56,-1.08,G1,A 2,1,75,0.05,G2,B 5,1,49,-0.98,G3,B 5,1,45,1.08,G3,A 1,1,66,1.53,G1,A 8,1,66,0.17,G2,B
10,1,59,-0.79,G3,B 1,1,65,-0.28,G1,B 14,1,76,-0.31,G2,B 67,1,55,-0.78,G2,A 1,1,53,0.3,G1,A 31,0,52,-1.08,G3,B
4,1,58,1.02,G1,A 42,1,61,-0.9,G1,A 13,1,78,-0.57,G3,A 4,1,65,-0.13,G3,A 6,1,73,0.31,G2,A 2,1,61,0.84,G3,A
12,1,83,-0.1,G1,A 4,1,66,1.38,G2,A 5,1,62,0.95,G3,A 29,0,63,-1.94,G2,A 2,1,56,1.54,G2,B 16,1,63,1.84,G2,A
18,0,42,-0.06,G1,B 1,1,72,2.0,G3,A 34,1,51,0.37,G1,B 9,1,65,0.7,G2,A 3,1,65,0.34,G1,B 19,1,57,0.19,G2,A
16,1,55,0.34,G3,B 18,1,67,-1.56,G2,B 15,0,62,1.56,G1,A 3,1,74,1.26,G3,B 17,1,60,0.15,G3,A 24,1,48,-0.05,G3,B
"""


@pytest.fixture(scope="module")
def d():
    text = "time,event,age,marker,grade,site\n" + "\n".join(_ROWS.split())
    return pd.read_csv(io.StringIO(text))


COVS = ["age", "marker", "grade"]
R = {
    "efron": {
        "coef": [0.0386345301821913, 0.575121476138069, 0.471770910927355, 1.1225935569968],
        "se": [0.0113124716579502, 0.0968631273648477, 0.23949858849711, 0.258133149889167],
        "loglik": [-510.421502623498, -477.123203971021],
        "zph_terms": {
            "km": [0.00720791765254442, 4.17432373009585, 3.66223762708673, 7.67707656327369],
            "identity": [0.0882944899606385, 1.36406358995815, 0.791209579658418, 2.25087162102731],
            "rank": [0.051204185627865, 3.7153128055504, 2.9396444065835, 6.53476617909802],
            "log": [0.0100607262708862, 4.24958681069133, 5.68687812609829, 9.71582787907214],
        },
        "zph_cols": {
            "km": [
                0.00720791765254442,
                4.17432373009585,
                1.38839022017991,
                0.249940946824387,
                7.67707656327369,
            ],
            "identity": [
                0.0882944899606385,
                1.36406358995815,
                0.524174860088272,
                0.0144572726780375,
                2.25087162102731,
            ],
            "rank": [
                0.051204185627865,
                3.7153128055504,
                1.27593819533092,
                0.147245792576994,
                6.53476617909802,
            ],
            "log": [
                0.0100607262708862,
                4.24958681069133,
                1.81801619291261,
                0.459148095682229,
                9.71582787907214,
            ],
        },
        "strata_coef": [0.0387678703503945, 0.546550320700818, 0.496305161610017, 1.16532015233189],
        "strata_se": [0.0115679233226261, 0.0971056012963846, 0.242333988774574, 0.265428556815105],
        "strata_loglik": [-429.091319319448, -397.174884659565],
        "strata_zph": [0.00146484859032601, 5.80772509960535, 4.59794141657942, 9.96609074041723],
    },
    "breslow": {
        "coef": [0.0378037062632947, 0.550081935211505, 0.465550260483734, 1.0870127378987],
        "se": [0.0113823331029296, 0.0966049910369508, 0.239516639270982, 0.258153367647743],
        "loglik": [-513.356973322007, -482.080384043038],
        "zph_terms": {
            "km": [0.000366766551526855, 3.37788314275375, 3.51943695255235, 6.7603469841262],
            "identity": [0.039686758676641, 1.09072477882784, 0.769535253876423, 1.94995112737185],
            "rank": [0.0146953076272598, 3.02362611938333, 2.82834880315942, 5.73944373566667],
            "log": [0.0392292956210842, 3.39481307811118, 5.39455963005589, 8.59922036404901],
        },
        "zph_cols": {
            "km": [
                0.000366766551526855,
                3.37788314275375,
                1.10160230292068,
                0.400520444375741,
                6.7603469841262,
            ],
            "identity": [
                0.039686758676641,
                1.09072477882784,
                0.384820182774439,
                0.0706571551341675,
                1.94995112737185,
            ],
            "rank": [
                0.0146953076272598,
                3.02362611938333,
                1.00790099189665,
                0.271024922301823,
                5.73944373566667,
            ],
            "log": [
                0.0392292956210842,
                3.39481307811118,
                1.47896053014328,
                0.634415198677123,
                8.59922036404901,
            ],
        },
        "strata_coef": [0.0374649404609746, 0.52034115318608, 0.486360557061326, 1.12124121544943],
        "strata_se": [0.0116159974807941, 0.0968534425469522, 0.242504337891327, 0.265054029948251],
        "strata_loglik": [-432.27485988139, -402.574582690018],
        "strata_zph": [0.0105572270978393, 4.92793270005077, 4.48925448459248, 9.14794072251012],
    },
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_coef_se_loglik_match_r(d, ties):
    m = sv.cox_fit(d, "time", "event", COVS, ties=ties)
    assert m.columns_ == ["age", "marker", "grade[G2]", "grade[G3]"]
    np.testing.assert_allclose(m.coef_, R[ties]["coef"], rtol=1e-9)
    np.testing.assert_allclose(m.se_, R[ties]["se"], rtol=1e-9)
    np.testing.assert_allclose([m.loglik_null_, m.loglik_], R[ties]["loglik"], rtol=1e-12)
    # the table reports the same numbers; CI and Wald p follow from them
    tab = sv.cox_table(d, "time", "event", COVS, univariable=False, multivariable=COVS, ties=ties)
    np.testing.assert_allclose(tab["coef"], R[ties]["coef"], rtol=1e-9)
    np.testing.assert_allclose(tab["se"], R[ties]["se"], rtol=1e-9)
    b, se = np.array(R[ties]["coef"]), np.array(R[ties]["se"])
    np.testing.assert_allclose(tab["lower"], np.exp(b - 1.959963984540054 * se), rtol=1e-8)
    assert (tab["note"] == "").all()


def test_ties_differ(d):
    e = sv.cox_fit(d, "time", "event", COVS).coef_
    b = sv.cox_fit(d, "time", "event", COVS, ties="breslow").coef_
    assert np.abs(e - b).max() > 0.01
    with pytest.raises(RadnbError, match="efron"):
        sv.cox_fit(d, "time", "event", COVS, ties="exact")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("transform", ["km", "identity", "rank", "log"])
def test_cox_zph_matches_r(d, ties, transform):
    m = sv.cox_fit(d, "time", "event", COVS, ties=ties)
    per_term = m.ph_test(transform=transform)
    assert per_term.index.tolist() == ["age", "marker", "grade", "GLOBAL"]
    assert per_term["df"].tolist() == [1, 1, 2, 4]
    np.testing.assert_allclose(per_term["chisq"], R[ties]["zph_terms"][transform], rtol=1e-8)
    per_col = m.ph_test(transform=transform, terms=False)
    np.testing.assert_allclose(per_col["chisq"], R[ties]["zph_cols"][transform], rtol=1e-8)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_stratified_matches_r(d, ties):
    m = sv.cox_fit(d, "time", "event", COVS, strata="site", ties=ties)
    np.testing.assert_allclose(m.coef_, R[ties]["strata_coef"], rtol=1e-9)
    np.testing.assert_allclose(m.se_, R[ties]["strata_se"], rtol=1e-9)
    np.testing.assert_allclose([m.loglik_null_, m.loglik_], R[ties]["strata_loglik"], rtol=1e-12)
    np.testing.assert_allclose(m.ph_test()["chisq"], R[ties]["strata_zph"], rtol=1e-8)


def test_cox_table_ph_columns(d):
    tab = sv.cox_table(d, "time", "event", COVS, univariable=False, multivariable=COVS)
    from scipy.stats import chi2

    terms, cols = R["efron"]["zph_terms"]["km"], R["efron"]["zph_cols"]["km"]
    np.testing.assert_allclose(tab["ph_p"], chi2.sf(cols[:4], 1), rtol=1e-7)
    np.testing.assert_allclose(
        tab["ph_term_p"],
        chi2.sf([terms[0], terms[1], terms[2], terms[2]], [1, 1, 2, 2]),
        rtol=1e-7,
    )
    np.testing.assert_allclose(tab["ph_global_p"], chi2.sf(terms[3], 4), rtol=1e-7)


def test_breslow_univariable_lr(d):
    tab = sv.cox_table(d, "time", "event", ["grade"], multivariable=None, ties="breslow")
    # 2 * diff(g$loglik) = 16.9230003758992, p 0.000211454610949314
    np.testing.assert_allclose(tab["term_p"], 0.000211454610949314, rtol=1e-8)


def test_predict_new_patients_matches_r(d):
    m = sv.cox_fit(d, "time", "event", COVS)
    nd = pd.DataFrame(
        {"age": [50, 71, 64], "marker": [-1.25, 0.4, 2.0], "grade": ["G3", "G1", "G2"]},
        index=["ext1", "ext2", "ext3"],
    )
    lp = m.predict(nd)
    assert lp.index.tolist() == ["ext1", "ext2", "ext3"]
    np.testing.assert_allclose(
        lp, [0.00265493931459027, 0.640336951771624, 1.76186051324455], rtol=1e-9, atol=1e-12
    )
    raw = m.predict(nd, centered=False)
    np.testing.assert_allclose(raw - lp, (m.means_ * m.coef_).sum(), rtol=1e-12)
    np.testing.assert_allclose(m.predict(nd, type="risk"), np.exp(lp), rtol=1e-12)
    bad = nd.assign(grade=["G3", "G4", "G2"])
    with pytest.raises(RadnbError, match=r"G4.*ext2"):
        m.predict(bad)
    assert np.isnan(m.predict(nd.assign(age=[50, np.nan, 64]))["ext2"])


def test_model_plot_and_repr(d):
    import matplotlib

    matplotlib.use("Agg")
    m = sv.cox_fit(d, "time", "event", COVS)
    ax = m.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("G3 vs G1" in s for s in labels)
    assert "n=150" in repr(m)
    with pytest.raises(RadnbError, match="not fitted"):
        sv.CoxModel("time", "event", COVS).predict(d)


# ------------------------------------------------------- bad input (issue 16.8)
SEP = pd.DataFrame(
    {
        "time": np.arange(1.0, 13.0),
        "event": [1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0],
        "x": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        "z": [0.5, -0.3, 1.2, 0.1, -1.1, 0.4, 0.9, -0.2, 0.3, -0.7, 1.5, 0.0],
    }
)


def test_separation_is_noted_and_warned():
    # R: coxph(Surv(time, event) ~ x + z, SEP) warns "Loglik converged before
    # variable 1 ; coefficient may be infinite." coef 21.9520479946608,
    # -0.192598953942797; se 19141.8790784164, 0.526703719869109; 19 iterations
    with pytest.warns(sv.CoxFitWarning, match="infinite"):
        tab = sv.cox_table(
            SEP,
            "time",
            "event",
            ["x", "z"],
            univariable=False,
            multivariable=["x", "z"],
            ph_check=False,
        )
    tab = tab.set_index("covariate")
    assert "infinite" in tab.loc["x", "note"] and "separation" in tab.loc["x", "note"]
    assert tab.loc["z", "note"] == ""
    np.testing.assert_allclose(tab["coef"], [21.9520479946608, -0.192598953942797], rtol=1e-8)
    np.testing.assert_allclose(tab["se"], [19141.8790784164, 0.526703719869109], rtol=1e-6)


def test_no_events_is_a_clear_error():
    with pytest.raises(RadnbError, match="no events among the 12 patients"):
        sv.cox_table(SEP.assign(event=0), "time", "event", ["z"], multivariable=None)


def test_constant_covariate_is_a_clear_error():
    with pytest.raises(RadnbError, match=r"\['c'\] take a single value"):
        sv.cox_table(SEP.assign(c=3.0), "time", "event", ["c"], multivariable=None)


def test_collinear_covariates_are_a_clear_error():
    with pytest.raises(RadnbError, match="collinear"):
        sv.cox_fit(SEP.assign(w=2 * SEP["z"] + 1), "time", "event", ["z", "w"])


def test_clean_fit_does_not_warn(d):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sv.cox_fit(d, "time", "event", COVS)
