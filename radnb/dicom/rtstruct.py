"""RTSTRUCT masks: contours (parsed with pydicom) rasterised onto the referenced grid.

A voxel belongs to an ROI when its **centre** lies inside the ROI's contours on
its slice. Contours on one slice combine by the even-odd rule (XOR): a contour
inside another is a hole, as the DICOM standard's contour model implies
(PS3.3 C.8.8.6; an inner contour of the same ROI on the same plane removes
its area). ``method="rounded"`` instead emulates what rt-utils does (contour
points rounded to pixel indices, polygon filled with its boundary pixels, as
``cv2.fillPoly``) so that the two can be compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from radnb.dicom._reference import (
    DicomMaskError,
    Reference,
    _pydicom,
    find_series_near,
    load_reference,
)

__all__ = ["RTStructMask", "list_rois", "rasterise_contours", "read_rtstruct", "select_rois"]

RULES = ("union", "first", "error")


@dataclass(frozen=True)
class RTStructMask:
    """Result of :func:`read_rtstruct`.

    Attributes
    ----------
    mask : SimpleITK.Image
        uint8 0/1 on the reference grid.
    rois : list of str
        The ROI names used (several when ``rule="union"``).
    n_outside : int
        Contour points outside the image (those parts are clipped away).
    n_off_slice : int
        Contours more than a quarter slice away from any slice centre.
    """

    mask: object
    rois: list[str]
    n_outside: int = 0
    n_off_slice: int = 0
    warnings: list[str] = field(default_factory=list)


def _read(path, patient_id=None):
    pydicom = _pydicom()
    where = dict(patient_id=patient_id, path=str(path))
    try:
        ds = pydicom.dcmread(str(path))
    except Exception as exc:  # noqa: BLE001 - reported with the file
        raise DicomMaskError(
            f"not a readable DICOM file ({exc})", check="unreadable", **where
        ) from None
    if str(ds.get("Modality", "")) != "RTSTRUCT" or "StructureSetROISequence" not in ds:
        raise DicomMaskError(
            f"not an RTSTRUCT (Modality {ds.get('Modality', '?')!s})", check="unreadable", **where
        )
    return ds


def list_rois(path: str | PathLike) -> pd.DataFrame:
    """The ROIs of an RTSTRUCT: ``number, name, frame_of_reference_uid, n_contours``.

    Examples
    --------
    >>> import tempfile
    >>> from radnb.dicom.phantom import write_ct_series, write_rtstruct
    >>> d = tempfile.mkdtemp()
    >>> ct = write_ct_series(d + "/ct", size=(8, 8, 4))
    >>> p = write_rtstruct(d + "/rs.dcm", ct, {"GTV": {"centre": (-16, -16, -16), "radius": 2}})
    >>> list_rois(p)[["number", "name", "n_contours"]].to_dict("records")
    [{'number': 1, 'name': 'GTV', 'n_contours': 2}]
    """
    ds = _read(path)
    counts = {
        int(c.ReferencedROINumber): len(c.get("ContourSequence", []))
        for c in ds.get("ROIContourSequence", [])
    }
    rows = [
        {
            "number": int(r.ROINumber),
            "name": str(r.get("ROIName", "")),
            "frame_of_reference_uid": str(r.get("ReferencedFrameOfReferenceUID", "")),
            "n_contours": counts.get(int(r.ROINumber), 0),
        }
        for r in ds.StructureSetROISequence
    ]
    return pd.DataFrame(rows, columns=["number", "name", "frame_of_reference_uid", "n_contours"])


def select_rois(names: list[str], roi: str | None, rule: str = "union") -> list[str]:
    """The ROI names that ``roi`` selects: an exact name, else a regular expression.

    Both are case-insensitive; a regular expression must match the whole name
    (``"GTV.*"`` matches ``GTV`` and ``GTV_2``, not ``CTV``). ``rule`` decides
    several matches: ``"union"`` keeps all, ``"first"`` the first in the file,
    ``"error"`` raises. Raises ``LookupError`` (no match, or several with
    ``rule="error"``).

    Examples
    --------
    >>> select_rois(["GTV", "GTV_2", "CTV"], "gtv.*")
    ['GTV', 'GTV_2']
    >>> select_rois(["GTV", "GTV_2", "CTV"], "GTV.*", rule="first")
    ['GTV']
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if roi is None:
        if len(names) == 1:
            return list(names)
        raise LookupError(
            f"the RTSTRUCT holds {len(names)} ROIs {names[:20]}; choose one with roi="
        )
    exact = [n for n in names if n.lower() == roi.lower()]
    try:
        pattern = re.compile(roi, re.IGNORECASE)
        found = exact or [n for n in names if pattern.fullmatch(n)]
    except re.error:
        found = exact
    if not found:
        raise LookupError(f"no ROI matches {roi!r}; ROIs are {names[:20]}")
    if len(found) > 1 and rule == "error":
        raise LookupError(
            f"{len(found)} ROIs match {roi!r}: {found[:20]}; pass rule='union' or 'first', "
            "or a narrower roi="
        )
    return found[:1] if rule == "first" else found


def _inside(poly: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test of grid points (half-open on edges)."""
    inside = np.zeros(gx.shape, bool)
    xi, yi = poly[:, 0], poly[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    for x1, y1, x2, y2 in zip(xi, yi, xj, yj):
        if y1 == y2:
            continue
        crosses = (y1 > gy) != (y2 > gy)
        xcross = (x2 - x1) * (gy - y1) / (y2 - y1) + x1
        inside ^= crosses & (gx < xcross)
    return inside


def _fill_rounded(poly: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """rt-utils' way: round vertices to pixels, fill the polygon and its boundary."""
    ny, nx = shape
    q = np.round(poly).astype(float)
    out = np.zeros(shape, bool)
    gy, gx = np.mgrid[0:ny, 0:nx]
    out |= _inside(q, gx.astype(float), gy.astype(float))
    for a, b in zip(q, np.roll(q, 1, axis=0)):
        n = int(np.max(np.abs(b - a))) + 1
        t = np.linspace(0.0, 1.0, 2 * n + 1)[:, None]
        pts = np.round(a + t * (b - a)).astype(int)
        ok = (pts[:, 0] >= 0) & (pts[:, 0] < nx) & (pts[:, 1] >= 0) & (pts[:, 1] < ny)
        out[pts[ok, 1], pts[ok, 0]] = True
    return out


def rasterise_contours(contours, grid, *, method: str = "centre") -> tuple[np.ndarray, int, int]:
    """Rasterise closed planar contours (each an ``(n, 3)`` array in mm, LPS) on ``grid``.

    Returns ``(mask, n_outside, n_off_slice)``: a (z, y, x) uint8 array; the
    number of contour points outside the image; the number of contours more
    than a quarter slice away from the nearest slice centre (still drawn on it).
    Contours of one slice combine by XOR (holes).
    """
    if method not in ("centre", "rounded"):
        raise ValueError(f"method must be 'centre' or 'rounded', got {method!r}")
    nx, ny, nz = grid.GetSize()
    direction = np.asarray(grid.GetDirection(), float).reshape(3, 3)
    to_index = np.linalg.inv(direction @ np.diag(grid.GetSpacing()))
    origin = np.asarray(grid.GetOrigin(), float)
    out = np.zeros((nz, ny, nx), bool)
    n_outside = n_off = 0
    for pts in contours:
        idx = (np.asarray(pts, float).reshape(-1, 3) - origin) @ to_index.T
        if len(idx) < 3:
            continue
        k = int(np.round(idx[:, 2].mean()))
        if abs(idx[:, 2].mean() - k) > 0.25:
            n_off += 1
        outside = (
            (idx[:, 0] < -0.5)
            | (idx[:, 0] > nx - 0.5)
            | (idx[:, 1] < -0.5)
            | (idx[:, 1] > ny - 0.5)
        )
        if not 0 <= k < nz:
            n_outside += len(idx)
            continue
        n_outside += int(outside.sum())
        poly = idx[:, :2]
        if method == "rounded":
            out[k] ^= _fill_rounded(poly, (ny, nx))
            continue
        x0 = max(0, int(np.floor(poly[:, 0].min())))
        x1 = min(nx - 1, int(np.ceil(poly[:, 0].max())))
        y0 = max(0, int(np.floor(poly[:, 1].min())))
        y1 = min(ny - 1, int(np.ceil(poly[:, 1].max())))
        if x1 < x0 or y1 < y0:
            continue
        gy, gx = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
        out[k, y0 : y1 + 1, x0 : x1 + 1] ^= _inside(poly, gx.astype(float), gy.astype(float))
    return out.astype(np.uint8), n_outside, n_off


def _referenced(ds) -> tuple[set[str], set[str], set[str]]:
    frames, series, sops = set(), set(), set()
    for ref in ds.get("ReferencedFrameOfReferenceSequence", []):
        frames.add(str(ref.FrameOfReferenceUID))
        for st in ref.get("RTReferencedStudySequence", []):
            for se in st.get("RTReferencedSeriesSequence", []):
                series.add(str(se.SeriesInstanceUID))
                for im in se.get("ContourImageSequence", []):
                    sops.add(str(im.ReferencedSOPInstanceUID))
    return frames, series, sops


def _check_uids(ds, used_numbers, ref: Reference, where) -> list[str]:
    """Raise on a frame-of-reference mismatch; return warnings."""
    frames, _, sops = _referenced(ds)
    roi_frames = {
        str(r.ReferencedFrameOfReferenceUID)
        for r in ds.StructureSetROISequence
        if int(r.ROINumber) in used_numbers and "ReferencedFrameOfReferenceUID" in r
    }
    for c in ds.get("ROIContourSequence", []):
        if int(c.ReferencedROINumber) in used_numbers:
            for contour in c.get("ContourSequence", []):
                for im in contour.get("ContourImageSequence", []):
                    sops.add(str(im.ReferencedSOPInstanceUID))
    wanted = roi_frames or frames
    if ref.frame_uid and wanted and ref.frame_uid not in wanted:
        raise DicomMaskError(
            "frame of reference mismatch: the RTSTRUCT's ROIs are not in the frame of reference "
            f"of the image series {ref.path}; the contours were drawn "
            "on another scan (or a registered copy) - point the mask at the RTSTRUCT of this scan",
            check="frame_of_reference",
            **where,
        )
    if sops and not sops & set(ref.sop_uids):
        if ref.frame_uid and wanted:  # same frame of reference: patient coordinates agree
            return [
                "contours were drawn on another series of the same frame of reference "
                f"than {ref.path}; rasterised on it"
            ]
        raise DicomMaskError(
            "the RTSTRUCT references image instances that are not in the image series "
            f"{ref.path}; choose the series it was drawn on",
            check="frame_of_reference",
            **where,
        )
    return []


def read_rtstruct(
    path: str | PathLike,
    reference=None,
    *,
    roi: str | None = None,
    rule: str = "union",
    method: str = "centre",
    patient_id: str | None = None,
) -> RTStructMask:
    """Rasterise an RTSTRUCT ROI onto the grid of its image series.

    Parameters
    ----------
    path : the RTSTRUCT file.
    reference : DICOM series folder, image file or ``SimpleITK.Image`` whose grid
        the mask takes. ``None``: the series the RTSTRUCT references, searched
        beside the file. For a DICOM series the frame of reference and the
        referenced SOP instances are checked; a NIfTI/NRRD reference has no UIDs,
        so only its grid is used (it must be in the same patient coordinates).
    roi : ROI name or regular expression (see :func:`select_rois`).
    rule : ``"union"``, ``"first"`` or ``"error"`` when several ROIs match.
    method : ``"centre"`` (voxel centres, default) or ``"rounded"`` (rt-utils-like,
        for comparison only).

    Raises
    ------
    DicomMaskError
        With ``check`` one of ``roi_not_found``, ``roi_ambiguous``,
        ``frame_of_reference``, ``empty_mask``, ``unreadable``.

    Examples
    --------
    >>> import tempfile
    >>> from radnb.dicom.phantom import write_ct_series, write_rtstruct
    >>> d = tempfile.mkdtemp()
    >>> ct = write_ct_series(d + "/ct", size=(12, 12, 6), spacing=(1, 1, 1), origin=(0, 0, 0))
    >>> p = write_rtstruct(d + "/rs.dcm", ct, {"GTV": {"centre": (6, 6, 3), "radius": 2.5}})
    >>> out = read_rtstruct(p, d + "/ct", roi="gtv")
    >>> out.rois, out.mask.GetSize()
    (['GTV'], (12, 12, 6))
    """
    import SimpleITK as sitk

    where = dict(patient_id=patient_id, path=str(path))
    ds = _read(path, patient_id)
    table = list_rois(path)
    try:
        names = select_rois(table["name"].tolist(), roi, rule)
    except LookupError as exc:
        several = "match" in str(exc) and "no ROI" not in str(exc) or "holds" in str(exc)
        raise DicomMaskError(
            str(exc), check="roi_ambiguous" if several else "roi_not_found", **where
        ) from None
    numbers = set(table.loc[table["name"].isin(names), "number"].astype(int))
    if reference is None:
        _, series, _ = _referenced(ds)
        folder = next((f for s in series if (f := find_series_near(path, s))), None)
        if folder is None:
            raise DicomMaskError(
                "the referenced image series was not found beside the "
                "RTSTRUCT; pass reference= (the image series folder)",
                check="frame_of_reference",
                **where,
            )
        reference = folder
    ref = load_reference(reference, patient_id=patient_id, prefer=_referenced(ds)[1])
    warnings = _check_uids(ds, numbers, ref, where) if ref.is_dicom else []
    contours = [
        np.asarray(c.ContourData, float).reshape(-1, 3)
        for item in ds.ROIContourSequence
        if int(item.ReferencedROINumber) in numbers
        for c in item.get("ContourSequence", [])
        if str(c.get("ContourGeometricType", "CLOSED_PLANAR")) == "CLOSED_PLANAR"
    ]
    arr, n_out, n_off = rasterise_contours(contours, ref.image, method=method)
    if n_out:
        warnings.append(f"{n_out} contour points lie outside the image (clipped)")
    if n_off:
        warnings.append(f"{n_off} contours lie between slices (drawn on the nearest slice)")
    if not arr.any():
        raise DicomMaskError(
            f"ROI {names} rasterises to an empty mask on the image grid"
            + (f" ({'; '.join(warnings)})" if warnings else "")
            + "; check that the RTSTRUCT belongs to this series",
            check="empty_mask",
            **where,
        )
    mask = sitk.GetImageFromArray(arr)
    mask.CopyInformation(ref.image)
    return RTStructMask(mask, names, n_out, n_off, warnings)


def referenced_series(path: str | PathLike) -> Path | None:
    """The folder beside an RTSTRUCT that holds the series it references (or ``None``)."""
    _, series, _ = _referenced(_read(path))
    return next((f for s in series if (f := find_series_near(path, s))), None)
