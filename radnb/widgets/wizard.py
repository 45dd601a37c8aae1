"""StudyWizard: one Study from a Cohort to the figures and tables of a paper, no code.

Steps: Cohort -> Quality control -> Radiomics -> Habitats -> Deep features ->
Signatures -> Models -> Survival -> Export. A step opens only when the one before
it is valid; each finished step is saved to a project folder, so the wizard
resumes after a kernel restart; "Show the code" holds the exact radnb calls run
so far (runnable as they are); everything fitted is fitted on the training cohort.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from radnb.widgets._common import TRAINING_NOTE, CodeLog, MessageArea, table_html
from radnb.widgets._wizard_state import HEADER, ProjectState, study_code

__all__ = ["STEPS", "StudyWizard"]

STEPS = (
    "Cohort", "Quality control", "Radiomics", "Habitats", "Deep features", "Signatures",
    "Models", "Survival", "Export",
)  # fmt: skip
DEFAULT_STEPS = "variance, corr, lasso"
BLOCK_STEPS = {"rad": ("Radiomics", "radiomics_skip"), "hab": ("Habitats", "habitats_skip"),
               "dl": ("Deep features", "deep_skip")}  # fmt: skip
# what each step keeps: its keys in the saved state, its feature blocks, its code step
KEEPS = {
    "Cohort": (("cohort",), (), "cohort"),
    "Quality control": (("qc",), (), "quality control"),
    "Radiomics": (("radiomics",), ("rad",), "radiomics"),
    "Habitats": (("habitats", "habitats_skip"), ("hab",), "habitats"),
    "Deep features": (("deep features", "deep_skip"), ("dl",), "deep features"),
    "Signatures": (("signatures",), (), None),
    "Models": (("models",), (), "study"),
    "Survival": ((), (), None),
    "Export": ((), (), None),
}


def _steps(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


class StudyWizard(W.VBox):
    """A whole study in tabs, saved to ``project`` as it goes.

    Parameters
    ----------
    project : folder for the saved state, feature blocks and exports.
    cohort : a :class:`radnb.Cohort`; without one the Cohort step simulates one
        (``datasets.simulate``, labelled SIMULATED).
    simulate : default arguments of the simulation (``study``, ``n``,
        ``random_state``, ``shape``).
    train : the training split value.
    habitat_kws, deep_kws : options of the habitat model / deep panel defaults.
    viewer_backend : backend of the Viewer that patient clicks open.
    """

    def __init__(
        self,
        project: str | Path,
        *,
        cohort=None,
        simulate: dict | None = None,
        train: Any = "train",
        params: Any = "pyradiomics-default",
        habitat_kws: dict | None = None,
        deep_crop: int = 64,
        random_state: int = 0,
        viewer_backend: str = "niivue",
    ) -> None:
        self.state = ProjectState(project)
        self.given_cohort, self.cohort = cohort, None
        self.train, self.random_state = train, random_state
        self.params, self.habitat_kws = params, dict(habitat_kws or {})
        self.deep_crop, self.viewer_backend = deep_crop, viewer_backend
        self.sim = {"study": "S1", "n": 60, "random_state": 0, **(simulate or {})}
        self.messages = MessageArea()
        self.code = CodeLog(HEADER)
        self.blocks: dict[str, pd.DataFrame] = {}
        self.problems: pd.DataFrame | None = None
        self.signature_specs: list[dict] = []
        self.model_specs: list[dict] = []
        self.study = None
        self.extraction = self.habitats = self.deep = self.board = self.survival = None
        self.exported: list[Path] = []
        self.reset_steps: list[str] = []  # the steps the last re-done step reset
        self._resuming = False
        self.pages = [W.VBox() for _ in STEPS]
        self.tabs = W.Tab(self.pages, titles=STEPS)
        self.tabs.observe(self._on_tab, "selected_index")
        self.back = W.Button(description="Back", icon="arrow-left")
        self.next = W.Button(description="Next", icon="arrow-right", button_style="info")
        self.back.on_click(lambda _: self.go(self.tabs.selected_index - 1))
        self.next.on_click(lambda _: self.go(self.tabs.selected_index + 1))
        self.status = W.HTML()
        self._build_cohort_page()
        super().__init__(
            [
                W.HTML(f"<b>radnb study wizard</b> &mdash; project <code>{self.state.folder}"
                       f"</code>. <i>{TRAINING_NOTE}</i>"),
                self.tabs,
                W.HBox([self.back, self.next, self.status]),
                self.messages.widget,
                self.code.widget,
            ]
        )  # fmt: skip
        if self.state.resumed:
            self.resume()
        self._update_status()

    # ================================================================== gating
    def valid(self, step: str) -> bool:
        """Whether a step is finished (the next one may be entered)."""
        return {
            "Cohort": self.cohort is not None,
            "Quality control": self.state.get("qc") is not None,
            "Radiomics": "rad" in self.blocks,
            "Habitats": "hab" in self.blocks or bool(self.state.get("habitats_skip")),
            "Deep features": "dl" in self.blocks or bool(self.state.get("deep_skip")),
            "Signatures": bool(self.signature_specs),
            "Models": self.study is not None,
            "Survival": self.study is not None,
            "Export": bool(self.exported),
        }[step]

    @property
    def allowed(self) -> int:
        """Index of the furthest step that may be entered."""
        for i, s in enumerate(STEPS):
            if not self.valid(s):
                return i
        return len(STEPS) - 1

    def go(self, index: int) -> bool:
        """Enter step ``index`` if every step before it is valid."""
        index = max(0, min(index, len(STEPS) - 1))
        self.tabs.selected_index = index
        return self.tabs.selected_index == index

    def _on_tab(self, change) -> None:
        new = change["new"]
        if new is not None and new > self.allowed:
            blocked = STEPS[self.allowed]
            self.messages.show(f"finish the step '{blocked}' first", "warning")
            self.tabs.selected_index = self.allowed
            return
        self._update_status()

    def _update_status(self) -> None:
        marks = " ".join(f"{'&#10003;' if self.valid(s) else '&#9675;'} {s}" for s in STEPS[:-1])
        reset = f" &mdash; <b>reset: {', '.join(self.reset_steps)}</b>" if self.reset_steps else ""
        self.status.value = f"<small>{marks}{reset}</small>"

    def _done(self, step: str) -> None:
        self._update_status()
        self.messages.show(f"{step}: done", "ok")

    def invalidate_after(self, step: str) -> list[str]:
        """Reset every step after ``step``: in memory, in the project folder, on screen.

        Called when a finished step is re-done (its results change what every later
        step computed). Returns the names of the later steps that held something.
        """
        later = STEPS[STEPS.index(step) + 1 :]
        reset = [s for s in later if self._holds(s)]
        for s in later:
            keys, blocks, code_step = KEEPS[s]
            self.state.drop(*keys)
            for b in blocks:
                self.blocks.pop(b, None)
                self.state.drop_block(b)
            if code_step is not None:
                self.code.steps.pop(code_step, None)
        self.code.text.value = self.code.code
        if "Quality control" in later:
            self.problems = None
            self._build_qc_page()
        if "Radiomics" in later:  # the feature panels belong to the old cohort
            for i in (2, 3, 4):
                self.pages[i].children = [W.HTML(f"<i>Redo '{STEPS[1]}' first.</i>")]
            self.extraction = self.habitats = self.deep = None
        if "Signatures" in later:
            self.signature_specs = []
            if hasattr(self, "sig_rows"):
                self.sig_rows = {b: r for b, r in self.sig_rows.items() if b in self.blocks}
                self._refresh_signature_page()
                self.sig_html.value = ""
        if "Models" in later:
            self.study, self.model_specs, self.board = None, [], None
            self.pages[6].children = [W.HTML("<i>Define the signatures first.</i>")]
        if "Survival" in later:
            self.survival = None
            self.pages[7].children = [W.HTML("<i>Fit the models first.</i>")]
        if "Export" in later:
            self.exported = []
            self.pages[8].children = [W.HTML("<i>Fit the models first.</i>")]
        self.reset_steps = reset
        self._update_status()
        if reset:
            self.messages.show(
                f"{step} re-done: reset {', '.join(reset)} (their results came from the "
                "earlier state; redo them)",
                "warning",
            )
        return reset

    def _holds(self, step: str) -> bool:
        keys, blocks, _ = KEEPS[step]
        return (
            any(self.state.get(k) is not None for k in keys)
            or any(b in self.blocks for b in blocks)
            or (step == "Models" and self.study is not None)
            or (step == "Survival" and self.survival is not None)
            or (step == "Export" and bool(self.exported))
        )

    def _redone(self, step: str, was_valid: bool) -> None:
        """Invalidate the later steps when a finished step was just re-done."""
        if was_valid and not self._resuming:
            self.invalidate_after(step)

    # ================================================================== 1 cohort
    def _build_cohort_page(self) -> None:
        self.design = W.Dropdown(options=["S1", "S2", "S3", "S4", "S5"],
                                 value=self.sim["study"], description="Design")  # fmt: skip
        self.n = W.BoundedIntText(value=self.sim["n"], min=10, max=2000, description="Patients")
        self.seed = W.IntText(value=self.sim["random_state"], description="Seed")
        self.load_button = W.Button(description="Use this cohort" if self.given_cohort is not None
                                    else "Simulate", button_style="primary")  # fmt: skip
        self.load_button.on_click(lambda _: self.load_cohort())
        self.cohort_html = W.HTML()
        controls = [] if self.given_cohort is not None else [self.design, self.n, self.seed]
        self.pages[0].children = [*controls, self.load_button, self.cohort_html]

    def load_cohort(self) -> Any:
        """Step 1: the cohort (the one passed in, or ``datasets.simulate``)."""
        was_valid = self.valid("Cohort")
        with self.messages.catching("cohort"):
            if self.given_cohort is not None:
                self.cohort = self.given_cohort
                code = "cohort = ...  # the Cohort passed to the wizard"
                saved = {"source": "given"}
            else:
                from radnb import datasets

                kw = {k: v for k, v in self.sim.items() if k not in ("study", "n", "random_state")}
                args = {"study": self.design.value, "n": int(self.n.value),
                        "random_state": int(self.seed.value), **kw}  # fmt: skip
                self.cohort = datasets.simulate(**args)
                extra = "".join(f", {k}={v!r}" for k, v in kw.items())
                code = (f"cohort = datasets.simulate({args['study']!r}, n={args['n']}, "
                        f"random_state={args['random_state']}{extra})  # SIMULATED")  # fmt: skip
                saved = {"source": "simulate", **args}
            self._redone("Cohort", was_valid)
            self.state.set("cohort", {**saved, "code": code})
            self.code.add("cohort", code)
            self._show_cohort()
            self._build_qc_page()
            self._done("Cohort")
            return self.cohort
        return None

    def _show_cohort(self) -> None:
        c = self.cohort
        sim = "<b style='color:#990000'>SIMULATED DATA</b> &mdash; " if c.simulated else ""
        counts = c.splits.value_counts().to_dict() if c.splits is not None else {}
        self.cohort_html.value = (
            f"{sim}{len(c.patient_ids)} patients, sequences {c.sequences}, splits {counts}, "
            f"outcomes {list(c.outcomes)}, survival {list(c.survival)}"
        )

    # ================================================================== 2 QC
    def _build_qc_page(self) -> None:
        self.qc_button = W.Button(description="Validate the cohort", button_style="primary")
        self.qc_button.on_click(lambda _: self.run_qc())
        self.exclude = W.Checkbox(description="Exclude the patients with errors (explicitly)")
        self.exclude_button = W.Button(description="Accept")
        self.exclude_button.on_click(lambda _: self.accept_qc(self.exclude.value))
        self.qc_html = W.HTML()
        self.pages[1].children = [self.qc_button, self.qc_html, self.exclude, self.exclude_button]

    def run_qc(self) -> pd.DataFrame | None:
        """Step 2: ``cohort.validate()``; accepted at once when there is no error."""
        with self.messages.catching("quality control"):
            self.problems = self.cohort.validate()
            self.code.add("quality control", "problems = cohort.validate()")
            errors = self.problems[self.problems["severity"] == "error"]
            self.qc_html.value = (
                f"{len(self.problems)} problem(s), {errors['patient_id'].nunique()} patient(s) "
                "with errors" + table_html(self.problems)
            )
            if errors.empty:
                self.accept_qc(False)
            else:
                self.messages.show(
                    "patients with errors: exclude them (tick and Accept) or fix their files",
                    "warning",
                )
            return self.problems
        return None

    def accept_qc(self, exclude: bool) -> bool:
        """Accept the QC result; with errors, only by excluding those patients."""
        errors = self.problems[self.problems["severity"] == "error"]
        bad = sorted(errors["patient_id"].dropna().unique())
        if bad and not exclude:
            self.messages.show(f"{len(bad)} patient(s) with errors: tick 'Exclude'", "warning")
            return False
        self._redone("Quality control", self.valid("Quality control"))
        if bad:
            keep = [p for p in self.cohort.patient_ids if p not in bad]
            self.cohort = self.cohort.subset(keep)
            self.code.add(
                "quality control",
                f"problems = cohort.validate()\ncohort = cohort.subset({keep!r})  # excludes {bad}",
            )
        self.state.set("qc", {"excluded": bad, "code": self.code.steps["quality control"]})
        self._build_feature_pages()
        self._done("Quality control")
        return True

    # ================================================================== 3-5 features
    def _build_feature_pages(self, settings: dict | None = None) -> None:
        from radnb.widgets.deep import DeepPanel
        from radnb.widgets.extraction import ExtractionPanel
        from radnb.widgets.habitat import HabitatExplorer

        settings = settings or {}
        outcome = self.cohort.outcomes[0] if self.cohort.outcomes else None
        self.extraction = ExtractionPanel(
            self.cohort, params=settings.get("params", self.params), code=self.code
        )
        self.habitats = HabitatExplorer(
            self.cohort, train=self.train, outcome=outcome, model_kws=self.habitat_kws,
            code=self.code,
        )  # fmt: skip
        self.habitats.viewer_backend = self.viewer_backend
        self.deep = DeepPanel(self.cohort, outcome=outcome, train=self.train, code=self.code,
                              random_state=self.random_state)  # fmt: skip
        self.deep.size.value = self.deep_crop
        self.skip_habitats = W.Button(description="Skip habitats")
        self.skip_habitats.on_click(lambda _: self.skip("habitats"))
        self.skip_deep = W.Button(description="Skip deep features")
        self.skip_deep.on_click(lambda _: self.skip("deep"))
        self.extraction.on_done = lambda r: self._set_block("rad", r.features, "radiomics")
        self.habitats.on_done = lambda r: self._set_block("hab", r[2], "habitats")
        self.deep.on_done = lambda f: self._set_block("dl", f, "deep features")
        self.pages[2].children = [self.extraction]
        self.pages[3].children = [self.skip_habitats, self.habitats]
        self.pages[4].children = [self.skip_deep, self.deep]
        self._build_signature_page()

    def _set_block(self, name: str, df: pd.DataFrame, step: str) -> None:
        title, skip_key = BLOCK_STEPS[name]
        self._redone(title, name in self.blocks or bool(self.state.get(skip_key)))
        self.state.drop(skip_key)
        self.blocks[name] = df
        self.state.save_block(name, df)
        self.state.set(step, {"code": self.code.steps.get(step, "")})
        self._refresh_signature_page()
        self._done(step)

    def run_radiomics(self, *, background: bool = False) -> None:
        """Step 3: radiomics over the cohort (background: with progress and Cancel)."""
        self.extraction.run(background=background)

    def run_habitats(self) -> None:
        """Step 4: habitats fitted on the training split, their feature block."""
        self.habitats.fit()

    def run_deep(self, *, background: bool = False) -> None:
        """Step 5: deep features of each tumour crop."""
        self.deep.run(background=background)

    def skip(self, step: str) -> None:
        """Skip the habitat or deep step (said in the code)."""
        name = "Habitats" if step == "habitats" else "Deep features"
        block = "hab" if step == "habitats" else "dl"
        self._redone(name, self.valid(name))
        self.blocks.pop(block, None)
        self.state.drop_block(block)
        self.state.set(f"{step}_skip", True)
        self.code.add("habitats" if step == "habitats" else "deep features", f"# {step}: skipped")
        self._refresh_signature_page()
        self._done(step)

    def wait(self) -> None:
        """Wait for every background run (scripts, tests)."""
        for panel in (self.extraction, self.habitats, self.deep):
            if panel is not None:
                panel.runner.wait()

    # ================================================================== 6 signatures
    def _build_signature_page(self) -> None:
        outcomes = list(self.cohort.outcomes)
        self.outcome = W.Dropdown(options=outcomes, description="Outcome")
        self.sig_rows: dict[str, tuple] = {}
        self.sig_box = W.VBox()
        self.define_button = W.Button(description="Define signatures", button_style="primary")
        self.define_button.on_click(lambda _: self.define_signatures())
        self.sig_html = W.HTML()
        self.pages[5].children = [
            self.outcome, W.HTML("One signature (a linear score) per feature block; selection "
                                 "steps run on the training cohort only."),
            self.sig_box, self.define_button, self.sig_html,
        ]  # fmt: skip
        self._refresh_signature_page()

    def _refresh_signature_page(self) -> None:
        names = {"rad": "Rad score", "hab": "Habitat score", "dl": "DL score"}
        for b in self.blocks:
            if b not in self.sig_rows:
                use = W.Checkbox(value=True, description=names[b])
                steps = W.Text(value=DEFAULT_STEPS, description="steps")
                rule = W.Dropdown(options=["min", "1se"], value="min", description="LASSO λ")
                self.sig_rows[b] = (use, steps, rule)
        self.sig_box.children = [W.HBox(list(r)) for r in self.sig_rows.values()]

    def define_signatures(self) -> list[dict]:
        """Step 6: the signatures (name, block, selection steps, LASSO rule)."""
        with self.messages.catching("signatures"):
            if not self.outcome.value:
                raise ValueError("the cohort declares no binary outcome to model")
            specs = [
                {"name": use.description, "block": b, "steps": _steps(steps.value),
                 "lasso_rule": rule.value}
                for b, (use, steps, rule) in self.sig_rows.items() if use.value
            ]  # fmt: skip
            if not specs:
                raise ValueError("choose at least one signature")
            self._redone("Signatures", self.valid("Signatures"))
            self.signature_specs = specs
            self.state.set("signatures", {"outcome": self.outcome.value, "specs": specs})
            self.sig_html.value = "<br>".join(f"{s['name']}: {s['block']} -> {s['steps']}"
                                              for s in specs)  # fmt: skip
            self._build_model_page()
            self._done("Signatures")
            return specs
        return []

    # ================================================================== 7 models
    def clinical_candidates(self) -> list[str]:
        c = self.cohort
        skip = {c.split_column, *c.outcomes, *(x for pair in c.survival for x in pair)}
        out = []
        for col in c.clinical.columns:
            s = c.clinical[col]
            if col in skip or s.nunique(dropna=True) < 2:
                continue
            if s.dtype == object and s.nunique() > 10:  # IDs, file paths
                continue
            out.append(col)
        return out

    def _build_model_page(self) -> None:
        sigs = [s["name"] for s in self.signature_specs]
        self.clinical = W.SelectMultiple(options=self.clinical_candidates(),
                                         value=tuple(self.clinical_candidates()),
                                         description="Clinical", rows=6)  # fmt: skip
        self.model_clinical = W.Checkbox(value=True, description="Clinical model (auto)")
        self.model_each = W.Checkbox(value=True, description="Each signature alone")
        self.model_combined = W.Checkbox(value=True, description="Combined: signatures + clinical")
        self.fit_button = W.Button(description="Fit on training", button_style="primary")
        self.fit_button.on_click(lambda _: self.fit_models())
        self.board_box = W.VBox()
        self.pages[6].children = [
            W.HTML(f"Signatures: {sigs}. <i>{TRAINING_NOTE}</i>"),
            W.HBox([self.clinical, W.VBox([self.model_clinical, self.model_each,
                                           self.model_combined, self.fit_button])]),
            self.board_box,
        ]  # fmt: skip

    def model_definitions(self) -> list[dict]:
        sigs = [s["name"] for s in self.signature_specs]
        out = []
        if self.model_clinical.value:
            out.append({"name": "Clinical", "inputs": [], "clinical": "auto"})
        if self.model_each.value:
            out += [{"name": s.replace(" score", ""), "inputs": [s], "clinical": None}
                    for s in sigs]  # fmt: skip
        if self.model_combined.value:
            out.append({"name": "Combined", "inputs": sigs, "clinical": "auto"})
        return out

    def fit_models(self, models: list[dict] | None = None) -> Any:
        """Step 7: build the Study with the calls shown in the code, fit on training."""
        import radnb as rn

        with self.messages.catching("models"):
            specs = models if models is not None else self.model_definitions()
            if not specs:
                raise ValueError("choose at least one model")
            outcome = self.state.get("signatures")["outcome"]
            clinical = list(self.clinical.value)
            blocks = [b for b in ("rad", "hab", "dl") if b in self.blocks]
            study = rn.Study(self.cohort, outcome=outcome, train=self.train, clinical=clinical,
                             random_state=self.random_state)  # fmt: skip
            for b in blocks:
                study.add_block(b, self.blocks[b])
            for s in self.signature_specs:
                study.signature(s["name"], s["block"], steps=s["steps"],
                                lasso={"rule": s["lasso_rule"]}, on_empty="absent")  # fmt: skip
            for m in specs:
                study.model(m["name"], m["inputs"] or None, clinical=m["clinical"])
            study.fit()
            self._redone("Models", self.valid("Models"))
            self.study, self.model_specs = study, specs
            code = study_code(outcome, self.train, clinical, blocks, self.signature_specs,
                              specs, self.random_state)  # fmt: skip
            self.code.add("study", code)
            self.state.set("models", {"specs": specs, "clinical": clinical})
            self._show_board()
            self._build_survival_page()
            self._build_export_page()
            self._done("Models")
            return study
        return None

    def _show_board(self) -> None:
        from radnb.widgets.models import ModelBoard

        notes = self.study.notes()
        self.board = ModelBoard(self.study, folder=self.state.folder / "export",
                                cohort_data=self.cohort)  # fmt: skip
        self.board.viewer_backend = self.viewer_backend
        extra = W.HTML("<br>".join(notes)) if notes else W.HTML()
        self.board_box.children = [extra, self.board]

    # ================================================================== 8 survival
    def _build_survival_page(self) -> None:
        from radnb.widgets.survival import SurvivalExplorer

        if not self.cohort.survival:
            self.survival = None
            self.pages[7].children = [W.HTML("<i>This cohort has no survival endpoint.</i>")]
            return
        self.survival = SurvivalExplorer.from_study(
            self.study, self.cohort, folder=self.state.folder / "export"
        )
        self.survival.viewer_backend = self.viewer_backend
        self.pages[7].children = [self.survival]

    # ================================================================== 9 export
    def _build_export_page(self) -> None:
        self.export_button = W.Button(description="Export figures, tables and code",
                                      button_style="primary", icon="download")  # fmt: skip
        self.export_button.on_click(lambda _: self.export_all())
        self.export_html = W.HTML()
        self.pages[8].children = [self.export_button, self.export_html]

    def export_all(self) -> list[Path]:
        """Step 9: every figure (PNG + SVG, 300 dpi), table (CSV, Excel, LaTeX) and the code."""
        with self.messages.catching("export"):
            folder = self.state.folder / "export"
            paths = self.board.export.export_figures() + self.board.export.export_tables()
            if self.survival is not None:
                paths += self.survival.export.export_figures()
                paths += self.survival.export.export_tables()
            script = folder / "study_code.py"
            script.write_text(self.code.code + "\n", encoding="utf-8")
            self.exported = [*paths, script]
            self.export_html.value = "<br>".join(str(p) for p in self.exported)
            self._done("Export")
            return self.exported
        return []

    # ================================================================== run / resume
    def run_all(self) -> Any:
        """Every step with its defaults, in order (headless runs, workshops' catch-up)."""
        steps = [
            self.load_cohort,
            self.run_qc,
            lambda: None if self.valid("Quality control") else self.accept_qc(True),
            self.run_radiomics,
            self.run_habitats,
            self.run_deep,
            self.define_signatures,
            self.fit_models,
            self.export_all,
        ]
        for step in steps:
            step()
            if self.messages.errors:
                break
        return self.study

    def resume(self) -> None:
        """Rebuild every saved step from the project folder (after a kernel restart)."""
        try:
            self._resume()
        finally:
            self._resuming = False

    def _resume(self) -> None:
        st = self.state
        with self.messages.catching("resume"):
            c = st.get("cohort")
            if c is None:
                return
            if c["source"] == "simulate":
                self.design.value, self.n.value = c["study"], c["n"]
                self.seed.value = c["random_state"]
                extra = {k: v for k, v in c.items()
                         if k not in ("source", "study", "n", "random_state", "code")}  # fmt: skip
                self.sim.update({k: tuple(v) if isinstance(v, list) else v
                                 for k, v in extra.items()})  # fmt: skip
            elif self.given_cohort is None:
                raise ValueError("this project used a Cohort passed in: pass cohort= again")
            saved = dict(st.data)
            self._resuming = True
            self.load_cohort()
            qc = saved.get("qc")
            if qc is None:
                return
            self.problems = self.cohort.validate()
            self.code.add("quality control", "problems = cohort.validate()")
            self.accept_qc(bool(qc["excluded"]))
            for name, step in (("rad", "radiomics"), ("hab", "habitats"), ("dl", "deep features")):
                df = st.load_block(name)
                if df is not None:
                    self.code.add(step, saved.get(step, {}).get("code", ""))
                    self._set_block(name, df, step)
            for step in ("habitats", "deep"):
                if saved.get(f"{step}_skip"):
                    self.skip(step)
            sig = saved.get("signatures")
            if sig is None:
                return
            self.outcome.value = sig["outcome"]
            for b, (use, steps, rule) in self.sig_rows.items():
                spec = next((s for s in sig["specs"] if s["block"] == b), None)
                use.value = spec is not None
                if spec:
                    steps.value, rule.value = ", ".join(spec["steps"]), spec["lasso_rule"]
            self.define_signatures()
            models = saved.get("models")
            if models is not None:
                self.clinical.value = tuple(models["clinical"])
                self.fit_models(models["specs"])
            self.messages.show(f"resumed from {st.path}", "ok")
            self.go(self.allowed)
