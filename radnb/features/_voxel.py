"""Voxel features for habitat clustering, computed with vectorised scipy.ndimage filters.

Every feature is computed on the bounding box of the mask (plus a margin of the
kernel radius), and local statistics use *normalised convolution* over mask
voxels only, so the tissue outside the tumour never leaks into a local mean or
entropy at the tumour border.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "VOXEL_FEATURES",
    "crop_box",
    "island_cleanup",
    "robust_normalise",
    "voxel_features",
]

#: Voxel feature kinds known to :func:`voxel_features`.
VOXEL_FEATURES = ("intensity", "local_mean", "local_std", "local_entropy", "gradient")


def crop_box(mask: np.ndarray, margin: int) -> tuple[slice, ...]:
    """Slices of the bounding box of ``mask`` grown by ``margin`` voxels.

    Examples
    --------
    >>> m = np.zeros((5, 5), bool); m[2, 2] = True
    >>> crop_box(m, 1)
    (slice(1, 4, None), slice(1, 4, None))
    """
    idx = np.nonzero(mask)
    if len(idx[0]) == 0:
        return tuple(slice(0, 0) for _ in mask.shape)
    return tuple(
        slice(max(int(i.min()) - margin, 0), min(int(i.max()) + margin + 1, n))
        for i, n in zip(idx, mask.shape)
    )


def _local_mean(img: np.ndarray, m: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage

    w = ndimage.uniform_filter(m, size=size, mode="constant")
    w = np.maximum(w, 1e-12)
    return ndimage.uniform_filter(img * m, size=size, mode="constant") / w, w


def _local_entropy(img: np.ndarray, m: np.ndarray, inside: np.ndarray, size: int, n_bins: int):
    """Shannon entropy (bits) of the grey-level histogram in the kernel (mask voxels)."""
    from scipy import ndimage

    vals = img[inside]
    lo, hi = np.percentile(vals, [1, 99]) if vals.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    q = np.clip(((img - lo) / (hi - lo) * n_bins).astype(np.int64), 0, n_bins - 1)
    w = np.maximum(ndimage.uniform_filter(m, size=size, mode="constant"), 1e-12)
    ent = np.zeros(img.shape, dtype=np.float64)
    for b in range(n_bins):
        onehot = ((q == b) & inside).astype(np.float64)
        if not onehot.any():
            continue
        p = ndimage.uniform_filter(onehot, size=size, mode="constant") / w
        p = np.clip(p, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ent -= np.where(p > 1e-12, p * np.log2(p), 0.0)
    return ent


def voxel_features(
    images: Mapping[str, np.ndarray],
    mask: np.ndarray,
    *,
    features: Sequence[str] = ("intensity", "local_mean"),
    kernel_radius: int = 1,
    n_bins: int = 16,
) -> tuple[np.ndarray, list[str], tuple[slice, ...]]:
    """Per-voxel feature matrix inside ``mask`` from co-registered images.

    Parameters
    ----------
    images : mapping sequence -> array (z, y, x), all on the mask's grid.
    mask : bool array (z, y, x).
    features : kinds from :data:`VOXEL_FEATURES`:
        ``intensity`` (the voxel value), ``local_mean`` / ``local_std`` (over mask
        voxels in the cube of side ``2 * kernel_radius + 1``), ``local_entropy``
        (Shannon entropy, bits, of ``n_bins`` grey levels between the 1st and 99th
        percentile inside the mask, in the same cube) and ``gradient`` (magnitude of
        the Gaussian-derivative gradient, sigma = ``max(kernel_radius, 1) / 2`` voxels).
    kernel_radius : radius in voxels of the local kernel.
    n_bins : grey levels for ``local_entropy``.

    Returns
    -------
    X : float64 array (n_voxels_in_mask, n_sequences * n_features); rows in
        C order of the voxels of the cropped box.
    names : column names ``"<sequence>_<feature>"``.
    box : the crop slices (rows follow ``mask[box]`` in C order).

    Examples
    --------
    >>> img = np.arange(27, dtype=float).reshape(3, 3, 3); m = np.ones((3, 3, 3), bool)
    >>> X, names, _ = voxel_features({"T1": img}, m)
    >>> X.shape, names
    ((27, 2), ['T1_intensity', 'T1_local_mean'])
    """
    from scipy import ndimage

    unknown = [f for f in features if f not in VOXEL_FEATURES]
    if unknown:
        raise ValueError(f"unknown voxel feature(s) {unknown}; choose from {VOXEL_FEATURES}")
    mask = np.asarray(mask, bool)
    size = 2 * int(kernel_radius) + 1
    box = crop_box(mask, int(kernel_radius) + 2)
    inside = mask[box]
    m = inside.astype(np.float64)
    cols, names = [], []
    for seq, arr in images.items():
        if arr.shape != mask.shape:
            raise ValueError(f"sequence {seq!r} has shape {arr.shape}, mask has {mask.shape}")
        img = np.asarray(arr[box], dtype=np.float64)
        mean = None
        for f in features:
            if f == "intensity":
                v = img
            elif f == "local_mean":
                mean, _ = _local_mean(img, m, size) if mean is None else (mean, None)
                v = mean
            elif f == "local_std":
                if mean is None:
                    mean, _ = _local_mean(img, m, size)
                sq, _ = _local_mean(img * img, m, size)
                v = np.sqrt(np.maximum(sq - mean * mean, 0.0))
            elif f == "local_entropy":
                v = _local_entropy(img, m, inside, size, n_bins)
            else:  # gradient
                v = ndimage.gaussian_gradient_magnitude(img, sigma=max(kernel_radius, 1) / 2.0)
            cols.append(v[inside])
            names.append(f"{seq}_{f}")
    x = np.stack(cols, axis=1) if cols else np.zeros((int(inside.sum()), 0))
    return x, names, box


def robust_normalise(x: np.ndarray) -> np.ndarray:
    """Centre each column on its median and scale by its interquartile range.

    Columns with a zero IQR are scaled by their standard deviation (or left
    unscaled when that is zero too).

    Examples
    --------
    >>> robust_normalise(np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])).ravel()
    array([-1. , -0.5,  0. ,  0.5,  1. ])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] == 0:
        return x.copy()
    q1, med, q3 = np.percentile(x, [25, 50, 75], axis=0)
    scale = q3 - q1
    sd = x.std(axis=0)
    scale = np.where(scale > 1e-12, scale, np.where(sd > 1e-12, sd, 1.0))
    return (x - med) / scale


def island_cleanup(labels: np.ndarray, mask: np.ndarray, min_size: int) -> np.ndarray:
    """Relabel connected islands smaller than ``min_size`` voxels.

    Each small island (26-connectivity in 3D) takes the most frequent label among
    the mask voxels that touch it; islands that touch nothing but background keep
    their label. Repeated until nothing changes (at most 5 passes).

    Examples
    --------
    >>> lab = np.ones((1, 5, 5), np.int16); lab[0, 2, 2] = 2
    >>> island_cleanup(lab, lab > 0, 2)[0, 2, 2]
    np.int16(1)
    """
    from scipy import ndimage

    out = labels.copy()
    if min_size <= 1:
        return out
    mask = np.asarray(mask, bool)
    structure = np.ones((3,) * labels.ndim, bool)
    for _ in range(5):
        changed = False
        for h in np.unique(out[mask]):
            comp, n = ndimage.label((out == h) & mask, structure=structure)
            sizes = np.bincount(comp.ravel(), minlength=n + 1)
            small = np.nonzero((sizes < min_size) & (np.arange(n + 1) > 0))[0]
            if small.size == 0:
                continue
            objects = ndimage.find_objects(comp)
            for c in small:
                sl = objects[c - 1]
                if sl is None:
                    continue
                sl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
                region = comp[sl] == c
                ring = ndimage.binary_dilation(region, structure=structure) & ~region
                ring &= mask[sl]
                neigh = out[sl][ring]
                neigh = neigh[neigh != h]
                if neigh.size == 0:
                    continue
                vals, counts = np.unique(neigh, return_counts=True)
                out[sl][region] = vals[int(np.argmax(counts))]
                changed = True
        if not changed:
            break
    return out
