"""StudyWizard: gating, every step, exact code, resume after a restart (headless)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _widgets_data import SMALL_PARAMS, small_cohort

import radnb as rn
from radnb.widgets.wizard import STEPS, StudyWizard

SIM = {"study": "S1", "n": 40, "random_state": 0, "shape": (24, 48, 48)}
KW = {"params": SMALL_PARAMS, "habitat_kws": {"n_supervoxels": 20, "n_init": 2}, "deep_crop": 32}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return tmp_path_factory.mktemp("wizard")


@pytest.fixture(scope="module")
def wizard(project):
    wz = StudyWizard(project, simulate=SIM, **KW)
    assert not wz.go(3) and wz.tabs.selected_index == 0  # gated: no cohort yet
    assert "first" in wz.messages.messages[-1][1]
    wz.run_all()
    assert wz.messages.errors == []
    return wz


def test_every_step_is_valid_and_exported(wizard, project):
    assert all(wizard.valid(s) for s in STEPS)
    assert wizard.go(len(STEPS) - 1)
    names = {p.name for p in wizard.exported}
    assert {"roc.png", "roc.svg", "results.csv", "results.xlsx", "results.tex",
            "km.png", "study_code.py"} <= names  # fmt: skip
    assert all(p.exists() and p.stat().st_size > 0 for p in wizard.exported)
    assert set(wizard.blocks) == {"rad", "hab", "dl"}
    assert "SIMULATED" in wizard.cohort_html.value
    assert "training cohort only" in wizard.children[0].value


def test_the_code_reproduces_the_study(wizard):
    """The 'show the code' text, run as it is, gives the same scores and AUCs."""
    ns: dict = {}
    exec(compile(wizard.code.code, "wizard_code", "exec"), ns)  # noqa: S102 - the point
    study = ns["study"]
    pd.testing.assert_frame_equal(study.scores(), wizard.study.scores(), rtol=1e-6)
    a, b = study.results(), wizard.study.results()
    np.testing.assert_allclose(a["auc"], b["auc"], rtol=1e-9)
    assert "fit(cohort, train='train')" in wizard.code.code


def test_resume_after_a_restart(wizard, project):
    again = StudyWizard(project, simulate=SIM, **KW)
    assert again.messages.errors == [], again.messages.errors
    assert again.study is not None
    pd.testing.assert_frame_equal(again.study.scores(), wizard.study.scores())
    assert again.code.code == wizard.code.code
    assert again.tabs.selected_index >= STEPS.index("Survival")


def test_qc_errors_must_be_excluded_explicitly(tmp_path):
    c = small_cohort()
    table = c.clinical.assign(ct=c.image_paths["CT"], mask=c.mask_paths.iloc[:, 0])
    table = table.iloc[:12].copy()
    bad = table.index[0]
    table.loc[bad, "ct"] = str(tmp_path / "gone.nii.gz")
    cohort = rn.Cohort.from_table(table.reset_index(), images={"CT": "ct"}, mask="mask",
                                  outcomes=["her2"])  # fmt: skip
    wz = StudyWizard(tmp_path / "p", cohort=cohort, **KW)
    wz.load_cohort()
    wz.run_qc()
    assert not wz.valid("Quality control") and not wz.go(2)
    assert not wz.accept_qc(False)
    assert wz.accept_qc(True)
    assert bad not in wz.cohort.patient_ids and len(wz.cohort.patient_ids) == 11
    assert f"excludes ['{bad}']" in wz.code.code
    assert wz.go(2)


def test_redoing_a_step_resets_the_later_ones(wizard, project):
    """Runs after the resume test: it changes the saved project."""
    from radnb.widgets._wizard_state import ProjectState

    wizard.reset_steps = []
    wizard.define_signatures()  # re-done: the models, survival and export are stale
    assert wizard.reset_steps == ["Models", "Survival", "Export"]
    assert wizard.study is None and wizard.exported == [] and wizard.survival is None
    assert wizard.allowed == STEPS.index("Models") and not wizard.go(STEPS.index("Survival"))
    assert any("reset Models, Survival, Export" in t for _, t in wizard.messages.messages)
    assert "reset: Models" in wizard.status.value
    assert "study" not in wizard.code.steps
    assert ProjectState(project).get("models") is None
    assert ProjectState(project).get("signatures") is not None

    wizard._set_block("rad", wizard.blocks["rad"], "radiomics")  # radiomics re-done
    assert wizard.reset_steps == ["Habitats", "Deep features", "Signatures"]
    assert set(wizard.blocks) == {"rad"} and wizard.signature_specs == []
    assert not (project / "block_hab.parquet").exists()
    assert (project / "block_rad.parquet").exists()
    saved = ProjectState(project)
    assert saved.get("signatures") is None and saved.get("habitats") is None
    assert list(wizard.sig_rows) == ["rad"]
    assert wizard.allowed == STEPS.index("Habitats")
    assert "habitats" not in wizard.code.steps and "radiomics" in wizard.code.steps

    wizard.load_cohort()  # the cohort re-done: everything after it goes
    assert wizard.reset_steps == ["Quality control", "Radiomics"]
    assert wizard.blocks == {} and wizard.allowed == STEPS.index("Quality control")
    assert set(ProjectState(project).data) == {"cohort"}
    assert list(wizard.code.steps) == ["cohort"]
    again = StudyWizard(project, simulate=SIM, **KW)  # resumes only the cohort
    assert again.allowed == STEPS.index("Quality control") and again.messages.errors == []
