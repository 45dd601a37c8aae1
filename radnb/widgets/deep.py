"""DeepPanel: deep features of each patient's tumour crop, and attention fusion.

A thin view over :func:`radnb.features.deep.extract_deep_features` (run in chunks
of patients in the background, with progress and Cancel) and, for multi-sequence
cohorts, :class:`radnb.features.fusion.FusionClassifier` (fitted on the training
split only) with its per-sequence attention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from radnb.widgets._common import (
    TRAINING_NOTE,
    BackgroundRun,
    CodeLog,
    FigureView,
    MessageArea,
    choose_cohort_ids,
    table_html,
)

__all__ = ["DeepPanel"]

MODES = {"2D": (2, {}), "2.5D": (2, {"n_slices": 3}), "3D": (3, {})}


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - the deep extra is missing
        return False
    return bool(torch.cuda.is_available())


class DeepPanel(W.VBox):
    """Backbone, crop and device choices; a background deep-feature run.

    Parameters
    ----------
    cohort : :class:`radnb.Cohort`.
    outcome, train : binary outcome column and training split value, for the
        attention-fusion classifier (multi-sequence cohorts).
    chunk : patients per background step (Cancel acts between steps).

    Attributes
    ----------
    features_ : the deep feature block (``<sequence>__dl_<i>``); ``errors_``;
    fusion_ : the fitted FusionClassifier; ``attention_`` its per-patient weights.
    """

    def __init__(
        self,
        cohort,
        *,
        outcome: str | None = None,
        train: Any = "train",
        chunk: int = 8,
        code: CodeLog | None = None,
        random_state: int = 0,
    ) -> None:
        from radnb.features._backbones import BACKBONES

        self.cohort, self.outcome, self.train = cohort, outcome, train
        self.chunk, self.random_state = int(chunk), random_state
        self.messages = MessageArea()
        self.code = code or CodeLog(["from radnb.features import deep"])
        self.features_: pd.DataFrame | None = None
        self.errors_ = pd.DataFrame(columns=["patient_id", "sequence", "message"])
        self.fusion_ = self.attention_ = None
        self.on_done = None  # called with the result of each complete run
        self.backbone = W.Dropdown(options=BACKBONES, value="resnet18", description="Backbone")
        self.mode = W.ToggleButtons(options=list(MODES), value="2D", description="Input")
        self.size = W.BoundedIntText(value=64, min=16, max=256, step=8, description="Crop px")
        self.weights = W.Text(description="Weights", placeholder="local .pt file (optional)")
        devices = ["auto", "cpu"] + (["cuda"] if _cuda_available() else [])
        self.device = W.Dropdown(options=devices, value="auto", description="Device")
        self.device_label = W.HTML()
        self.device.observe(lambda _: self._show_device(), "value")
        seqs = list(cohort.sequences)
        self.sequences = W.SelectMultiple(options=seqs, value=tuple(seqs), description="Sequences")
        self.run_button = W.Button(description="Extract", icon="play", button_style="primary")
        self.run_button.on_click(lambda _: self.run())
        self.runner = BackgroundRun(self.messages)
        self.summary, self.errors_html = W.HTML(), W.HTML()
        self.fusion_button = W.Button(description="Fit attention fusion",
                                      disabled=len(seqs) < 2 or outcome is None)  # fmt: skip
        self.fusion_button.on_click(lambda _: self.fit_fusion())
        self.attention_plot = FigureView((4.5, 3.2))
        self._show_device()
        super().__init__(
            [
                W.HBox([W.VBox([self.backbone, self.mode, self.size]),
                        W.VBox([self.weights, self.device, self.device_label, self.sequences])]),
                W.HTML("<i>Weights are read from a local file only (torch.load with "
                       "weights_only=True), never downloaded; without one the network is "
                       "randomly initialised (seeded). Nothing is fitted in this step.</i>"),
                W.HBox([self.run_button, self.runner.widget]),
                self.summary,
                self.errors_html,
                W.HTML(f"<b>Attention fusion</b> (multi-sequence cohorts). <i>{TRAINING_NOTE}</i>"),
                self.fusion_button,
                self.attention_plot.widget,
                self.messages.widget,
                self.code.widget,
            ]
        )  # fmt: skip

    def _show_device(self) -> None:
        try:
            from radnb.device import describe_device

            self.device_label.value = f"runs on <b>{describe_device(self.device.value)}</b>"
        except Exception as exc:  # noqa: BLE001 - torch missing or CUDA refused
            self.device_label.value = f"<i>{exc}</i>"

    # ------------------------------------------------------------------ options
    def options(self) -> dict:
        """The keyword arguments of ``extract_deep_features`` the controls describe."""
        dims, crop = MODES[self.mode.value]
        weights = self.weights.value.strip() or None
        if weights is not None and not Path(weights).expanduser().is_file():
            raise FileNotFoundError(f"weights file {weights!r} not found (radnb never downloads)")
        return {
            "sequences": list(self.sequences.value) or None,
            "backbone": self.backbone.value,
            "dims": dims,
            "weights": weights,
            "crop_kws": {**crop, "size": int(self.size.value)},
            "device": self.device.value,
            "random_state": self.random_state,
        }

    def call_code(self) -> str:
        opts = self.options()
        args = ", ".join(f"{k}={v!r}" for k, v in opts.items() if v is not None)
        return f"dl = deep.extract_deep_features(cohort, {args}).features"

    # ------------------------------------------------------------------ run
    def run(self, *, background: bool = True, on_done=None) -> None:
        """Extract in chunks of patients; Cancel stops after the current chunk."""
        from radnb.features import deep

        with self.messages.catching("deep features"):
            opts = self.options()
        if self.messages.errors and self.messages.messages[-1][0] == "error":
            return
        ids = list(self.cohort.patient_ids)

        def job(cancelled, step):
            parts, errs = [], []
            for i in range(0, len(ids), self.chunk):
                if cancelled():
                    return None
                part = ids[i : i + self.chunk]
                res = deep.extract_deep_features(self.cohort.subset(part), progress=False, **opts)
                errs.append(res.errors)
                parts.append(res.features)
                step(min(i + self.chunk, len(ids)), len(ids), part[-1])
            feats = pd.concat(parts)
            err = pd.concat(errs, ignore_index=True) if errs else self.errors_.iloc[0:0]
            return feats, err

        def done(result):
            if result is None:
                self.summary.value = "cancelled; Extract again to run the whole cohort"
                return
            self.features_, self.errors_ = result
            self.code.add("deep features", self.call_code())
            self.summary.value = (
                f"{self.features_.shape[1]} deep features for {len(self.features_)} patients "
                f"in {self.runner.seconds:.1f} s; {len(self.errors_)} failed case(s)"
            )
            self.errors_html.value = table_html(self.errors_) if len(self.errors_) else ""
            on_done_ = on_done or self.on_done
            if on_done_ is not None:
                on_done_(self.features_)

        self.runner.start(job, on_done=done, background=background, what="deep features")

    def use_features(self, features: Any) -> None:
        """Take deep features extracted elsewhere (a notebook's ``dl``); nothing is re-run.

        ``features`` is ``extract_deep_features``' result or its ``.features`` table.
        """
        from radnb.features import errors_table

        self.errors_ = errors_table(features)
        if not isinstance(features, pd.DataFrame):
            features = features.features
        self.features_ = features
        self.code.add("deep features", "# deep features: the block `dl` extracted above")
        self.summary.value = (
            f"{features.shape[1]} deep features for {len(features)} patients (given); "
            f"{len(self.errors_)} failed case(s)"
        )

    def cancel(self) -> None:
        self.runner.cancel()

    def wait(self, timeout: float | None = None):
        self.runner.wait(timeout)
        return self.features_

    # ------------------------------------------------------------------ fusion
    def fit_fusion(self, **kws) -> Any:
        """Fit the attention-fusion classifier on the training split; plot attention."""
        from radnb.features.fusion import FusionClassifier

        with self.messages.catching("attention fusion"):
            if self.features_ is None or self.outcome is None:
                raise ValueError("extract deep features (and pass outcome=) first")
            y = self.cohort.clinical[self.outcome]
            train = [p for p in choose_cohort_ids(self.cohort, self.train)
                     if p in self.features_.index and pd.notna(y.get(p))]  # fmt: skip
            kws = {"max_epochs": 60, "random_state": self.random_state, **kws}
            model = FusionClassifier(**kws).fit(self.features_.loc[train], y.loc[train].astype(int))
            self.fusion_ = model
            self.attention_ = model.attention(self.features_)
            ax = self.attention_plot.axes()[0]
            att = self.attention_
            ax.boxplot([att[c] for c in att.columns], showfliers=False)
            ax.set_xticks(range(1, len(att.columns) + 1), list(att.columns))
            ax.set(ylabel="attention weight", title="Per-sequence attention (all patients)")
            self.attention_plot.draw()
            self.code.add(
                "fusion",
                f"fusion = FusionClassifier(**{kws!r}).fit(dl.loc[train_ids], y.loc[train_ids])"
                "\nattention = fusion.attention(dl)",
            )
            return model
        return None
