"""Cohort validation: every problem in a table, never a crash mid-cohort.

Checks (``check`` column of the result):

=================  ========  =====================================================
check              severity  meaning
=================  ========  =====================================================
duplicate_id       error     the same patient ID appears on several rows
missing_file       error     no path given, or the file / folder does not exist
unreadable         error     SimpleITK cannot read the file (corrupt, wrong format)
geometry           error     image and mask differ in size, spacing, origin or
                             direction (beyond the tolerance)
sequence_grid      warning   two sequences of a patient are on different grids
non_binary_mask    warning   the mask holds several labels (the chosen one is used)
missing_label      error     a labelled mask lacks the requested label
empty_mask         error     the mask has no tumour voxel
tiny_mask          warning   fewer tumour voxels than ``min_voxels``
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
from radnb.errors import PatientError

if TYPE_CHECKING:  # pragma: no cover
    from radnb.cohort import Cohort

__all__ = ["CHECKS", "validate_cohort"]

CHECKS = (
    "duplicate_id",
    "missing_file",
    "unreadable",
    "geometry",
    "sequence_grid",
    "non_binary_mask",
    "missing_label",
    "empty_mask",
    "tiny_mask",
    "missing_outcome",
    "single_class",
    "survival_time",
    "event_values",
)
_COLUMNS = ["patient_id", "sequence", "check", "severity", "message"]


class _Report:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, pid, seq, check, severity, message) -> None:
        self.rows.append(
            dict(patient_id=pid, sequence=seq, check=check, severity=severity, message=message)
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=_COLUMNS)


def _read(report: _Report, pid: str, seq: str | None, path, what: str):
    """Read an image; report missing / unreadable files; return image or None."""
    if path is None:
        report.add(
            pid,
            seq,
            "missing_file",
            "error",
            f"patient {pid}: no {what} path in the clinical table; fill it in",
        )
        return None
    if not path.exists():
        report.add(
            pid,
            seq,
            "missing_file",
            "error",
            f"patient {pid}: {what} file not found: {path}; check the path and the "
            "table's root folder",
        )
        return None
    try:
        io.check_integrity(path)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        report.add(
            pid,
            seq,
            "unreadable",
            "error",
            f"patient {pid}: {what} {path} is corrupt ({exc}); re-export the file",
        )
        return None
    try:
        return io.read_image(path, patient_id=pid, sequence=seq)
    except PatientError as exc:
        report.add(
            pid,
            seq,
            "unreadable",
            "error",
            f"patient {pid}: {what} {path} is unreadable ({exc.reason}); re-export the file",
        )
        return None


def _check_mask(report: _Report, pid: str, seq: str | None, mask, path, label, min_voxels):
    import SimpleITK as sitk

    arr = sitk.GetArrayViewFromImage(mask)
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.mod(arr, 1) == 0):
        report.add(
            pid,
            seq,
            "non_binary_mask",
            "error",
            f"patient {pid}: mask {path} holds non-integer values (a probability map?); "
            "threshold it to a label image",
        )
        return
    labels = np.unique(arr)
    nonzero = labels[labels != 0]
    if nonzero.size == 0:
        report.add(
            pid,
            seq,
            "empty_mask",
            "error",
            f"patient {pid}: mask {path} is empty (no tumour voxel); redo the "
            "segmentation or drop the patient",
        )
        return
    if label is not None and label not in nonzero:
        report.add(
            pid,
            seq,
            "missing_label",
            "error",
            f"patient {pid}: mask {path} has no voxel with label {label} "
            f"(labels present: {nonzero[:10].tolist()}); choose label= accordingly",
        )
        return
    if nonzero.size > 1 or (label is None and nonzero.tolist() != [1]):
        used = f"label {label}" if label is not None else "all non-zero voxels"
        report.add(
            pid,
            seq,
            "non_binary_mask",
            "warning",
            f"patient {pid}: mask {path} is labelled ({nonzero[:10].tolist()}); using {used}",
        )
    n = int((arr == label).sum()) if label is not None else int((arr != 0).sum())
    if n < min_voxels:
        report.add(
            pid,
            seq,
            "tiny_mask",
            "warning",
            f"patient {pid}: mask {path} has only {n} tumour voxels (< {min_voxels}); "
            "texture features will be unstable",
        )


def _check_images(report, cohort, pid, *, tol, min_voxels, read_images):
    images: dict[str, Any] = {}
    for seq in cohort.sequences:
        path = cohort.image_path(pid, seq)
        if read_images:
            img = _read(report, pid, seq, path, f"{seq} image")
        else:
            img = None
            if path is None or not path.exists():
                img = _read(report, pid, seq, path, f"{seq} image")
            else:
                try:
                    img = io.read_image_info(path)
                except Exception as exc:  # noqa: BLE001 - reported, not raised
                    report.add(
                        pid,
                        seq,
                        "unreadable",
                        "error",
                        f"patient {pid}: {seq} image {path} header unreadable ({exc})",
                    )
        if img is not None:
            images[seq] = img
    per_sequence = cohort.mask_paths.shape[1] > 0 and "*" not in cohort.mask_paths.columns
    mask_targets = cohort.sequences if per_sequence else [None]
    if cohort.mask_paths.shape[1] == 0:
        mask_targets = []
    for seq in mask_targets:
        if per_sequence and seq not in cohort.mask_paths.columns:
            continue
        path = cohort.mask_path(pid, seq)
        mask = _read(report, pid, seq, path, "mask")
        if mask is None:
            continue
        _check_mask(report, pid, seq, mask, path, cohort.label, min_voxels)
        for s in [seq] if per_sequence else cohort.sequences:
            if s in images:
                problems = io.compare_geometry(images[s], mask, tol=tol)
                if problems:
                    report.add(
                        pid,
                        s,
                        "geometry",
                        "error",
                        f"patient {pid}: {s} image {cohort.image_path(pid, s)} and mask "
                        f"{path} differ: {'; '.join(problems)}. Resample the mask onto "
                        "the image (radnb.preprocess.resample_to) or fix the export",
                    )
    if not per_sequence and len(images) > 1:
        ref_seq, ref = next(iter(images.items()))
        for s, img in list(images.items())[1:]:
            problems = io.compare_geometry(ref, img, tol=tol)
            if problems:
                report.add(
                    pid,
                    s,
                    "sequence_grid",
                    "warning",
                    f"patient {pid}: {s} is not on the grid of {ref_seq} "
                    f"({'; '.join(problems)}); register or resample before voxel-wise "
                    "analysis",
                )


def _check_table(report: _Report, cohort: Cohort, outcomes, survival) -> None:
    clin = cohort.clinical
    for pid in cohort._duplicates:
        report.add(
            pid,
            None,
            "duplicate_id",
            "error",
            f"patient ID {pid} appears on more than one row of the clinical table; "
            "only the first row is used. Make IDs unique",
        )
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
    read_images : read whole images (finds corrupt files) rather than headers.
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
                "unreadable",
                "error",
                f"patient {pid}: unexpected error while checking ({exc})",
            )
    out = report.frame()
    cohort._last_validation = out
    return out
