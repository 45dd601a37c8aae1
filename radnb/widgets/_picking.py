"""Linked views: a click on a drawn figure -> the patient(s) it points at.

Pure functions of the click's data coordinates (no browser, no backend), and
:func:`connect_clicks`, which wires them to matplotlib's ``button_press_event`` on
any canvas (ipympl's in a notebook with ``interactive=True``; Agg headless, where a
test sends the event itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["connect_clicks", "km_marks", "pick_km", "pick_roc", "pick_waterfall", "roc_points"]


def _nearest(x: float, y: float, xs, ys, *, xspan: float = 1.0, yspan: float = 1.0) -> int:
    """Index of the point nearest (x, y), each axis scaled by its visible span."""
    d = ((np.asarray(xs, float) - x) / (xspan or 1.0)) ** 2
    d = d + ((np.asarray(ys, float) - y) / (yspan or 1.0)) ** 2
    return int(np.nanargmin(d))


def pick_waterfall(x: float, ids: Sequence[str]) -> str | None:
    """The patient of the waterfall bar under ``x`` (bars at 0, 1, ... in ``ids`` order).

    Examples
    --------
    >>> pick_waterfall(1.2, ["a", "b", "c"])
    'b'
    >>> pick_waterfall(7.0, ["a", "b", "c"]) is None
    True
    """
    i = int(np.floor(x + 0.5))
    return ids[i] if 0 <= i < len(ids) else None


def roc_points(y, score, *, direction: str = "<") -> pd.DataFrame:
    """Every operating point: cut at each distinct score (``direction`` as in radnb.evaluate).

    ``"<"``: a patient is called positive when its score is at least the cut.
    Columns ``threshold``, ``fpr``, ``tpr``.
    """
    y, score = np.asarray(y, float), np.asarray(score, float)
    pos, neg = y == 1, y == 0
    rows = []
    for cut in np.unique(score):
        pred = score >= cut if direction == "<" else score <= cut
        rows.append((cut, pred[neg].mean() if neg.any() else np.nan,
                     pred[pos].mean() if pos.any() else np.nan))  # fmt: skip
    return pd.DataFrame(rows, columns=["threshold", "fpr", "tpr"])


def pick_roc(x: float, y: float, ids, labels, score, *, direction: str = "<") -> dict:
    """The operating point nearest a click at (FPR ``x``, TPR ``y``) and its patients.

    The patients are those whose score is that point's cut (moving the cut past
    them moves the point). Returns ``threshold``, ``fpr``, ``tpr``, ``patients``.

    Examples
    --------
    >>> r = pick_roc(0.0, 0.5, ["a", "b", "c", "d"], [0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3])
    >>> r["patients"], r["tpr"], r["fpr"]
    (['b'], 0.5, 0.0)
    """
    pts = roc_points(labels, score, direction=direction)
    i = _nearest(x, y, pts["fpr"], pts["tpr"])
    cut = pts["threshold"].iloc[i]
    ids = np.asarray(ids)
    return {"threshold": float(cut), "fpr": float(pts["fpr"].iloc[i]),
            "tpr": float(pts["tpr"].iloc[i]),
            "patients": [str(p) for p in ids[np.asarray(score, float) == cut]]}  # fmt: skip


def km_marks(time: pd.Series, event: pd.Series, groups: pd.Series) -> pd.DataFrame:
    """Where each patient sits on its group's Kaplan-Meier curve.

    One row per patient (index: patient ID): ``time`` and ``survival``, the curve's
    value just after that patient's time (an event drops the curve there; a
    censored patient is the tick mark on the curve), and ``group``.
    """
    d = pd.DataFrame({"time": time, "event": event, "group": groups}).dropna()
    out = []
    for _, g in d.groupby("group", sort=False, observed=True):
        s = 1.0
        surv = {}
        for t in np.sort(g["time"].unique()):
            at_risk = int((g["time"] >= t).sum())
            deaths = int(((g["time"] == t) & (g["event"] == 1)).sum())
            s *= 1.0 - deaths / at_risk
            surv[t] = s
        out.append(g.assign(survival=g["time"].map(surv)))
    return pd.concat(out)[["time", "survival", "group"]] if out else d.assign(survival=[])


def pick_km(x: float, y: float, marks: pd.DataFrame, *, xspan: float, yspan: float = 1.0):
    """The patient whose event / censor mark is nearest a click at (time, survival).

    Examples
    --------
    >>> t = pd.Series([2.0, 5.0, 9.0], index=["a", "b", "c"])
    >>> e = pd.Series([1, 0, 1], index=t.index)
    >>> pick_km(5.2, 0.65, km_marks(t, e, pd.Series("low", index=t.index)), xspan=10)
    'b'
    """
    if marks.empty:
        return None
    i = _nearest(x, y, marks["time"], marks["survival"], xspan=xspan, yspan=yspan)
    return str(marks.index[i])


def connect_clicks(canvas, handler: Callable[[Any, float, float], None]) -> int:
    """Call ``handler(ax, xdata, ydata)`` on each left click inside an axes."""

    def on_press(event) -> None:
        if event.inaxes is not None and event.xdata is not None and event.button in (1, None):
            handler(event.inaxes, float(event.xdata), float(event.ydata))

    return canvas.mpl_connect("button_press_event", on_press)


def click(canvas, ax, x: float, y: float) -> None:
    """Send a left click at data coordinates (x, y) of ``ax`` (tests, scripts)."""
    from matplotlib.backend_bases import MouseButton, MouseEvent

    px, py = ax.transData.transform((x, y))
    MouseEvent("button_press_event", canvas, px, py, button=MouseButton.LEFT)._process()
