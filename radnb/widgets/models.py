"""ModelBoard: a fitted Study's models x cohorts, with a live threshold slider.

A thin view over :class:`radnb.Study` and :mod:`radnb.evaluate`: ROC (DeLong CIs in
the legend), calibration, decision curves and the nomogram come from the Study's
plot methods; the threshold read-out from :func:`radnb.evaluate.threshold_metrics`
and :func:`radnb.evaluate.net_benefit`. Statistics are computed when the models or
the cohort change; a slider move only moves two markers and rewrites one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from radnb.widgets._common import (
    TRAINING_NOTE,
    ExportBar,
    FigureView,
    MessageArea,
    open_selected_patient,
    table_html,
)
from radnb.widgets._picking import connect_clicks, pick_roc

__all__ = ["ModelBoard", "threshold_readout"]


def threshold_readout(y, score, probability, threshold: float, *, direction: str) -> dict:
    """Sensitivity, specificity, PPV, NPV and net benefit at a risk threshold.

    ``threshold`` is a predicted-risk threshold in (0, 1); the score cut is its
    log-odds (a model's score is its log-odds, a signature's risk is the expit of
    its score). ``direction`` is the one fixed on training.

    Examples
    --------
    >>> r = threshold_readout([0, 0, 1, 1], [-2.0, 0.5, 1.0, 2.0],
    ...                       [0.12, 0.62, 0.73, 0.88], 0.5, direction="<")
    >>> r["sensitivity"], r["specificity"], round(r["net_benefit"], 3)
    (1.0, 0.5, 0.25)
    """
    from scipy.special import logit

    from radnb.evaluate import net_benefit, threshold_metrics

    y = np.asarray(y, dtype=float)
    m = threshold_metrics(y, np.asarray(score, float), float(logit(threshold)), direction=direction)
    nb = net_benefit(y.astype(int), np.asarray(probability, float), [threshold])
    out = {r.metric: r.estimate for r in m.itertuples(index=False)}
    out["net_benefit"] = float(nb["net_benefit"].iloc[0])
    out["treat_all"] = float(nb["treat_all"].iloc[0])
    out["threshold"] = float(threshold)
    return out


class ModelBoard(W.VBox):
    """Models x cohorts of a fitted Study, with ROC, calibration, DCA and nomogram.

    Parameters
    ----------
    study : a fitted :class:`radnb.Study`.
    models : models shown (default: every present model and signature).
    cohort : split value or display name shown first (default: the last cohort,
        e.g. the test cohort).
    folder : where the export buttons write.
    viewer : a :class:`radnb.widgets.viewer.Viewer` (or anything with
        ``show_patient(pid)``); created on the first patient click when None.
    cohort_data : the Cohort the study was built from (for the viewer).
    interactive : draw the ROC on an ipympl canvas: a click picks the nearest
        operating point, lists its patients and opens the first in the Viewer.
    """

    def __init__(
        self,
        study,
        *,
        models: Sequence[str] | None = None,
        cohort: Any = None,
        folder: str | Path = "radnb_export",
        viewer: Any = None,
        cohort_data: Any = None,
        interactive: bool = False,
    ) -> None:
        study._check_fitted()
        self.study = study
        self.viewer = viewer
        self.cohort_data = cohort_data
        self.messages = MessageArea()
        present = [n for n in study.outputs if n not in study.absent_]
        chosen = [m for m in (models or present) if m in present] or present
        values = list(study.cohorts)
        first = values[-1] if cohort is None else study._cohort_value(cohort)
        self.models = W.SelectMultiple(
            options=present, value=tuple(chosen), description="Models", rows=min(6, len(present))
        )
        self.cohort = W.Dropdown(
            options=[(study.cohorts[v], v) for v in values], value=first, description="Cohort"
        )
        self.focus = W.Dropdown(options=chosen, value=chosen[-1], description="Threshold of")
        self.threshold = W.FloatSlider(
            value=0.5, min=0.01, max=0.99, step=0.01, description="Risk threshold",
            continuous_update=False, readout_format=".2f",
        )  # fmt: skip
        self.readout = W.HTML()
        self.roc = FigureView((4.4, 4.2), interactive=interactive)
        self.calibration = FigureView((4.4, 4.2))
        self.dca, self.nomogram = FigureView((4.4, 4.2)), FigureView((7.5, 4.0))
        self.results_html, self.delong_html = W.HTML(), W.HTML()
        self.patients = W.Select(description="Patients", rows=8, layout=W.Layout(width="24em"))
        self.open_button = W.Button(description="Open in viewer", icon="eye")
        self.open_button.on_click(lambda _: self.open_selected())
        self.viewer_box = W.Box()
        self.viewer_backend = "niivue"
        self.export = ExportBar(self.figures, self.tables, folder, self.messages)
        self._markers: dict[str, Any] = {}
        self._data: dict[str, np.ndarray] = {}
        self.picked_: dict | None = None
        self._filling = False
        self.patients.observe(self._on_patient, "value")
        connect_clicks(self.roc.canvas, lambda ax, x, y: self.pick_roc(x, y))
        self.models.observe(self._on_models, "value")
        self.cohort.observe(lambda _: self.refresh(), "value")
        self.focus.observe(lambda _: self.refresh(), "value")
        self.threshold.observe(lambda _: self.update_threshold(), "value")
        note = W.HTML(f"<i>{TRAINING_NOTE} The cut-off marked x was fixed on training.</i>")
        super().__init__(
            [
                W.HBox([self.models, W.VBox([self.cohort, self.focus, self.threshold])]),
                note,
                self.readout,
                W.HBox([self.roc.widget, self.calibration.widget, self.dca.widget]),
                self.nomogram.widget,
                W.HTML("<b>Results</b> (AUC with DeLong CI; metrics at the training cut-off)"),
                self.results_html,
                W.HTML("<b>Paired DeLong p-values</b> (this cohort)"),
                self.delong_html,
                W.HBox([self.patients, self.open_button]),
                self.viewer_box,
                self.export.widget,
                self.messages.widget,
            ]
        )
        self.refresh()

    # ------------------------------------------------------------------ state
    @property
    def selected(self) -> list[str]:
        return list(self.models.value)

    def _on_models(self, _=None) -> None:
        chosen = self.selected or [self.models.options[0]]
        keep = self.focus.value if self.focus.value in chosen else chosen[-1]
        with self.focus.hold_trait_notifications():
            self.focus.options = chosen
            self.focus.value = keep
        self.refresh()

    def _focus_data(self) -> None:
        s = self.study
        name = self.focus.value
        ids = s.cohort_ids(self.cohort.value)
        score, prob = s.scores_.loc[ids, name], s.probabilities_.loc[ids, name]
        ok = score.notna() & prob.notna()
        self._data = {
            "ids": np.asarray(ids[ok.to_numpy()]),
            "y": s.y.loc[ids][ok].to_numpy(float),
            "score": score[ok].to_numpy(float),
            "p": prob[ok].to_numpy(float),
        }

    def training_threshold(self) -> float:
        """The focus model's training-fixed cut-off as a predicted risk."""
        from scipy.special import expit

        return float(expit(self.study.thresholds_[self.focus.value]))

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Recompute and redraw everything (models, cohort or focus changed)."""
        with self.messages.catching("model board"):
            s, c, models = self.study, self.cohort.value, self.selected
            self._focus_data()
            ax = self.roc.axes()[0]
            s.plot_roc(c, models=models, ax=ax)
            self._markers["roc"] = self.roc.animate(
                ax.plot([], [], "o", ms=9, color="black", zorder=5)[0]
            )
            self._markers["roc_train"] = ax.plot(
                [], [], "x", ms=10, mew=2, color="#D55E00", zorder=5
            )[0]
            s.plot_calibration(c, models=models, ax=self.calibration.axes()[0])
            self.calibration.draw()
            ax = self.dca.axes()[0]
            s.plot_dca(c, models=models, ax=ax)
            self._markers["dca"] = self.dca.animate(ax.axvline(0.5, color="black", lw=1))
            ax.axvline(self.training_threshold(), color="#D55E00", lw=1, ls=":")
            self._draw_nomogram()
            self.results_html.value = table_html(
                s.results(cohorts=[c], models=models, formatted=True)
            )
            if len(models) > 1:
                self.delong_html.value = table_html(s.delong_table(c, models=models))
            else:
                self.delong_html.value = "<i>choose two or more models</i>"
            self._place_training_marker()
            self.roc.draw()
            self.dca.draw()
            self._fill_patients()
            # the slider starts at the training cut-off of the focus model
            t = float(np.clip(round(self.training_threshold(), 2), 0.01, 0.99))
            if self.threshold.value != t:
                self.threshold.value = t  # triggers update_threshold
            else:
                self.update_threshold()

    def _draw_nomogram(self) -> None:
        name = self.focus.value
        info = self.study.state_["models"].get(name)
        fig = self.nomogram.clear()
        if info is not None and "result" in info:
            self.study.nomogram(name, fig=fig)
        else:
            fig.text(0.5, 0.5, f"no nomogram: {name} is not a logistic model", ha="center")
        self.nomogram.draw()

    def update_threshold(self) -> dict:
        """Metrics at the slider's threshold; moves the markers, redraws ROC and DCA."""
        from scipy.special import logit

        d = self._data
        name, t = self.focus.value, float(self.threshold.value)
        direction = self.study.directions_[name]
        r = threshold_readout(d["y"], d["score"], d["p"], t, direction=direction)
        self.last_readout = r
        t_train = self.training_threshold()
        op = self._operating_point(d, float(logit(t)), direction)
        self._markers["roc"].set_data([op[0]], [op[1]])
        self._markers["dca"].set_xdata([t, t])
        self.roc.update()
        self.dca.update()
        cohort = self.study.cohorts[self.cohort.value]
        self.readout.value = (
            f"<b>{name}</b>, {cohort}, risk threshold {t:.2f} (training cut-off "
            f"{t_train:.2f}): sensitivity {r['sensitivity']:.2f}, specificity "
            f"{r['specificity']:.2f}, PPV {r['ppv']:.2f}, NPV {r['npv']:.2f}, "
            f"net benefit {r['net_benefit']:.3f} (treat all {r['treat_all']:.3f})"
        )
        return r

    def _place_training_marker(self) -> None:
        name = self.focus.value
        d = self._data
        x, y = self._operating_point(d, self.study.thresholds_[name], self.study.directions_[name])
        self._markers["roc_train"].set_data([x], [y])

    @staticmethod
    def _operating_point(d, cut: float, direction: str) -> tuple[float, float]:
        pred = d["score"] > cut if direction == "<" else d["score"] < cut
        pos, neg = d["y"] == 1, d["y"] == 0
        sens = pred[pos].mean() if pos.any() else np.nan
        spec = (~pred[neg]).mean() if neg.any() else np.nan
        return float(1 - spec), float(sens)

    # ------------------------------------------------------------------ patients
    def _fill_patients(self) -> None:
        d = self._data
        order = np.argsort(-d["score"])
        self._filling = True
        self.patients.options = [
            (f"{d['ids'][i]}  score {d['score'][i]:.2f}  outcome {int(d['y'][i])}", d["ids"][i])
            for i in order
        ]
        self._filling = False

    def _on_patient(self, change) -> None:
        """A row of the patient table chosen: open that patient (linked view)."""
        if not self._filling and change["new"] is not None and self.cohort_data is not None:
            self.open_selected()

    def pick_roc(self, fpr: float, tpr: float) -> Any:
        """A click on the ROC: the nearest operating point of the focus model, its
        patients listed, the first one selected and opened in the Viewer."""
        d = self._data
        r = pick_roc(fpr, tpr, d["ids"], d["y"], d["score"],
                     direction=self.study.directions_[self.focus.value])  # fmt: skip
        self.picked_ = r
        self.messages.show(
            f"ROC point FPR {r['fpr']:.2f}, TPR {r['tpr']:.2f} (cut {r['threshold']:.3f}): "
            f"patient(s) {', '.join(r['patients'])}",
            "info",
        )
        if not r["patients"]:
            return None
        self._filling = True  # open once, below
        self.patients.value = r["patients"][0]
        self._filling = False
        return self.open_selected() if self.cohort_data is not None else None

    def open_selected(self) -> Any:
        """Open the selected patient in the Viewer (linked view)."""
        return open_selected_patient(self)

    # ------------------------------------------------------------------ export
    def figures(self) -> dict:
        return {
            "roc": self.roc.fig,
            "calibration": self.calibration.fig,
            "dca": self.dca.fig,
            "nomogram": self.nomogram.fig,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        s, models = self.study, self.selected
        out = {"results": s.results(models=models)}
        if len(models) > 1:
            for c in s.cohorts:
                out[f"delong_{s.cohorts[c]}"] = s.delong_table(c, models=models)
        return out
