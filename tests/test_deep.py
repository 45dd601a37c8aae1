"""Deep features: crops, backbones, weights, extraction, DL score training (CPU, small)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import torch

from radnb.cohort import Cohort
from radnb.errors import PatientError
from radnb.features import deep
from radnb.features._train import augment

SPACING = (0.8, 0.8, 2.5)


def _write(arr: np.ndarray, path: Path) -> str:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(SPACING)
    img.SetOrigin((10.0, -5.0, 3.0))
    sitk.WriteImage(img, str(path))
    return path.name


def _make_cohort(root: Path, rng: np.random.Generator, n: int = 6, shape=(12, 32, 32)) -> Cohort:
    rows = []
    zz, yy, xx = np.ogrid[: shape[0], : shape[1], : shape[2]]
    for i in range(n):
        pid = f"p{i}"
        c = rng.integers([4, 10, 10], [8, 22, 22])
        m = ((zz - c[0]) * 3) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= 25
        row = {"patient_id": pid, "y": i % 2, "split": "train" if i < n - 2 else "test"}
        for s, shift in (("T1", 40.0), ("T2", 80.0 * (i % 2))):
            a = rng.normal(100, 10, shape).astype(np.float32)
            a[m] += shift
            row[s] = _write(a, root / f"{pid}_{s}.nii.gz")
        row["mask"] = _write(m.astype(np.uint8), root / f"{pid}_mask.nii.gz")
        rows.append(row)
    pd.DataFrame(rows).to_csv(root / "clinical.csv", index=False)
    return Cohort.from_table(root / "clinical.csv", images={"T1": "T1", "T2": "T2"}, mask="mask")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Cohort:
    return _make_cohort(tmp_path_factory.mktemp("deep"), np.random.default_rng(7))


def _blob(shape=(20, 40, 50), box=((5, 12), (10, 20), (30, 44))):
    """Image = 100 inside an off-centre box, 0 outside; anisotropic spacing."""
    m = np.zeros(shape, np.uint8)
    m[box[0][0] : box[0][1], box[1][0] : box[1][1], box[2][0] : box[2][1]] = 1
    img = sitk.GetImageFromArray(m.astype(np.float32) * 100)
    img.SetSpacing(SPACING)
    msk = sitk.GetImageFromArray(m)
    msk.CopyInformation(img)
    return img, msk


def _centroid(a: np.ndarray) -> np.ndarray:
    idx = np.argwhere(a > 50)
    return idx.mean(axis=0)


@pytest.mark.parametrize("dims,size", [(2, 24), (3, 20)])
def test_crop_is_centred_on_the_mask_and_sized(dims, size):
    img, msk = _blob()
    spec = deep.CropSpec(dims=dims, size=size, margin_mm=4, intensity="none")
    crop = deep.crop_image(img, msk, spec)
    assert crop.shape == spec.shape
    assert crop.shape[-2:] == (size, size)
    centre = (np.array(crop.shape[1:]) - 1) / 2
    np.testing.assert_allclose(_centroid(crop[0]), centre, atol=0.6)
    # the box keeps a margin: the tumour does not touch the crop's border in-plane
    assert crop[0][..., 0].max() < 50 and crop[0][..., -1].max() < 50


def test_crop_2_5d_takes_neighbouring_slices():
    img, msk = _blob(box=((8, 11), (10, 20), (10, 20)))
    m = sitk.GetArrayFromImage(msk)
    m[9, 5:25, 5:25] = 1  # slice 9 has the largest area
    msk2 = sitk.GetImageFromArray(m)
    msk2.CopyInformation(img)
    slices = np.broadcast_to(np.arange(20, dtype=np.float32)[:, None, None], (20, 40, 50))
    ramp = sitk.GetImageFromArray(np.ascontiguousarray(slices))
    ramp.CopyInformation(img)
    crop = deep.crop_image(
        ramp, msk2, deep.CropSpec(dims=2, size=8, n_slices=3, margin_mm=0, intensity="none")
    )
    np.testing.assert_allclose(crop.mean(axis=(1, 2)), [8, 9, 10], atol=1e-4)


def test_intensity_handling():
    img, msk = _blob()
    ct = deep.crop_image(img, msk, deep.CropSpec(dims=3, size=16, intensity=("ct", 50, 100)))
    assert ct.min() >= 0 and ct.max() <= 1 and ct.max() == 1.0
    z = deep.crop_image(img, msk, deep.CropSpec(dims=3, size=16, intensity="zscore", margin_mm=0))
    assert abs(float(z.mean())) < 0.25
    assert deep.intensity_for({"CT": "ct", "*": "percentile"}, "MR") == ("percentile", 1.0, 99.0)
    with pytest.raises(ValueError, match="intensity kind"):
        deep.intensity_for("gamma")


def test_empty_mask_is_a_patient_error():
    img, msk = _blob()
    empty = sitk.Image(msk.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(msk)
    with pytest.raises(PatientError, match="empty"):
        deep.crop_image(img, empty, deep.CropSpec())


def test_extract_twice_gives_identical_features(cohort):
    kws = dict(dims=2, crop_kws={"size": 32, "n_slices": 3}, progress=False)
    res = deep.extract_deep_features(cohort, **kws)
    a = res.features
    b = deep.extract_deep_features(cohort, **kws).features
    assert a.shape == (6, 2 * 512)
    assert list(a.index) == cohort.patient_ids and a.index.name == "patient_id"
    assert a.columns[0] == "T1__dl_0" and a.columns[-1] == "T2__dl_511"
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert np.isfinite(a.to_numpy()).all() and a.to_numpy().std() > 0
    assert len(res.errors) == 0


def test_extract_3d_with_disk_cache(cohort, tmp_path):
    kws = dict(dims=3, crop_kws={"size": 24}, progress=False, batch_size=4)
    a = deep.extract_deep_features(cohort, cache=tmp_path / "crops", **kws).features
    assert len(list((tmp_path / "crops").glob("*.npy"))) == 12
    b = deep.extract_deep_features(cohort, cache=tmp_path / "crops", **kws).features
    c = deep.extract_deep_features(cohort, **kws).features  # no cache at all
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    np.testing.assert_array_equal(a.to_numpy(), c.to_numpy())
    # another crop setting gets other cache entries
    deep.extract_deep_features(cohort, cache=tmp_path / "crops", **dict(kws, crop_kws={"size": 16}))
    assert len(list((tmp_path / "crops").glob("*.npy"))) == 24


def test_bad_patient_goes_to_errors_table(tmp_path, rng):
    c = _make_cohort(tmp_path, rng, n=4)
    (tmp_path / "p1_mask.nii.gz").write_bytes(b"not an image")
    with pytest.warns(RuntimeWarning, match="failed for 2"):
        res = deep.extract_deep_features(c, dims=2, crop_kws={"size": 16}, progress=False)
    assert list(res.features.index) == ["p0", "p2", "p3"]
    from radnb.features import errors_table

    err = res.errors
    pd.testing.assert_frame_equal(errors_table(res), err)
    assert set(err["patient_id"]) == {"p1"} and set(err["sequence"]) == {"T1", "T2"}
    assert err["message"].str.contains("p1_mask").all()


def test_local_weights_round_trip(cohort, tmp_path):
    net = deep.build_backbone("resnet18", dims=2, in_channels=1, random_state=5)
    path = tmp_path / "w.pt"
    torch.save(net.state_dict(), path)
    kws = dict(dims=2, crop_kws={"size": 32}, progress=False)
    from_file = deep.extract_deep_features(cohort, weights=path, random_state=0, **kws).features
    seeded = deep.extract_deep_features(cohort, weights=None, random_state=5, **kws).features
    other = deep.extract_deep_features(cohort, weights=None, random_state=0, **kws).features
    np.testing.assert_array_equal(from_file.to_numpy(), seeded.to_numpy())
    assert not np.allclose(from_file.to_numpy(), other.to_numpy())


def _torchvision_resnet18_layout(rng) -> dict:
    """torchvision.models.resnet18()'s state_dict names and shapes, written out by hand."""
    shapes: dict[str, tuple] = {"conv1.weight": (64, 3, 7, 7)}

    def bn(name, c):
        for p in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{name}.{p}"] = (c,)
        shapes[f"{name}.num_batches_tracked"] = ()

    bn("bn1", 64)
    cin = 64
    for li, cout in enumerate((64, 128, 256, 512), start=1):
        for b in range(2):
            pre = f"layer{li}.{b}"
            shapes[f"{pre}.conv1.weight"] = (cout, cin if b == 0 else cout, 3, 3)
            bn(f"{pre}.bn1", cout)
            shapes[f"{pre}.conv2.weight"] = (cout, cout, 3, 3)
            bn(f"{pre}.bn2", cout)
            if b == 0 and li > 1:
                shapes[f"{pre}.downsample.0.weight"] = (cout, cin, 1, 1)
                bn(f"{pre}.downsample.1", cout)
        cin = cout
    shapes["fc.weight"] = (1000, 512)
    shapes["fc.bias"] = (1000,)
    out = {}
    for k, s in shapes.items():
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(0)
        elif k.endswith("running_var"):
            out[k] = torch.from_numpy(rng.uniform(0.5, 2, s).astype(np.float32))
        else:
            out[k] = torch.from_numpy(rng.normal(0, 0.05, s).astype(np.float32))
    return out


def test_torchvision_state_dict_maps_onto_monai(rng, tmp_path):
    tv = _torchvision_resnet18_layout(rng)
    net2 = deep.build_backbone("resnet18", dims=2, in_channels=1)
    # same names and shapes as torchvision apart from conv1's channels and fc
    own = net2.state_dict()
    assert set(own) == set(tv) - {"fc.weight", "fc.bias"}
    path = tmp_path / "tv.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in tv.items()}}, path)
    deep.load_weights(net2, path)
    sd = net2.state_dict()
    torch.testing.assert_close(sd["conv1.weight"], tv["conv1.weight"].sum(1, keepdim=True))
    torch.testing.assert_close(
        sd["layer3.0.downsample.0.weight"], tv["layer3.0.downsample.0.weight"]
    )
    torch.testing.assert_close(sd["layer4.1.bn2.running_var"], tv["layer4.1.bn2.running_var"])
    # 3 channels: taken as they are; 3D: kernels inflated (their depth sum is the 2D kernel)
    net_rgb = deep.load_weights(deep.build_backbone("resnet18", in_channels=3), tv)
    torch.testing.assert_close(net_rgb.state_dict()["conv1.weight"], tv["conv1.weight"])
    net3 = deep.load_weights(deep.build_backbone("resnet18", dims=3, in_channels=1), tv)
    w3 = net3.state_dict()["layer1.0.conv1.weight"]
    assert w3.shape == (64, 64, 3, 3, 3)
    torch.testing.assert_close(w3.sum(2), tv["layer1.0.conv1.weight"])
    # a ResNet of another depth is refused with a message
    with pytest.raises(ValueError, match="shape|lack"):
        deep.load_weights(deep.build_backbone("resnet50"), tv)


def test_unsafe_weights_file_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"obj": Path("x"), "w": torch.zeros(1)}, path)  # an arbitrary object inside
    with pytest.raises(ValueError, match="plain weights"):
        deep.load_state_dict_file(path)
    with pytest.raises(FileNotFoundError, match="never downloads"):
        deep.load_state_dict_file(tmp_path / "missing.pt")


def test_no_code_path_unpickles_arbitrary_objects():
    root = Path(deep.__file__).resolve().parents[1]
    for f in root.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        for call in re.findall(r"torch\.load\((.*?)\)\n", text, flags=re.S):
            assert "weights_only=True" in call, f"{f}: torch.load without weights_only=True"
    mine = [root / "device.py", *(root / "features").glob("[_df]*.py")]
    for f in mine:
        if f.name in (
            "deep.py",
            "fusion.py",
            "_crops.py",
            "_backbones.py",
            "_train.py",
            "device.py",
        ):
            text = f.read_text(encoding="utf-8")
            assert not re.search(
                r"^\s*(import|from)\s+(pickle|cloudpickle|dill|joblib)", text, re.M
            )
            assert "allow_pickle=True" not in text


def test_device_helpers():
    from radnb import device as rdev

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if (
        expected == "cpu"
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    ):
        expected = "mps"
    assert rdev.resolve_device("auto").type == expected
    assert rdev.amp_dtype("cpu") is None
    before = torch.are_deterministic_algorithms_enabled()
    with rdev.deterministic(True, seed=1):
        assert torch.are_deterministic_algorithms_enabled()
        a = torch.rand(3)
    with rdev.deterministic(True, seed=1):
        b = torch.rand(3)
    assert torch.are_deterministic_algorithms_enabled() == before
    torch.testing.assert_close(a, b)
    bs = rdev.auto_batch_size(lambda b: None, "cpu", n_items=100, voxels=64**3)
    assert 1 <= bs <= 64
    assert rdev.auto_batch_size(lambda b: None, "cpu", n_items=3, voxels=100) == 3


def test_augment_keeps_shape_and_is_seeded():
    x = torch.rand(4, 1, 8, 16, 16)
    a = augment(x, torch.Generator().manual_seed(0), dims=3)
    b = augment(x, torch.Generator().manual_seed(0), dims=3)
    assert a.shape == x.shape
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, x)


@pytest.mark.parametrize("mode", ["head", "finetune"])
def test_train_dl_score(cohort, tmp_path, mode):
    model = deep.train_dl_score(
        cohort, "y", train="train", dims=2, mode=mode, crop_kws={"size": 32},
        epochs=2, patience=2, val_fraction=0.5, batch_size=4, progress=False,
    )  # fmt: skip
    scores = model.scores.features
    assert len(model.scores.errors) == 0
    assert list(scores.index) == cohort.patient_ids
    assert scores["dl_score"].between(0, 1).all()
    assert set(scores.loc[["p4", "p5"], "role"]) == {"other"}
    assert len(model.history_) >= 1
    model.save(tmp_path / "m.pt")
    again = deep.DLScoreModel.load(tmp_path / "m.pt")
    p = again.predict(cohort, device="cpu").features
    np.testing.assert_allclose(p["dl_score"].to_numpy(), scores["dl_score"].to_numpy(), atol=1e-6)


def test_deep_features_reduced_with_radnb_select(cohort):
    import radnb.select as select

    df = deep.extract_deep_features(cohort, dims=2, crop_kws={"size": 32}, progress=False).features
    train = cohort.splits == "train"
    pca = select.make_selector(["pca"], pca={"n_components": 2}).fit(df.loc[train.to_numpy()])
    out = pca.transform(df)
    assert out.shape == (6, 2) and list(out.columns) == ["PC1", "PC2"]


@pytest.mark.slow
def test_end_to_end_on_simulated_s2(tmp_path):
    from radnb import datasets
    from radnb.features.fusion import FusionClassifier

    c = datasets.simulate("S2", n=24, root=tmp_path, shape=(12, 32, 32))
    df = deep.extract_deep_features(c, dims=2, crop_kws={"size": 32}, progress=False).features
    assert df.shape == (24, 3 * 512)
    assert {s.split("__")[0] for s in df.columns} == set(c.sequences)
    outcome = next(col for col in c.clinical.columns if set(c.clinical[col].dropna()) <= {0, 1})
    y = c.clinical.loc[df.index, outcome].to_numpy()
    clf = FusionClassifier(max_epochs=5, random_state=0).fit(df, y)
    att = clf.attention(df)
    assert list(att.columns) == c.sequences
    np.testing.assert_allclose(att.sum(axis=1), 1.0)
