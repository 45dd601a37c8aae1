"""Linked views: clicks on the ROC / Kaplan-Meier open that patient (headless)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _widgets_data import small_cohort, small_study

from radnb.widgets._picking import click, km_marks, pick_km, pick_roc, pick_waterfall, roc_points
from radnb.widgets.models import ModelBoard
from radnb.widgets.survival import SurvivalExplorer


@pytest.fixture(scope="module")
def data():
    return small_study(), small_cohort()


def test_mapping_functions():
    assert pick_waterfall(-0.4, ["a", "b"]) == "a" and pick_waterfall(-0.6, ["a", "b"]) is None
    y, s = np.array([0, 1, 1, 0, 1]), np.array([0.2, 0.8, 0.5, 0.5, 0.9])
    pts = roc_points(y, s)
    assert pts["tpr"].tolist() == [1.0, 1.0, 2 / 3, 1 / 3] and pts["fpr"].iloc[0] == 1.0
    r = pick_roc(0.45, 0.7, list("abcde"), y, s)  # nearest (0.5, 2/3): cut 0.5, c and d
    assert r["patients"] == ["c", "d"] and r["threshold"] == 0.5
    t = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("wxyz"))
    e = pd.Series([1, 1, 0, 1], index=t.index)
    m = km_marks(t, e, pd.Series("all", index=t.index))
    assert m["survival"].tolist() == pytest.approx([0.75, 0.5, 0.5, 0.0])
    assert pick_km(3.1, 0.45, m, xspan=4) == "y"


@pytest.mark.parametrize("interactive", [False, True])
def test_roc_click_opens_the_patient(data, tmp_path, interactive):
    study, cohort = data
    board = ModelBoard(study, folder=tmp_path, cohort_data=cohort, interactive=interactive)
    assert board.roc.interactive is interactive  # ipympl is installed in dev
    board.viewer_backend = "slices"
    d = board._data
    direction = study.directions_[board.focus.value]
    pts = roc_points(d["y"], d["score"], direction=direction)
    target = pts.iloc[len(pts) // 2]
    click(board.roc.canvas, board.roc.fig.axes[0], target["fpr"], target["tpr"])
    r = board.picked_
    assert r is not None and (r["fpr"], r["tpr"]) == (target["fpr"], target["tpr"])
    scores = pd.Series(d["score"], index=d["ids"])
    assert r["patients"] and all(scores[p] == r["threshold"] for p in r["patients"])
    assert board.viewer is not None and board.viewer.patient_id == r["patients"][0]
    assert board.patients.value == r["patients"][0]
    assert any(r["patients"][0] in t for _, t in board.messages.messages)
    first = board.viewer.patient_id
    other = pts.iloc[0]  # the all-positive corner: another cut, other patients
    click(board.roc.canvas, board.roc.fig.axes[0], other["fpr"], other["tpr"])
    assert board.viewer.patient_id == board.picked_["patients"][0] != first


def test_km_click_opens_the_patient(data, tmp_path):
    study, cohort = data
    ex = SurvivalExplorer.from_study(study, cohort, folder=tmp_path)
    ex.viewer_backend = "slices"
    ax = ex.km.fig.axes[-1]
    marks = ex._km_data[ax]
    pid = marks.index[len(marks) // 3]
    click(ex.km.canvas, ax, marks.loc[pid, "time"], marks.loc[pid, "survival"])
    got = ex.picked_
    assert got is not None, ex.messages.messages
    # the nearest mark is this one (or one drawn on the very same spot)
    assert tuple(marks.loc[got, ["time", "survival"]]) == tuple(
        marks.loc[pid, ["time", "survival"]]
    )
    assert ex.viewer is not None and ex.viewer.patient_id == got


def test_choosing_a_table_row_opens_the_patient(data, tmp_path):
    study, cohort = data
    board = ModelBoard(study, folder=tmp_path, cohort_data=cohort)
    board.viewer_backend = "slices"
    assert board.viewer is None  # filling the table opened nothing
    pid = board.patients.options[-1][1]
    board.patients.value = pid
    assert board.viewer is not None and board.viewer.patient_id == pid
    ex = SurvivalExplorer.from_study(study, cohort, folder=tmp_path)
    ex.viewer_backend = "slices"
    ex.method.value = "tertiles"  # the table is refilled, still nothing opened
    assert ex.viewer is None
    pid = ex.patients.options[1][1]
    ex.patients.value = pid
    assert ex.viewer is not None and ex.viewer.patient_id == pid
