"""Habitat analysis: HabitatModel (two-step / pooled / one-step), maps and habitat features.

Acceptance runs on the simulated S3 cohort (radnb.datasets.simulate), whose
planted sub-region maps are the ground truth; small unit checks use tiny
hand-made phantoms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from sklearn.metrics import adjusted_rand_score

from radnb.cohort import Cohort
from radnb.errors import NotFittedError
from radnb.features import _kmeans, _voxel
from radnb.features.habitat import HabitatModel
from radnb.features.habitat_metrics import habitat_features, ith_score, msi_matrix

S3_SEQS = ["DCE_early", "ADC"]  # early enhancement + diffusion, as in habitat studies


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    from radnb.datasets import simulate

    root = tmp_path_factory.mktemp("s3")
    return simulate("S3", n=20, random_state=3, root=root)


@pytest.fixture(scope="module")
def s3_fit(s3):
    model = HabitatModel(S3_SEQS, random_state=0).fit(s3, train="train")
    return model, model.transform(s3)


def _truth(cohort, pid):
    sub = sitk.GetArrayFromImage(sitk.ReadImage(str(cohort.clinical.loc[pid, "subregions_path"])))
    mask = sitk.GetArrayFromImage(cohort.mask(pid)).astype(bool)
    return sub, mask


def _write(arr, path):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing((1.0, 1.0, 2.0))
    sitk.WriteImage(img, str(path))
    return str(path)


def sector_cohort(root, *, n=9, size=20, k=3, seed=0) -> Cohort:
    """Spheres cut into k angular sectors with distinct means in two sequences."""
    rng = np.random.default_rng(seed)
    means = {"A": [100.0, 200.0, 300.0, 400.0], "B": [3.0, 1.0, 2.0, 0.5]}
    z, y, x = np.mgrid[:size, :size, :size].astype(float)
    rows = []
    for i in range(n):
        c = size / 2 + rng.uniform(-1, 1, 3)
        mask = np.sqrt((z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2) <= size * 0.38
        ang = np.mod(np.arctan2(y - c[1], x - c[2]) + rng.uniform(0, 2 * np.pi), 2 * np.pi)
        cuts = np.cumsum(rng.uniform(0.7, 1.3, k))
        sub = np.searchsorted(cuts / cuts[-1] * 2 * np.pi, ang, side="right").clip(0, k - 1) + 1
        sub = np.where(mask, sub, 0).astype(np.uint8)
        row = {"patient_id": f"P{i}", "split": "train" if i < n - 3 else "test"}
        for s, mu in means.items():
            img = np.full(mask.shape, mu[0] / 2)
            for h in range(1, k + 1):
                img[sub == h] = mu[h - 1]
            img = img + rng.normal(0, 0.1 * np.mean(mu[:k]), img.shape)
            row[s] = _write(img.astype(np.float32), root / f"P{i}_{s}.nii.gz")
        row["mask"] = _write(mask.astype(np.uint8), root / f"P{i}_mask.nii.gz")
        row["subregions_path"] = _write(sub, root / f"P{i}_sub.nii.gz")
        rows.append(row)
    return Cohort.from_table(pd.DataFrame(rows), images={"A": "A", "B": "B"}, mask="mask")


@pytest.fixture(scope="module")
def sectors(tmp_path_factory):
    return sector_cohort(tmp_path_factory.mktemp("sectors"))


def _maps_equal(a, b) -> bool:
    if set(a) != set(b):
        return False
    return all(
        np.array_equal(sitk.GetArrayFromImage(a[p]), sitk.GetArrayFromImage(b[p])) for p in a
    )


# ---------------------------------------------------------------- acceptance (S3)
def test_s3_recovers_planted_k_and_subregions(s3, s3_fit):
    model, maps = s3_fit
    assert model.n_habitats_ == s3.truth["n_subregions"] == 3
    assert len(maps) == len(s3) and len(maps.errors) == 0
    truth, found, per_patient = [], [], []
    for pid in s3.patient_ids:
        sub, mask = _truth(s3, pid)
        lab = sitk.GetArrayFromImage(maps[pid])
        assert np.array_equal(lab > 0, mask)  # habitats exactly fill the mask
        inside = mask & (sub > 0)  # voxels of the planted tumour inside the mask
        truth.append(sub[inside])
        found.append(lab[inside])
        per_patient.append(adjusted_rand_score(sub[inside], lab[inside]))
    assert adjusted_rand_score(np.concatenate(truth), np.concatenate(found)) >= 0.8
    assert np.median(per_patient) >= 0.8
    # habitat 1 has the lowest early enhancement: the planted necrotic core (label 1)
    pid = s3.patient_ids[0]
    sub, mask = _truth(s3, pid)
    lab = sitk.GetArrayFromImage(maps[pid])
    assert np.bincount(lab[mask & (sub == 1)]).argmax() == 1


def test_s3_maps_on_mask_grid(s3, s3_fit):
    _, maps = s3_fit
    pid = s3.patient_ids[-1]
    m, ref = maps[pid], s3.mask(pid)
    assert m.GetSize() == ref.GetSize()
    assert np.allclose(m.GetSpacing(), ref.GetSpacing())
    assert np.allclose(m.GetOrigin(), ref.GetOrigin())
    assert m.GetPixelID() == sitk.sitkUInt8


def test_test_patients_never_move_centroids(s3, s3_fit, tmp_path):
    model, _ = s3_fit
    before = (model.centroids_.tobytes(), model.center_.tobytes(), model.scale_.tobytes())
    model.transform(s3.subset(split="external"))
    after = (model.centroids_.tobytes(), model.center_.tobytes(), model.scale_.tobytes())
    assert before == after
    # scramble every non-training image: the fitted model must not change at all
    rng = np.random.default_rng(0)
    paths = s3.image_paths
    for pid in s3.subset(split="external").patient_ids:
        for seq in S3_SEQS:
            arr = sitk.GetArrayFromImage(s3.image(pid, seq))
            noise = rng.permutation(arr.ravel()).reshape(arr.shape)
            img = sitk.GetImageFromArray(noise)
            img.CopyInformation(s3.image(pid, seq))
            out = tmp_path / f"{pid}_{seq}.nii.gz"
            sitk.WriteImage(img, str(out))
            paths.loc[pid, seq] = str(out)
    table = paths.join(s3.clinical).join(s3.mask_paths.rename(columns={"*": "mask"}))
    scrambled = Cohort.from_table(
        table.reset_index(), images={s: s for s in s3.sequences}, mask="mask"
    )
    again = HabitatModel(S3_SEQS, random_state=0).fit(scrambled, train="train")
    assert again.centroids_.tobytes() == model.centroids_.tobytes()
    assert again.scores_.equals(model.scores_)
    assert again.train_ids_ == s3.subset(split="train").patient_ids


def test_same_seed_same_maps_and_save_load(s3, s3_fit, tmp_path):
    model, maps = s3_fit
    sub = s3.subset(s3.patient_ids[:4])
    # the same seed gives the same maps (fitted again on the same training patients)
    again = HabitatModel(S3_SEQS, random_state=0).fit(s3.subset(split="train"))
    assert _maps_equal(again.transform(sub), {p: maps[p] for p in sub.patient_ids})
    path = model.save(tmp_path / "habitats")
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as z:  # no pickled objects inside
        assert {"header", "centroids", "score_k", "score_v"} <= set(z.files)
    loaded = HabitatModel.load(path)
    assert loaded.get_params() == model.get_params()
    assert loaded.n_habitats_ == model.n_habitats_
    assert np.array_equal(loaded.centroids_, model.centroids_)
    assert loaded.scores_.equals(model.scores_)
    assert _maps_equal(loaded.transform(sub), {p: maps[p] for p in sub.patient_ids})


def test_fit_warns_on_several_splits_and_reports_errors(sectors, tmp_path):
    with pytest.warns(UserWarning, match="several splits"):
        HabitatModel(n_habitats=3, n_supervoxels=10).fit(sectors)
    paths = sectors.image_paths
    paths.loc["P8", "A"] = str(tmp_path / "missing.nii.gz")
    broken = Cohort.from_table(
        paths.join(sectors.clinical)
        .join(sectors.mask_paths.rename(columns={"*": "m"}))
        .reset_index(),
        images={"A": "A", "B": "B"},
        mask="m",
    )
    model = HabitatModel(n_habitats=3, n_supervoxels=10).fit(broken, train="train")
    maps = model.transform(broken)
    assert "P8" not in maps and len(maps) == len(broken) - 1
    assert maps.errors["patient_id"].tolist() == ["P8"]
    assert maps.errors["sequence"].tolist() == ["A"]
    assert "not found" in maps.errors["message"].iloc[0]


# ---------------------------------------------------------------- designs and criteria
@pytest.mark.parametrize("design", ["two_step", "pooled", "one_step"])
def test_designs_recover_sectors(sectors, design):
    model = HabitatModel(design=design, n_supervoxels=20, k_range=(2, 5), random_state=1)
    model.fit(sectors, train="train")
    assert model.n_habitats_ == 3
    maps = model.transform(sectors)
    for pid in sectors.patient_ids:
        sub = sitk.GetArrayFromImage(sitk.ReadImage(sectors.clinical.loc[pid, "subregions_path"]))
        lab = sitk.GetArrayFromImage(maps[pid])
        assert adjusted_rand_score(sub[sub > 0], lab[sub > 0]) > 0.95
    if design == "one_step":
        assert model.patient_k_.tolist() == [3] * 6
        assert maps.n_habitats is None
    else:
        assert model.centroids_.shape == (3, 2)
        assert np.all(np.diff(model.centroids_[:, 0]) > 0)  # ordered by first feature


@pytest.mark.parametrize(
    "criterion", ["calinski_harabasz", "silhouette", "davies_bouldin", "bic", "elbow"]
)
def test_criteria_pick_three_sectors(sectors, criterion):
    model = HabitatModel(criterion=criterion, n_supervoxels=20, k_range=(2, 6))
    model.fit(sectors, train="train")
    assert list(model.scores_.index) == [2, 3, 4, 5, 6]
    assert model.scores_.name == criterion
    assert model.n_habitats_ == 3


def test_texture_features_inflate_k_but_weights_control_them(sectors):
    texture = ("intensity", "local_entropy", "gradient")
    loud = HabitatModel(voxel_features=texture, n_supervoxels=20).fit(sectors, train="train")
    quiet = HabitatModel(
        voxel_features=texture,
        feature_weights={"local_entropy": 0.1, "gradient": 0.1},
        n_supervoxels=20,
    ).fit(sectors, train="train")
    assert quiet.n_habitats_ == 3
    assert loud.n_habitats_ != 3  # boundary texture adds habitats (FACTS.md)


def test_plot_scores_draws_the_scores(sectors):
    model = HabitatModel(n_supervoxels=20, k_range=(2, 5)).fit(sectors, train="train")
    ax = model.plot_scores()
    x, y = ax.lines[0].get_data()
    assert list(x) == [2, 3, 4, 5]
    assert np.allclose(y, model.scores_.values)
    assert "k = 3" in ax.get_legend().get_texts()[0].get_text()


def test_validation_and_not_fitted(sectors):
    with pytest.raises(NotFittedError):
        HabitatModel().transform(sectors)
    with pytest.raises(ValueError, match="criterion"):
        HabitatModel(criterion="gap").fit(sectors)
    with pytest.raises(ValueError, match="voxel_features"):
        HabitatModel(voxel_features=("wavelet",)).fit(sectors)
    with pytest.raises(ValueError, match="feature_weights"):
        HabitatModel(feature_weights={"gradient": 0.5}, n_habitats=2).fit(sectors, train="train")


# ---------------------------------------------------------------- voxel work and k-means
def test_voxel_features_match_direct_computation(rng):
    img = rng.normal(size=(6, 7, 8))
    mask = np.zeros(img.shape, bool)
    mask[1:5, 1:6, 1:7] = True
    x, names, box = _voxel.voxel_features(
        {"T": img}, mask, features=("intensity", "local_mean", "local_std", "gradient")
    )
    assert names == ["T_intensity", "T_local_mean", "T_local_std", "T_gradient"]
    assert np.allclose(x[:, 0], img[box][mask[box]])
    # voxel (2, 3, 3) lies inside with its whole 3x3x3 neighbourhood in the mask
    row = np.flatnonzero(mask[box].ravel())
    pos = np.ravel_multi_index(
        (2 - box[0].start, 3 - box[1].start, 3 - box[2].start), mask[box].shape
    )
    i = int(np.searchsorted(row, pos))
    cube = img[1:4, 2:5, 2:5]
    assert np.isclose(x[i, 1], cube.mean())
    assert np.isclose(x[i, 2], cube.std())
    # a border voxel averages only mask voxels (normalised convolution)
    j = int(np.searchsorted(row, np.ravel_multi_index((0, 0, 0), mask[box].shape)))
    corner = img[1:3, 1:3, 1:3]
    assert np.isclose(x[j, 1], corner.mean())


def test_local_entropy_zero_on_flat_and_positive_on_mixture():
    flat = np.ones((5, 5, 5))
    mask = np.ones_like(flat, bool)
    x, _, _ = _voxel.voxel_features({"T": flat}, mask, features=("local_entropy",))
    assert np.allclose(x, 0.0)
    two = flat.copy()
    two[:, :, 3:] = 5.0
    x, _, _ = _voxel.voxel_features({"T": two}, mask, features=("local_entropy",))
    assert x.max() > 0.9 and x.min() == 0.0  # one bit at the interface


def test_island_cleanup_relabels_small_islands():
    lab = np.ones((5, 9, 9), np.uint8)
    lab[:, :, 5:] = 2
    lab[2, 2, 2] = 2  # a 1-voxel island inside habitat 1
    lab[1:4, 1:4, 6:8] = 3  # an 18-voxel region inside habitat 2
    out = _voxel.island_cleanup(lab, lab > 0, 10)
    assert out[2, 2, 2] == 1
    assert (out == 3).sum() == 18
    assert (_voxel.island_cleanup(lab, lab > 0, 20) == 3).sum() == 0


def test_robust_normalise_zero_iqr_column():
    x = np.c_[np.arange(10.0), np.r_[np.zeros(9), 1.0]]
    out = _voxel.robust_normalise(x)
    assert np.isclose(np.median(out[:, 0]), 0) and np.isclose(
        np.subtract(*np.percentile(out[:, 0], [75, 25])), 1
    )
    assert np.isfinite(out).all()


def test_torch_kmeans_agrees_with_sklearn(rng):
    centres = np.array([[0, 0], [6, 0], [0, 6]], float)
    x = np.concatenate([c + rng.normal(size=(200, 2)) for c in centres])
    a = _kmeans.kmeans(x, 3, random_state=0, device="cpu")
    b = _kmeans.kmeans(x, 3, random_state=0, device="torch-cpu")
    assert adjusted_rand_score(a.labels, b.labels) == 1.0
    assert np.isclose(a.inertia, b.inertia, rtol=1e-4)
    c = _kmeans.kmeans(x, 3, random_state=0, device="torch-cpu")
    assert np.array_equal(b.labels, c.labels)  # seeded


def test_best_k_rules():
    assert _kmeans.best_k({2: 1.0, 3: 5.0, 4: 2.0}, "calinski_harabasz") == 3
    assert _kmeans.best_k({2: 1.0, 3: 0.5, 4: 2.0}, "davies_bouldin") == 3
    assert _kmeans.best_k({2: 100.0, 3: 30.0, 4: 25.0, 5: 22.0, 6: 20.0}, "elbow") == 3


# ---------------------------------------------------------------- habitat features
def test_ith_and_msi_by_hand():
    lab = np.zeros((1, 4, 6), np.uint8)
    lab[0, :, :3] = 1
    lab[0, :, 3:] = 2
    assert ith_score(lab) == 0.0
    lab2 = lab.copy()
    lab2[0, 0, 0] = 2  # habitat 2 now has 2 regions: largest 12, n = 2
    # ITH = 1 - (11/1 + 12/2) / 24   (Li et al. 2023 definition)
    assert np.isclose(ith_score(lab2), 1 - (11 + 6) / 24)
    m = msi_matrix(lab, 2)
    assert (m == m.T).all()
    # 4 rows x 1 interface = 4 adjacent (1, 2) pairs, counted in (1, 2) and (2, 1)
    assert m[1, 2] == 4
    # habitat 1 pairs: rows 4 x 2 within-row + columns 3 x 3 = 17 pairs, counted twice
    assert m[1, 1] == 2 * 17


def test_habitat_features_table(s3, s3_fit):
    model, maps = s3_fit
    res = habitat_features(maps)
    df = res.features
    k = model.n_habitats_
    frac = df[[f"habitat{h}_fraction" for h in range(1, k + 1)]]
    assert np.allclose(frac.sum(axis=1), 1.0)
    pid = s3.patient_ids[0]
    lab = sitk.GetArrayFromImage(maps[pid])
    assert np.isclose(df.loc[pid, "habitat2_fraction"], (lab == 2).sum() / (lab > 0).sum())
    vox = np.prod(maps[pid].GetSpacing())
    assert np.isclose(df.loc[pid, "habitat3_volume_mm3"], (lab == 3).sum() * vox)
    msi = df[[c for c in df.columns if c.startswith("msi_") and c[4].isdigit()]]
    assert np.allclose(msi.sum(axis=1), 1.0)
    assert df["ith_score"].between(0, 1).all()
    assert list(df.index) == s3.patient_ids
    assert len(res.errors) == 0


def test_per_habitat_radiomics_through_extraction_engine(s3, s3_fit):
    _, maps = s3_fit
    pids = s3.patient_ids[:2]
    sub = {p: maps[p] for p in pids}
    params = {"featureClass": {"firstorder": ["Mean"]}, "setting": {"binWidth": 25}}
    df = habitat_features(sub, s3, sequences=["ADC"], params=params, n_habitats=3).features
    cols = [f"ADC__habitat{h}_original_firstorder_Mean" for h in (1, 2, 3)]
    assert set(cols) <= set(df.columns)
    pid = pids[0]
    lab = sitk.GetArrayFromImage(maps[pid])
    adc = sitk.GetArrayFromImage(s3.image(pid, "ADC")).astype(float)
    for h in (1, 2, 3):
        if (lab == h).sum() >= 10:
            assert np.isclose(
                df.loc[pid, f"ADC__habitat{h}_original_firstorder_Mean"],
                adc[lab == h].mean(),
                rtol=1e-6,
            )
    # necrotic core (habitat 1) has the highest ADC
    assert df.loc[pid, cols[0]] > df.loc[pid, cols[2]]


@pytest.mark.slow
def test_transform_on_dask_client_matches_serial(sectors):
    from distributed import Client, LocalCluster

    model = HabitatModel(n_habitats=3, n_supervoxels=20).fit(sectors, train="train")
    serial = model.transform(sectors)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        with Client(cluster) as client:
            parallel = model.transform(sectors, client=client)
            refit = HabitatModel(n_habitats=3, n_supervoxels=20).fit(
                sectors, train="train", client=client
            )
    assert _maps_equal(serial, parallel)
    assert refit.centroids_.tobytes() == model.centroids_.tobytes()
