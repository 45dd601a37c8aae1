"""Tests for radnb.plots.classification: inspect what was drawn, not pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from radnb.evaluate import auc_ci, decision_curve, roc_curve
from radnb.plots.classification import (
    nomogram_table,
    plot_calibration,
    plot_correlation_heatmap,
    plot_dca,
    plot_lasso_cv,
    plot_lasso_path,
    plot_nomogram,
    plot_roc,
    plot_score_box,
    plot_waterfall,
)
from radnb.plots.style import savefig
from radnb.select import LassoSelector


@pytest.fixture
def cohort(rng):
    n = 80
    y = np.repeat([0, 1], n // 2)
    a = y * 1.5 + rng.normal(size=n)
    b = y * 0.5 + rng.normal(size=n)
    return y, {"A": a, "B": b}


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_roc_curves_and_legend(cohort, tmp_path):
    y, scores = cohort
    ax = plot_roc(y, scores, directions={"A": "<", "B": "<"}, notes=["C: absent"], title="Test")
    texts = legend_texts(ax)
    auc = auc_ci(y, scores["A"], direction="<")
    assert texts[0] == f"A: AUC {auc.auc:.3f} ({auc.lower:.3f}-{auc.upper:.3f})"
    assert texts[1].startswith("B: AUC") and texts[2] == "C: absent"
    roc = roc_curve(y, scores["A"], direction="<")
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), 1 - roc.specificity)
    np.testing.assert_allclose(line.get_ydata(), roc.sensitivity)
    assert ax.get_title() == "Test"
    out = savefig(ax, tmp_path / "roc.png")
    from matplotlib.image import imread

    assert out.exists() and imread(out).shape[0] > 1000  # 300 dpi


def test_plot_calibration(cohort):
    y, scores = cohort
    p = expit(scores["A"] * 1.2 - 0.6)
    ax = plot_calibration(y, {"A": p}, n_bins=5)
    texts = legend_texts(ax)
    assert texts[0] == "Ideal" and texts[1].startswith("A (Brier ")
    pts = [ln for ln in ax.lines if ln.get_marker() == "o"][0]
    assert len(pts.get_xdata()) == 5
    # observed proportions of the quantile bins: 16 patients each
    order = np.argsort(p)
    obs = [y[order][i * 16 : (i + 1) * 16].mean() for i in range(5)]
    np.testing.assert_allclose(np.sort(pts.get_ydata()), np.sort(obs))


def test_plot_dca_reference_strategies(cohort):
    y, scores = cohort
    probs = {"A": expit(scores["A"]), "B": expit(scores["B"])}
    th = np.linspace(0.05, 0.6, 12)
    ax = plot_dca(y, probs, thresholds=th)
    assert sorted(legend_texts(ax)) == ["A", "B", "Treat all", "Treat none"]
    dc = decision_curve(y, probs, th)
    lines = {ln.get_label(): ln for ln in ax.lines}
    for name in ("A", "Treat all"):
        np.testing.assert_allclose(lines[name].get_ydata(), dc[dc.model == name].net_benefit)
    np.testing.assert_allclose(lines["Treat all"].get_xdata(), th)
    assert np.all(np.asarray(lines["Treat none"].get_ydata()) == 0)


def test_nomogram_points_follow_rms(rng):
    n = 300
    d = pd.DataFrame(
        {
            "score": rng.normal(size=n),
            "age": rng.normal(60, 10, n),
            "male": rng.integers(0, 2, n).astype(float),
        }
    )
    coef = pd.Series({"score": 1.5, "age": -0.02, "male": 0.4})
    t = nomogram_table(coef, -0.5, d).set_index("predictor")
    q = 10 / max(n, 200)
    lo, hi = np.quantile(d.score, [q, 1 - q])
    # the widest predictor spans 0-100 points
    assert t.loc["score", "points_per_unit"] * 1.5 * (hi - lo) == pytest.approx(100)
    assert (t.low.loc["male"], t.high.loc["male"]) == (0.0, 1.0)
    fig = plot_nomogram(coef, -0.5, d, labels={"male": "Sex"}, levels={"male": {0: "F", 1: "M"}})
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_yticklabels()] == [
        "Points",
        "score",
        "age",
        "Sex",
        "Total Points",
        "Risk",
    ]
    texts = {x.get_text() for x in ax.texts}
    assert {"F", "M", "0", "100"} <= texts
    # probability ticks sit where the linear predictor gives that risk
    risk_y = -5
    ticks = [x for x in ax.texts if abs(x.get_position()[1] - (risk_y + 0.16)) < 1e-9]
    lp0 = -0.5 + t.min_lp.sum()
    total_max = (
        (t.coef * t.high).combine(t.coef * t.low, max) - t.min_lp
    ).sum() * t.points_per_unit.iloc[0]
    for tk in ticks:
        pr = float(tk.get_text())
        x = tk.get_position()[0]
        lp = lp0 + x / 100 * total_max / t.points_per_unit.iloc[0]
        assert expit(lp) == pytest.approx(pr, abs=0.006)
    assert len(ticks) >= 2
    # default risk labels never crowd each other (at least 4 points apart on the 0-100 scale)
    xs = sorted(tk.get_position()[0] for tk in ticks)
    assert np.min(np.diff(xs)) >= 4.0 - 1e-9


def test_lasso_plots(rng):
    X = pd.DataFrame(rng.normal(size=(90, 6)), columns=list("abcdef"))
    y = (X.a - X.b + rng.normal(size=90) > 0).astype(int)
    sel = LassoSelector(n_lambdas=25, cv=5).fit(X, y)
    ax = plot_lasso_path(sel)
    v = [ln for ln in ax.lines if ln.get_label() in ("lambda.min", "lambda.1se")]
    assert sorted(ln.get_label() for ln in v) == ["lambda.1se", "lambda.min"]
    xs = {ln.get_label(): ln.get_xdata()[0] for ln in v}
    assert xs["lambda.min"] == pytest.approx(np.log(sel.lambda_min_))
    assert xs["lambda.1se"] == pytest.approx(np.log(sel.lambda_1se_))
    assert {"a", "b"} <= set(legend_texts(ax))
    ax = plot_lasso_cv(sel)
    assert ax.get_ylabel() == "Binomial deviance"
    assert "lambda.1se" in legend_texts(ax)
    top = [a for a in ax.figure.axes if a is not ax][0]
    assert {t.get_text() for t in top.get_xticklabels()} <= {
        str(k) for k in sel.cv_results_.n_nonzero
    }


def test_score_box_and_waterfall(cohort):
    from scipy.stats import mannwhitneyu

    y, scores = cohort
    s = pd.Series(scores["A"], name="Rad score")
    ax = plot_score_box(s, y)
    p = mannwhitneyu(s[y == 0], s[y == 1]).pvalue
    ptxt = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    assert ax.get_title() == f"Mann-Whitney U {ptxt}"  # the test is named (issue 15.18)
    assert ax.get_ylabel() == "Rad score"
    ax = plot_waterfall(s, y, threshold=0.5)
    heights = [r.get_height() for r in ax.patches]
    assert len(heights) == len(y)
    assert heights == sorted(heights, reverse=True)
    assert heights[0] == pytest.approx(s.max() - 0.5)
    assert legend_texts(ax) == ["Negative", "Positive"]


def test_correlation_heatmap(rng):
    X = pd.DataFrame(rng.normal(size=(40, 4)), columns=list("abcd"))
    X["a2"] = X.a + 0.05 * rng.normal(size=40)
    ax = plot_correlation_heatmap(X, cluster=True)
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(names) == sorted(X.columns)
    assert abs(names.index("a") - names.index("a2")) == 1  # clustered together
    img = ax.images[0].get_array()
    c = X[names].corr(method="spearman").to_numpy()
    np.testing.assert_allclose(img, c)
    with pytest.raises(ValueError, match="method"):
        plot_correlation_heatmap(X, method="kendal")
