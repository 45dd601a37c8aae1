"""Headless tests of the CohortBrowser: table, filters, sorting, problems, gallery, viewer.

Controls are set as a user would (``.value``, ``.click()``); assertions are on the
rows shown, the widgets built and the Viewer they open.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from PIL import Image

from radnb import datasets
from radnb.cohort import Cohort
from radnb.widgets import CohortBrowser, Viewer
from radnb.widgets._browser_thumbs import thumbnail_png
from radnb.widgets.browser import cohort_table


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return datasets.simulate("S1", n=10, root=tmp_path_factory.mktemp("sim"), shape=(16, 32, 32))


@pytest.fixture(scope="module")
def broken(sim, tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    (folder / "corrupt.nii.gz").write_bytes(gzip.compress(b"garbage" * 50))
    images = sim.image_paths
    ids = sim.patient_ids
    images.loc[ids[3], "CT"] = str(folder / "missing.nii.gz")
    images.loc[ids[5], "CT"] = str(folder / "corrupt.nii.gz")
    return Cohort(sim.clinical, images, sim.mask_paths, split=sim.split_column,
                  outcomes=sim.outcomes, simulated=True, name="broken SIMULATED")  # fmt: skip


@pytest.fixture(scope="module")
def problems(broken):
    return broken.validate()


def test_table_has_status_and_problem_text(broken, problems):
    t = cohort_table(broken, problems)
    ids = broken.patient_ids
    assert t.loc[ids[3], "status"] == "error" and "missing_file" in t.loc[ids[3], "problems"]
    assert t.loc[ids[5], "status"] == "error" and "unreadable" in t.loc[ids[5], "problems"]
    expected = {pid: "ok" for pid in ids}  # the worst problem of each patient
    for row in problems.itertuples():
        if expected[row.patient_id] != "error":
            expected[row.patient_id] = row.severity
    assert t["status"].to_dict() == expected
    assert (t["n_errors"] > 0).sum() == 2 and "ok" in set(t["status"])
    assert broken.split_column in t.columns and broken.outcomes[0] in t.columns


def test_filters_from_the_controls(broken, problems):
    b = CohortBrowser(broken, problems=problems, page_size=4)
    c = b.controls
    c["has_problem"].value = "error"
    assert sorted(b.rows().index) == sorted([broken.patient_ids[3], broken.patient_ids[5]])
    c["has_problem"].value = "(all)"
    c["split"].value = "test"
    assert set(b.rows().index) == set(broken.subset(split="test").patient_ids)
    c["split"].value = "(all)"
    out = broken.outcomes[0]
    c["outcome"].value = "1"
    assert (broken.clinical.loc[b.rows().index, out] == 1).all() and len(b.rows())
    c["outcome"].value = "(all)"
    c["text"].value = broken.patient_ids[7][-3:]
    assert broken.patient_ids[7] in b.rows().index and len(b.rows()) < len(broken)
    c["text"].value = "unreadable"  # free text searches the problems too
    assert list(b.rows().index) == [broken.patient_ids[5]]
    with pytest.raises(ValueError, match="has_problem"):
        b.filter(has_problem="maybe")


def test_sorting_and_paging(broken, problems):
    b = CohortBrowser(broken, problems=problems, page_size=4)
    c = b.controls
    c["sort"].value = "status"
    assert list(b.rows()["status"][:2]) == ["error", "error"]
    c["ascending"].value = False
    assert b.rows()["status"].iloc[-1] == "error"
    c["sort"].value = "patient_id"
    assert list(b.rows().index) == sorted(broken.patient_ids, reverse=True)
    assert len(b._row_buttons) == 4 and b.n_pages() == 3
    c["next"].click()
    c["next"].click()
    c["next"].click()  # clipped at the last page
    assert b.page == 2 and len(b._row_buttons) == 2
    assert "page 3 / 3" in c["page"].value
    with pytest.raises(KeyError, match="cannot sort"):
        b.sort("nope")


def test_status_cells_are_coloured(broken, problems):
    b = CohortBrowser(broken, problems=problems, page_size=10)
    html = "".join(getattr(w, "value", "") for w in b.controls["table"].children)
    assert "radnb-error" in html and "#fde0e0" in html and "radnb-ok" in html


def test_row_click_opens_viewer_beside_the_table(broken, problems):
    b = CohortBrowser(broken, problems=problems, viewer_kws={"backend": "slices"})
    assert b.viewer is None and not b.controls["viewer_box"].children
    pid = broken.patient_ids[1]
    b._row_buttons[pid].click()
    assert isinstance(b.viewer, Viewer) and b.viewer.patient_id == pid
    assert b.controls["viewer_box"].children == (b.viewer.widget,)
    assert b._row_buttons[pid].button_style == "info"
    bad = broken.patient_ids[3]
    b._row_buttons[bad].click()  # a broken patient: a message, not a traceback
    assert b.viewer.patient_id == bad and b.viewer.base is None
    assert "missing_file" in b.viewer.controls["message"].value


def test_external_viewer_is_used_not_embedded(sim):
    v = Viewer(sim, backend="slices")
    b = CohortBrowser(sim, viewer=v)
    b._row_buttons[sim.patient_ids[2]].click()
    assert v.patient_id == sim.patient_ids[2] and not b.controls["viewer_box"].children


def test_gallery_pages_thumbnails_and_errors(broken, problems):
    b = CohortBrowser(broken, problems=problems, gallery_page_size=4, thumb_size=64)
    assert not b.controls["gallery"].children  # drawn only when its tab is open
    b.controls["tabs"].selected_index = 1
    tiles = b.controls["gallery"].children
    assert len(tiles) == 4
    png = tiles[0].children[0].value
    assert Image.open(io.BytesIO(png)).size == (64, 64)
    b.controls["gnext"].click()
    assert b.gallery_ids() == broken.patient_ids[4:8]
    bad = broken.patient_ids[5]
    assert b._thumb_buttons[bad].button_style == "danger"
    assert bad in b._thumb_buttons[bad].tooltip
    b._thumb_buttons[broken.patient_ids[4]].click()
    assert b.viewer.patient_id == broken.patient_ids[4]
    b.controls["has_problem"].value = "error"  # the gallery follows the filters
    b.set_page(0, gallery=True)
    assert b.gallery_ids() == [broken.patient_ids[3], bad]


def test_thumbnail_shows_the_largest_slice_contour():
    import SimpleITK as sitk

    img = np.zeros((5, 40, 40), np.float32)
    img[2, 10:30, 10:30] = 100.0
    m = np.zeros(img.shape, np.uint8)
    m[2, 12:28, 12:28] = 1
    m[4, 20:22, 20:22] = 1
    png = thumbnail_png(sitk.GetImageFromArray(img), sitk.GetImageFromArray(m), size=96)
    arr = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    orange = (arr[..., 0] > 200) & (arr[..., 1] > 130) & (arr[..., 1] < 180) & (arr[..., 2] < 40)
    assert orange.sum() > 50  # the contour (#E69F00) of the 16 x 16 slice 2, not slice 4's dot
    assert arr[48, 48].sum() > 600  # bright tumour inside


def test_real_sarcoma_browser(data_dir):
    cohort = datasets.load_sts_pet_mr()
    b = CohortBrowser(cohort, validate=False, gallery_page_size=6, thumb_size=64)
    assert len(b.table) == 51 and "lung_metastasis" in b.table.columns
    assert "not validated" in b.controls["header"].value
    b.controls["outcome"].value = "1"
    assert len(b.rows()) == 19
    b.controls["tabs"].selected_index = 1
    b.controls["gallery_sequence"].value = "MR_T1"
    assert len(b.controls["gallery"].children) == 6
    assert all(err is None for _, err in (b.thumbnail(p) for p in b.gallery_ids()))
