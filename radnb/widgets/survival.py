"""SurvivalExplorer: risk groups from a score, cut-off fixed on training, KM per cohort.

A thin view over :mod:`radnb.evaluate.survival` (``cutoff``, ``logrank_test``,
``cox_table``, ``treatment_by_risk``) and :mod:`radnb.plots.survival`. The cut-off
is always fitted on the training cohort and applied unchanged to every cohort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError
from radnb.widgets._common import (
    ExportBar,
    FigureView,
    MessageArea,
    open_selected_patient,
    table_html,
)
from radnb.widgets._picking import connect_clicks, km_marks, pick_km

__all__ = ["SurvivalExplorer", "risk_groups"]

METHODS = ("median", "tertiles", "maxstat", "manual")


def risk_groups(
    data: pd.DataFrame,
    score: str,
    time: str,
    event: str,
    *,
    method: str | float = "median",
    split: str = "split",
    train: Any = "train",
):
    """Fit a risk-group cut-off on the training rows and assign every row.

    Returns ``(cutoff, groups)``: the fitted :class:`~radnb.evaluate.survival.Cutoff`
    and a Series of group labels for every patient with a score.

    Examples
    --------
    >>> df = pd.DataFrame({"s": [1.0, 2, 3, 4, 5, 6], "t": [5, 4, 3, 2, 1, 1],
    ...                    "e": [0, 1, 1, 1, 1, 0], "split": ["train"] * 4 + ["test"] * 2})
    >>> cut, groups = risk_groups(df, "s", "t", "e", method="median")
    >>> cut.cutoff, groups.tolist()
    (2.5, ['low', 'low', 'high', 'high', 'high', 'high'])
    """
    from radnb.evaluate import survival as sv

    tr = data[(data[split] == train) & data[score].notna()]
    if tr.empty:
        raise RadnbError(f"no training patient ({split} == {train!r}) has a {score!r} value")
    m = method
    if isinstance(m, str) and m == "manual":
        raise InvalidParameterError("method 'manual' needs the cut-off itself (a number)")
    cut = sv.cutoff(tr[score], tr[time], tr[event], method=m)
    rows = data[data[score].notna()]
    return cut, pd.Series(cut.assign(rows[score]), index=rows.index, name="risk_group")


class SurvivalExplorer(W.VBox):
    """Kaplan-Meier by risk group per cohort, Cox table and forest plot, interaction.

    Parameters
    ----------
    data : table indexed by patient_id with the scores, survival columns, the
        split column and clinical variables (``study.table.join(study.scores())``;
        :meth:`from_study` builds it).
    scores : score columns offered.
    endpoints : ``{name: (time, event)}`` or a list of ``(time, event)`` pairs.
    split, train : split column and its training value (the cut-off is fitted there).
    cohorts : ``{split value: display name}`` in display order.
    covariates : clinical columns offered for the Cox table.
    treatment : a treatment column for the treatment x risk-group interaction.
    reference : its reference arm (default: the first in sorted order).
    interactive : draw the Kaplan-Meier curves on an ipympl canvas: a click on a
        curve opens the patient of the nearest event / censor mark in the Viewer.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        scores: Sequence[str],
        endpoints: Mapping[str, tuple[str, str]] | Sequence[tuple[str, str]],
        *,
        split: str = "split",
        train: Any = "train",
        cohorts: Mapping[Any, str] | None = None,
        covariates: Sequence[str] = (),
        treatment: str | None = None,
        reference: Any = None,
        folder: str | Path = "radnb_export",
        viewer: Any = None,
        cohort_data: Any = None,
        interactive: bool = False,
    ) -> None:
        if not isinstance(endpoints, Mapping):
            endpoints = {
                t.removesuffix("_months").removesuffix("_time"): (t, e) for t, e in endpoints
            }
        if not endpoints:
            raise InvalidParameterError(
                "no survival endpoint: pass endpoints={'rfs': (time, event)}"
            )
        missing = [c for pair in endpoints.values() for c in pair if c not in data.columns]
        missing += [c for c in [*scores, split] if c not in data.columns]
        if missing:
            raise InvalidParameterError(f"columns {missing} not in the table")
        self.data = data
        self.split, self.train = split, train
        values = [train] + [v for v in pd.unique(data[split].dropna()) if v != train]
        self.cohorts = dict(cohorts) if cohorts else {v: str(v) for v in values}
        self.endpoints = dict(endpoints)
        self.viewer, self.cohort_data = viewer, cohort_data
        self.reference = reference
        self.messages = MessageArea()
        self.score = W.Dropdown(options=list(scores), description="Score")
        self.endpoint = W.Dropdown(options=list(self.endpoints), description="Endpoint")
        self.method = W.Dropdown(options=METHODS, value="median", description="Cut-off")
        self.manual = W.FloatSlider(
            description="Manual cut", continuous_update=False, readout_format=".3f"
        )
        self.covariates = W.SelectMultiple(
            options=[c for c in covariates if c in data.columns], description="Cox covariates"
        )
        treat_opts = [("(none)", "")] + [(c, c) for c in data.columns if c != split]
        self.treatment = W.Dropdown(
            options=treat_opts, value=treatment or "", description="Treatment"
        )
        self.summary = W.HTML()
        self.km = FigureView((4.6 * len(self.cohorts), 4.6), interactive=interactive)
        self._km_data: dict[Any, pd.DataFrame] = {}
        self.picked_: str | None = None
        connect_clicks(self.km.canvas, self.pick_km)
        self._filling = False
        self.forest = FigureView((6.5, 3.0))
        self.interaction = FigureView((6.5, 3.5))
        self.cox_html, self.interaction_html = W.HTML(), W.HTML()
        self.patients = W.Select(description="Patients", rows=8, layout=W.Layout(width="24em"))
        self.open_button = W.Button(description="Open in viewer", icon="eye")
        self.open_button.on_click(lambda _: self.open_selected())
        self.patients.observe(lambda ch: self._on_patient(ch), "value")
        self.viewer_box = W.Box()
        self.viewer_backend = "niivue"
        self.export = ExportBar(self.figures, self.tables, folder, self.messages)
        self.cut_ = None
        self.groups_: pd.Series | None = None
        self.logrank_: dict[str, dict] = {}
        self.cox_: pd.DataFrame | None = None
        self.interaction_ = None
        self.score.observe(lambda _: self.refresh(), "value")
        self.endpoint.observe(lambda _: self.refresh(), "value")
        self.covariates.observe(lambda _: self.update_cox(), "value")
        self.treatment.observe(lambda _: self.update_groups(), "value")
        self.method.observe(lambda _: self.update_groups(), "value")
        self.manual.observe(self._on_manual, "value")
        super().__init__(
            [
                W.HBox([W.VBox([self.score, self.endpoint, self.method, self.manual]),
                        W.VBox([self.covariates, self.treatment])]),
                W.HTML("<i>The cut-off is fitted on the training cohort only and applied "
                       "unchanged to every other cohort.</i>"),
                self.summary,
                self.km.widget,
                W.HTML("<b>Cox regression</b> (training cohort)"),
                W.HBox([self.cox_html, self.forest.widget]),
                self.interaction_html,
                self.interaction.widget,
                W.HBox([self.patients, self.open_button]),
                self.viewer_box,
                self.export.widget,
                self.messages.widget,
            ]
        )  # fmt: skip
        self.refresh()

    @classmethod
    def from_study(cls, study, cohort=None, *, endpoints=None, **kws) -> SurvivalExplorer:
        """An explorer over a fitted Study's scores (survival columns from ``cohort``)."""
        if endpoints is None:
            endpoints = list(getattr(cohort, "survival", ()) or [])
        data = study.table.join(study.scores(), rsuffix="_score")
        kws.setdefault("covariates", list(getattr(study, "clinical_candidates", None) or []))
        return cls(
            data, study.outputs, endpoints, split=study.split, train=study.train,
            cohorts=study.cohorts, cohort_data=cohort, **kws,
        )  # fmt: skip

    # ------------------------------------------------------------------ state
    @property
    def time_event(self) -> tuple[str, str]:
        return self.endpoints[self.endpoint.value]

    def _train_scores(self) -> pd.Series:
        d = self.data
        return d.loc[d[self.split] == self.train, self.score.value].dropna()

    def refresh(self) -> None:
        """Score or endpoint changed: reset the manual range, regroup, refit Cox."""
        with self.messages.catching("survival"):
            s = self._train_scores()
            if s.empty:
                raise RadnbError(
                    f"no training patient ({self.split} == {self.train!r}) has a "
                    f"{self.score.value!r} score; the cut-off is fitted on training only"
                )
            lo, hi = np.quantile(s, [0.05, 0.95])
            with self.manual.hold_trait_notifications():
                self.manual.min, self.manual.max = -1e12, 1e12
                self.manual.min, self.manual.max = float(lo), float(hi)
                self.manual.step = float((hi - lo) / 100) or 0.01
                self.manual.value = float(np.median(s))
            self.update_groups()
            self.update_cox()

    def _on_manual(self, _=None) -> None:
        if self.method.value == "manual":
            self.update_groups()

    def update_groups(self) -> None:
        """Cut-off (training), risk groups, KM per cohort with log-rank p."""
        with self.messages.catching("risk groups"):
            time, event = self.time_event
            m = self.method.value
            method = float(self.manual.value) if m == "manual" else m
            self.cut_, self.groups_ = risk_groups(
                self.data, self.score.value, time, event,
                method=method, split=self.split, train=self.train,
            )  # fmt: skip
            self._draw_km()
            self._fill_patients()
            self.update_interaction()

    def _draw_km(self) -> None:
        from radnb.evaluate import survival as sv
        from radnb.plots.survival import plot_km

        time, event = self.time_event
        key = (self.score.value, self.endpoint.value)
        if getattr(self, "_km_key", None) == key and len(self.km.fig.axes) == len(self.cohorts):
            axes = self.km.reuse_axes()  # same panels: keep the layout, redraw the curves
        else:
            axes = self.km.axes(1, len(self.cohorts))
            self._km_key = key
        self.logrank_ = {}
        self._km_data = {}
        parts = []
        for ax, (value, label) in zip(axes, self.cohorts.items(), strict=True):
            ids = self.groups_.index[self.data.loc[self.groups_.index, self.split] == value]
            d = self.data.loc[ids, [time, event]].assign(g=self.groups_.loc[ids]).dropna()
            if d["g"].nunique() < 2:
                ax.text(0.5, 0.5, "one risk group only", ha="center", transform=ax.transAxes)
                continue
            plot_km(d[time], d[event], d["g"], ax=ax, title=label, xlabel=time)
            self._km_data[ax] = km_marks(d[time], d[event], d["g"])
            lr = sv.logrank_test(d[time], d[event], d["g"])
            self.logrank_[label] = lr
            parts.append(f"{label}: log-rank p = {lr['p']:.3g} (n = {len(d)})")
        self.km.draw()
        cuts = ", ".join(f"{c:.3f}" for c in np.atleast_1d(self.cut_.cutoffs_))
        self.summary.value = (
            f"<b>{self.score.value}</b>, cut-off {cuts} ({self.method.value}, training); "
            + "; ".join(parts)
        )

    def update_cox(self) -> None:
        """Univariable and multivariable Cox table on the training cohort, forest plot."""
        from radnb.evaluate import survival as sv
        from radnb.plots.survival import plot_forest

        with self.messages.catching("Cox"):
            time, event = self.time_event
            d = self.data[self.data[self.split] == self.train]
            covs = [self.score.value, *self.covariates.value]
            self.cox_ = sv.cox_table(d, time, event, covs, ph_check=False)
            cols = ["covariate", "level", "model", "n", "hr", "lower", "upper", "p"]
            self.cox_html.value = table_html(self.cox_[cols].set_index("covariate"))
            plot_forest(self.cox_, ax=self.forest.axes(figsize=(6.5, 1 + 0.4 * len(self.cox_)))[0])
            self.forest.draw()

    def update_interaction(self) -> None:
        """Treatment x risk group (S4 design), when a treatment column is chosen."""
        from radnb.evaluate import survival as sv
        from radnb.plots.survival import plot_treatment_by_risk

        col = self.treatment.value or None
        if col is None:
            self.interaction_ = None
            self.interaction_html.value = ""
            return
        with self.messages.catching("treatment x risk"):
            time, event = self.time_event
            d = self.data.loc[self.groups_.index, [time, event, col]]
            d = d.assign(risk_group=self.groups_).dropna()
            arms = sorted(d[col].unique())
            self.interaction_ = sv.treatment_by_risk(
                d,
                time,
                event,
                col,
                "risk_group",
                reference=self.reference if self.reference in arms else arms[0],
            )
            p = self.interaction_.interaction["p"]
            self.interaction_html.value = (
                f"<b>Treatment ({col}) x risk group</b>, all cohorts: interaction p = {p:.3g}"
                + table_html(self.interaction_.table)
            )
            plot_treatment_by_risk(self.interaction_, ax=self.interaction.axes()[0])
            self.interaction.draw()

    # ------------------------------------------------------------------ patients, export
    def _fill_patients(self) -> None:
        s = self.data.loc[self.groups_.index, self.score.value].sort_values(ascending=False)
        g = self.groups_
        self._filling = True
        self.patients.options = [(f"{p}  {s[p]:.2f}  {g[p]}", p) for p in s.index]
        self._filling = False

    def _on_patient(self, change) -> None:
        """A row of the patient table chosen: open that patient (linked view)."""
        if not self._filling and change["new"] is not None and self.cohort_data is not None:
            self.open_selected()

    def pick_km(self, ax, time: float, surv: float) -> Any:
        """A click on a Kaplan-Meier panel: the patient of the nearest event / censor
        mark, selected and opened in the Viewer."""
        marks = self._km_data.get(ax)
        if marks is None:
            return None
        lo, hi = ax.get_xlim()
        pid = pick_km(time, surv, marks, xspan=hi - lo)
        if pid is None:
            return None
        self.picked_ = pid
        row = marks.loc[pid]
        self.messages.show(
            f"patient {pid}: {row['group']}, time {row['time']:.1f}, KM {row['survival']:.2f}",
            "info",
        )
        self._filling = True  # open once, below
        self.patients.value = pid
        self._filling = False
        return self.open_selected() if self.cohort_data is not None else None

    def open_selected(self) -> Any:
        """Open the selected patient in the Viewer (linked view)."""
        return open_selected_patient(self)

    def figures(self) -> dict:
        out = {"km": self.km.fig, "forest": self.forest.fig}
        if self.interaction_ is not None:
            out["treatment_by_risk"] = self.interaction.fig
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"risk_groups": self.groups_.to_frame()}
        if self.cox_ is not None:
            out["cox"] = self.cox_
        if self.interaction_ is not None:
            out["treatment_by_risk"] = self.interaction_.table
        return out
