"""DICOM beyond image series: RTSTRUCT and SEG masks, and identifier stripping.

Parsing uses pydicom (RTSTRUCT) and highdicom (SEG), installed with the
``dicom`` extra; importing this package imports neither.
"""

from __future__ import annotations

from radnb._lazy import attach
from radnb.dicom._reference import DicomMaskError
from radnb.dicom.deidentify import IDENTIFYING_TAGS, strip_identifiers
from radnb.dicom.masks import MaskOptions, dicom_mask_kind, read_dicom_mask, resolve_mask

__all__ = [
    "DicomMaskError",
    "IDENTIFYING_TAGS",
    "MaskOptions",
    "dicom_mask_kind",
    "list_rois",
    "list_segments",
    "read_dicom_mask",
    "read_rtstruct",
    "read_seg",
    "resolve_mask",
    "strip_identifiers",
]


_LAZY = {
    "list_rois": "radnb.dicom.rtstruct",
    "read_rtstruct": "radnb.dicom.rtstruct",
    "list_segments": "radnb.dicom.seg",
    "read_seg": "radnb.dicom.seg",
}
__getattr__, __dir__, _lazy_all = attach(__name__, _LAZY)
