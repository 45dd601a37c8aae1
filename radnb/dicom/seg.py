"""DICOM SEG masks, read with highdicom: one segment, a union, or a label map."""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from radnb.dicom._reference import DicomMaskError, load_reference
from radnb.errors import require

__all__ = ["list_segments", "read_seg"]


def _segread(path, patient_id=None):
    hd = require("highdicom", "dicom", "reading DICOM SEG masks")
    try:
        return hd.seg.segread(str(path))
    except Exception as exc:  # noqa: BLE001 - reported with the file
        raise DicomMaskError(
            f"not a readable DICOM SEG ({str(exc)[:200]})",
            check="unreadable",
            patient_id=patient_id,
            path=str(path),
        ) from None


def list_segments(path: str | PathLike) -> pd.DataFrame:
    """The segments of a DICOM SEG: ``number, label``.

    Examples
    --------
    >>> import tempfile
    >>> from radnb.dicom.phantom import sphere_mask, write_ct_series, write_seg
    >>> d = tempfile.mkdtemp()
    >>> ct = write_ct_series(d + "/ct", size=(8, 8, 4), origin=(0, 0, 0))
    >>> m = sphere_mask((8, 8, 4), (1, 1, 1.5), (0, 0, 0), (4, 4, 2), 2)
    >>> list_segments(write_seg(d + "/seg.dcm", ct, {"tumour": m})).to_dict("records")
    [{'number': 1, 'label': 'tumour'}]
    """
    seg = _segread(path)
    rows = [
        {"number": int(n), "label": str(seg.get_segment_description(n).SegmentLabel)}
        for n in seg.get_segment_numbers()
    ]
    return pd.DataFrame(rows, columns=["number", "label"])


def _numbers(table: pd.DataFrame, segment, where) -> list[int]:
    if segment is None:
        return table["number"].astype(int).tolist()
    wanted = [segment] if isinstance(segment, (int, str, np.integer)) else list(segment)
    out = []
    for s in wanted:
        if isinstance(s, (int, np.integer)):
            hit = table.loc[table["number"] == int(s), "number"]
        else:
            hit = table.loc[table["label"].str.lower() == str(s).lower(), "number"]
        if hit.empty:
            raise DicomMaskError(
                f"no segment {s!r} in the SEG; segments are "
                f"{table.to_dict('records')[:20]}; choose one with segment=",
                check="roi_not_found",
                **where,
            )
        out.append(int(hit.iloc[0]))
    return out


def read_seg(
    path: str | PathLike,
    reference=None,
    *,
    segment: int | str | list | None = None,
    label_map: bool = False,
    patient_id: str | None = None,
):
    """Read a DICOM SEG as a mask on the reference grid.

    Parameters
    ----------
    path : the SEG file.
    reference : DICOM series folder, image file or ``SimpleITK.Image``. For a
        DICOM series the SEG frames are placed by the source instances they
        reference (highdicom's ``get_pixels_by_source_instance``) after checking
        the frame of reference; otherwise the SEG's own geometry is resampled
        (nearest neighbour) onto the reference grid. ``None``: the SEG's grid.
    segment : segment number or label (case-insensitive), a list of them, or
        ``None`` for all segments.
    label_map : ``False``: a 0/1 mask, the union of the chosen segments.
        ``True``: a label map whose values are the segment numbers (for
        habitat-like overlays).

    Examples
    --------
    >>> import tempfile, SimpleITK as sitk
    >>> from radnb.dicom.phantom import sphere_mask, write_ct_series, write_seg
    >>> d = tempfile.mkdtemp()
    >>> ct = write_ct_series(d + "/ct", size=(8, 8, 4), origin=(0, 0, 0))
    >>> a = sphere_mask((8, 8, 4), (1, 1, 1.5), (0, 0, 0), (4, 4, 2), 2)
    >>> p = write_seg(d + "/seg.dcm", ct, {"a": a, "b": a[::-1]})
    >>> lm = read_seg(p, d + "/ct", label_map=True)
    >>> sorted(set(sitk.GetArrayFromImage(lm).ravel().tolist()))
    [0, 1, 2]
    """
    import SimpleITK as sitk

    where = dict(patient_id=patient_id, path=str(path))
    seg = _segread(path, patient_id)
    numbers = _numbers(list_segments(path), segment, where)
    arrays = None
    present: list[str] = []
    if reference is not None:
        ref = load_reference(reference, patient_id=patient_id)
        grid = ref.image
        if ref.is_dicom:
            frame = str(seg.get("FrameOfReferenceUID", ""))
            if ref.frame_uid and frame and frame != ref.frame_uid:
                raise DicomMaskError(
                    "frame of reference mismatch: the SEG is not in the frame of reference of "
                    f"the image series {ref.path}; use the SEG made on this scan",
                    check="frame_of_reference",
                    **where,
                )
            known = {str(u[2]) for u in seg.get_source_image_uids()}
            same_frame = bool(ref.frame_uid and frame)
            if not known & set(ref.sop_uids) and not same_frame:
                raise DicomMaskError(
                    f"the SEG references none of the images of series {ref.path}; "
                    "choose the series it was drawn on",
                    check="frame_of_reference",
                    **where,
                )
            present = [u for u in ref.sop_uids if u in known]
        if ref.is_dicom and present:  # frames placed by the instances they were drawn on
            px = seg.get_pixels_by_source_instance(
                source_sop_instance_uids=present,
                segment_numbers=numbers,
                assert_missing_frames_are_empty=True,
            )
            pos = {u: i for i, u in enumerate(ref.sop_uids)}
            nx, ny, nz = grid.GetSize()
            arrays = np.zeros((nz, ny, nx, len(numbers)), np.uint8)
            for j, u in enumerate(present):
                arrays[pos[u]] = px[j]
    if arrays is None:
        own = [
            seg.get_volume(segment_numbers=[n], dtype=np.uint8).squeeze_channel().to_simpleitk()
            for n in numbers
        ]
        if reference is None:
            grid = sitk.DICOMOrient(own[0], "LPS")
        arrays = np.stack(
            [
                sitk.GetArrayFromImage(
                    sitk.Resample(
                        sitk.Cast(o, sitk.sitkUInt8),
                        grid,
                        sitk.Transform(),
                        sitk.sitkNearestNeighbor,
                        0,
                    )
                )
                for o in own
            ],
            axis=-1,
        )
    if label_map:
        out = np.zeros(arrays.shape[:3], np.uint16)
        for j, n in enumerate(numbers):  # later segments overwrite overlaps
            out[arrays[..., j] > 0] = n
    else:
        out = (arrays > 0).any(axis=-1).astype(np.uint8)
    if not out.any():
        raise DicomMaskError(
            f"segment(s) {numbers} are empty on the image grid; check the SEG belongs to "
            "this series",
            check="empty_mask",
            **where,
        )
    img = sitk.GetImageFromArray(out)
    img.SetSpacing(grid.GetSpacing())
    img.SetOrigin(grid.GetOrigin())
    img.SetDirection(grid.GetDirection())
    return img
