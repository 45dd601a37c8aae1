"""Data side of the Viewer: NIfTI bytes in memory, browser copies, windows, colour tables.

Nothing here touches the disk: the browser copy of an image is cropped around the
tumour and/or downsampled, then written as gzip-compressed NIfTI-1 bytes by
:func:`nifti_bytes` (SimpleITK writes only to files).
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CT_WINDOWS",
    "Layer",
    "PERCENTILE_WINDOWS",
    "browser_copy",
    "label_colormap",
    "nifti_bytes",
    "outline",
    "ras_frac",
    "tumour_box",
    "window_range",
]

#: Slice types of the Viewer (NiiVue names them the same).
SLICE_TYPES = ("axial", "coronal", "sagittal", "multiplanar", "render")
#: Colormaps known to both NiiVue and matplotlib.
COLORMAPS = ("gray", "hot", "inferno", "viridis", "plasma", "magma", "cividis", "jet", "bone")

#: CT window presets, (level, width) in HU.
CT_WINDOWS: dict[str, tuple[float, float]] = {
    "soft tissue": (40.0, 400.0),
    "lung": (-600.0, 1500.0),
    "bone": (400.0, 1800.0),
    "liver": (60.0, 160.0),
}
#: Percentile presets for MR and PET (no absolute unit to window on).
PERCENTILE_WINDOWS: dict[str, tuple[float, float]] = {
    "p1-p99": (1.0, 99.0),
    "p0.5-p99.5": (0.5, 99.5),
    "p5-p95": (5.0, 95.0),
    "min-max": (0.0, 100.0),
}

# NIfTI-1 datatype codes and the numpy type each is written as.
_NIFTI_TYPES = {
    np.dtype(np.uint8): 2,
    np.dtype(np.int16): 4,
    np.dtype(np.int32): 8,
    np.dtype(np.float32): 16,
    np.dtype(np.int8): 256,
    np.dtype(np.uint16): 512,
}


def _sitk():
    import SimpleITK as sitk

    return sitk


def _as_writable(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if arr.dtype in _NIFTI_TYPES:
        return arr
    if np.issubdtype(arr.dtype, np.integer):
        lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        for t in (np.uint8, np.int16, np.int32):
            info = np.iinfo(t)
            if info.min <= lo and hi <= info.max:
                return arr.astype(t)
    return arr.astype(np.float32)


def ras_affine(image) -> np.ndarray:
    """The 4 x 4 voxel (i, j, k) -> RAS mm affine of a SimpleITK image (NIfTI convention)."""
    d = np.asarray(image.GetDirection(), float).reshape(3, 3)
    s = np.asarray(image.GetSpacing(), float)
    o = np.asarray(image.GetOrigin(), float)
    flip = np.diag([-1.0, -1.0, 1.0])  # ITK is LPS, NIfTI world is RAS
    aff = np.eye(4)
    aff[:3, :3] = flip @ d @ np.diag(s)
    aff[:3, 3] = flip @ o
    return aff


def nifti_bytes(image, *, compress: int = 1) -> bytes:
    """A 3D SimpleITK image as NIfTI-1 bytes (gzip-compressed unless ``compress=0``).

    Written in memory (header + data), never to disk; the geometry goes into the
    sform (scanner coordinates), so SimpleITK, nibabel and NiiVue read it back on
    the same world grid.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.Image(4, 3, 2, sitk.sitkInt16); img.SetSpacing((0.5, 0.5, 2.0))
    >>> data = nifti_bytes(img)
    >>> data[:2] == b"\\x1f\\x8b", len(gzip.decompress(data))
    (True, 400)
    """
    arr = _as_writable(_sitk().GetArrayFromImage(image))
    if arr.ndim != 3:
        raise ValueError(f"the viewer shows 3D images; got an array of shape {arr.shape}")
    nz, ny, nx = arr.shape
    aff = ras_affine(image)
    hdr = bytearray(352)
    struct.pack_into("<i", hdr, 0, 348)
    hdr[38] = ord("r")
    struct.pack_into("<8h", hdr, 40, 3, nx, ny, nz, 1, 1, 1, 1)
    struct.pack_into("<hh", hdr, 70, _NIFTI_TYPES[arr.dtype], arr.dtype.itemsize * 8)
    sp = image.GetSpacing()
    struct.pack_into("<8f", hdr, 76, 1.0, sp[0], sp[1], sp[2], 1.0, 1.0, 1.0, 1.0)
    struct.pack_into("<fff", hdr, 108, 352.0, 1.0, 0.0)  # vox_offset, scl_slope, scl_inter
    hdr[123] = 2  # xyzt_units: mm
    hdr[148:158] = b"radnb view"
    struct.pack_into("<hh", hdr, 252, 0, 1)  # qform_code 0, sform_code 1 (scanner)
    struct.pack_into("<12f", hdr, 280, *aff[:3].ravel())
    hdr[344:348] = b"n+1\x00"
    raw = bytes(hdr) + np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
    return gzip.compress(raw, compresslevel=compress, mtime=0) if compress else raw


def tumour_box(mask, *, margin_mm: float = 20.0) -> tuple[np.ndarray, np.ndarray] | None:
    """World (LPS) bounding box ``(lo, hi)`` of a mask's voxels plus ``margin_mm``.

    ``None`` when the mask is empty.
    """
    arr = _sitk().GetArrayFromImage(mask) != 0
    if not arr.any():
        return None
    idx = np.argwhere(arr)[:, ::-1]  # (x, y, z) voxel indices
    lo, hi = idx.min(0), idx.max(0)
    corners = [
        mask.TransformContinuousIndexToPhysicalPoint([float(c) for c in (a, b, e)])
        for a in (lo[0] - 0.5, hi[0] + 0.5)
        for b in (lo[1] - 0.5, hi[1] + 0.5)
        for e in (lo[2] - 0.5, hi[2] + 0.5)
    ]
    pts = np.asarray(corners)
    return pts.min(0) - margin_mm, pts.max(0) + margin_mm


def _crop_to_box(image, box):
    sitk = _sitk()
    lo_w, hi_w = box
    corners = [
        image.TransformPhysicalPointToContinuousIndex([float(v) for v in (a, b, c)])
        for a in (lo_w[0], hi_w[0])
        for b in (lo_w[1], hi_w[1])
        for c in (lo_w[2], hi_w[2])
    ]
    pts = np.asarray(corners)
    size = np.asarray(image.GetSize())
    lo = np.clip(np.floor(pts.min(0) + 0.5).astype(int), 0, size - 1)
    hi = np.clip(np.ceil(pts.max(0) - 0.5).astype(int), 0, size - 1)
    if np.array_equal(lo, 0) and np.array_equal(hi, size - 1):
        return image
    return sitk.RegionOfInterest(image, [int(v) for v in hi - lo + 1], [int(v) for v in lo])


def _downsample(image, max_voxels: int, *, labels: bool):
    sitk = _sitk()
    size = np.asarray(image.GetSize(), float)
    n = float(np.prod(size))
    if n <= max_voxels:
        return image, 1.0
    spacing = np.asarray(image.GetSpacing(), float)
    # coarsen the finest axes first: equalise towards isotropic, then scale all
    target = spacing.copy()
    while np.prod(size * spacing / target) > max_voxels:
        fine = target <= target.min() * 1.0001
        target[fine] *= 1.1
    new_size = np.maximum(1, np.round(size * spacing / target)).astype(int)
    new_spacing = size * spacing / new_size
    d = np.asarray(image.GetDirection(), float).reshape(3, 3)
    # keep the box's outer edges where they were
    origin = np.asarray(image.GetOrigin()) + d @ ((new_spacing - spacing) / 2.0)
    interp = sitk.sitkNearestNeighbor if labels else sitk.sitkLinear
    out = sitk.Resample(
        image,
        [int(v) for v in new_size],
        sitk.Transform(),
        interp,
        [float(v) for v in origin],
        [float(v) for v in new_spacing],
        image.GetDirection(),
        0,
        image.GetPixelID(),
    )
    return out, float(n / np.prod(new_size))


def browser_copy(
    image, *, box=None, max_voxels: int | None = 4_000_000, labels: bool = False
) -> tuple[Any, dict]:
    """The copy of ``image`` that goes to the browser, and what was done to it.

    ``box`` (from :func:`tumour_box`) crops to that world box; then an image of more
    than ``max_voxels`` voxels is resampled to coarser voxels (linear, nearest for
    label maps) until it fits. Returns ``(image, info)`` with ``info`` holding the
    original and new sizes, ``cropped`` and the voxel-count ``factor``.
    """
    info = {"size": tuple(image.GetSize()), "cropped": False, "factor": 1.0}
    out = image
    if box is not None:
        out = _crop_to_box(image, box)
        info["cropped"] = tuple(out.GetSize()) != info["size"]
    if max_voxels:
        out, info["factor"] = _downsample(out, int(max_voxels), labels=labels)
    info["browser_size"] = tuple(out.GetSize())
    return out, info


def outline(mask):
    """The rim of a binary mask (mask minus its 1-voxel in-plane erosion), uint8 0/1."""
    from scipy import ndimage

    sitk = _sitk()
    arr = sitk.GetArrayFromImage(mask) != 0
    struct2d = np.zeros((3, 3, 3), bool)
    struct2d[1] = ndimage.generate_binary_structure(2, 1)
    rim = arr & ~ndimage.binary_erosion(arr, structure=struct2d)
    # in coronal / sagittal cuts the top and bottom slices show filled: that is the rim there
    out = sitk.GetImageFromArray(rim.astype(np.uint8))
    out.CopyInformation(mask)
    return out


def window_range(arr: np.ndarray, preset: str | tuple[float, float]) -> tuple[float, float]:
    """Display range ``(lo, hi)`` for a preset name or an explicit ``(lo, hi)``.

    CT presets are (level, width) in HU (:data:`CT_WINDOWS`); percentile presets
    (:data:`PERCENTILE_WINDOWS`) use the non-zero voxels of ``arr``.

    Examples
    --------
    >>> window_range(np.arange(10.0), "lung")
    (-1350.0, 150.0)
    >>> window_range(np.arange(1.0, 102.0), "p5-p95")  # zeros (background) are left out
    (6.0, 96.0)
    """
    if isinstance(preset, tuple | list):
        lo, hi = float(preset[0]), float(preset[1])
        if not hi > lo:
            raise ValueError(f"window {preset!r}: the upper bound must exceed the lower")
        return lo, hi
    if preset in CT_WINDOWS:
        level, width = CT_WINDOWS[preset]
        return level - width / 2.0, level + width / 2.0
    if preset in PERCENTILE_WINDOWS:
        vals = np.asarray(arr, float).ravel()
        vals = vals[np.isfinite(vals)]
        nz = vals[vals != 0]
        vals = nz if nz.size > 10 else vals
        if vals.size == 0:
            return 0.0, 1.0
        lo, hi = np.percentile(vals, PERCENTILE_WINDOWS[preset])
        return float(lo), float(hi if hi > lo else lo + 1.0)
    raise ValueError(
        f"unknown window {preset!r}; use one of {sorted(CT_WINDOWS) + sorted(PERCENTILE_WINDOWS)}"
        " or a (low, high) pair"
    )


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def label_colormap(names: dict[int, str], colours: dict[int, str] | None = None) -> dict:
    """A NiiVue label colour table (``set_colormap_label`` dict) for ``{label: name}``.

    Colours default to radnb's palette in label order, so the browser shows each
    habitat in the colour that :func:`radnb.plots.images.plot_slice` uses.

    Examples
    --------
    >>> cm = label_colormap({1: "necrotic", 2: "enhancing"})
    >>> cm["labels"], cm["R"][1], cm["A"][0]
    (['background', 'necrotic', 'enhancing'], 0, 0)
    """
    from radnb.plots.style import PALETTE

    top = max(names) if names else 0
    r, g, b, a, labels = [0], [0], [0], [0], ["background"]
    for lab in range(1, top + 1):
        colour = (colours or {}).get(lab) or PALETTE[(lab - 1) % len(PALETTE)]
        cr, cg, cb = _rgb(colour)
        r.append(cr)
        g.append(cg)
        b.append(cb)
        a.append(255)
        labels.append(str(names.get(lab, f"label {lab}")))
    return {"R": r, "G": g, "B": b, "A": a, "I": list(range(top + 1)), "labels": labels}


def ras_frac(image, point_lps) -> list[float]:
    """NiiVue's crosshair fractions (RAS-reoriented voxel frame) of a world point.

    NiiVue reorients every volume to the nearest RAS voxel order; a fraction is
    ``(index + 0.5) / size`` along each RAS axis.
    """
    aff = ras_affine(image)
    cidx = np.asarray(image.TransformPhysicalPointToContinuousIndex([float(v) for v in point_lps]))
    size = np.asarray(image.GetSize(), float)
    frac = [0.5, 0.5, 0.5]
    for r in range(3):
        a = int(np.argmax(np.abs(aff[r, :3])))
        f = (cidx[a] + 0.5) / size[a]
        frac[r] = float(f if aff[r, a] > 0 else 1.0 - f)
    return [min(max(f, 0.0), 1.0) for f in frac]


@dataclass
class Layer:
    """One layer of a Viewer: the image itself, a mask, a label map or a float map.

    ``image`` is the full-resolution SimpleITK image; ``browser`` is the copy sent to
    the browser (cropped / downsampled, a rim for outlined masks); ``info`` says
    what was done to it.
    """

    name: str
    kind: str  # "image" | "mask" | "labels" | "map"
    image: Any
    colormap: str = "gray"
    opacity: float = 1.0
    labels: dict[int, str] | None = None
    colours: dict[int, str] | None = None
    style: str = "filled"  # masks: "outline" or "filled"
    window: tuple[float, float] | None = None
    browser: Any = None
    info: dict = field(default_factory=dict)
    _array: Any = field(default=None, repr=False)

    def array(self) -> np.ndarray:
        """The full-resolution voxel array, (z, y, x)."""
        if self._array is None:
            import SimpleITK as sitk

            self._array = sitk.GetArrayViewFromImage(self.image)
        return self._array

    def value_at(self, point) -> float | None:
        """Voxel value at a world (LPS mm) point, ``None`` outside the grid."""
        idx = _index_of(self.image, point)
        if idx is None:
            return None
        return float(self.array()[idx[2], idx[1], idx[0]])


def _index_of(image, point) -> tuple[int, int, int] | None:
    if point is None:
        return None
    cidx = image.TransformPhysicalPointToContinuousIndex([float(v) for v in point])
    idx = tuple(int(np.floor(c + 0.5)) for c in cidx)
    if all(0 <= i < n for i, n in zip(idx, image.GetSize())):
        return idx
    return None


def _as_image(obj, like, *, what: str):
    """A SimpleITK image from an image or a (z, y, x) array on ``like``'s grid."""
    import SimpleITK as sitk

    if isinstance(obj, sitk.Image):
        return obj
    arr = np.asarray(obj)
    expected = tuple(like.GetSize())[::-1]
    if arr.shape != expected:
        raise ValueError(
            f"{what}: array of shape {arr.shape} does not match the image grid (z, y, x) "
            f"{expected}; pass a SimpleITK image (any grid) or an array of that shape"
        )
    img = sitk.GetImageFromArray(arr)
    img.CopyInformation(like)
    return img


def _on_grid(img, ref, *, labels: bool):
    """``img`` resampled onto ``ref``'s grid (identity in world space)."""
    import SimpleITK as sitk

    same = (
        img.GetSize() == ref.GetSize()
        and np.allclose(img.GetSpacing(), ref.GetSpacing())
        and np.allclose(img.GetOrigin(), ref.GetOrigin(), atol=1e-3)
        and np.allclose(img.GetDirection(), ref.GetDirection(), atol=1e-5)
    )
    if same:
        return img
    interp = sitk.sitkNearestNeighbor if labels else sitk.sitkLinear
    return sitk.Resample(img, ref, sitk.Transform(), interp, 0, img.GetPixelID())
