"""ModelBoard: models x cohorts, threshold slider, exports (headless)."""

from __future__ import annotations

import numpy as np
import pytest
from _widgets_data import small_study
from scipy.special import expit

from radnb import evaluate as ev
from radnb.widgets.models import ModelBoard


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    return ModelBoard(small_study(), folder=tmp_path_factory.mktemp("export"))


def test_board_shows_study_results(board):
    s = board.study
    assert board.cohort.value == "test"  # the last cohort first
    assert set(board.models.value) == set(s.outputs)
    # the ROC legend carries the same AUCs as the library's results table
    res = s.results(cohorts=["test"])
    legend = [t.get_text() for t in board.roc.fig.axes[0].get_legend().get_texts()]
    for name in s.outputs:
        auc = res.loc[res.model == name, "auc"].iloc[0]
        assert any(t.startswith(f"{name}: AUC {auc:.3f}") for t in legend)
    assert "auc" in board.results_html.value.lower()
    assert board.messages.errors == []


def test_threshold_slider_matches_library(board):
    s = board.study
    name = board.focus.value
    ids = s.cohort_ids("test")
    n_roc, n_cal = board.roc.n_draws, board.calibration.n_draws
    board.threshold.value = 0.3
    r = board.last_readout
    ref = ev.threshold_metrics(
        s.y.loc[ids], s.score(name).loc[ids], np.log(0.3 / 0.7), direction=s.directions_[name]
    )
    assert r["sensitivity"] == pytest.approx(ref["sensitivity"]["estimate"])
    assert r["specificity"] == pytest.approx(ref["specificity"]["estimate"])
    nb = ev.net_benefit(s.y.loc[ids].astype(int), s.predict_proba(name).loc[ids], [0.3])
    assert r["net_benefit"] == pytest.approx(nb["net_benefit"].iloc[0])
    # only ROC and DCA are redrawn; the marker moved to the new operating point
    assert board.roc.n_draws == n_roc and board.calibration.n_draws == n_cal
    assert board.roc.n_updates >= 1 and board.dca.n_updates >= 1
    x, y = board._markers["roc"].get_data()
    assert y[0] == pytest.approx(r["sensitivity"]) and x[0] == pytest.approx(1 - r["specificity"])
    assert "0.30" in board.readout.value
    # the training cut-off stays marked where it was
    assert board.training_threshold() == pytest.approx(float(expit(s.thresholds_[name])))


def test_changing_models_and_cohort_redraws(board):
    board.models.value = ("Rad",)
    assert board.focus.options == ("Rad",) and board.focus.value == "Rad"
    labels = [t.get_text() for t in board.roc.fig.axes[0].get_legend().get_texts()]
    assert len([t for t in labels if "AUC" in t]) == 1
    assert "choose two" in board.delong_html.value
    board.cohort.value = "train"
    assert board.roc.fig.axes[0].get_title() == "train"
    assert len(board.patients.options) == len(board.study.cohort_ids("train"))
    board.models.value = tuple(board.study.outputs)


def test_exports_write_files(board):
    figs = board.export.export_figures()
    tabs = board.export.export_tables()
    assert {p.suffix for p in figs} == {".png", ".svg"} and all(p.stat().st_size for p in figs)
    assert {p.suffix for p in tabs} == {".csv", ".xlsx", ".tex"}
    assert any(p.name == "results.csv" for p in tabs)


def test_unfitted_study_is_refused():
    from _widgets_data import small_cohort

    import radnb as rn
    from radnb.errors import NotFittedError

    with pytest.raises(NotFittedError):
        ModelBoard(rn.Study(small_cohort(), outcome="her2"))


def test_patient_click_opens_the_viewer(tmp_path):
    from _widgets_data import small_cohort

    board = ModelBoard(small_study(), folder=tmp_path, cohort_data=small_cohort())
    board.viewer_backend = "slices"
    pid = board.patients.options[2][1]
    board.patients.value = pid
    viewer = board.open_selected()
    assert viewer is not None and viewer.patient_id == pid, board.messages.errors
    assert board.viewer_box.children == (viewer.widget,)
    other = board.patients.options[0][1]
    board.patients.value = other
    assert board.open_selected() is viewer and viewer.patient_id == other  # reused
