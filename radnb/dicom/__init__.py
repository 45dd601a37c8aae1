"""DICOM beyond image series: RTSTRUCT and SEG masks, and identifier stripping.

Parsing uses pydicom (RTSTRUCT) and highdicom (SEG), installed with the
``dicom`` extra; importing this package imports neither.
"""

from __future__ import annotations

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


def __getattr__(name: str):
    if name in ("list_rois", "read_rtstruct"):
        from radnb.dicom import rtstruct

        return getattr(rtstruct, name)
    if name in ("list_segments", "read_seg"):
        from radnb.dicom import seg

        return getattr(seg, name)
    raise AttributeError(name)
