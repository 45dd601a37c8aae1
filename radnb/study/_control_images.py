"""Image-level negative controls (READII-style): shuffled voxels, a moved mask."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["shuffle_in_mask", "random_mask", "control_features", "mask_volumes"]


def shuffle_in_mask(image, mask, rng: np.random.Generator):
    """A copy of ``image`` whose voxel values inside ``mask`` are randomly permuted.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.arange(27, dtype=float).reshape(3, 3, 3))
    >>> m = sitk.GetImageFromArray((np.arange(27) % 2).reshape(3, 3, 3).astype(np.uint8))
    >>> out = shuffle_in_mask(img, m, np.random.default_rng(0))
    >>> a, b = sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(out)
    >>> bool((a[a % 2 == 0] == b[a % 2 == 0]).all()), sorted(b[a % 2 == 1]) == sorted(a[a % 2 == 1])
    (True, True)
    """
    import SimpleITK as sitk

    arr = sitk.GetArrayFromImage(image).copy()
    inside = sitk.GetArrayFromImage(mask) > 0
    arr[inside] = rng.permutation(arr[inside])
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(image)
    return out


def random_mask(image, mask, rng: np.random.Generator, *, n_tries: int = 300):
    """The mask moved (same shape and volume) to a random place of the image.

    Of ``n_tries`` random shifts that keep it inside the image, the first
    that does not overlap the tumour and has at least 95% of its voxels in
    the body (voxels above the image's lowest value) is taken; else the one
    with the least overlap, then the most body. Returns ``(mask image,
    fraction in body, fraction overlapping the tumour)``.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.ones((20, 20, 20)))
    >>> a = np.zeros((20, 20, 20), np.uint8); a[2:6, 2:6, 2:6] = 1
    >>> out, body, overlap = random_mask(img, sitk.GetImageFromArray(a), np.random.default_rng(0))
    >>> b = sitk.GetArrayFromImage(out)
    >>> int(b.sum()) == int(a.sum()), int((a & b).sum()), body, overlap
    (True, 0, 1.0, 0.0)
    """
    import SimpleITK as sitk

    m = sitk.GetArrayFromImage(mask) > 0
    img = sitk.GetArrayFromImage(image)
    body = img > img.min() if img.max() > img.min() else np.ones(img.shape, bool)
    idx = np.argwhere(m)
    lo, hi = idx.min(axis=0), idx.max(axis=0)
    shape = np.array(m.shape)
    best, best_key = idx, (1.0, 0.0)
    for _ in range(n_tries):
        shift = np.array([rng.integers(-lo[d], shape[d] - hi[d]) for d in range(3)])
        if not shift.any():
            continue
        new = idx + shift
        overlap = float(m[tuple(new.T)].mean())
        frac = float(body[tuple(new.T)].mean())
        if (overlap, -frac) < (best_key[0], -best_key[1]):
            best, best_key = new, (overlap, frac)
        if overlap == 0 and frac >= 0.95:
            break
    arr = np.zeros(m.shape, np.uint8)
    arr[tuple(best.T)] = 1
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(mask)
    return out, best_key[1], best_key[0]


def mask_volumes(images) -> pd.Series:
    """Mask volume (mm^3: voxels x voxel volume) per patient of a Cohort (first mask)."""
    import SimpleITK as sitk

    out = {}
    for pid in images.patient_ids:
        m = images.mask(pid, images.sequences[0])
        out[pid] = float(sitk.GetArrayViewFromImage(m).sum() * np.prod(m.GetSpacing()))
    return pd.Series(out, name="volume")


def control_features(
    images,
    kind: str,
    *,
    rng: np.random.Generator,
    extract: Callable | None = None,
    params: Any = "pyradiomics-default",
) -> pd.DataFrame:
    """Write the ``kind`` control of every image to a temporary folder and extract features.

    ``kind``: ``"shuffled"`` (voxels permuted inside the mask) or
    ``"random_mask"`` (the mask moved elsewhere in the image). The control
    Cohort has the same patients, sequences and clinical table.
    """
    import SimpleITK as sitk

    if extract is None:
        from radnb.features.radiomic import extract_radiomics

        def extract(c):
            return extract_radiomics(c, params=params, client="serial", progress=False, cache=False)

    value = images.label or 1
    with tempfile.TemporaryDirectory(prefix=f"radnb_{kind}_") as tmp:
        root = Path(tmp)
        imgs = images.image_paths.copy()
        masks = images.mask_paths.copy()
        overlap: dict[str, float] = {}
        for pid in images.patient_ids:
            for seq in images.sequences:
                if images.image_path(pid, seq) is None or images.mask_path(pid, seq) is None:
                    continue
                img, m = images.image(pid, seq), images.mask(pid, seq)
                col = seq if seq in masks.columns else masks.columns[0]
                if kind == "shuffled":
                    p = root / f"{pid}_{seq}.nii.gz"
                    sitk.WriteImage(shuffle_in_mask(img, m, rng), str(p))
                    imgs.at[pid, seq] = str(p)
                elif kind == "random_mask":
                    p = root / f"{pid}_{col}_mask.nii.gz"
                    if col != seq and p.exists():  # one mask for every sequence: moved once
                        continue
                    new, _, overlap[pid] = random_mask(img, m, rng)
                    sitk.WriteImage(sitk.Cast(new * value, sitk.sitkUInt8), str(p))
                    masks.at[pid, col] = str(p)
                else:
                    raise ValueError(f"unknown image control {kind!r}")
        ctrl = images._derive(images=imgs, masks=masks)
        res = extract(ctrl)
        feats = getattr(res, "features", res)
    if "patient_id" in feats.columns:
        feats = feats.set_index("patient_id")
    feats = feats.select_dtypes(include=[np.number, "bool"]).astype(float)
    feats.index = feats.index.astype(str)
    if overlap:
        feats.attrs["mask_overlap"] = pd.Series(overlap, name="overlap")
    return feats
