"""The grid a DICOM mask is rasterised onto, and the UIDs that tie them together."""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from radnb.errors import PatientError, require

__all__ = ["DicomMaskError", "Reference", "load_reference", "find_series_near"]


class DicomMaskError(PatientError):
    """An RTSTRUCT / SEG mask cannot be built; ``check`` names the validate() check."""

    def __init__(self, message: str, *, check: str, **where) -> None:
        super().__init__(message, **where)
        self.check = check


@dataclass
class Reference:
    """A reference grid (``SimpleITK.Image``, pixels may be dummy) and its DICOM UIDs.

    ``sop_uids`` lists the series' SOPInstanceUIDs in SimpleITK's slice order
    (empty for a non-DICOM image, whose UIDs cannot be checked).
    """

    image: object
    sop_uids: list[str] = field(default_factory=list)
    series_uid: str | None = None
    frame_uid: str | None = None
    path: str | None = None

    @property
    def is_dicom(self) -> bool:
        return bool(self.sop_uids)


def _pydicom():
    return require("pydicom", "dicom", "reading RTSTRUCT / DICOM SEG masks")


def _header(path: Path):
    pydicom = _pydicom()
    return pydicom.dcmread(
        str(path),
        stop_before_pixels=True,
        specific_tags=["SOPInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID", "Modality"],
    )


def _series_files(folder: Path, series_uid: str | None = None) -> tuple[list[str], str | None]:
    import SimpleITK as sitk

    reader = sitk.ImageSeriesReader()
    shown = sitk.ProcessObject.GetGlobalWarningDisplay()
    sitk.ProcessObject.SetGlobalWarningDisplay(False)  # "No Series were found" while searching
    try:
        ids = list(reader.GetGDCMSeriesIDs(str(folder)))
    finally:
        sitk.ProcessObject.SetGlobalWarningDisplay(shown)
    if series_uid is not None:
        ids = [s for s in ids if s == series_uid]
    if not ids:
        return [], None
    files = [list(reader.GetGDCMSeriesFileNames(str(folder), s)) for s in ids]
    best = max(range(len(ids)), key=lambda i: len(files[i]))
    return files[best], ids[best]


def load_reference(
    reference, *, patient_id: str | None = None, prefer: set[str] | None = None
) -> Reference:
    """A :class:`Reference` from a DICOM series folder, an image file or a SimpleITK image.

    Only the header of each DICOM slice is read (pydicom, no pixels); the grid
    is that of SimpleITK's series reader, so it equals ``radnb.io.read_image``'s.
    In a folder of several series, the one whose SeriesInstanceUID is in
    ``prefer`` (the series a mask references) is used, else the largest.
    """
    import SimpleITK as sitk

    if isinstance(reference, Reference):
        return reference
    if isinstance(reference, sitk.Image):
        return Reference(reference)
    path = Path(reference)
    if not path.exists():
        raise PatientError("reference image not found", patient_id=patient_id, path=str(path))
    if not path.is_dir():
        reader = sitk.ImageFileReader()
        reader.SetFileName(str(path))
        reader.ReadImageInformation()
        grid = sitk.Image(list(reader.GetSize()), sitk.sitkUInt8)
        grid.SetSpacing(reader.GetSpacing())
        grid.SetOrigin(reader.GetOrigin())
        grid.SetDirection(reader.GetDirection())
        return Reference(grid, path=str(path))
    files, series_uid = [], None
    for uid in sorted(prefer or ()):
        files, series_uid = _series_files(path, uid)
        if files:
            break
    if not files:
        files, series_uid = _series_files(path)
    if not files:
        raise PatientError(
            "reference folder holds no DICOM image series", patient_id=patient_id, path=str(path)
        )
    heads = [_header(Path(f)) for f in files]
    first = sitk.ReadImage(files[0])
    grid = sitk.Image([*first.GetSize()[:2], len(files)], sitk.sitkUInt8)
    last = sitk.ReadImage(files[-1])
    grid.SetSpacing(first.GetSpacing()[:2] + (_slice_step(first, last, len(files)),))
    grid.SetOrigin(first.GetOrigin())
    grid.SetDirection(first.GetDirection())
    frames = {str(h.get("FrameOfReferenceUID", "")) for h in heads} - {""}
    return Reference(
        grid,
        sop_uids=[str(h.SOPInstanceUID) for h in heads],
        series_uid=series_uid,
        frame_uid=next(iter(frames)) if len(frames) == 1 else None,
        path=str(path),
    )


def _slice_step(first, last, n: int) -> float:
    if n < 2:
        return float(first.GetSpacing()[2]) if first.GetDimension() > 2 else 1.0
    d = np.asarray(last.GetOrigin(), float) - np.asarray(first.GetOrigin(), float)
    return float(np.linalg.norm(d) / (n - 1))


def find_series_near(path: str | PathLike, series_uid: str) -> Path | None:
    """A folder beside (or below the parent of) ``path`` holding the DICOM series ``series_uid``."""
    path = Path(path)
    places = [path.parent, *sorted(p for p in path.parent.iterdir() if p.is_dir())]
    if path.parent.parent != path.parent:  # patient/CT/ beside patient/RTSTRUCT/
        siblings = sorted(p for p in path.parent.parent.iterdir() if p.is_dir())
        places += [p for p in siblings[:50] if p != path.parent]
    for folder in places:
        files, uid = _series_files(folder, series_uid)
        if files:
            return folder
    return None
