"""The Viewer and the CohortBrowser in JupyterLab, in a real (headless) Chromium, offline.

One notebook builds a SIMULATED cohort, a CohortBrowser and a Viewer (plus the real
sarcoma PET/MR cohort); all cells run through JupyterLab's Run menu, then the tests
click like a user and check what the page and the kernel show.
"""

from __future__ import annotations

import pytest
from lab_harness import canvas_stats

HABITAT_NAMES = '{1: "H1 low", 2: "H2 mid", 3: "H3 high"}'  # habitat 1: lowest intensity

CELLS = [
    (
        "md",
        "# Browser test notebook\n\n**SIMULATED DATA** (radnb.datasets), then the real STS "
        "PET/MR cohort.",
    ),
    (
        "code",
        f"""
import ipywidgets as w
from radnb import datasets
from radnb.features.habitat import HabitatModel
from radnb.widgets import CohortBrowser, Viewer

from radnb.cohort import Cohort

cohort = datasets.simulate("S2", n=8, shape=(24, 48, 48))
images = cohort.image_paths  # one patient's T1WI goes missing: the browser must say so
images.loc[cohort.patient_ids[3], "T1WI"] = "/nonexistent/missing_T1WI.nii.gz"
cohort = Cohort(cohort.clinical, images, cohort.mask_paths, split=cohort.split_column,
                outcomes=cohort.outcomes, simulated=True, name=cohort.name)
problems = cohort.validate()
habitats = HabitatModel(["T1WI", "T2WI"], n_habitats=3, design="pooled").fit(
    cohort.subset(split="train")
)
names = {HABITAT_NAMES}
print("CELL-SETUP-DONE", len(cohort))
""",
    ),
    (
        "code",
        """
viewer = Viewer(cohort, height=380, slice_type="axial")
pid = viewer.patient_id
viewer.add_habitats(habitats.transform(cohort.subset([pid]))[pid], names=names)
clicks = w.Output()
viewer.on_location(lambda loc: clicks.append_stdout(f"LABEL={loc['label']} PID={loc['patient_id']}\\n"))
display(viewer)
display(clicks)
""",
    ),
    (
        "code",
        "browser = CohortBrowser(cohort, problems=problems, viewer=viewer, page_size=4, "
        "gallery_page_size=8)\nbrowser",
    ),
    (
        "code",
        f"""
sts = datasets.load_sts_pet_mr()
sts_habitats = HabitatModel(["PET"], n_habitats=3, design="pooled").fit(
    sts.subset(sts.patient_ids[:12])
)
rviewer = Viewer(sts, "STS_003", sequence="PET", height=380, slice_type="axial")
rviewer.add_habitats(sts_habitats.transform(sts.subset(["STS_003"]))["STS_003"], names={HABITAT_NAMES})
rviewer
""",
    ),
    (
        "code",
        "rbrowser = CohortBrowser(sts, validate=False, viewer=rviewer, page_size=6, "
        "gallery_page_size=12)\nrbrowser",
    ),
    ("code", "print('CELL-LAST-DONE', viewer.patient_id, rviewer.patient_id)"),
]


@pytest.fixture(scope="module")
def nb(open_notebook):
    page = open_notebook(CELLS, "browser_demo.ipynb")
    page.run_all()
    page.output("CELL-LAST-DONE", timeout=120_000)
    return page


def _viewer(nb, index=0):
    return nb.page.locator(".radnb-viewer").nth(index)


def _canvas(nb, index=0):
    canvas = _viewer(nb, index).locator("canvas").first
    canvas.wait_for(timeout=60_000)
    return canvas


def _drawn(nb, canvas, *, min_lit=0.05, timeout_s=60):
    """Canvas pixels once NiiVue has drawn something (non-blank, many colours)."""
    stats = None
    for _ in range(int(timeout_s / 0.5)):
        stats = canvas_stats(canvas.screenshot())
        if stats["lit"] > min_lit and stats["colours"] > 20:
            return stats["array"]
        nb.page.wait_for_timeout(500)
    shot = nb.screenshot("blank_canvas_page")
    raise AssertionError(
        f"the NiiVue canvas stayed blank (lit fraction {stats and stats['lit']}); see {shot}; "
        "browser console:\n" + "\n".join(nb.console[-60:])
    )


def _changed(nb, canvas, before, *, timeout_s=30, fraction=0.002):
    """The canvas once it shows a drawn image that differs from ``before`` (a blank
    "loading ..." frame in between does not count)."""
    for _ in range(int(timeout_s / 0.25)):
        nb.page.wait_for_timeout(250)
        stats = canvas_stats(canvas.screenshot())
        after = stats["array"]
        drawn = stats["lit"] > 0.05 and stats["colours"] > 20
        if drawn and after.shape == before.shape:
            if (abs(after - before).sum(axis=2) > 30).mean() > fraction:
                return after
    return None


def _habitat_pixels(arr):
    """Pixels in one of radnb's first three habitat colours (#0072B2, #D55E00, #009E73),
    blended with the grey image underneath: strongly coloured, not grey."""
    r, g, b = arr[..., 0], arr[..., 1], arr[..., 2]
    chroma = arr.max(axis=2) - arr.min(axis=2)
    return ((chroma > 60) & ~((r > 200) & (g < 60) & (b < 60))).mean()  # not the red crosshair


def test_notebook_ran_without_tracebacks(nb, offline):
    nb.output("CELL-SETUP-DONE")
    assert not nb.page.locator(".jp-OutputArea-output[data-mime-type*='error']").count()
    assert not nb.page.locator(
        ".jp-RenderedText[data-mime-type*='stderr']:has-text('Traceback')"
    ).count()
    offline.check()


def test_niivue_canvas_is_drawn_with_mask_and_habitats(nb):
    arr = _drawn(nb, _canvas(nb))
    assert _habitat_pixels(arr) > 0.002, "no habitat colour on the canvas"
    nb.screenshot("sim_viewer_canvas", _viewer(nb))


def test_opacity_control_changes_the_canvas(nb):
    canvas = _canvas(nb)
    before = _drawn(nb, canvas)
    viewer = _viewer(nb)
    viewer.locator(".widget-dropdown select").nth(2).select_option("habitats")
    nb.page.wait_for_timeout(500)
    handle = viewer.locator(".widget-slider .noUi-handle").first
    box = handle.bounding_box()
    y = box["y"] + box["height"] / 2
    nb.page.mouse.move(box["x"] + box["width"] / 2, y)
    nb.page.mouse.down()
    nb.page.mouse.move(box["x"] - 400, y, steps=5)
    nb.page.mouse.up()
    after = _changed(nb, canvas, before)
    assert after is not None, "moving the opacity slider did not change the canvas"
    assert _habitat_pixels(after) < _habitat_pixels(before)


def test_slice_type_control_changes_the_canvas(nb):
    canvas = _canvas(nb)
    before = _drawn(nb, canvas)
    _viewer(nb).locator(".widget-toggle-button", has_text="coronal").click()
    assert _changed(nb, canvas, before) is not None, "the coronal button did not redraw"
    _viewer(nb).locator(".widget-toggle-button", has_text="axial").click()
    nb.page.wait_for_timeout(1000)


def test_crosshair_click_reaches_python(nb):
    canvas = _canvas(nb)
    _drawn(nb, canvas)
    box = canvas.bounding_box()
    # axial view of a copy cropped around the tumour: the canvas centre is in the tumour
    nb.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    out = nb.output("LABEL=H", timeout=20_000)
    assert "PID=" in out.inner_text()
    assert "H" in _viewer(nb).locator(".radnb-readout").inner_text()


def test_browser_table_row_click_changes_the_viewer_patient(nb):
    browser = nb.page.locator(".radnb-browser").first
    browser.locator(".radnb-row").first.wait_for()
    nb.screenshot("sim_browser_table", browser)
    target = browser.locator(".radnb-row").nth(2)
    pid = target.inner_text().strip()
    canvas = _canvas(nb)
    before = _drawn(nb, canvas)
    target.click()
    _viewer(nb).locator(".radnb-viewer-header", has_text=pid).wait_for(timeout=20_000)
    nb.output(f"PID={pid}")
    assert _changed(nb, canvas, before) is not None, "the canvas did not show the new patient"
    nb.screenshot("sim_viewer_after_row_click", _viewer(nb))


def test_broken_patient_shows_its_problem_not_a_traceback(nb):
    browser = nb.page.locator(".radnb-browser").first
    browser.locator(".widget-dropdown select").nth(2).select_option("error")
    row = browser.locator(".radnb-row")
    for _ in range(60):
        if row.count() == 1:
            break
        nb.page.wait_for_timeout(250)
    assert browser.locator(".radnb-status.radnb-error").count() == 1
    assert "missing_file" in browser.inner_text()
    nb.screenshot("sim_browser_errors", browser)
    pid = row.first.inner_text().strip()
    row.first.click()
    viewer = _viewer(nb)
    viewer.locator(".radnb-message.radnb-error", has_text="missing_T1WI").first.wait_for()
    assert pid in viewer.locator(".radnb-viewer-header").inner_text()
    assert not nb.page.locator(".jp-OutputArea-output", has_text="Traceback").count()
    nb.screenshot("sim_viewer_broken_patient", viewer)
    browser.locator(".widget-dropdown select").nth(2).select_option("(all)")


def test_qa_gallery_thumbnails(nb):
    browser = nb.page.locator(".radnb-browser").first
    browser.locator(".lm-TabBar-tab", has_text="QA gallery").click()
    thumbs = browser.locator(".radnb-thumb img")
    thumbs.nth(7).wait_for(timeout=30_000)
    assert thumbs.count() == 8
    nb.page.wait_for_function(
        "() => [...document.querySelectorAll('.radnb-browser .radnb-thumb img')]"
        ".slice(0, 8).every(i => i.complete && i.naturalWidth > 0)"
    )
    nb.screenshot("sim_qa_gallery", browser)
    button = browser.locator(".radnb-thumb button").nth(5)
    pid = button.inner_text().strip()
    button.click()
    _viewer(nb).locator(".radnb-viewer-header", has_text=pid).wait_for(timeout=20_000)


def test_real_sarcoma_viewer_and_gallery(nb):
    canvas = _canvas(nb, 1)
    arr = _drawn(nb, canvas)
    assert _habitat_pixels(arr) > 0.002, "no habitat colour on the real PET canvas"
    nb.screenshot("sts_pet_viewer_canvas", _viewer(nb, 1))
    _viewer(nb, 1).locator(".widget-dropdown select").first.select_option("MR_T1")
    _viewer(nb, 1).locator(".radnb-viewer-header", has_text="MR_T1").wait_for(timeout=30_000)
    mr = _changed(nb, canvas, arr)
    assert mr is not None, "switching PET -> MR did not redraw the canvas"
    assert _habitat_pixels(mr) > 0.002, "the habitat overlay lost its colours on the MR"
    nb.screenshot("sts_mr_viewer_canvas", _viewer(nb, 1))
    browser = nb.page.locator(".radnb-browser").nth(1)
    nb.screenshot("sts_browser_table", browser)
    browser.locator(".lm-TabBar-tab", has_text="QA gallery").click()
    browser.locator(".radnb-thumb img").nth(11).wait_for(timeout=30_000)
    nb.page.wait_for_timeout(500)
    nb.screenshot("sts_qa_gallery", browser)


def test_nothing_left_the_machine(nb, offline):
    offline.check()
    assert offline.allowed > 50  # the page did load through the recorder
