"""Cohort masks that are RTSTRUCT or DICOM SEG files.

A Cohort mask column may hold an RTSTRUCT or SEG file; ``Cohort(...,
mask_options={...})`` says which ROI / segment to use. The first time a
patient's mask is asked for, it is rasterised onto the grid of that patient's
image and written as a plain NIfTI under ``$RADNB_CACHE_DIR/dicom-masks``
(named by a hash of the inputs and options, never by a DICOM identifier), so
that everything downstream (radiomics and its cache, habitats, plots) reads an
ordinary mask file. A JSON sidecar keeps the ROIs used and the warnings for
``validate()``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from radnb.dicom._reference import DicomMaskError

__all__ = [
    "MaskOptions",
    "dicom_mask_kind",
    "cohort_mask_path",
    "mask_cache_dir",
    "read_dicom_mask",
    "resolve_mask",
    "validate_masks",
]

_KIND_MEMO: dict[tuple, str | None] = {}


@dataclass(frozen=True)
class MaskOptions:
    """How to turn an RTSTRUCT / SEG file into a patient's mask.

    Parameters
    ----------
    roi : RTSTRUCT ROI name or regular expression (case-insensitive, whole name),
        e.g. ``"GTV.*"``; ``None`` when the file holds a single ROI.
    rule : several ROIs match: ``"union"``, ``"first"`` or ``"error"``.
    segment : SEG segment number or label, or a list; ``None``: all segments.
    label_map : SEG: a label map of segment numbers instead of a 0/1 union.
    method : RTSTRUCT rasterisation, ``"centre"`` (voxel centres, default).

    Examples
    --------
    >>> MaskOptions.from_mapping({"roi": "GTV.*"}).rule
    'union'
    """

    roi: str | None = None
    rule: str = "union"
    segment: Any = None
    label_map: bool = False
    method: str = "centre"

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | MaskOptions | None) -> MaskOptions:
        if isinstance(options, MaskOptions):
            return options
        options = dict(options or {})
        unknown = set(options) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"unknown mask option(s) {sorted(unknown)}; use {sorted(cls.__dataclass_fields__)}"
            )
        out = cls(**options)
        if out.rule not in ("union", "first", "error"):
            raise ValueError(f"mask option rule must be union, first or error, not {out.rule!r}")
        return out


def mask_cache_dir() -> Path:
    """``$RADNB_CACHE_DIR/dicom-masks`` or ``~/.cache/radnb/dicom-masks``."""
    env = os.environ.get("RADNB_CACHE_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "radnb"
    return root / "dicom-masks"


def dicom_mask_kind(path) -> str | None:
    """``"rtstruct"``, ``"seg"`` or ``None`` (not a DICOM mask file); cheap for other files."""
    path = Path(path)
    if not path.is_file():
        return None
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _KIND_MEMO:
        kind = None
        with open(path, "rb") as fh:
            head = fh.read(132)
        if head[128:132] == b"DICM":
            from radnb.dicom._reference import _pydicom

            ds = _pydicom().dcmread(str(path), stop_before_pixels=True, specific_tags=["Modality"])
            kind = {"RTSTRUCT": "rtstruct", "SEG": "seg"}.get(str(ds.get("Modality", "")))
        _KIND_MEMO[key] = kind
    return _KIND_MEMO[key]


def _key(path: Path, reference: Path, options: MaskOptions) -> str:
    from radnb.features._cache import file_hash

    h = hashlib.blake2b(digest_size=16)
    for part in (file_hash(path), file_hash(reference), json.dumps(asdict(options), default=str)):
        h.update(part.encode())
    return h.hexdigest()


def _rasterise(kind, path, reference, options: MaskOptions, patient_id):
    if kind == "rtstruct":
        from radnb.dicom.rtstruct import read_rtstruct

        out = read_rtstruct(
            path,
            reference,
            roi=options.roi,
            rule=options.rule,
            method=options.method,
            patient_id=patient_id,
        )
        return out.mask, {"rois": out.rois, "warnings": out.warnings}
    from radnb.dicom.seg import read_seg

    seg = read_seg(
        path,
        reference,
        segment=options.segment,
        label_map=options.label_map,
        patient_id=patient_id,
    )
    return seg, {"rois": [], "warnings": []}


def read_dicom_mask(path, *, reference=None, options=None, patient_id: str | None = None):
    """Read an RTSTRUCT / SEG file as a mask image (see :class:`MaskOptions`).

    ``reference=None``: an RTSTRUCT's referenced series is searched beside the
    file; a SEG keeps its own grid.
    """
    kind = dicom_mask_kind(path)
    if kind is None:
        raise DicomMaskError("not an RTSTRUCT or SEG file", check="unreadable", path=str(path))
    options = MaskOptions.from_mapping(options)
    return _rasterise(kind, path, reference, options, patient_id)[0]


def resolve_mask(
    path,
    reference,
    options: Mapping[str, Any] | MaskOptions | None = None,
    *,
    patient_id: str | None = None,
    sequence: str | None = None,
) -> Path:
    """The mask file to read for ``path``: itself, or its rasterised NIfTI in the cache.

    ``reference`` is the image (DICOM folder or file) whose grid the mask takes.
    Raises :class:`~radnb.dicom.DicomMaskError` (a ``PatientError``) naming the
    patient and the file when the ROI / segment cannot be built.
    """
    path = Path(path)
    kind = dicom_mask_kind(path)
    if kind is None:
        return path
    if reference is None or not Path(reference).exists():
        raise DicomMaskError(
            f"an {kind.upper()} mask needs the patient's image to rasterise onto; "
            "its image path is missing",
            check="missing_file",
            patient_id=patient_id,
            sequence=sequence,
            path=str(path),
        )
    options = MaskOptions.from_mapping(options)
    folder = mask_cache_dir()
    out = folder / f"{_key(path, Path(reference), options)}.nii.gz"
    if out.exists():
        return out
    try:
        mask, info = _rasterise(kind, path, reference, options, patient_id)
    except DicomMaskError as exc:
        exc.sequence = sequence
        raise
    import SimpleITK as sitk

    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".nii.gz", dir=folder)
    os.close(fd)
    sitk.WriteImage(mask, tmp, True)
    out.with_suffix("").with_suffix(".json").write_text(json.dumps(info))
    os.replace(tmp, out)
    return out


def _referenced_series(path: Path, kind: str) -> set[str]:
    from radnb.dicom._reference import _pydicom

    ds = _pydicom().dcmread(str(path), stop_before_pixels=True)
    if kind == "rtstruct":
        from radnb.dicom.rtstruct import _referenced

        return _referenced(ds)[1]
    return {str(r.SeriesInstanceUID) for r in ds.get("ReferencedSeriesSequence", [])}


def _series_uid(folder) -> str | None:
    if folder is None or not Path(folder).is_dir():
        return None
    from radnb.dicom._reference import _header, _series_files

    files, _ = _series_files(Path(folder))
    return str(_header(Path(files[0])).SeriesInstanceUID) if files else None


def cohort_mask_path(cohort, pid: str, sequence: str | None, path: Path) -> Path:
    """``Cohort.mask_path``'s hook: ``path`` itself, or its RTSTRUCT / SEG rasterised.

    The grid is that of ``sequence``'s image; for a mask shared by all
    sequences asked for without one, the sequence whose series the file
    references (else the first).
    """
    kind = dicom_mask_kind(path)
    if kind is None:
        return path
    if sequence in cohort.sequences:
        reference = cohort.image_path(pid, sequence)
    else:
        candidates = [cohort.image_path(pid, s) for s in cohort.sequences]
        wanted = _referenced_series(path, kind)
        reference = next((c for c in candidates if _series_uid(c) in wanted), candidates[0])
    return resolve_mask(path, reference, cohort.mask_options, patient_id=pid, sequence=sequence)


def sidecar(resolved: Path) -> dict:
    """The ROIs used and warnings of a rasterised mask (empty for other files)."""
    p = Path(resolved).with_suffix("").with_suffix(".json")
    return json.loads(p.read_text()) if p.exists() else {}


def validate_masks(cohort, pid: str, add) -> set:
    """Check a patient's RTSTRUCT / SEG masks; ``add(pid, seq, check, severity, message)``.

    Returns the sequences (``None`` for a shared mask) whose DICOM mask failed,
    so that the caller skips them. Checks: ``roi_not_found``, ``roi_ambiguous``,
    ``frame_of_reference``, ``contour_outside`` (warning), ``empty_mask``,
    ``unreadable``.
    """
    frame = cohort.mask_paths
    if frame.shape[1] == 0:
        return set()
    shared = "*" in frame.columns
    failed = set()
    for seq in [None] if shared else [s for s in cohort.sequences if s in frame.columns]:
        col = "*" if shared else seq
        raw = frame.at[pid, col]
        if not isinstance(raw, str) or dicom_mask_kind(raw) is None:
            continue
        try:
            resolved = cohort.mask_path(pid, seq)
        except DicomMaskError as exc:
            add(pid, seq, exc.check, "error", f"patient {pid}: mask {raw}: {exc.reason}")
            failed.add(seq)
            continue
        for w in sidecar(resolved).get("warnings", []):
            check = "contour_outside" if "outside" in w else "contour_off_slice"
            add(pid, seq, check, "warning", f"patient {pid}: mask {raw}: {w}")
    return failed
