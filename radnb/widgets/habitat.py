"""HabitatExplorer: fit habitats on the training split, look at k, maps, fractions, stability.

A thin view over :class:`radnb.features.habitat.HabitatModel` (fit on training only,
transform every cohort), :func:`radnb.features.habitat.habitat_features` (the habitat
feature block), :func:`radnb.features.habitat_stability.seed_stability` and
:func:`radnb.plots.images.plot_slice` (or the Viewer) for the maps.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from radnb.widgets._common import (
    TRAINING_NOTE,
    BackgroundRun,
    CodeLog,
    FigureView,
    MessageArea,
    open_patient,
    table_html,
)

__all__ = ["HabitatExplorer"]


class HabitatExplorer(W.VBox):
    """Habitat clustering of a Cohort, fitted on its training split only.

    Parameters
    ----------
    cohort : :class:`radnb.Cohort` with co-registered sequences.
    train : training split value (the model is fitted on those patients only).
    outcome : clinical column to compare habitat fractions by.
    model_kws : extra :class:`HabitatModel` options (e.g. ``n_supervoxels``).
    viewer : a :class:`~radnb.widgets.viewer.Viewer` for the maps; with
        ``use_viewer=True`` one is created on the first map shown. The slice
        plot beside it always works (static exports too).

    Attributes
    ----------
    model_ : the fitted HabitatModel; ``maps_``: every patient's map;
    features_ : the habitat feature block (fractions, ITH, MSI); ``stability_``.
    """

    def __init__(
        self,
        cohort,
        *,
        train: Any = "train",
        outcome: str | None = None,
        model_kws: dict | None = None,
        viewer: Any = None,
        use_viewer: bool = False,
        code: CodeLog | None = None,
    ) -> None:
        from radnb.features._voxel import VOXEL_FEATURES

        self.cohort, self.train, self.outcome_col = cohort, train, outcome
        self.model_kws = dict(model_kws or {})
        self.viewer, self.use_viewer = viewer, use_viewer
        self.viewer_backend = "niivue"
        self.viewer_box = W.Box()
        self.messages = MessageArea()
        self.code = code or CodeLog(["from radnb.features import habitat"])
        self.model_ = self.maps_ = self.features_ = self.stability_ = None
        self.curve_: pd.Series | None = None
        self.on_done = None  # called with the result of each complete run
        seqs = list(cohort.sequences)
        self.sequences = W.SelectMultiple(options=seqs, value=tuple(seqs), description="Sequences")
        self.voxel_features = W.SelectMultiple(
            options=VOXEL_FEATURES, value=("intensity",), description="Voxel features"
        )
        self.auto = W.Checkbox(value=True, description="k: auto")
        self.k = W.IntSlider(value=3, min=2, max=8, description="k", disabled=True)
        self.criterion = W.Dropdown(
            options=["calinski_harabasz", "silhouette", "davies_bouldin", "bic", "elbow"],
            description="Criterion",
        )
        self.auto.observe(lambda ch: setattr(self.k, "disabled", ch["new"]), "value")
        self.fit_button = W.Button(description="Fit on training", icon="play",
                                   button_style="primary")  # fmt: skip
        self.fit_button.on_click(lambda _: self.fit())
        self.runner = BackgroundRun(self.messages)
        self.stability_button = W.Button(description="Seed stability (3 seeds)")
        self.stability_button.on_click(lambda _: self.stability())
        self.patient = W.Dropdown(options=list(cohort.patient_ids), description="Patient")
        self.patient.observe(lambda _: self.show_map(), "value")
        self.summary, self.stability_html, self.features_html = W.HTML(), W.HTML(), W.HTML()
        self.curve, self.map, self.fractions = (
            FigureView((4, 3.2)),
            FigureView((4, 4)),
            FigureView(),
        )
        super().__init__(
            [
                W.HBox([W.VBox([self.sequences, self.voxel_features]),
                        W.VBox([self.auto, self.k, self.criterion])]),
                W.HTML(f"<i>{TRAINING_NOTE} (habitat centroids learned from the "
                       f"{train!r} patients only)</i>"),
                W.HBox([self.fit_button, self.runner.widget]),
                self.summary,
                W.HBox([self.curve.widget, self.map.widget]),
                self.patient,
                self.viewer_box,
                self.fractions.widget,
                W.HTML("<b>Habitat feature block</b>"),
                self.features_html,
                self.stability_button,
                self.stability_html,
                self.messages.widget,
                self.code.widget,
            ]
        )  # fmt: skip

    # ------------------------------------------------------------------ model
    def make_model(self):
        from radnb.features.habitat import HabitatModel

        return HabitatModel(
            list(self.sequences.value) or None,
            voxel_features=tuple(self.voxel_features.value) or ("intensity",),
            n_habitats="auto" if self.auto.value else int(self.k.value),
            criterion=self.criterion.value,
            **self.model_kws,
        )

    def model_code(self) -> str:
        m = self.make_model()
        args = [f"{list(self.sequences.value)!r}", f"voxel_features={m.voxel_features!r}",
                f"n_habitats={m.n_habitats!r}", f"criterion={m.criterion!r}"]  # fmt: skip
        args += [f"{k}={v!r}" for k, v in self.model_kws.items()]
        return (
            f"hab_model = habitat.HabitatModel({', '.join(args)})\n"
            f"hab_model.fit(cohort, train={self.train!r})  # training patients only\n"
            "hab_maps = hab_model.transform(cohort)\n"
            "hab = habitat.habitat_features(hab_maps).features"
        )

    def fit(self, *, background: bool = False, on_done=None) -> None:
        """Fit on the training split, map every patient, build the feature block."""
        from radnb.features import habitat

        model = self.make_model()

        def job(cancelled, step):
            step(0, 3, "fitting on training")
            model.fit(self.cohort, train=self.train)
            step(1, 3, "mapping every patient")
            maps = model.transform(self.cohort)
            step(2, 3, "habitat features")
            feats = habitat.habitat_features(maps).features
            step(3, 3, "done")
            return model, maps, feats

        def done(result):
            self._show_result(result, self.model_code())
            on_done_ = on_done or self.on_done
            if on_done_ is not None:
                on_done_(result)

        self.runner.start(job, on_done=done, background=background, what="habitats")

    def use_fitted(self, model, maps, features: Any) -> None:
        """Show a HabitatModel fitted elsewhere (a notebook's), with its maps and block.

        ``features`` is the block: ``habitat_features``' result or its
        ``.features`` table. Nothing is refitted; the controls take the model's
        settings.
        """
        from radnb.features._result import FeatureResult

        if isinstance(features, FeatureResult):
            features = features.features
        with self.messages.catching("habitats"):
            if getattr(model, "n_habitats_", None) is None:
                raise ValueError("the HabitatModel is not fitted: call hab_model.fit(...) first")
            seqs = [q for q in (model.sequences or []) if q in self.sequences.options]
            if seqs:
                self.sequences.value = tuple(seqs)
            self.auto.value = model.n_habitats == "auto"
            self._show_result((model, maps, features), "# habitats: the HabitatModel fitted above")

    def _show_result(self, result, code: str) -> None:
        self.model_, self.maps_, self.features_ = result
        if self.auto.value:
            self.curve_ = self.model_.scores_
        self.code.add("habitats", code)
        self.k.value = int(np.clip(self.model_.n_habitats_, self.k.min, self.k.max))
        n_err = len(self.maps_.errors) if hasattr(self.maps_, "errors") else 0
        self.summary.value = (
            f"k = {self.model_.n_habitats_} habitats, fitted on "
            f"{len(self.model_.train_ids_)} training patients; maps for "
            f"{len(self.maps_)} patients ({n_err} failed)"
        )
        self.draw_curve()
        self.draw_fractions()
        self.features_html.value = table_html(self.features_)
        self.show_map()

    def wait(self, timeout: float | None = None):
        self.runner.wait(timeout)
        return self.model_

    # ------------------------------------------------------------------ views
    def draw_curve(self) -> None:
        """Criterion against k (last automatic fit), the chosen k marked."""
        ax = self.curve.axes()[0]
        m = self.model_
        curve = self.curve_ if self.curve_ is not None and len(self.curve_) else m.scores_
        ax.plot(curve.index, curve.values, "o-", color="#0072B2")
        k = m.n_habitats_
        if k in curve.index:
            ax.plot([k], [curve[k]], "o", ms=13, mfc="none", color="#D55E00",
                    label=f"chosen k = {k}")  # fmt: skip
            ax.legend(frameon=False)
        ax.set(xlabel="number of habitats k", ylabel=m.criterion.replace("_", " "))
        self.curve.draw()

    def fraction_table(self) -> pd.DataFrame:
        """Habitat fractions (long format) with split and outcome."""
        cols = [c for c in self.features_.columns if c.endswith("_fraction")]
        df = self.features_[cols].copy()
        clin = self.cohort.clinical
        split = self.cohort.splits
        df["split"] = split.reindex(df.index) if split is not None else "all"
        df["outcome"] = clin[self.outcome_col].reindex(df.index) if self.outcome_col else "all"
        return df.melt(id_vars=["split", "outcome"], var_name="habitat", value_name="fraction")

    def draw_fractions(self) -> None:
        """Box + strip plot of habitat fractions by outcome (training patients)."""
        long = self.fraction_table()
        long = long[long["split"] == self.train] if (long["split"] == self.train).any() else long
        ax = self.fractions.axes(figsize=(5.5, 3.5))[0]
        habitats = sorted(long["habitat"].unique())
        outcomes = sorted(long["outcome"].dropna().unique(), key=str)
        width = 0.8 / max(len(outcomes), 1)
        rng = np.random.default_rng(0)
        colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
        for j, o in enumerate(outcomes):
            data = [long[(long.habitat == h) & (long.outcome == o)]["fraction"].dropna()
                    for h in habitats]  # fmt: skip
            pos = np.arange(len(habitats)) + (j - (len(outcomes) - 1) / 2) * width
            ax.boxplot(data, positions=pos, widths=width * 0.8, showfliers=False)
            for p, d in zip(pos, data, strict=True):
                ax.plot(p + rng.uniform(-width / 4, width / 4, len(d)), d, ".", alpha=0.6,
                        color=colours[j % 4], label=f"{self.outcome_col} = {o}" if p == pos[0] else None)  # fmt: skip
        ax.set_xticks(np.arange(len(habitats)), [h.split("_")[0] for h in habitats])
        ax.set(ylabel="volume fraction", title=f"Habitat fractions, {self.train} cohort")
        if self.outcome_col:
            ax.legend(frameon=False, fontsize=8)
        self.fractions.draw()

    def show_map(self, pid: str | None = None) -> None:
        """A patient's habitat map: in the Viewer if there is one, else a slice plot."""
        from radnb.plots.images import plot_slice

        if self.maps_ is None:
            return
        pid = pid or self.patient.value
        with self.messages.catching(f"habitat map, patient {pid}"):
            if pid not in self.maps_:
                raise KeyError(f"patient {pid} has no habitat map (see the errors)")
            if self.viewer is not None or self.use_viewer:
                self.viewer = open_patient(
                    self.viewer, self.cohort, pid, habitats=self.maps_[pid],
                    backend=self.viewer_backend,
                )  # fmt: skip
                self.viewer_box.children = (self.viewer.widget,)
            seq = (self.sequences.value or self.cohort.sequences)[0]
            ax = self.map.axes()[0]
            plot_slice(self.cohort.image(pid, seq), self.cohort.mask(pid, seq),
                       overlay=self.maps_[pid], ax=ax, title=f"{pid}: habitats")  # fmt: skip
            self.map.draw()

    def stability(self, seeds=(0, 1, 2)) -> pd.DataFrame | None:
        """ARI between fits with different seeds (training patients)."""
        from radnb.features.habitat_stability import seed_stability

        with self.messages.catching("seed stability"):
            self.stability_ = seed_stability(self.make_model(), self.cohort, seeds,
                                             train=self.train)  # fmt: skip
            self.stability_html.value = (
                f"mean ARI {self.stability_['ari'].mean():.3f} over {len(self.stability_)} "
                "pairs of seeds" + table_html(self.stability_)
            )
            return self.stability_
        return None
