"""Read images and masks with SimpleITK, and compare their geometry.

Formats: NIfTI (``.nii``, ``.nii.gz``), NRRD (``.nrrd``, ``.nhdr``), MetaImage
(``.mha``, ``.mhd``), and DICOM series (a folder of slices, read with
``ImageSeriesReader``); any other format SimpleITK reads works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from radnb.dicom import dicom_mask_kind, read_dicom_mask, strip_identifiers
from radnb.errors import GeometryError, PatientError

__all__ = [
    "GeometryTolerance",
    "IMAGE_SUFFIXES",
    "compare_geometry",
    "image_summary",
    "read_image",
    "read_image_info",
    "read_mask",
    "binarize_mask",
    "check_integrity",
    "check_same_grid",
    "write_image",
]

#: File name endings radnb recognises as images (a folder is a DICOM series).
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".dcm")


@dataclass(frozen=True)
class GeometryTolerance:
    """Tolerances used when two grids must match.

    ``spacing`` and ``direction`` are relative / absolute tolerances; ``origin`` is
    in millimetres. The defaults follow ITK's own coordinate tolerance (1e-6
    times the spacing) loosened to what resampled clinical data still passes.
    """

    spacing: float = 1e-4
    origin: float = 1e-3
    direction: float = 1e-4


def _sitk():
    import SimpleITK as sitk

    return sitk


def _dicom_series(folder: Path):
    sitk = _sitk()
    reader = sitk.ImageSeriesReader()
    series = reader.GetGDCMSeriesIDs(str(folder))
    if not series:
        raise PatientError(
            "folder holds no DICOM series; point to a NIfTI/NRRD/MHA file or a folder of DICOM slices",
            path=str(folder),
        )
    files_per_series = [reader.GetGDCMSeriesFileNames(str(folder), s) for s in series]
    files = max(files_per_series, key=len)
    reader.SetFileNames(files)
    return reader


def read_image(path: str | PathLike, *, patient_id: str | None = None, sequence: str | None = None):
    """Read an image file or a DICOM series folder into a ``SimpleITK.Image``.

    Raises :class:`~radnb.errors.PatientError` naming the file (and patient, if
    given) when the path is missing or unreadable.

    Examples
    --------
    >>> import SimpleITK as sitk, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.nii.gz")
    >>> sitk.WriteImage(sitk.Image(4, 4, 4, sitk.sitkInt16), p)
    >>> read_image(p).GetSize()
    (4, 4, 4)
    """
    sitk = _sitk()
    path = Path(path)
    where = dict(patient_id=patient_id, sequence=sequence, path=str(path))
    if not path.exists():
        raise PatientError("file not found; check the path in the clinical table", **where)
    try:
        if path.is_dir():
            return strip_identifiers(_dicom_series(path).Execute())
        if dicom_mask_kind(path) is not None:  # RTSTRUCT / SEG: radnb.dicom
            return read_dicom_mask(path, patient_id=patient_id)
        return strip_identifiers(sitk.ReadImage(str(path)))
    except PatientError as exc:
        raise PatientError(exc.reason, **where) from None
    except RuntimeError as exc:
        msg = str(exc).strip().splitlines()
        detail = next((m for m in reversed(msg) if m.strip()), "unknown reader error")
        raise PatientError(
            f"file is unreadable or corrupt ({detail.strip()[:200]}); re-export it", **where
        ) from None


def check_integrity(path: str | PathLike) -> None:
    """Raise ``ValueError`` if a file is truncated or its gzip stream is corrupt.

    ITK fills a truncated ``.nii.gz`` with zeros without complaint, so radnb
    checks the gzip stream end to end and, for NIfTI, that the data block is
    as long as the header says.
    """
    import zlib

    path = Path(path)
    if path.is_dir():
        return
    name = path.name.lower()
    length = 0
    if name.endswith(".gz"):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                length += len(d.decompress(chunk))
                while d.unused_data and d.eof:  # concatenated gzip members
                    rest = d.unused_data
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    length += len(d.decompress(rest))
        if not d.eof:
            raise ValueError("gzip stream ends early (file truncated)")
    else:
        length = path.stat().st_size
    if name.endswith((".nii", ".nii.gz")):
        reader = read_image_info(path)
        n = int(np.prod(reader.GetSize())) * reader.GetNumberOfComponents()
        sitk = _sitk()
        bytes_per = sitk.GetArrayFromImage(
            sitk.Image([1] * reader.GetDimension(), reader.GetPixelID())
        ).itemsize
        if length < 348 + n * bytes_per:
            raise ValueError(
                f"NIfTI data block is short: {length} bytes for {n} voxels "
                f"of {bytes_per} bytes (file truncated)"
            )


def read_image_info(path: str | PathLike):
    """Read only the header (size, spacing, origin, direction) of an image.

    Returns a ``SimpleITK.ImageFileReader`` (or series reader) after
    ``ReadImageInformation``; cheap even for large volumes.
    """
    sitk = _sitk()
    path = Path(path)
    if path.is_dir():
        reader = _dicom_series(path)
        img = strip_identifiers(sitk.ReadImage(reader.GetFileNames()[0]))
        return img
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return reader


def binarize_mask(
    mask, label: int | None = 1, *, patient_id: str | None = None, path: str | None = None
):
    """Return a uint8 0/1 mask selecting ``label`` (``None``: any non-zero voxel)."""
    sitk = _sitk()
    arr = sitk.GetArrayViewFromImage(mask)
    if label is None:
        binary = arr != 0
    else:
        binary = arr == label
        if not binary.any() and arr.any():
            found = np.unique(arr[arr != 0])[:10].tolist()
            raise PatientError(
                f"mask has no voxel with label {label} (labels present: {found}); "
                "choose one with label=",
                patient_id=patient_id,
                path=path,
            )
    out = sitk.GetImageFromArray(binary.astype(np.uint8))
    out.CopyInformation(mask)
    return out


def read_mask(
    path: str | PathLike,
    *,
    label: int | None = 1,
    patient_id: str | None = None,
    sequence: str | None = None,
):
    """Read a binary or labelled mask and return a uint8 0/1 image of ``label``."""
    mask = read_image(path, patient_id=patient_id, sequence=sequence)
    try:
        return binarize_mask(mask, label, patient_id=patient_id, path=str(path))
    except PatientError as exc:
        raise PatientError(
            exc.reason, patient_id=patient_id, sequence=sequence, path=str(path)
        ) from None


def _geom(obj):
    return (
        tuple(obj.GetSize()),
        np.asarray(obj.GetSpacing(), float),
        np.asarray(obj.GetOrigin(), float),
        np.asarray(obj.GetDirection(), float),
    )


def compare_geometry(a, b, *, tol: GeometryTolerance | None = None) -> list[str]:
    """List the ways two grids differ (empty list: same grid within ``tol``).

    ``a`` and ``b`` are ``SimpleITK.Image`` objects or header readers.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> a = sitk.Image(4, 4, 4, sitk.sitkUInt8); b = sitk.Image(4, 4, 5, sitk.sitkUInt8)
    >>> compare_geometry(a, b)
    ['size (4, 4, 4) vs (4, 4, 5)']
    """
    tol = tol or GeometryTolerance()
    sa, pa, oa, da = _geom(a)
    sb, pb, ob, db = _geom(b)
    problems = []
    if sa != sb:
        problems.append(f"size {sa} vs {sb}")
    if pa.shape != pb.shape or not np.allclose(pa, pb, rtol=tol.spacing, atol=0):
        problems.append(f"spacing {tuple(np.round(pa, 4))} vs {tuple(np.round(pb, 4))}")
    if oa.shape != ob.shape or np.max(np.abs(oa - ob)) > tol.origin:
        problems.append(f"origin {tuple(np.round(oa, 3))} vs {tuple(np.round(ob, 3))}")
    if da.shape != db.shape or np.max(np.abs(da - db)) > tol.direction:
        problems.append("direction cosines differ")
    return problems


def check_same_grid(
    image, mask, *, patient_id=None, sequence=None, path=None, tol: GeometryTolerance | None = None
) -> None:
    """Raise :class:`GeometryError` if ``image`` and ``mask`` are on different grids."""
    problems = compare_geometry(image, mask, tol=tol)
    if problems:
        raise GeometryError(
            "image and mask grids differ: "
            + "; ".join(problems)
            + ". Resample the mask onto the image (radnb.preprocess.resample_to) or fix the export",
            patient_id=patient_id,
            sequence=sequence,
            path=path,
        )


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
