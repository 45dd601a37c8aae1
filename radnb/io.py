"""Read images and masks with SimpleITK, checking what is read; compare geometry.

Formats: NIfTI (``.nii``, ``.nii.gz``), NRRD (``.nrrd``, ``.nhdr``), MetaImage
(``.mha``, ``.mhd``), and DICOM series (a folder of slices, read with
``ImageSeriesReader``); any other format SimpleITK reads works too.

Every step of radnb (``Cohort.image`` / ``Cohort.mask``, radiomics, deep crops,
habitats, ``validate()``) reads through :func:`read_image`, which checks:

* the path is a regular file or a folder (a device or a pipe is refused before
  anything is read) and, for a file, that its first bytes look like an image;
* the file is whole: the gzip stream ends properly and a NIfTI data block is as
  long as its header says (ITK silently zero-fills a truncated file). The check
  runs once per file content, in the same pass as the content hash;
* a DICOM folder holds one series (or the one chosen with ``series=``) whose
  slices are evenly spaced;
* a 4D image is reduced to the volume chosen with ``volume=``.

:func:`binarize_mask` checks that a mask is a label map (not a probability
map, not an image), :func:`check_finite` that no NaN / inf voxel lies in the
region used, and :func:`match_grid` that image and mask share a grid within
:class:`GeometryTolerance` (the same tolerance ``validate()`` uses). Problems
raise :class:`~radnb.errors.PatientError` whose ``check`` names the problem as
``validate()`` does (see docs/data-problems.md).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from radnb._files import IMAGE_SUFFIXES, check_file, check_integrity, content_hash
from radnb._files import restore_nan as _restore_nan
from radnb._files import scan as _scan
from radnb.dicom import dicom_mask_kind, read_dicom_mask, strip_identifiers
from radnb.errors import GeometryError, PatientError, clean_message

__all__ = [
    "GeometryTolerance",
    "IMAGE_SUFFIXES",
    "MAX_LABELS",
    "binarize_mask",
    "check_file",
    "check_finite",
    "check_integrity",
    "check_label_map",
    "check_same_grid",
    "compare_geometry",
    "content_hash",
    "dicom_series",
    "empty_mask_error",
    "image_summary",
    "mask_border_sides",
    "mask_voxel_count",
    "match_grid",
    "read_image",
    "read_image_info",
    "read_mask",
    "write_image",
]

MAX_LABELS = 255


@dataclass(frozen=True)
class GeometryTolerance:
    """Tolerances used when two grids must match.

    ``spacing`` and ``direction`` are relative / absolute tolerances; ``origin`` is
    in millimetres. The defaults follow ITK's own coordinate tolerance (1e-6
    times the spacing) loosened to what resampled clinical data still passes.
    Grids that agree within these tolerances are treated as the same grid
    everywhere (``validate()``, radiomics, crops, habitats).
    """

    spacing: float = 1e-4
    origin: float = 1e-3
    direction: float = 1e-4


def _sitk():
    import SimpleITK as sitk

    return sitk


# --------------------------------------------------------------------- DICOM
def _dicom_tag(reader, tag: str) -> str:
    return reader.GetMetaData(tag).strip() if reader.HasMetaDataKey(tag) else ""


def dicom_series(folder: str | PathLike) -> list[dict[str, Any]]:
    """The DICOM series in a folder: ``uid``, ``n_files``, ``description``, ``files``.

    Examples
    --------
    >>> import tempfile
    >>> dicom_series(tempfile.mkdtemp())
    []
    """
    from radnb._files import _stat_key

    key = _stat_key(Path(folder))  # a folder's mtime changes when files come or go
    if key in _SERIES:
        return [dict(s) for s in _SERIES[key]]
    sitk = _sitk()
    reader = sitk.ImageSeriesReader()
    out = []
    for uid in reader.GetGDCMSeriesIDs(str(folder)):
        files = list(reader.GetGDCMSeriesFileNames(str(folder), uid))
        desc = ""
        try:
            r = sitk.ImageFileReader()
            r.SetFileName(files[0])
            r.ReadImageInformation()
            desc = _dicom_tag(r, "0008|103e")
        except RuntimeError:
            pass
        out.append({"uid": uid, "n_files": len(files), "description": desc, "files": files})
    _SERIES[key] = out
    return [dict(s) for s in out]


_SERIES: dict[tuple, list[dict[str, Any]]] = {}
_SPACING_OK: set[tuple] = set()


def _choose_series(found: list[dict], series, where: dict) -> list[str]:
    if len(found) == 1 and series in (None, "largest", 0, found[0]["uid"]):
        return found[0]["files"]
    if series == "largest":
        return max(found, key=lambda s: s["n_files"])["files"]
    if isinstance(series, int) and 0 <= series < len(found):
        return found[series]["files"]
    if isinstance(series, str):
        hits = [s for s in found if s["uid"] == series]
        hits = hits or [s for s in found if series.lower() in s["description"].lower()]
        if len(hits) == 1:
            return hits[0]["files"]
    # UIDs are identifiers (issue 17): the listing names series by index, description
    # and size only; series= still accepts a UID the user knows.
    listing = "; ".join(
        f"[{i}] {repr(s['description']) if s['description'] else 'no description'} "
        f"({s['n_files']} files)"
        for i, s in enumerate(found)
    )
    what = (
        "holds several DICOM series"
        if series is None
        else f"has no single series matching {series!r}"
    )
    raise PatientError(
        f"folder {what}: {listing}. Choose one with series= (an index, a "
        "description, a SeriesInstanceUID or 'largest'), e.g. Cohort.from_table(..., "
        "read_options={'<sequence>': {'series': '<description>'}}), or move the other "
        "series out of the folder",
        check="dicom_series",
        **where,
    )


def _check_slice_spacing(files: list[str], where: dict) -> None:
    """Error if the slice positions of a series are not evenly spaced."""
    sitk = _sitk()
    memo = tuple((f, os.stat(f).st_mtime_ns) for f in files)
    if len(files) < 3 or memo in _SPACING_OK:
        return
    pos, normal = [], None
    for f in files:
        r = sitk.ImageFileReader()
        r.SetFileName(f)
        try:
            r.ReadImageInformation()
        except RuntimeError:
            return
        ipp, iop = _dicom_tag(r, "0020|0032"), _dicom_tag(r, "0020|0037")
        if not ipp or not iop:
            return  # no positions (e.g. secondary capture): nothing to check
        try:
            p = np.array([float(v) for v in ipp.split("\\")])
            if normal is None:
                o = np.array([float(v) for v in iop.split("\\")])
                normal = np.cross(o[:3], o[3:])
        except ValueError:
            return
        pos.append(float(p @ normal))
    z = np.sort(np.asarray(pos))
    gaps = np.diff(z)
    med = float(np.median(gaps))
    bad = np.nonzero(np.abs(gaps - med) > max(0.05 * abs(med), 0.01))[0]
    if med <= 1e-6 or bad.size:
        i = int(bad[0]) if bad.size else 0
        raise PatientError(
            f"slice spacing is not uniform: slices {i + 1} and {i + 2} of {len(z)} are "
            f"{gaps[i]:.3g} mm apart, the others {med:.3g} mm "
            f"({'a missing slice?' if gaps[i] > med else 'a duplicated slice?'}); "
            "the volume would be built on a wrong grid. Re-export the complete series",
            check="slice_spacing",
            **where,
        )
    _SPACING_OK.add(memo)


def _read_dicom(folder: Path, series, where: dict):
    sitk = _sitk()
    found = dicom_series(folder)
    if not found:
        raise PatientError(
            "folder holds no DICOM series; point to a NIfTI/NRRD/MHA file or a folder of "
            "DICOM slices",
            check="unreadable",
            **where,
        )
    files = _choose_series(found, series, where)
    _check_slice_spacing(files, where)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    return reader.Execute()


# --------------------------------------------------------------------- reading
def _pick_volume(img, volume: int | None, where: dict):
    dim = img.GetDimension()
    if dim == 4:
        n = img.GetSize()[3]
        if volume is None and n == 1:
            volume = 0
        if volume is None:
            raise PatientError(
                f"image is 4D (size {img.GetSize()}: {n} volumes, e.g. b-values or time "
                "points); choose one with volume=<index>, e.g. Cohort.from_table(..., "
                "read_options={'<sequence>': {'volume': 0}})",
                check="dimension",
                **where,
            )
        if not 0 <= int(volume) < n:
            raise PatientError(f"volume={volume} but the image has {n} volumes (0..{n - 1})",
                               check="dimension", **where)  # fmt: skip
        return img[:, :, :, int(volume)]
    if volume not in (None, 0):
        raise PatientError(f"volume={volume} asked for, but the image is {dim}D (one volume)",
                           check="dimension", **where)  # fmt: skip
    if dim > 4:
        raise PatientError(f"image is {dim}D (size {img.GetSize()}); radnb reads 2D-4D images",
                           check="dimension", **where)  # fmt: skip
    return img


def read_image(
    path: str | PathLike,
    *,
    patient_id: str | None = None,
    sequence: str | None = None,
    series: str | int | None = None,
    volume: int | None = None,
):
    """Read an image file or a DICOM series folder into a checked ``SimpleITK.Image``.

    Parameters
    ----------
    path : file or folder of DICOM slices.
    patient_id, sequence : named in any error.
    series : DICOM folder with several series: a SeriesInstanceUID, a (part of
        the) SeriesDescription, an index, or ``"largest"``. Without it such a
        folder is an error that lists the series.
    volume : 4D image: the index of the volume to read (a 4D image without it
        is an error).

    Raises :class:`~radnb.errors.PatientError` naming the file (and patient, if
    given) when the path is missing, not a regular file, truncated, corrupt,
    a DICOM folder with several series or uneven slices, or 4D without
    ``volume``; ``exc.check`` names the problem as ``validate()`` does.

    Examples
    --------
    >>> import SimpleITK as sitk, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.nii.gz")
    >>> sitk.WriteImage(sitk.Image(4, 4, 4, sitk.sitkInt16), p)
    >>> read_image(p).GetSize()
    (4, 4, 4)
    >>> _ = open(p, "r+b").truncate(60)
    >>> read_image(p, patient_id="p1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    radnb.errors.PatientError: patient 'p1', file ...: file is truncated or corrupt (gzip ...
    """
    path = Path(path)
    where = dict(patient_id=patient_id, sequence=sequence, path=str(path))
    kind = check_file(path, patient_id=patient_id, sequence=sequence)
    try:
        if kind == "folder":
            img = strip_identifiers(_read_dicom(path, series, where))
        elif dicom_mask_kind(path) is not None:  # RTSTRUCT / SEG: radnb.dicom
            try:
                img = read_dicom_mask(path, patient_id=patient_id)
            except PatientError as exc:
                raise PatientError(exc.reason, check=exc.check, **where) from None
        else:
            _, problem, n_nan = _scan(path)
            if problem:
                raise PatientError(f"file is truncated or corrupt ({problem}); re-export it",
                                   check="unreadable", **where)  # fmt: skip
            img = strip_identifiers(_read_file(path))
            if n_nan:  # ITK reads NaN in NIfTI as 0: put them back for the finite checks
                img = _restore_nan(path, img)
    except RuntimeError as exc:
        raise PatientError(
            f"file is unreadable or corrupt ({clean_message(exc)}); re-export it",
            check="unreadable",
            **where,
        ) from None
    return _pick_volume(img, volume, where)


#: ``.nii.gz`` files up to this many compressed bytes are gunzipped by Python into a
#: temporary ``.nii`` that ITK then reads: ITK's own gzip path is several times slower
#: (about 6 ms against 2 ms for a 256 KB volume); the bytes ITK parses are the same.
FAST_GZIP_MAX_BYTES = 512 * 2**20


def _read_file(path: Path):
    """``SimpleITK.ReadImage`` of one file, with ``.nii.gz`` decompressed by zlib first.

    Any failure of the fast path (no space for the temporary file, an odd
    stream) falls back to ITK's own reader, so errors are ITK's as before.
    """
    sitk = _sitk()
    name = path.name.lower()
    if name.endswith(".nii.gz"):
        try:
            if path.stat().st_size <= FAST_GZIP_MAX_BYTES:
                return _read_gunzipped(path)
        except (OSError, EOFError, RuntimeError, zlib.error):
            pass
    return sitk.ReadImage(str(path))


def _read_gunzipped(path: Path):
    sitk = _sitk()
    fd, tmp = tempfile.mkstemp(prefix="radnb-", suffix=".nii")
    try:
        with gzip.open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        return sitk.ReadImage(tmp)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def read_image_info(path: str | PathLike, *, series: str | int | None = None):
    """Read only the header (size, spacing, origin, direction) of an image.

    Returns a ``SimpleITK.ImageFileReader`` after ``ReadImageInformation``
    (cheap even for large volumes); for a DICOM folder, the series itself (its
    geometry needs every slice position).
    """
    sitk = _sitk()
    path = Path(path)
    if check_file(path) == "folder":
        return read_image(path, series=series)
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return reader


def read_mask(
    path: str | PathLike,
    *,
    label: int | None = 1,
    threshold: float | None = None,
    patient_id: str | None = None,
    sequence: str | None = None,
):
    """Read a binary or labelled mask and return a uint8 0/1 image of ``label``.

    See :func:`binarize_mask` for the label-map checks and ``threshold``.
    """
    mask = read_image(path, patient_id=patient_id, sequence=sequence)
    return binarize_mask(
        mask, label, threshold=threshold, patient_id=patient_id, sequence=sequence, path=str(path)
    )


# --------------------------------------------------------------------- masks
def check_label_map(arr: np.ndarray, *, patient_id=None, sequence=None, path=None) -> None:
    """Raise :class:`PatientError` unless ``arr`` is a label map (small non-negative integers).

    ``check`` is ``"probability_mask"`` for fractional values in [0, 1] (a
    probability map: threshold it explicitly), ``"not_label_map"`` for negative
    values, NaN, other fractions or more than :data:`MAX_LABELS` distinct
    labels (an image given as the mask: are the columns swapped?).

    Examples
    --------
    >>> check_label_map(np.array([0.0, 0.2, 0.9]))
    Traceback (most recent call last):
    ...
    radnb.errors.PatientError: mask holds fractional values from 0 to 0.9 (a probability map?); ...
    """
    where = dict(patient_id=patient_id, sequence=sequence, path=path)
    swapped = "this looks like an image, not a mask: are the image and mask columns swapped?"
    if arr.size == 0:
        return
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise PatientError(f"mask holds NaN or infinite values; {swapped}",
                               check="not_label_map", **where)  # fmt: skip
        frac = np.mod(arr, 1) != 0
        if frac.any():
            lo, hi = float(arr.min()), float(arr.max())
            if lo >= 0 and hi <= 1:
                raise PatientError(
                    f"mask holds fractional values from {lo:.3g} to {hi:.3g} (a probability "
                    "map?); radnb does not guess a cut-off: threshold it explicitly with "
                    "Cohort.from_table(..., mask_threshold=0.5) or read_mask(path, threshold=0.5)",
                    check="probability_mask",
                    **where,
                )
            raise PatientError(f"mask holds fractional values from {lo:.4g} to {hi:.4g}; {swapped}",
                               check="not_label_map", **where)  # fmt: skip
    lo = arr.min()
    if lo < 0:
        raise PatientError(f"mask holds negative values (min {lo:.6g}); {swapped}",
                           check="not_label_map", **where)  # fmt: skip
    hi = int(arr.max())
    if hi > MAX_LABELS:
        n = (np.count_nonzero(np.bincount(arr.ravel().astype(np.int64)))
             if hi < 1 << 20 else len(np.unique(arr)))  # fmt: skip
        if n - 1 > MAX_LABELS:
            raise PatientError(
                f"mask holds {n - 1} distinct non-zero values (up to {hi}); a label map has a "
                f"few labels. {swapped}",
                check="not_label_map",
                **where,
            )


def empty_mask_error(label: int | None = 1, *, patient_id=None, sequence=None, path=None,
                     where: str = "") -> PatientError:  # fmt: skip
    """The one error for an empty mask (check ``"empty_mask"``), used by every step."""
    what = "" if label is None else f" with label {label}"
    return PatientError(
        f"the mask is empty (no tumour voxel{what}{where}); redo the segmentation, choose "
        "label=, or drop the patient",
        check="empty_mask",
        patient_id=patient_id,
        sequence=sequence,
        path=path,
    )


def binarize_mask(
    mask,
    label: int | None = 1,
    *,
    threshold: float | None = None,
    patient_id: str | None = None,
    sequence: str | None = None,
    path: str | None = None,
):
    """Return a uint8 0/1 mask selecting ``label`` (``None``: any non-zero voxel).

    The mask must be a label map (:func:`check_label_map`): a probability map
    is refused unless ``threshold`` is given, and then the tumour is the voxels
    ``>= threshold`` (``label`` is not used).
    """
    sitk = _sitk()
    where = dict(patient_id=patient_id, sequence=sequence, path=path)
    arr = sitk.GetArrayViewFromImage(mask)
    if threshold is not None:
        binary = np.nan_to_num(arr, nan=-np.inf) >= float(threshold)
    else:
        check_label_map(arr, **where)
        if label is None:
            binary = arr != 0
        else:
            binary = arr == label
            if not binary.any() and arr.any():
                found = np.unique(arr[arr != 0])[:10].tolist()
                raise PatientError(
                    f"mask has no voxel with label {label} (labels present: {found}); "
                    "choose one with label=",
                    check="missing_label",
                    **where,
                )
    out = sitk.GetImageFromArray(binary.astype(np.uint8))
    out.CopyInformation(mask)
    return out


def mask_border_sides(arr: np.ndarray) -> list[str]:
    """Sides of the image (``"x-"``, ``"z+"``...) that a mask's voxels touch.

    ``arr`` is in SimpleITK's array order (z, y, x). Axes of size 1 are skipped.

    Examples
    --------
    >>> m = np.zeros((4, 5, 6), bool); m[1:3, 0:2, 2:4] = True
    >>> mask_border_sides(m)
    ['y-']
    """
    arr = np.asarray(arr) != 0
    sides = []
    names = "xyz"[: arr.ndim][::-1]
    for ax in range(arr.ndim - 1, -1, -1):
        if arr.shape[ax] < 2:
            continue
        first = np.take(arr, 0, axis=ax).any()
        last = np.take(arr, -1, axis=ax).any()
        sides += [f"{names[ax]}-"] * bool(first) + [f"{names[ax]}+"] * bool(last)
    return sides


_COUNTS: dict[tuple, int] = {}


def mask_voxel_count(path: str | PathLike, label: int | None = 1, *, threshold=None) -> int:
    """Tumour voxels of a mask file (memoised by content); 0 when it cannot be read."""
    try:
        key = (content_hash(path), label, threshold)
        if key not in _COUNTS:
            mask = read_mask(path, label=label, threshold=threshold)
            _COUNTS[key] = int(np.count_nonzero(_sitk().GetArrayViewFromImage(mask)))
        return _COUNTS[key]
    except (PatientError, OSError):
        return 0


def check_finite(image, mask=None, *, margin: int = 0, patient_id=None, sequence=None, path=None,
                 what: str = "image") -> None:  # fmt: skip
    """Raise :class:`PatientError` (check ``"non_finite"``) for NaN / inf voxels in the region used.

    The region is the mask's bounding box grown by ``margin`` voxels (filters
    and kernels reach that far), or the whole image without a mask.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> a = np.ones((4, 4, 4)); a[1, 1, 1] = np.nan
    >>> m = np.zeros((4, 4, 4), np.uint8); m[1:3, 1:3, 1:3] = 1
    >>> check_finite(sitk.GetImageFromArray(a), sitk.GetImageFromArray(m))
    Traceback (most recent call last):
    ...
    radnb.errors.PatientError: image has 1 NaN / infinite voxel(s) inside the mask; ...
    """
    sitk = _sitk()
    arr = sitk.GetArrayViewFromImage(image)
    if not np.issubdtype(arr.dtype, np.floating) and not np.iscomplexobj(arr):
        return
    m = None
    if mask is not None:
        m = sitk.GetArrayViewFromImage(mask) != 0
        if m.shape[: arr.ndim] != arr.shape[: m.ndim] or not m.any():
            m = None
    if m is None:
        box = tuple(slice(None) for _ in arr.shape)
    else:
        idx = np.nonzero(m)
        box = tuple(slice(max(int(i.min()) - margin, 0), int(i.max()) + margin + 1) for i in idx)
    bad = ~np.isfinite(arr[box])
    if not bad.any():
        return
    if m is not None:
        inside = int((bad & m[box]).sum())
        near = int(bad.sum()) - inside
        where = "inside the mask" + (f" (and {near} within {margin} voxels of it)" if near else "")
        n = inside
        if inside == 0:
            n, where = near, f"within {margin} voxels of the mask (filters reach them)"
    else:
        n, where = int(bad.sum()), "in the image"
    raise PatientError(
        f"{what} has {n} NaN / infinite voxel(s) {where}; features would be wrong. Fix the "
        "export or fill them, e.g. sitk.Mask / numpy.nan_to_num, before extraction",
        check="non_finite",
        patient_id=patient_id,
        sequence=sequence,
        path=path,
    )


# --------------------------------------------------------------------- geometry
def _geom(obj):
    return (
        tuple(obj.GetSize()),
        np.asarray(obj.GetSpacing(), float),
        np.asarray(obj.GetOrigin(), float),
        np.asarray(obj.GetDirection(), float),
    )


def _fmt(v, nd: int) -> tuple:
    return tuple(float(x) for x in np.round(v, nd))


def compare_geometry(a, b, *, tol: GeometryTolerance | None = None) -> list[str]:
    """List the ways two grids differ, with by how much (empty list: same grid within ``tol``).

    ``a`` and ``b`` are ``SimpleITK.Image`` objects or header readers.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> a = sitk.Image(4, 4, 4, sitk.sitkUInt8); b = sitk.Image(4, 4, 5, sitk.sitkUInt8)
    >>> compare_geometry(a, b)
    ['size (4, 4, 4) vs (4, 4, 5)']
    >>> b = sitk.Image(4, 4, 4, sitk.sitkUInt8); b.SetOrigin((0.0, 2.5, 0.0))
    >>> compare_geometry(a, b)
    ['origin (0.0, 0.0, 0.0) vs (0.0, 2.5, 0.0) mm: 2.5 mm apart']
    """
    tol = tol or GeometryTolerance()
    sa, pa, oa, da = _geom(a)
    sb, pb, ob, db = _geom(b)
    if len(sa) != len(sb):
        return [f"dimension {len(sa)}D vs {len(sb)}D (size {sa} vs {sb})"]
    problems = []
    if sa != sb:
        problems.append(f"size {sa} vs {sb}")
    if not np.allclose(pa, pb, rtol=tol.spacing, atol=0):
        rel = float(np.max(np.abs(pa - pb) / np.maximum(np.abs(pa), 1e-12)))
        problems.append(f"spacing {_fmt(pa, 4)} vs {_fmt(pb, 4)} mm: up to {rel:.2%} apart")
    if np.max(np.abs(oa - ob)) > tol.origin:
        dist = float(np.linalg.norm(oa - ob))
        problems.append(f"origin {_fmt(oa, 3)} vs {_fmt(ob, 3)} mm: {dist:.3g} mm apart")
    if np.max(np.abs(da - db)) > tol.direction:
        n = len(sa)
        ra, rb = da.reshape(n, n), db.reshape(n, n)
        cos = np.clip(np.einsum("ij,ij->j", ra, rb), -1, 1)
        deg = float(np.degrees(np.arccos(cos)).max())
        problems.append(
            f"direction cosines differ by up to {np.max(np.abs(da - db)):.3g} "
            f"(axes up to {deg:.3g} degrees apart)"
        )
    return problems


def geometry_advice(problems: list[str]) -> str:
    """The real fixes for a geometry mismatch (never 'increase the tolerance').

    Examples
    --------
    >>> geometry_advice(["size (4, 4, 4) vs (4, 4, 5)"])[:40]
    'check that this mask belongs to this ima'
    """
    pairing = "check that this mask belongs to this image (same patient, same series)"
    if any(p.startswith(("size", "direction", "dimension")) for p in problems):
        pairing += ": a size or direction difference usually means a wrong pairing"
    else:
        pairing += ": the mask was probably saved on a resampled or shifted grid"
    return (
        f"{pairing}; if it does, resample the mask onto the image: "
        "radnb.preprocess.resample_to(mask, image, interpolator='nearest')"
    )


def check_same_grid(
    image, mask, *, patient_id=None, sequence=None, path=None, tol: GeometryTolerance | None = None
) -> None:
    """Raise :class:`GeometryError` if ``image`` and ``mask`` are on different grids."""
    problems = compare_geometry(image, mask, tol=tol)
    if problems:
        raise GeometryError(
            "image and mask grids differ: "
            + "; ".join(problems)
            + ". "
            + geometry_advice(problems),
            check="geometry",
            patient_id=patient_id,
            sequence=sequence,
            path=path,
        )


def match_grid(image, mask, *, tol: GeometryTolerance | None = None, **where):
    """The mask on the image's exact grid: raises beyond ``tol``, copies the geometry within it.

    Float noise in an origin (1e-4 mm) passes ``validate()``; this makes
    PyRadiomics and the resamplers see the same grid too.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.Image(4, 4, 4, sitk.sitkFloat32); m = sitk.Image(4, 4, 4, sitk.sitkUInt8)
    >>> m.SetOrigin((1e-4, 0.0, 0.0))
    >>> match_grid(img, m).GetOrigin()
    (0.0, 0.0, 0.0)
    """
    check_same_grid(image, mask, tol=tol, **where)
    if (mask.GetOrigin(), mask.GetSpacing(), mask.GetDirection()) != (
        image.GetOrigin(), image.GetSpacing(), image.GetDirection()
    ):  # fmt: skip
        mask = _sitk().Image(mask)
        mask.CopyInformation(image)
    return mask


def image_summary(img) -> dict:
    """Size, spacing, origin and pixel type of an image as a plain dict."""
    return {
        "size": tuple(img.GetSize()),
        "spacing": tuple(round(s, 4) for s in img.GetSpacing()),
        "origin": tuple(round(o, 3) for o in img.GetOrigin()),
        "pixel_type": img.GetPixelIDTypeAsString(),
    }


def write_image(img, path: str | PathLike, *, compress: bool = True) -> Path:
    """Write an image (format from the suffix), creating parent folders."""
    sitk = _sitk()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(img, str(path), compress)
    return path
