"""Cohort validation: every problem in a table, never a crash mid-cohort.

``validate()`` reads through the same checked path as every other step
(:mod:`radnb.io`), so a file it passes is read the same way by radiomics,
crops and habitats, and a problem it reports is the error those steps raise
(same ``check`` name). docs/data-problems.md explains each check and its fix.

Checks (``check`` column of the result):

=================  ========  =====================================================
check              severity  meaning
=================  ========  =====================================================
duplicate_id       error     the same patient ID appears on several rows
blank_id           error     a row of the clinical table has no patient ID
missing_file       error     no path given, or the file / folder does not exist
not_a_file         error     the path is a device, pipe or socket (never read)
unreadable         error     not an image, truncated, or SimpleITK cannot read it
dicom_series       error     a DICOM folder holds several series (choose one)
slice_spacing      error     DICOM slice positions are unevenly spaced (a slice
                             missing or duplicated)
dimension          error     a 4D image without a chosen volume, or a 2D /
                             single-slice image where the cohort is 3D
geometry           error     image and mask differ in size, spacing, origin or
                             direction (beyond the tolerance)
sequence_grid      warning   two sequences of a patient are on different grids
non_binary_mask    warning   the mask holds several labels (the chosen one is used)
probability_mask   error     the mask holds fractions in [0, 1] (a probability map;
                             set ``mask_threshold``)
not_label_map      error     the "mask" has negative values, NaN, fractions or
                             hundreds of labels (an image: columns swapped?)
missing_label      error     a labelled mask lacks the requested label
empty_mask         error     the mask has no tumour voxel
tiny_mask          warning   fewer tumour voxels than ``min_voxels``
mask_at_border     warning   the mask touches the image border (tumour truncated?)
non_finite         error     NaN / inf image voxels inside the mask (warning:
                             within ``margin`` voxels of it, where filters reach)
missing_outcome    error     a declared outcome / time / event value is missing
single_class       error     a binary outcome has one class in the training split
survival_time      error     survival time negative or not a number
event_values       error     event column is not coded 0/1
=================  ========  =====================================================

RTSTRUCT / DICOM SEG masks add ``roi_not_found``, ``roi_ambiguous``,
``frame_of_reference``, ``contour_outside`` (warning) and ``empty_mask``
(:func:`radnb.dicom.masks.validate_masks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from radnb import io
from radnb.dicom import DicomMaskError
from radnb.dicom.masks import validate_masks as validate_dicom_masks
from radnb.errors import PatientError, clean_message

if TYPE_CHECKING:  # pragma: no cover
    from radnb.cohort import Cohort

__all__ = ["CHECKS", "validate_cohort"]

CHECKS = (
    "duplicate_id",
    "blank_id",
    "missing_file",
    "not_a_file",
    "unreadable",
    "dicom_series",
    "slice_spacing",
    "dimension",
    "geometry",
    "sequence_grid",
    "non_binary_mask",
    "probability_mask",
    "not_label_map",
    "missing_label",
    "empty_mask",
    "tiny_mask",
    "mask_at_border",
    "non_finite",
    "missing_outcome",
    "single_class",
    "survival_time",
    "event_values",
)
_COLUMNS = ["patient_id", "sequence", "check", "severity", "message"]
#: voxels around the mask that filtered (LoG, wavelet) features reach (PyRadiomics' padDistance)
NEAR_MASK = 5


class _Report:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.dims: dict[tuple[str, str], tuple[int, tuple]] = {}

    def add(self, pid, seq, check, severity, message) -> None:
        self.rows.append(
            dict(patient_id=pid, sequence=seq, check=check, severity=severity, message=message)
        )

    def error(self, pid, seq, exc: PatientError, what: str, path) -> None:
        self.add(pid, seq, exc.check, "error", f"patient {pid}: {what} {path}: {exc.reason}")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=_COLUMNS)


def _read(report: _Report, pid: str, seq: str | None, path, what: str, *, header=False, opts=None):
    """Read an image through :mod:`radnb.io`; report its problems; return image or None."""
    if path is None:
        report.add(pid, seq, "missing_file", "error",
                   f"patient {pid}: no {what} path in the clinical table; fill it in")  # fmt: skip
        return None
    opts = opts or {}
    try:
        if header:
            img = io.read_image_info(path, series=opts.get("series"))
            if img.GetDimension() == 3:
                return img
        return io.read_image(path, patient_id=pid, sequence=seq, **opts)
    except PatientError as exc:
        reason = exc.reason
        if exc.check == "missing_file":
            reason = "file not found; check the path and the table's root folder"
        report.add(pid, seq, exc.check, "error", f"patient {pid}: {what} {path}: {reason}")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        report.add(pid, seq, "unreadable", "error",
                   f"patient {pid}: {what} {path} is unreadable ({clean_message(exc)})")  # fmt: skip
    return None


def _check_mask(report: _Report, pid, seq, mask, path, label, min_voxels, threshold):
    """Label-map checks of one mask; returns the binary mask image or None."""
    import SimpleITK as sitk

    arr = sitk.GetArrayViewFromImage(mask)
    where = dict(patient_id=pid, sequence=seq, path=str(path))
    try:
        binary = io.binarize_mask(mask, label, threshold=threshold, **where)
    except PatientError as exc:
        report.error(pid, seq, exc, "mask", path)
        return None
    b = sitk.GetArrayViewFromImage(binary)
    n = int(np.count_nonzero(b))
    if n == 0:
        exc = io.empty_mask_error(label, **where)
        report.error(pid, seq, exc, "mask", path)
        return None
    if threshold is None:
        nonzero = np.unique(arr[arr != 0])
        if nonzero.size > 1 or (label is None and nonzero.tolist() != [1]):
            used = f"label {label}" if label is not None else "all non-zero voxels"
            report.add(pid, seq, "non_binary_mask", "warning",
                       f"patient {pid}: mask {path} is labelled ({nonzero[:10].tolist()}); "
                       f"using {used}")  # fmt: skip
    if n < min_voxels:
        report.add(pid, seq, "tiny_mask", "warning",
                   f"patient {pid}: mask {path} has only {n} tumour voxels (< {min_voxels}); "
                   "texture features will be unstable")  # fmt: skip
    sides = io.mask_border_sides(b)
    if sides:
        report.add(pid, seq, "mask_at_border", "warning",
                   f"patient {pid}: mask {path} touches the image border ({', '.join(sides)}): "
                   "the tumour may be cut off by the field of view; check the scan or exclude "
                   "the patient from shape analyses")  # fmt: skip
    return binary


def _check_finite(report: _Report, pid, seq, img, binary, path) -> None:
    try:
        io.check_finite(img, binary, patient_id=pid, sequence=seq, path=str(path))
    except PatientError as exc:
        report.error(pid, seq, exc, f"{seq} image", path)
        return
    try:
        io.check_finite(img, binary, margin=NEAR_MASK, patient_id=pid, sequence=seq)
    except PatientError as exc:
        report.add(pid, seq, "non_finite", "warning",
                   f"patient {pid}: {seq} image {path}: {exc.reason.split(';')[0]}; filtered "
                   "(LoG, wavelet) features would be wrong, Original features are not affected")  # fmt: skip


def _record_dims(report: _Report, pid: str, seq: str, img) -> None:
    size = tuple(img.GetSize())
    flat = len(size) == 2 or (len(size) == 3 and size[2] == 1)
    report.dims[(pid, seq)] = (2 if flat else 3, size)


def _check_dims(report: _Report) -> None:
    """2D / single-slice images in a sequence whose other images are 3D."""
    by_seq: dict[str, list] = {}
    for (pid, seq), (d, size) in report.dims.items():
        by_seq.setdefault(seq, []).append((pid, d, size))
    for seq, rows in by_seq.items():
        if not any(d == 3 for _, d, _ in rows):
            continue  # a 2D study
        for pid, d, size in rows:
            if d == 2:
                report.add(pid, seq, "dimension", "error",
                           f"patient {pid}: {seq} image is 2D or a single slice (size {size}) "
                           "while the cohort's other images are 3D; 3D shape and texture "
                           "features would be NaN or wrong. Use the full volume")  # fmt: skip


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_images(report, cohort, pid, *, tol, min_voxels, read_images):
    images: dict[str, Any] = {}
    for seq in cohort.sequences:
        path = cohort.image_path(pid, seq)
        img = _read(report, pid, seq, path, f"{seq} image", header=not read_images,
                    opts=cohort.read_options_for(seq))  # fmt: skip
        if img is not None:
            images[seq] = img
            _record_dims(report, pid, seq, img)
    per_sequence = cohort.mask_paths.shape[1] > 0 and "*" not in cohort.mask_paths.columns
    mask_targets = cohort.sequences if per_sequence else [None]
    if cohort.mask_paths.shape[1] == 0:
        mask_targets = []
    threshold = getattr(cohort, "mask_threshold", None)
    for seq in mask_targets:
        if per_sequence and seq not in cohort.mask_paths.columns:
            continue
        path = cohort.mask_path(pid, seq)
        mask = _read(report, pid, seq, path, "mask")
        if mask is None:
            continue
        binary = _check_mask(report, pid, seq, mask, path, cohort.label, min_voxels, threshold)
        for s in [seq] if per_sequence else cohort.sequences:
            if s not in images:
                continue
            problems = io.compare_geometry(images[s], mask, tol=tol)
            if problems:
                report.add(pid, s, "geometry", "error",
                           f"patient {pid}: {s} image {cohort.image_path(pid, s)} and mask "
                           f"{path} differ: {'; '.join(problems)}. "
                           f"{_upper_first(io.geometry_advice(problems))}")  # fmt: skip
            elif binary is not None and read_images:
                _check_finite(report, pid, s, images[s], io.match_grid(images[s], binary, tol=tol),
                              cohort.image_path(pid, s))  # fmt: skip
    if not per_sequence and len(images) > 1:
        ref_seq, ref = next(iter(images.items()))
        for s, img in list(images.items())[1:]:
            problems = io.compare_geometry(ref, img, tol=tol)
            if problems:
                report.add(pid, s, "sequence_grid", "warning",
                           f"patient {pid}: {s} is not on the grid of {ref_seq} "
                           f"({'; '.join(problems)}); register or resample before voxel-wise "
                           "analysis")  # fmt: skip


def _check_table(report: _Report, cohort: Cohort, outcomes, survival) -> None:
    clin = cohort.clinical
    for pid in cohort.duplicate_ids:
        report.add(
            pid,
            None,
            "duplicate_id",
            "error",
            f"patient ID {pid} appears on more than one row of the clinical table; "
            "only the first row is used. Make IDs unique",
        )
    for row in getattr(cohort, "_blank_ids", []):
        report.add(None, None, "blank_id", "error",
                   f"data row {row} of the clinical table has no patient ID, so it was left "
                   "out; fill the ID in (IDs are read as text)")  # fmt: skip
    split = cohort.splits
    for col in outcomes:
        for pid in clin.index[clin[col].isna()]:
            report.add(
                pid,
                None,
                "missing_outcome",
                "error",
                f"patient {pid}: outcome {col!r} is missing; fill it in or exclude the patient",
            )
        values = clin[col].dropna()
        train = values
        if split is not None:
            train_names = [v for v in ("train", "training") if v in set(split.dropna())]
            if train_names:
                train = values[split.reindex(values.index).isin(train_names)]
        if len(train) and train.nunique() < 2:
            report.add(
                None,
                None,
                "single_class",
                "error",
                f"outcome {col!r} has a single class ({train.iloc[0]!r}) in the training "
                "patients; a model cannot be fitted",
            )
    for time_col, event_col in survival:
        t = pd.to_numeric(clin[time_col], errors="coerce")
        for pid in clin.index[clin[time_col].isna()]:
            report.add(
                pid,
                None,
                "missing_outcome",
                "error",
                f"patient {pid}: survival time {time_col!r} is missing",
            )
        for pid in clin.index[clin[time_col].notna() & t.isna()]:
            report.add(
                pid,
                None,
                "survival_time",
                "error",
                f"patient {pid}: survival time {time_col!r} = "
                f"{clin.at[pid, time_col]!r} is not a number",
            )
        for pid in clin.index[t < 0]:
            report.add(
                pid,
                None,
                "survival_time",
                "error",
                f"patient {pid}: survival time {time_col!r} = {t[pid]} is negative",
            )
        ev = clin[event_col]
        for pid in clin.index[ev.isna()]:
            report.add(
                pid,
                None,
                "missing_outcome",
                "error",
                f"patient {pid}: event {event_col!r} is missing",
            )
        num = pd.to_numeric(ev, errors="coerce")
        bad = ev.notna() & ~num.isin([0, 1])
        for pid in clin.index[bad]:
            report.add(
                pid,
                None,
                "event_values",
                "error",
                f"patient {pid}: event {event_col!r} = {ev[pid]!r} is not 0/1 "
                "(1 = event, 0 = censored); recode it",
            )


def validate_cohort(
    cohort: Cohort,
    *,
    min_voxels: int = 64,
    tolerance: io.GeometryTolerance | None = None,
    outcomes: Sequence[str] | None = None,
    survival: Sequence[tuple[str, str]] | None = None,
    read_images: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """Check a cohort and return its problems table (see the module docstring).

    Parameters
    ----------
    min_voxels : masks with fewer tumour voxels get a ``tiny_mask`` warning.
    tolerance : geometry tolerance (:class:`radnb.io.GeometryTolerance`).
    outcomes, survival : outcome columns and (time, event) pairs to check in
        addition to those the cohort declares.
    read_images : read whole images (finds corrupt files, NaN voxels) rather
        than headers.
    progress : show a progress bar.

    Examples
    --------
    >>> import pandas as pd
    >>> from radnb import Cohort
    >>> t = pd.DataFrame({"patient_id": ["a"], "img": ["nowhere.nii.gz"], "m": [""]})
    >>> Cohort.from_table(t, images={"CT": "img"}, mask="m").validate()["check"].tolist()
    ['missing_file', 'missing_file']
    """
    report = _Report()
    outs = list(dict.fromkeys(list(cohort.outcomes) + list(outcomes or [])))
    surv = list(dict.fromkeys(list(cohort.survival) + [tuple(p) for p in survival or []]))
    _check_table(report, cohort, outs, surv)
    pids = cohort.patient_ids
    if progress:
        from tqdm.auto import tqdm

        pids = tqdm(pids, desc="validate", unit="patient")
    for pid in pids:
        try:
            validate_dicom_masks(cohort, pid, report.add)  # RTSTRUCT / SEG (radnb.dicom)
            _check_images(
                report, cohort, pid, tol=tolerance, min_voxels=min_voxels, read_images=read_images
            )
        except DicomMaskError:  # already reported by validate_dicom_masks
            pass
        except Exception as exc:  # noqa: BLE001 - one bad patient never stops the run
            report.add(
                pid,
                None,
                getattr(exc, "check", "unreadable"),
                "error",
                f"patient {pid}: unexpected error while checking ({clean_message(exc)})",
            )
    _check_dims(report)
    return report.frame()
