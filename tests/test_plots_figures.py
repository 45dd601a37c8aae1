"""Figures a reviewer would send back (issue 15.18): what is drawn is inspected."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from radnb.plots.classification import (
    plot_lasso_path,
    plot_nomogram,
    plot_roc,
    plot_score_box,
    plot_waterfall,
)
from radnb.plots.survival import forest_plot, km_plot
from radnb.select import LassoSelector


def _row_boxes(fig, ax, y):
    """Window extents of the tick labels drawn on the nomogram row at height ``y``."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    texts = [t for t in ax.texts if abs(t.get_position()[1] - (y + 0.16)) < 1e-9]
    return sorted((t.get_window_extent(r) for t in texts), key=lambda b: b.x0), texts


def test_nomogram_ticks_never_overlap_integer_binary_and_readable(rng):
    """SIMULATED design: age over a narrow points range (the "60657075 80" case),
    an integer ECOG 0-3, an indicator t_stage[Ta]."""
    n = 300
    d = pd.DataFrame(
        {
            "Rad score": rng.normal(0, 2, n),
            "age": rng.normal(68, 6, n),
            "ecog": rng.integers(0, 4, n).astype(float),
            "t_stage[Ta]": rng.integers(0, 2, n).astype(float),
        }
    )
    coef = pd.Series({"Rad score": 1.5, "age": 0.05, "ecog": 0.3, "t_stage[Ta]": -0.4})
    fig = plot_nomogram(coef, -0.2, d)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["Points", "Rad score", "age", "ecog", "t stage = Ta", "Total Points", "Risk"]
    for i in range(len(rows)):
        boxes, texts = _row_boxes(fig, ax, -float(i))
        assert len(texts) >= 2, rows[i]
        for a, b in zip(boxes, boxes[1:]):
            assert a.x1 <= b.x0, (rows[i], [t.get_text() for t in texts])
    _, ecog = _row_boxes(fig, ax, -3.0)
    assert all(float(t.get_text()) == int(float(t.get_text())) for t in ecog)  # no 0.5
    _, stage = _row_boxes(fig, ax, -4.0)
    assert sorted(t.get_text() for t in stage) == ["no", "yes"]


def test_forest_log_axis_labels_and_model_headings():
    tab = pd.DataFrame(
        {
            "covariate": ["age", "sex", "age", "sex"],
            "level": ["", "M vs F", "", "M vs F"],
            "model": ["univariable", "univariable", "multivariable", "multivariable"],
            "hr": [1.02, 1.05, 1.01, 1.04],
            "lower": [0.99, 0.97, 0.98, 0.96],
            "upper": [1.05, 1.12, 1.04, 1.11],
            "p": [0.2, 0.3, 0.4, 0.5],
        }
    )
    ax = forest_plot(tab)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 3 and "1" in ticks  # not "1" alone on a narrow log axis
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["age", "sex (M vs F)", "age", "sex (M vs F)"]
    assert not any("[" in t for t in labels)
    heads = [t.get_text() for t in ax.texts if t.get_gid() == "forest-header"]
    assert heads == ["Univariable", "Multivariable"]


def test_km_at_risk_rows_labelled_and_xlabel_from_time_column(rng):
    d = pd.DataFrame(
        {
            "months": rng.exponential(20, 80),
            "event": rng.integers(0, 2, 80),
            "group": np.repeat(["low risk", "high risk"], 40),
        }
    )
    ax = km_plot("months", "event", "group", data=d, at_risk_times=[0, 10, 20])
    assert ax.get_xlabel() == "months"
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "at_risk_label"]
    assert sorted(labels) == ["high risk", "low risk"]
    assert km_plot(d["months"], d["event"]).get_xlabel() == "Time"


def test_lasso_path_distinct_colours_legend_outside(rng):
    X = pd.DataFrame(rng.normal(size=(150, 14)), columns=[f"feature_{i}" for i in range(14)])
    y = (X.iloc[:, :12].sum(axis=1) + rng.normal(size=150) > 0).astype(int)
    sel = LassoSelector(rule="min", cv=5).fit(X, y)
    ax = plot_lasso_path(sel, top=12)
    named = [
        ln
        for ln in ax.lines
        if not ln.get_label().startswith("_") and "lambda" not in ln.get_label()
    ]
    assert len(named) >= 10
    colours = {tuple(np.round(plt.matplotlib.colors.to_rgba(ln.get_color()), 3)) for ln in named}
    assert len(colours) == len(named)  # no repeated colour
    leg = ax.get_legend()
    ax.figure.canvas.draw()
    assert leg.get_window_extent().x0 >= ax.get_window_extent().x1  # right of the lines


def test_score_box_names_test_and_cohort_waterfall_cohort_roc_legend_box(rng):
    y = np.repeat([0, 1], 30)
    s = pd.Series(rng.normal(size=60) + y, name="Rad score")
    ax = plot_score_box(s, y, cohort="Test cohort")
    assert ax.get_title().startswith("Test cohort: Mann-Whitney U p")
    ax = plot_waterfall(s, y, cohort="Test")
    assert "Test cohort (n = 60)" in ax.get_title()
    ax = plot_roc(y, {"Rad score": s.to_numpy()})
    frame = ax.get_legend().get_frame()
    assert ax.get_legend().get_frame_on() and frame.get_alpha() >= 0.85
    assert frame.get_facecolor()[:3] == pytest.approx((1.0, 1.0, 1.0))
