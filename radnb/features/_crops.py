"""Tumour crops for deep learning: 2D / 2.5D slices and 3D boxes, normalised, cached.

The crop is a resampled box in physical space, centred on the mask's bounding
box, so anisotropic spacing and oblique directions are handled by SimpleITK's
resampler. "Axial" means the image's third index axis (the slice axis).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import PatientError, clean_message

__all__ = [
    "CropCache",
    "CropDataset",
    "CropSpec",
    "crop_image",
    "crop_key",
    "intensity_for",
]

_VERSION = 1  # bump when crop numbers change, so old cache entries are not reused

_KINDS = ("zscore", "percentile", "ct", "none")


@dataclass(frozen=True)
class CropSpec:
    """How to cut and normalise a tumour crop.

    Parameters
    ----------
    dims : 2 (largest-area slice, optionally with neighbours as channels) or 3.
    size : output size in voxels per side (int) or per axis (tuple, x-y[-z] order).
    margin_mm : margin added around the mask's bounding box, in millimetres.
    n_slices : 2D only: number of slices (odd) centred on the largest-area slice;
        they become the channels (2.5D).
    square : make the box's physical extent equal on all cropped axes (the
        in-plane axes in 2D), so the tumour keeps its aspect ratio.
    fov_mm : fixed physical field of view (mm) instead of the bounding box;
        keeps the tumour's size visible to the network.
    intensity : ``"zscore"``, ``"percentile"``, ``"ct"`` or ``"none"``, a tuple
        ``("ct", level, width)`` / ``("percentile", low, high)``, or a mapping
        sequence -> spec (key ``"*"``: default for other sequences).
    dilate_mm : the normalisation statistics (z-score, percentiles) come from the
        mask dilated by this many millimetres.
    """

    dims: int = 2
    size: int | tuple[int, ...] = 64
    margin_mm: float = 10.0
    n_slices: int = 1
    square: bool = True
    fov_mm: float | None = None
    intensity: Any = "zscore"
    dilate_mm: float = 5.0
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.dims not in (2, 3):
            raise ValueError(f"dims must be 2 or 3, got {self.dims!r}")
        if self.n_slices < 1 or self.n_slices % 2 == 0:
            raise ValueError(f"n_slices must be a positive odd number, got {self.n_slices}")
        if self.dims == 3 and self.n_slices != 1:
            raise ValueError("n_slices is for 2D crops; 3D crops take the whole box")
        if self.margin_mm < 0 or self.dilate_mm < 0:
            raise ValueError("margin_mm and dilate_mm must be >= 0")

    @property
    def shape(self) -> tuple[int, ...]:
        """Array shape of one crop: (channels, H, W) or (1, D, H, W)."""
        s = self.out_size
        if self.dims == 2:
            return (self.n_slices, s[1], s[0])
        return (1, s[2], s[1], s[0])

    @property
    def out_size(self) -> tuple[int, int, int]:
        """SimpleITK (x, y, z) output size."""
        size = self.size
        if isinstance(size, int | np.integer):
            xy = (int(size), int(size))
            z = int(size) if self.dims == 3 else self.n_slices
            return (*xy, z)
        size = tuple(int(v) for v in size)
        if self.dims == 2:
            if len(size) != 2:
                raise ValueError(f"2D size must have 2 values, got {size}")
            return (size[0], size[1], self.n_slices)
        if len(size) != 3:
            raise ValueError(f"3D size must have 3 values, got {size}")
        return size  # type: ignore[return-value]

    @classmethod
    def from_kws(cls, dims: int, crop_kws: Mapping[str, Any] | None) -> CropSpec:
        kws = dict(crop_kws or {})
        unknown = set(kws) - {f for f in cls.__dataclass_fields__ if f != "extra"} - {"dims"}
        if unknown:
            raise TypeError(f"unknown crop option(s) {sorted(unknown)}")
        kws.setdefault("dims", dims)
        if kws["dims"] != dims:
            raise ValueError(f"crop_kws dims={kws['dims']} disagrees with dims={dims}")
        return cls(**kws)

    def as_json(self, sequence: str | None = None) -> str:
        d = asdict(self)
        d.pop("extra")
        d["size"] = list(self.out_size)
        d["intensity"] = list(intensity_for(self.intensity, sequence))
        return json.dumps(d, sort_keys=True)


def intensity_for(spec: Any, sequence: str | None = None) -> tuple:
    """Resolve an intensity spec (for one sequence) into a canonical tuple.

    Examples
    --------
    >>> intensity_for({"CT": "ct", "*": "zscore"}, "CT")
    ('ct', 40.0, 400.0)
    >>> intensity_for("percentile")
    ('percentile', 1.0, 99.0)
    """
    if isinstance(spec, Mapping):
        if sequence in spec:
            spec = spec[sequence]
        elif "*" in spec:
            spec = spec["*"]
        else:
            spec = "zscore"
    if isinstance(spec, str):
        spec = (spec,)
    spec = tuple(spec)
    kind = spec[0]
    if kind not in _KINDS:
        raise ValueError(f"intensity kind must be one of {_KINDS}, got {kind!r}")
    if kind == "ct":
        level, width = (spec[1:] + (40.0, 400.0)[len(spec) - 1 :])[:2]
        if width <= 0:
            raise ValueError("CT window width must be > 0")
        return ("ct", float(level), float(width))
    if kind == "percentile":
        lo, hi = (spec[1:] + (1.0, 99.0)[len(spec) - 1 :])[:2]
        if not 0 <= lo < hi <= 100:
            raise ValueError("percentiles must satisfy 0 <= low < high <= 100")
        return ("percentile", float(lo), float(hi))
    return (kind,)


def _normalise(arr: np.ndarray, region: np.ndarray, how: tuple) -> np.ndarray:
    kind = how[0]
    if kind == "ct":
        lo = how[1] - how[2] / 2
        return np.clip((arr - lo) / how[2], 0.0, 1.0)
    vals = arr[region] if region.any() else arr.ravel()
    if kind == "zscore":
        sd = float(vals.std())
        return (arr - float(vals.mean())) / (sd if sd > 1e-8 else 1.0)
    if kind == "percentile":
        lo, hi = np.percentile(vals, [how[1], how[2]])
        span = hi - lo if hi - lo > 1e-8 else 1.0
        return np.clip((arr - lo) / span, 0.0, 1.0)
    return arr


def crop_image(image, mask, spec: CropSpec, *, sequence: str | None = None) -> np.ndarray:
    """Cut one normalised crop (float32, shape ``spec.shape``) from an image and mask.

    The box is centred on the mask's bounding box (2D: on the largest-area
    slice's bounding box), widened by ``margin_mm``, squared if asked, and
    resampled linearly; voxels outside the image get the background value
    (-1024 for ``"ct"``, 0 otherwise) before normalisation.

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> img = sitk.GetImageFromArray(np.random.default_rng(0).normal(size=(8, 32, 32)))
    >>> m = np.zeros((8, 32, 32), np.uint8); m[3:5, 10:20, 12:18] = 1
    >>> msk = sitk.GetImageFromArray(m)
    >>> crop_image(img, msk, CropSpec(dims=2, size=16, n_slices=3)).shape
    (3, 16, 16)
    """
    import SimpleITK as sitk

    from radnb import io

    mask = io.match_grid(image, mask)
    m = sitk.GetArrayViewFromImage(mask)
    nz = np.nonzero(m)
    if nz[0].size == 0:
        raise io.empty_mask_error(None)
    io.check_finite(image, mask)
    spacing = np.asarray(image.GetSpacing(), float)  # x, y, z
    how = intensity_for(spec.intensity, sequence)
    if spec.dims == 2:
        areas = np.bincount(nz[0], minlength=m.shape[0])
        k = int(np.argmax(areas))  # first slice with the largest area
        sel = nz[0] == k
        lo = np.array([nz[2][sel].min(), nz[1][sel].min(), k], float)
        hi = np.array([nz[2][sel].max(), nz[1][sel].max(), k], float)
    else:
        lo = np.array([nz[2].min(), nz[1].min(), nz[0].min()], float)
        hi = np.array([nz[2].max(), nz[1].max(), nz[0].max()], float)
    centre = (lo + hi) / 2.0
    extent_mm = (hi - lo + 1.0) * spacing + 2.0 * spec.margin_mm
    axes = [0, 1] if spec.dims == 2 else [0, 1, 2]
    if spec.fov_mm is not None:
        extent_mm[axes] = float(spec.fov_mm)
    elif spec.square:
        extent_mm[axes] = extent_mm[axes].max()
    out = np.asarray(spec.out_size, float)
    extent_vox = extent_mm / spacing
    if spec.dims == 2:
        extent_vox[2] = float(spec.n_slices)  # whole slices along z
    step = extent_vox / out  # output spacing in input voxels
    start = centre - extent_vox / 2.0 + step / 2.0
    origin = image.TransformContinuousIndexToPhysicalPoint([float(v) for v in start])
    out_spacing = [float(v) for v in step * spacing]
    size = [int(v) for v in out]
    pad = -1024.0 if how[0] == "ct" else 0.0
    ref = dict(
        size=size,
        outputOrigin=origin,
        outputSpacing=out_spacing,
        outputDirection=image.GetDirection(),
    )
    img = sitk.Resample(
        image, transform=sitk.Transform(), interpolator=sitk.sitkLinear,
        defaultPixelValue=pad, outputPixelType=sitk.sitkFloat32, **ref,
    )  # fmt: skip
    arr = sitk.GetArrayFromImage(img).astype(np.float32, copy=False)
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        raise PatientError(
            f"the crop box holds {bad} NaN / infinite voxel(s) of the image (near the mask); "
            "the network's features would be NaN. Fix the export or fill them first",
            check="non_finite",
        )
    region = np.ones(arr.shape, bool)
    if how[0] in ("zscore", "percentile"):
        from scipy.ndimage import distance_transform_edt

        mcrop = sitk.Resample(
            mask, transform=sitk.Transform(), interpolator=sitk.sitkNearestNeighbor,
            defaultPixelValue=0, outputPixelType=sitk.sitkUInt8, **ref,
        )  # fmt: skip
        mk = sitk.GetArrayViewFromImage(mcrop) > 0
        if mk.any():
            sampling = out_spacing[::-1]
            region = distance_transform_edt(~mk, sampling=sampling) <= spec.dilate_mm
    arr = _normalise(arr, region, how).astype(np.float32, copy=False)
    return arr if spec.dims == 2 else arr[None]


# ---------------------------------------------------------------------- caching
def crop_key(cohort, pid: str, sequence: str, spec: CropSpec) -> str:
    """Cache key of one crop: content hashes of image and mask plus the settings.

    "" (not cached) when a file is missing or not a regular file; the read
    then reports it.
    """
    from radnb import io

    img = cohort.image_path(pid, sequence)
    msk = cohort.mask_path(pid, sequence)
    try:
        hashes = [io.content_hash(img), io.content_hash(msk)]
    except (OSError, TypeError, PatientError):
        return ""
    extra = [str(getattr(cohort, "mask_threshold", None))]
    if hasattr(cohort, "read_options_for"):
        extra.append(json.dumps(cohort.read_options_for(sequence), sort_keys=True, default=str))
    payload = "|".join([str(_VERSION), *hashes, str(cohort.label), *extra, spec.as_json(sequence)])
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


class CropCache:
    """A crop cache: in memory (``path=None``) or ``.npy`` files in a folder.

    Keys are content hashes of image and mask plus the crop settings, so an
    edited file or a changed setting never reuses a stale crop. Reuse one
    object across calls to keep crops in memory; a folder survives sessions.

    Examples
    --------
    >>> cache = CropCache()
    >>> cache.put("k", np.zeros((1, 2, 2), np.float32)); cache.get("k").shape
    (1, 2, 2)
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._mem: dict[str, np.ndarray] = {}
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"CropCache({where}, {len(self)} crops)"

    def __len__(self) -> int:
        if self.path is None:
            return len(self._mem)
        return sum(1 for _ in self.path.glob("*.npy"))

    def get(self, key: str) -> np.ndarray | None:
        if not key:
            return None
        if self.path is None:
            return self._mem.get(key)
        f = self.path / f"{key}.npy"
        if not f.exists():
            return None
        try:
            return np.load(f, allow_pickle=False)
        except (OSError, ValueError):  # a truncated file: recompute
            return None

    def put(self, key: str, arr: np.ndarray) -> None:
        if not key:
            return
        if self.path is None:
            self._mem[key] = arr
            return
        fd, tmp = tempfile.mkstemp(dir=self.path, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)
        os.replace(tmp, self.path / f"{key}.npy")

    @classmethod
    def coerce(cls, cache: Any) -> CropCache | None:
        if cache is None or isinstance(cache, CropCache):
            return cache
        if cache == "memory":
            return cls()
        return cls(cache)


# ---------------------------------------------------------------------- dataset
def _torch_dataset_base():
    from torch.utils.data import Dataset

    return Dataset


class CropDataset(_torch_dataset_base()):  # type: ignore[misc]
    """A torch Dataset of tumour crops over a Cohort, read lazily and cached.

    Items are (patient, sequence) pairs, patient-major; with ``stack=True`` one
    item per patient whose channels are the sequences' crops, concatenated. A
    failing patient does not stop a DataLoader: its item carries zeros and an
    ``error`` message (use :meth:`crop` to get the exception itself).

    Parameters
    ----------
    cohort : Cohort
    sequences : sequences to crop (default: all of the cohort's).
    spec : CropSpec
    cache : CropCache, folder path, ``"memory"`` or None.
    stack : one item per patient with the sequences as channels.
    """

    def __init__(
        self,
        cohort,
        sequences: Sequence[str] | None = None,
        *,
        spec: CropSpec | None = None,
        cache: Any = None,
        stack: bool = False,
    ) -> None:
        self.cohort = cohort
        self.sequences = list(sequences) if sequences is not None else list(cohort.sequences)
        unknown = [s for s in self.sequences if s not in cohort.sequences]
        if unknown:
            raise KeyError(f"sequences {unknown} not in cohort sequences {cohort.sequences}")
        self.spec = spec or CropSpec()
        self.cache = CropCache.coerce(cache)
        self.stack = stack
        pids = cohort.patient_ids
        if stack:
            self.items = [(p, None) for p in pids]
        else:
            self.items = [(p, s) for p in pids for s in self.sequences]

    def __len__(self) -> int:
        return len(self.items)

    @property
    def item_shape(self) -> tuple[int, ...]:
        shape = self.spec.shape
        if self.stack:
            return (shape[0] * len(self.sequences), *shape[1:])
        return shape

    def key(self, index: int) -> str:
        """Cache key of item ``index`` ("" when uncached or files are missing)."""
        pid, seq = self.items[index]
        if self.cache is None:
            return ""
        seqs = [seq] if seq is not None else self.sequences
        keys = [crop_key(self.cohort, pid, s, self.spec) for s in seqs]
        return "+".join(keys) if all(keys) else ""

    def _one(self, pid: str, seq: str) -> tuple[np.ndarray, str, bool]:
        key = crop_key(self.cohort, pid, seq, self.spec) if self.cache is not None else ""
        if key:
            hit = self.cache.get(key)
            if hit is not None:
                return hit, key, True
        try:
            image = self.cohort.image(pid, seq)
            mask = self.cohort.mask(pid, seq)
            arr = crop_image(image, mask, self.spec, sequence=seq)
        except PatientError as exc:
            path = self.cohort.mask_path(pid, seq) if exc.check != "non_finite" else None
            path = path or self.cohort.image_path(pid, seq)
            raise exc.located(patient_id=pid, sequence=seq, path=str(path)) from None
        if key and self.cache is not None:
            self.cache.put(key, arr)
        return arr, key, False

    def crop(self, index: int) -> np.ndarray:
        """The crop of item ``index``; raises :class:`PatientError` on bad data."""
        pid, seq = self.items[index]
        if seq is not None:
            return self._one(pid, seq)[0]
        return np.concatenate([self._one(pid, s)[0] for s in self.sequences], axis=0)

    def __getitem__(self, index: int) -> dict:
        import torch

        pid, seq = self.items[index]
        try:
            arr = self.crop(index)
            err = ""
        except PatientError as exc:  # reported per patient, the run goes on
            arr = np.zeros(self.item_shape, np.float32)
            err = exc.detail
        except Exception as exc:  # noqa: BLE001 - reported per patient, the run goes on
            arr = np.zeros(self.item_shape, np.float32)
            err = clean_message(exc)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)),
            "patient_id": pid,
            "sequence": seq or "+".join(self.sequences),
            "error": err,
            "index": index,
        }

    def load_all(self, *, progress: bool = False) -> tuple[np.ndarray, pd.DataFrame]:
        """All crops as one array plus an errors table (patient_id, sequence, message)."""
        from tqdm.auto import tqdm

        out = np.zeros((len(self), *self.item_shape), np.float32)
        errors = []
        for i in tqdm(range(len(self)), desc="crops", disable=not progress, leave=False):
            item = self[i]
            out[i] = item["image"].numpy()
            if item["error"]:
                errors.append((item["patient_id"], item["sequence"], item["error"]))
        return out, errors_frame(errors)


def errors_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """The standard per-patient errors table."""
    return pd.DataFrame(list(rows), columns=["patient_id", "sequence", "message"])
