"""Headless tests of the Viewer: the model, each control, each backend (no browser).

Controls are driven as a user would (``.value``, ``.click()``); assertions are on the
Viewer model, on the ipyniivue volumes that would go to the browser, and on what
the library calls returned.
"""

from __future__ import annotations

import gzip
import importlib.util

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radnb import datasets
from radnb.cohort import Cohort
from radnb.errors import MissingDependencyError
from radnb.widgets import _viewer_data as vd
from radnb.widgets import view
from radnb.widgets.viewer import Viewer


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A SIMULATED S2 cohort: three MR sequences, one mask for all."""
    root = tmp_path_factory.mktemp("sim")
    return datasets.simulate("S2", n=4, root=root, shape=(20, 40, 40))


@pytest.fixture(scope="module")
def broken(sim, tmp_path_factory):
    """The simulated cohort with one missing and one corrupt image."""
    folder = tmp_path_factory.mktemp("broken")
    corrupt = folder / "corrupt.nii.gz"
    corrupt.write_bytes(gzip.compress(b"not a nifti file at all" * 10))
    images = sim.image_paths
    ids = sim.patient_ids
    images.loc[ids[1], "T1WI"] = str(folder / "missing.nii.gz")
    images.loc[ids[2], "T1WI"] = str(corrupt)
    return Cohort(sim.clinical, images, sim.mask_paths, split=sim.split_column, simulated=True)


def _mask_array(viewer):
    return sitk.GetArrayFromImage(viewer.layers["mask"].image)


# ---------------------------------------------------------------- data helpers
def test_nifti_bytes_round_trip_keeps_geometry(tmp_path):
    img = sitk.GetImageFromArray(np.arange(7 * 6 * 5, dtype=np.float64).reshape(7, 6, 5))
    img.SetDirection((0, 1, 0, -1, 0, 0, 0, 0, 1))
    img.SetOrigin((3.0, -4.0, 5.5))
    img.SetSpacing((1.0, 2.0, 3.0))
    path = tmp_path / "x.nii.gz"
    path.write_bytes(vd.nifti_bytes(img))
    back = sitk.ReadImage(str(path))
    assert np.allclose(back.GetDirection(), img.GetDirection(), atol=1e-6)
    assert np.allclose(back.GetOrigin(), img.GetOrigin(), atol=1e-4)
    assert np.allclose(back.GetSpacing(), img.GetSpacing())
    assert np.array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(img))
    assert back.GetPixelID() == sitk.sitkFloat32  # float64 is sent as float32


def test_large_ct_browser_copy_is_cropped_and_small():
    ct = sitk.Image(512, 512, 300, sitk.sitkInt16)
    ct.SetSpacing((0.8, 0.8, 1.0))
    mask = sitk.Image(512, 512, 300, sitk.sitkUInt8)
    mask.CopyInformation(ct)
    arr = np.zeros((300, 512, 512), np.uint8)
    arr[140:170, 240:290, 200:260] = 1
    mask = sitk.GetImageFromArray(arr)
    mask.CopyInformation(ct)
    box = vd.tumour_box(mask, margin_mm=20)
    copy, info = vd.browser_copy(ct, box=box, max_voxels=2_000_000)
    assert info["cropped"] and info["factor"] == 1.0
    # 50 x 60 x 30 voxels of tumour + 20 mm each side: (50 + 2*25) x (60 + 2*25) x (30 + 2*20)
    assert copy.GetSize() == (110, 100, 70)
    assert len(vd.nifti_bytes(copy)) < 10e6
    full, info_full = vd.browser_copy(ct, max_voxels=2_000_000)
    assert not info_full["cropped"] and info_full["factor"] > 30
    assert np.prod(full.GetSize()) <= 2_000_000
    # the downsampled copy covers the same world box
    lo = np.asarray(full.TransformContinuousIndexToPhysicalPoint((-0.5, -0.5, -0.5)))
    assert np.allclose(
        lo, ct.TransformContinuousIndexToPhysicalPoint((-0.5, -0.5, -0.5)), atol=1e-3
    )


def test_ras_frac_matches_niivue_reorientation():
    img = sitk.Image(10, 20, 5, sitk.sitkUInt8)  # identity direction = LPS axes
    point = img.TransformIndexToPhysicalPoint((2, 3, 4))
    frac = vd.ras_frac(img, point)
    # x and y are flipped to RAS, z is not
    assert frac == pytest.approx([1 - 2.5 / 10, 1 - 3.5 / 20, 4.5 / 5])


def test_windows_and_label_colours():
    assert vd.window_range(np.zeros(3), "soft tissue") == (-160.0, 240.0)
    with pytest.raises(ValueError, match="unknown window"):
        vd.window_range(np.zeros(3), "brain")
    from radnb.plots.style import PALETTE

    cm = vd.label_colormap({1: "necrotic", 3: "enhancing"})
    assert cm["labels"] == ["background", "necrotic", "label 2", "enhancing"]
    assert f"#{cm['R'][3]:02X}{cm['G'][3]:02X}{cm['B'][3]:02X}" == PALETTE[2]


# ---------------------------------------------------------------- NiiVue backend
def test_viewer_opens_patient_with_mask_and_goes_to_tumour(sim):
    v = view(sim, sim.patient_ids[0])
    names = [vol.name for vol in v._backend.volumes]
    assert names == ["T1WI.nii.gz", "mask.nii.gz"]
    assert v.bytes_sent == sum(len(vol.data) for vol in v._backend.volumes)
    loc = v.location
    assert loc["patient_id"] == sim.patient_ids[0] and loc["in_mask"]
    assert loc["values"]["mask"] == 1.0
    # the browser copy is cropped around the tumour, the kernel keeps the full image
    assert v.base.info["cropped"]
    assert v.base.image.GetSize() == (40, 40, 20)
    lab = v._backend.volumes[1].colormap_label
    assert lab is not None and list(lab.labels) == ["background", "mask"]
    assert sim.view(sim.patient_ids[1]).patient_id == sim.patient_ids[1]


def test_volumes_pushed_again_when_the_canvas_attaches(sim):
    v = Viewer(sim)
    vols = list(v._backend.nv.volumes)
    seen = []
    v._backend.nv.observe(lambda ch: seen.append(len(ch["new"])), names="volumes")
    v._backend.nv._canvas_attached = True  # what the browser reports after drawing
    assert seen == [0, len(vols)]
    assert v._backend.nv.volumes[0] is vols[0]  # the image is not sent again
    assert v._backend.nv.volumes[1] is not vols[1]  # the mask is, as a new volume
    assert v._backend.nv.volumes[1].colormap_label is not None


def test_switching_sequence_keeps_the_other_volumes(sim):
    v = Viewer(sim)
    mask = v.layers["mask"]
    t1 = v._backend.volumes[0]
    v.controls["sequence"].value = "T2WI"
    assert v.sequence == "T2WI"
    assert v._backend.volumes[0].name == "T2WI.nii.gz"
    assert v.layers["mask"] is mask  # one mask for all sequences: the same layer
    sent = v.bytes_sent
    v.set_sequence("T1WI")
    assert v._backend.volumes[0] is t1  # the image is cached, not sent again ...
    # ... only the small overlays are (as new volumes, see NiivueBackend.replace_base)
    assert v.bytes_sent - sent == len(v._backend.volumes[1].data) < len(t1.data)


def test_controls_drive_the_volumes(sim):
    v = Viewer(sim)
    v.add_habitats(_mask_array(v) * 2, names={1: "core", 2: "rim"})
    c = v.controls
    c["layer"].value = "habitats"
    c["opacity"].value = 0.25
    assert v.layers["habitats"].opacity == 0.25
    assert v._backend.volumes[-1].opacity == 0.25
    c["layer"].value = "T1WI"
    c["colormap"].value = "inferno"
    assert v._backend.volumes[0].colormap == "inferno"
    c["slice_type"].value = "coronal"
    assert v._backend.nv.opts.slice_type.name == "CORONAL"
    assert c["window"].value == "p1-p99"  # the automatic choice for MR, shown
    c["window"].value = "lung"
    assert (v._backend.volumes[0].cal_min, v._backend.volumes[0].cal_max) == (-1350.0, 150.0)
    v.set_window((0.0, 500.0))
    assert c["window"].value == "custom" and v._backend.volumes[0].cal_max == 500.0
    n_outline = int(sitk.GetArrayFromImage(v.layers["mask"].browser).sum())
    c["mask_style"].value = "filled"
    n_filled = int(sitk.GetArrayFromImage(v.layers["mask"].browser).sum())
    assert n_filled > n_outline > 0
    c["mask_style"].value = "hidden"
    assert v.layers["mask"].opacity == 0.0
    with pytest.raises(ValueError, match="colour table"):
        v.set_colormap("habitats", "hot")


def test_crosshair_click_reaches_python_with_label_name(sim):
    v = Viewer(sim)
    v.add_habitats(_mask_array(v) * 2, names={2: "enhancing"})
    seen = []
    v.on_location(seen.append)
    point = np.asarray(v.location["mm"])
    ras = [-point[0], -point[1], point[2]]
    v._backend.nv._handle_custom_msg({"event": "location_change", "data": {"mm": ras}}, [])
    assert seen and seen[-1]["label"] == "enhancing"
    assert "enhancing" in v.controls["readout"].value
    # outside the tumour: no label
    corner = v.base.image.TransformIndexToPhysicalPoint((0, 0, 0))
    v._backend.nv._handle_custom_msg(
        {"event": "location_change", "data": {"mm": [-corner[0], -corner[1], corner[2]]}}, []
    )
    assert seen[-1]["label"] is None and seen[-1]["voxel"] == (0, 0, 0)


def test_go_to_tumour_button_and_go_to(sim):
    v = Viewer(sim)
    v.go_to(voxel=(0, 0, 0))
    assert not v.location["in_mask"]
    v.controls["tumour"].click()
    assert v.location["in_mask"]
    frac = v._backend.nv.scene.crosshair_pos
    assert frac == pytest.approx(vd.ras_frac(v.base.browser, v.location["mm"]))
    largest = v.go_to_tumour("largest")
    areas = _mask_array(v).sum(axis=(1, 2))
    assert largest["voxel"][2] == int(np.argmax(areas))


def test_linked_viewers_follow_crosshair_and_slice_type(sim):
    a = Viewer(sim, sequence="T1WI")
    b = Viewer(sim, sequence="CE_T1WI")
    a.link(b)
    a.go_to(voxel=(5, 6, 7))
    assert b.location["mm"] == a.location["mm"] and b.location["voxel"] == (5, 6, 7)
    b.set_slice_type("sagittal")
    assert a.slice_type == "sagittal"
    a.unlink(b)
    a.go_to(voxel=(1, 1, 1))
    assert b.location["voxel"] == (5, 6, 7)


def test_overlays_float_map_second_mask_and_errors(sim):
    v = Viewer(sim)
    m = _mask_array(v)
    fmap = np.random.default_rng(0).random(m.shape).astype(np.float32)
    v.add_overlay(fmap, name="entropy map", colormap="viridis")
    v.add_mask(np.roll(m, 2, axis=2), name="reader 2")
    assert [vol.name for vol in v._backend.volumes] == [
        "T1WI.nii.gz", "mask.nii.gz", "entropy_map.nii.gz", "reader_2.nii.gz"
    ]  # fmt: skip
    assert v.location["values"]["entropy map"] == pytest.approx(
        float(fmap[tuple(v.location["voxel"][::-1])])
    )
    v.remove_overlay("entropy map")
    assert "entropy map" not in v.layers and len(v._backend.volumes) == 3
    with pytest.raises(ValueError, match="does not match the image grid"):
        v.add_overlay(np.zeros((2, 2, 2)), name="bad")
    with pytest.raises(KeyError, match="no layer"):
        v.set_opacity("nope", 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        v.set_opacity("mask", 2)


def test_broken_patients_show_a_message_not_a_traceback(broken):
    ids = broken.patient_ids
    v = Viewer(broken, ids[1])
    assert v.base is None and ids[1] in v.message and "missing.nii.gz" in v.message
    assert "radnb-error" in v.controls["message"].value
    assert v._backend.volumes == []
    v.show_patient(ids[2])
    assert v.message and ids[2] in v.message
    v.show_patient(ids[0])  # the rest of the cohort still opens
    assert v.message is None and v.base is not None
    v.set_sequence("T2WI")
    v.show_patient(ids[1])  # T2WI of the broken patient is fine
    assert v.base is not None and v.sequence == "T2WI"


def test_validation_problems_shown_with_severity(broken):
    problems = broken.validate()
    v = Viewer(broken, broken.patient_ids[1], problems=problems)
    html = v.controls["message"].value
    assert "missing_file" in html and "#b00020" in html


def test_snapshot_draws_overlays_and_saves(sim, tmp_path):
    v = Viewer(sim)
    v.add_habitats(_mask_array(v) * 2)
    ax = v.snapshot(tmp_path / "snap.png", view="axial")
    assert (tmp_path / "snap.png").stat().st_size > 1000
    assert ax.get_title().startswith("SIMULATED " + sim.patient_ids[0])
    assert len(ax.images) == 2 and ax.collections  # image + habitats, mask contour
    assert str(v.location["voxel"][2]) in ax.get_title()


# ---------------------------------------------------------------- other backends
def test_slices_backend_slider_and_views(sim):
    v = Viewer(sim, backend="slices", slice_type="axial")
    be = v._backend
    first = be.image.value
    assert first[:4] == b"\x89PNG" and be.slider.max == 19
    be.slider.value = 2
    assert v.location["voxel"][2] == 2 and be.image.value != first
    v.controls["slice_type"].value = "multiplanar"
    assert be.image.value != first
    assert "render" not in v.controls["slice_type"].options


def test_itkwidgets_backend_is_optional(sim):
    if importlib.util.find_spec("itkwidgets") is None:
        with pytest.raises(MissingDependencyError, match="itkwidgets"):
            Viewer(sim, backend="itkwidgets")
    else:  # pragma: no cover - never installed in CI
        assert Viewer(sim, backend="itkwidgets").base is not None
    with pytest.raises(ValueError, match="backend must be"):
        Viewer(sim, backend="vtk")


def test_viewer_without_cohort():
    img = sitk.GetImageFromArray(np.zeros((4, 8, 8), np.float32))
    v = Viewer().set_image(img)
    assert v.location["voxel"] == (4, 4, 2) and "mask" not in v.layers
    with pytest.raises(ValueError, match="no mask"):
        v.go_to_tumour()
    with pytest.raises(ValueError, match="no cohort"):
        v.show_patient("p1")


# ---------------------------------------------------------------- real data
def test_real_sarcoma_pet_and_mr_on_different_grids(data_dir):
    cohort = datasets.load_sts_pet_mr()
    pid = cohort.patient_ids[0]
    v = Viewer(cohort, pid, sequence="PET")
    pet_mask = v.layers["mask"]
    assert v.location["in_mask"]
    v.set_sequence("MR_T1")  # masks per modality: the MR mask replaces the PET mask
    assert v.layers["mask"] is not pet_mask
    assert v.layers["mask"].image.GetSpacing() != pet_mask.image.GetSpacing()
    assert v.location["values"]["MR_T1"] is not None
    assert pd.notna(v.location["values"]["mask"])
