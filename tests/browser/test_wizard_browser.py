"""The study wizard in JupyterLab, in a real (headless) Chromium, offline.

A notebook opens a StudyWizard on a small SIMULATED S1 cohort; the test clicks through
every step like a workshop participant (tabs, buttons), moves the ModelBoard's
threshold slider and the SurvivalExplorer's cut-off, presses Export and checks the
files on disk; a screenshot of every step is saved (paths printed, none committed).
"""

from __future__ import annotations

import pytest

SIM = '{"study": "S1", "n": 40, "random_state": 0, "shape": (24, 48, 48)}'
PARAMS = (
    '{"imageType": {"Original": {}}, "featureClass": {"firstorder": [], "glcm": []}, '
    '"setting": {"binWidth": 25}}'
)

CELLS = [
    ("md", "# Wizard browser test\n\n**SIMULATED DATA** (radnb.datasets.simulate('S1'))."),
    (
        "code",
        f"""
from pathlib import Path
from radnb.widgets import StudyWizard

wizard = StudyWizard(Path("wizard_project"), simulate={SIM}, params={PARAMS},
                     habitat_kws={{"n_supervoxels": 20, "n_init": 2}}, deep_crop=32,
                     viewer_backend="slices")
wizard
""",
    ),
    ("code", "print('CELL-WIZARD-SHOWN')"),
]


@pytest.fixture(scope="module")
def nb(open_notebook):
    page = open_notebook(CELLS, "wizard_demo.ipynb")
    page.run_all()
    page.output("CELL-WIZARD-SHOWN", timeout=120_000)
    return page


def _wizard(nb):
    return nb.page.locator(".jp-OutputArea-output:has(.lm-TabBar)").first


def _tab(nb, title: str) -> None:
    _wizard(nb).locator(".lm-TabBar-tab", has_text=title).first.click()
    nb.page.wait_for_timeout(400)


def _panel(nb):
    """The visible tab page of the wizard."""
    return _wizard(nb).locator(".widget-tab-contents > .widget-box:visible").first


def _click(nb, text: str) -> None:
    _panel(nb).locator("button:visible", has_text=text).first.click()


def _wait_text(nb, text: str, timeout: float = 300_000) -> None:
    _wizard(nb).locator(f"text={text}").first.wait_for(timeout=timeout)


def _images(nb) -> list[str]:
    imgs = _panel(nb).locator("img:visible")
    return [imgs.nth(i).get_attribute("src") or "" for i in range(imgs.count())]


def _changed_images(nb, before: list[str], timeout_s: float = 30) -> bool:
    for _ in range(int(timeout_s / 0.5)):
        nb.page.wait_for_timeout(500)
        if _images(nb) != before:
            return True
    return False


def _set_slider(nb, label: str, value: str) -> None:
    readout = _panel(nb).locator(f".widget-slider:has(label:text-is('{label}')) .widget-readout")
    readout.first.click()
    nb.page.keyboard.press("Control+A")
    nb.page.keyboard.type(value)
    nb.page.keyboard.press("Enter")


def test_wizard_goes_through_every_step(nb, offline, lab_root):
    # gating: the Radiomics tab cannot be entered before the cohort exists
    _tab(nb, "Radiomics")
    _wait_text(nb, "finish the step 'Cohort' first", timeout=30_000)
    nb.screenshot("wizard_1_cohort_gated", _wizard(nb))
    _click(nb, "Simulate")
    _wait_text(nb, "SIMULATED DATA", timeout=300_000)
    _tab(nb, "Quality control")
    _click(nb, "Validate the cohort")
    _wait_text(nb, "Quality control: done")
    nb.screenshot("wizard_2_quality_control", _wizard(nb))
    _tab(nb, "Radiomics")
    _click(nb, "Preview bins")
    _click(nb, "Extract")
    _wait_text(nb, "Radiomics: done")
    nb.screenshot("wizard_3_radiomics", _wizard(nb))
    _tab(nb, "Habitats")
    _click(nb, "Fit on training")
    _wait_text(nb, "Habitats: done")
    nb.screenshot("wizard_4_habitats", _wizard(nb))
    _tab(nb, "Deep features")
    _click(nb, "Extract")
    _wait_text(nb, "Deep features: done")
    nb.screenshot("wizard_5_deep", _wizard(nb))
    _tab(nb, "Signatures")
    _click(nb, "Define signatures")
    _wait_text(nb, "Signatures: done")
    nb.screenshot("wizard_6_signatures", _wizard(nb))
    _tab(nb, "Models")
    _click(nb, "Fit on training")
    _wait_text(nb, "Models: done")
    nb.screenshot("wizard_7_models", _wizard(nb))
    assert not nb.page.locator(".jp-OutputArea-output[data-mime-type*='error']").count()
    offline.check()


def test_model_board_slider_changes_the_drawing(nb):
    _tab(nb, "Models")
    before = _images(nb)
    assert len(before) >= 4, "the ModelBoard shows ROC, calibration, DCA and nomogram"
    _set_slider(nb, "Risk threshold", "0.2")
    assert _changed_images(nb, before), "the threshold slider did not redraw the ROC/DCA"
    _wait_text(nb, "risk threshold 0.20", timeout=30_000)
    nb.screenshot("wizard_model_board_threshold", _panel(nb))


def test_survival_cutoff_changes_the_drawing(nb):
    _tab(nb, "Survival")
    _wizard(nb).locator("text=log-rank p").first.wait_for(timeout=60_000)
    before = _images(nb)
    _panel(nb).locator(".widget-dropdown:has(label:text-is('Cut-off')) select").select_option(
        "manual"
    )
    assert _changed_images(nb, before), "choosing a manual cut-off did not redraw the KM"
    before = _images(nb)
    _set_slider(nb, "Manual cut", "-0.5")
    assert _changed_images(nb, before), "the manual cut-off slider did not redraw the KM"
    nb.screenshot("wizard_8_survival", _wizard(nb))


def test_export_writes_files(nb, lab_root):
    _tab(nb, "Export")
    _click(nb, "Export figures, tables and code")
    _wait_text(nb, "Export: done", timeout=120_000)
    nb.screenshot("wizard_9_export", _wizard(nb))
    folder = lab_root / "wizard_project" / "export"
    names = {p.name for p in folder.iterdir()}
    assert {"roc.png", "roc.svg", "results.csv", "results.xlsx", "results.tex", "km.png",
            "study_code.py"} <= names, sorted(names)  # fmt: skip
