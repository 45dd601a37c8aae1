"""ExtractionPanel: PyRadiomics settings, a background cohort run with cancel and resume.

A thin view over :func:`radnb.features.radiomic.extract_radiomics` (run one patient
at a time in a background thread, so the notebook stays responsive and Cancel stops
after the current patient; finished patients are in radnb's cache, so a second run
resumes where the first stopped) and :func:`radnb.features.binning.binned_histogram`
(the preview of the grey-level bins inside one patient's mask).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from radnb.widgets._common import BackgroundRun, CodeLog, FigureView, MessageArea, table_html

__all__ = ["ExtractionPanel", "params_diff"]

IMAGE_TYPES = (
    "Original", "LoG", "Wavelet", "Square", "SquareRoot", "Logarithm", "Exponential",
    "Gradient", "LBP3D",
)  # fmt: skip
FEATURE_CLASSES = ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def params_diff(base: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """What ``params`` changes relative to ``base`` (PyRadiomics parameter dicts).

    Examples
    --------
    >>> params_diff({"setting": {"binWidth": 25}}, {"setting": {"binCount": 32}})
    ['+ setting.binCount: 32', '- setting.binWidth: 25']
    """
    a, b = _flatten(base), _flatten(params)
    out = []
    for k in sorted(set(a) | set(b)):
        if k not in b:
            out.append(f"- {k}: {a[k]}")
        elif k not in a:
            out.append(f"+ {k}: {b[k]}")
        elif a[k] != b[k]:
            out.append(f"~ {k}: {a[k]} -> {b[k]}")
    return out


def _numbers(text: str) -> list[float]:
    vals = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    return [int(v) if v.is_integer() else v for v in vals]


class ExtractionPanel(W.VBox):
    """PyRadiomics settings and a background extraction over a Cohort.

    Parameters
    ----------
    cohort : :class:`radnb.Cohort`.
    preset : starting preset (``"pyradiomics-default"``, ``"ct"``, ``"mr"``).
    cache : radiomics cache folder (default radnb's); a re-run reads finished
        patients back from it (resume).
    code : a :class:`~radnb.widgets._common.CodeLog` to record the calls in.

    Attributes
    ----------
    result_ : the :class:`~radnb.features.radiomic.RadiomicsResult` of the last
        complete run (a library call on the whole cohort, read from the cache).
    errors_ : per-patient failures, growing while a run goes on.
    """

    def __init__(
        self,
        cohort,
        *,
        preset: str = "pyradiomics-default",
        params: Mapping[str, Any] | None = None,
        cache: str | Path | None = None,
        code: CodeLog | None = None,
    ) -> None:
        from radnb.features.presets import PRESETS

        self.cohort = cohort
        self.cache = cache
        self.messages = MessageArea()
        self.code = code or CodeLog(["from radnb.features import radiomic"])
        self.result_ = None
        self.on_done = None  # called with the result of each complete run
        self.errors_ = pd.DataFrame(columns=["patient_id", "sequence", "message"])
        self.n_cached_ = 0
        self.preset = W.Dropdown(options=list(PRESETS), value=preset, description="Preset")
        self.image_types = W.SelectMultiple(options=IMAGE_TYPES, description="Image types", rows=5)
        self.log_sigma = W.Text(description="LoG sigma", placeholder="1, 2, 3")
        self.bin_mode = W.ToggleButtons(options=["binWidth", "binCount"], description="Bins")
        self.bin_value = W.FloatText(value=25, description="Bin value")
        self.resample = W.Text(description="Resample mm", placeholder="none, or 1, 1, 1")
        self.normalise = W.Checkbox(description="Normalise (z-score, x100)")
        self.classes = W.SelectMultiple(options=FEATURE_CLASSES, description="Classes", rows=7)
        seqs = list(cohort.sequences)
        self.sequences = W.SelectMultiple(options=seqs, value=tuple(seqs), description="Sequences")
        self.mask_sequence = W.Dropdown(
            options=[("own mask", None)] + [(s, s) for s in seqs], description="Mask of"
        )
        self.yaml = W.Textarea(layout=W.Layout(width="100%", height="10em"))
        self.export_yaml = W.Button(description="Settings -> YAML")
        self.import_yaml = W.Button(description="YAML -> settings")
        self.export_yaml.on_click(lambda _: self.to_yaml())
        self.import_yaml.on_click(lambda _: self.from_yaml())
        self.diff = W.HTML()
        self.patient = W.Dropdown(options=list(cohort.patient_ids), description="Preview of")
        self.preview_button = W.Button(description="Preview bins")
        self.preview_button.on_click(lambda _: self.preview())
        self.histogram = FigureView((5.0, 3.0))
        self.run_button = W.Button(description="Extract", icon="play", button_style="primary")
        self.run_button.on_click(lambda _: self.run())
        self.runner = BackgroundRun(self.messages)
        self.errors_html = W.HTML()
        self.summary = W.HTML()
        for w in (self.image_types, self.log_sigma, self.bin_mode, self.bin_value, self.resample,
                  self.normalise, self.classes):  # fmt: skip
            w.observe(lambda _: self._show_diff(), "value")
        self.preset.observe(lambda _: self.load(self.preset.value), "value")
        self.load(params if params is not None else preset)
        settings = W.VBox([
            self.preset, self.image_types, self.log_sigma, self.bin_mode, self.bin_value,
            self.resample, self.normalise, self.classes,
        ])  # fmt: skip
        super().__init__(
            [
                W.HBox([settings, W.VBox([self.sequences, self.mask_sequence, self.diff])]),
                W.Accordion([W.VBox([W.HBox([self.export_yaml, self.import_yaml]), self.yaml])],
                            titles=("PyRadiomics YAML",)),
                W.HBox([self.patient, self.preview_button]),
                self.histogram.widget,
                W.HBox([self.run_button, self.runner.widget]),
                self.summary,
                W.HTML("<b>Per-patient errors</b> (the run goes on without them)"),
                self.errors_html,
                self.messages.widget,
                self.code.widget,
            ]
        )  # fmt: skip

    # ------------------------------------------------------------------ settings
    def base_params(self) -> dict:
        from radnb.features.presets import resolve_params

        return resolve_params(self.preset.value)

    def load(self, params: str | Mapping[str, Any]) -> None:
        """Set the controls from a preset name or a parameter dict."""
        from radnb.features.presets import resolve_params

        with self.messages.catching("settings"):
            p = resolve_params(params)
            s = p.get("setting", {})
            self._extra = p  # keeps options the controls do not show
            self.image_types.value = tuple(t for t in p.get("imageType", {}) if t in IMAGE_TYPES)
            sigma = (p.get("imageType", {}).get("LoG") or {}).get("sigma", [])
            self.log_sigma.value = ", ".join(str(v) for v in sigma)
            mode = "binCount" if "binCount" in s else "binWidth"
            self.bin_mode.value = mode
            self.bin_value.value = float(s.get(mode, 25))
            spacing = s.get("resampledPixelSpacing")
            self.resample.value = ", ".join(str(v) for v in spacing) if spacing else ""
            self.normalise.value = bool(s.get("normalize", False))
            self.classes.value = tuple(c for c in p.get("featureClass", {}) if c in FEATURE_CLASSES)
            self._show_diff()

    @property
    def params(self) -> dict:
        """The PyRadiomics parameter dict the controls describe."""
        p = copy.deepcopy(self._extra)
        s = p.setdefault("setting", {})
        old_types = p.get("imageType", {})
        types = {t: dict(old_types.get(t) or {}) for t in self.image_types.value}
        if "LoG" in types:
            sig = _numbers(self.log_sigma.value) or [1.0, 2.0, 3.0]
            types["LoG"]["sigma"] = [float(v) for v in sig]
        p["imageType"] = types
        old_classes = p.get("featureClass", {})
        p["featureClass"] = {c: list(old_classes.get(c) or []) for c in self.classes.value}
        s.pop("binWidth", None)
        s.pop("binCount", None)
        v = float(self.bin_value.value)
        s[self.bin_mode.value] = int(v) if self.bin_mode.value == "binCount" else v
        spacing = _numbers(self.resample.value)
        if spacing:
            s["resampledPixelSpacing"] = spacing
        else:
            s.pop("resampledPixelSpacing", None)
        if self.normalise.value:
            s["normalize"] = True
            s.setdefault("normalizeScale", 100)
        else:
            for k in ("normalize", "normalizeScale"):
                s.pop(k, None)
        return p

    def _show_diff(self) -> None:
        try:
            lines = params_diff(self.base_params(), self.params)
        except (ValueError, TypeError) as exc:
            self.diff.value = f"<i>{exc}</i>"
            return
        head = f"<b>Changes against the preset {self.preset.value!r}</b>"
        body = "<br>".join(lines) if lines else "<i>none: the preset as it is</i>"
        self.diff.value = f"{head}<br><code>{body}</code>"

    def to_yaml(self) -> str:
        """The settings as PyRadiomics YAML (also shown in the text box)."""
        import yaml

        self.yaml.value = yaml.safe_dump(self.params, sort_keys=False)
        return self.yaml.value

    def from_yaml(self, text: str | None = None) -> None:
        """Load settings from PyRadiomics YAML (the text box by default)."""
        import yaml

        with self.messages.catching("YAML"):
            data = yaml.safe_load(text if text is not None else self.yaml.value) or {}
            if not isinstance(data, Mapping):
                raise ValueError("the YAML does not hold a PyRadiomics parameter mapping")
            self.load(dict(data))

    # ------------------------------------------------------------------ preview
    def preview(self, pid: str | None = None):
        """Binned histogram inside one patient's mask for the current settings."""
        from radnb.features.binning import binned_histogram

        pid = pid or self.patient.value
        seq = (self.sequences.value or self.cohort.sequences)[0]
        with self.messages.catching(f"preview, patient {pid}"):
            mseq = self.mask_sequence.value or seq
            h = binned_histogram(
                self.cohort.image(pid, seq), self.cohort.mask(pid, mseq), self.params
            )
            ax = self.histogram.axes()[0]
            ax.bar(h["lower"], h["count"], width=h["upper"] - h["lower"], align="edge",
                   color="#0072B2", edgecolor="white")  # fmt: skip
            ax.set(xlabel=f"{seq} intensity", ylabel="voxels",
                   title=f"{pid}: {h.attrs['n_bins']} bins, {h.attrs['n_voxels']} voxels")  # fmt: skip
            self.histogram.draw()
            self.histogram_ = h
            return h
        return None

    # ------------------------------------------------------------------ run
    @property
    def selected_sequences(self) -> list[str]:
        return list(self.sequences.value) or list(self.cohort.sequences)

    def call_code(self, params_name: str = "PARAMS") -> str:
        seqs = self.selected_sequences
        args = [f"sequences={seqs!r}", f"params={params_name}", 'client="serial"']
        if self.mask_sequence.value:
            args.insert(1, f"mask_sequence={self.mask_sequence.value!r}")
        return (
            f"{params_name} = {self.params!r}\n"
            f"rad = radiomic.extract_radiomics(cohort, {', '.join(args)})"
        )

    def _extract(self, cohort, *, progress: bool = False):
        from radnb.features import radiomic

        return radiomic.extract_radiomics(
            cohort, self.selected_sequences, params=self.params,
            mask_sequence=self.mask_sequence.value, cache=self.cache,
            client="serial", progress=progress,
        )  # fmt: skip

    def run(self, *, background: bool = True, on_done=None) -> None:
        """Extract over the cohort, one patient at a time (Cancel stops between patients).

        Finished patients are cached, so running again after a Cancel (or a kernel
        restart) computes only the rest. ``wait()`` blocks until it ends.
        """
        if self.cache is False:
            self.messages.show("caching is off: a cancelled run cannot resume", "warning")
        ids = list(self.cohort.patient_ids)
        self.errors_ = self.errors_.iloc[0:0]
        self.n_cached_ = 0

        def job(cancelled, step):
            parts = []
            for i, pid in enumerate(ids):
                if cancelled():
                    return None
                r = self._extract(self.cohort.subset([pid]))
                self.n_cached_ += r.n_cached
                if len(r.errors):
                    parts.append(r.errors)
                    self.errors_ = pd.concat(parts, ignore_index=True)
                    self.errors_html.value = table_html(self.errors_)
                step(i + 1, len(ids), pid)
            return self._extract(self.cohort)  # all cached now: the library's own result

        def done(result):
            if result is None:
                self.summary.value = (
                    f"cancelled after {self.runner.progress.value} of {len(ids)} patients; "
                    "Extract again to resume (finished patients come from the cache)"
                )
                return
            self.result_ = result
            self.code.add("radiomics", self.call_code())
            f = result.features
            self.summary.value = (
                f"{f.shape[1]} features for {f.shape[0]} patients "
                f"({self.n_cached_} read from the cache) in {self.runner.seconds:.1f} s; "
                f"{len(result.errors)} failed case(s)"
            )
            self.errors_ = result.errors
            self.errors_html.value = table_html(result.errors)
            on_done_ = on_done or self.on_done
            if on_done_ is not None:
                on_done_(result)

        self.runner.start(job, on_done=done, background=background, what="radiomics")

    def cancel(self) -> None:
        self.runner.cancel()

    def wait(self, timeout: float | None = None):
        self.runner.wait(timeout)
        return self.result_
