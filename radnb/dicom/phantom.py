"""Small SIMULATED DICOM data for tests and examples: a CT series, RTSTRUCT and SEG.

Everything here is synthetic (a sphere in noise); the identifiers written into
the files are fake ones chosen by the caller, so that de-identification can be
tested. RTSTRUCT files are built with pydicom, SEG files with highdicom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

import numpy as np

__all__ = ["FAKE_IDENTIFIERS", "sphere_mask", "write_ct_series", "write_rtstruct", "write_seg"]

#: Fake identifiers written by default (a de-identification test greps for them).
FAKE_IDENTIFIERS = {
    "PatientName": "Doe^Jane",
    "PatientID": "MRN-998877",
    "PatientBirthDate": "19700101",
    "AccessionNumber": "ACC-554433",
    "InstitutionName": "Fake General Hospital",
    "ReferringPhysicianName": "House^Gregory",
    "StudyID": "STUDY-4242",
}

_CT = "1.2.840.10008.5.1.4.1.1.2"
_RTSTRUCT = "1.2.840.10008.5.1.4.1.1.481.3"


def sphere_mask(
    size: Sequence[int], spacing: Sequence[float], origin: Sequence[float], centre, radius: float
) -> np.ndarray:
    """Voxel-centre sphere mask, array order (z, y, x), for an axial identity grid."""
    axes = [o + s * np.arange(n) for n, s, o in zip(size, spacing, origin)]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= radius**2
    return np.ascontiguousarray(inside.transpose(2, 1, 0)).astype(np.uint8)


def _meta(ds, sop_class: str):
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta = meta
    ds.SOPClassUID = sop_class


def _patient(ds, ids: Mapping[str, str], study_uid: str, frame_uid: str) -> None:
    for key, value in ids.items():
        setattr(ds, key, value)
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid
    ds.FrameOfReferenceUID = frame_uid
    ds.StudyDate = "20200102"
    ds.StudyTime = "101010"


def write_ct_series(
    folder: str | PathLike,
    *,
    size: Sequence[int] = (40, 40, 24),
    spacing: Sequence[float] = (1.0, 1.0, 1.5),
    origin: Sequence[float] = (-20.0, -20.0, -18.0),
    centre: Sequence[float] = (0.0, 0.0, 0.0),
    radius: float = 9.0,
    identifiers: Mapping[str, str] | None = None,
    seed: int = 0,
    frame_uid: str | None = None,
) -> list:
    """Write a SIMULATED axial CT series (a bright sphere in noise) as one file per slice.

    Returns the pydicom datasets (slice order, inferior to superior) for
    building RTSTRUCT / SEG files that reference them.
    """
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = dict(FAKE_IDENTIFIERS if identifiers is None else identifiers)
    rng = np.random.default_rng(seed)
    nx, ny, nz = size
    mask = sphere_mask(size, spacing, origin, centre, radius)
    hu = rng.normal(40, 12, (nz, ny, nx)) + 60.0 * mask + rng.normal(0, 8, (nz, ny, nx)) * mask
    study_uid, series_uid = generate_uid(), generate_uid()
    frame_uid = frame_uid or generate_uid()
    out = []
    for k in range(nz):
        ds = Dataset()
        ds.SOPInstanceUID = generate_uid()
        _meta(ds, _CT)
        _patient(ds, ids, study_uid, frame_uid)
        ds.Modality = "CT"
        ds.Manufacturer = "SIMULATED"
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = 1
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [float(origin[0]), float(origin[1]), origin[2] + k * spacing[2]]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [float(spacing[1]), float(spacing[0])]
        ds.SliceThickness = float(spacing[2])
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024.0, 1.0
        ds.PixelData = (np.round(hu[k]) + 1024).astype(np.int16).tobytes()
        ds.save_as(folder / f"slice_{k:03d}.dcm", enforce_file_format=True)
        out.append(ds)
    return out


def _circle(cx: float, cy: float, r: float, z: float, n: int, reverse: bool = False):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if reverse:
        t = t[::-1]
    pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t), np.full(n, z)], axis=1)
    return pts.ravel().round(4).tolist()


def write_rtstruct(
    path: str | PathLike,
    series: Sequence,
    rois: Mapping[str, Mapping],
    *,
    frame_uid: str | None = None,
    n_points: int = 128,
) -> Path:
    """Write an RTSTRUCT whose ROIs are spheres (optionally hollow) on the series' slices.

    ``rois`` maps ROI name -> ``{"centre": (x, y, z), "radius": r, "hole": r_in}``
    (``hole`` optional: a concentric inner contour on each slice, a hole by the
    even-odd rule), or ``{"contours": [[x0, y0, z0, x1, ...], ...]}`` for raw
    contours. ``frame_uid`` overrides the frame of reference (to test a mismatch).
    """
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.uid import generate_uid

    first = series[0]
    ds = Dataset()
    ds.SOPInstanceUID = generate_uid()
    _meta(ds, _RTSTRUCT)
    ids = {k: getattr(first, k) for k in FAKE_IDENTIFIERS if k in first}
    frame = frame_uid or first.FrameOfReferenceUID
    _patient(ds, ids, first.StudyInstanceUID, frame)
    ds.Modality = "RTSTRUCT"
    ds.Manufacturer = "SIMULATED"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 2
    ds.InstanceNumber = 1
    ds.StructureSetLabel = "SIMULATED"
    ds.StructureSetDate = "20200102"
    ds.StructureSetTime = "101010"
    images = DicomSequence()
    for s in series:
        item = Dataset()
        item.ReferencedSOPClassUID = s.SOPClassUID
        item.ReferencedSOPInstanceUID = s.SOPInstanceUID
        images.append(item)
    ser = Dataset()
    ser.SeriesInstanceUID = first.SeriesInstanceUID
    ser.ContourImageSequence = images
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    study.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study.RTReferencedSeriesSequence = DicomSequence([ser])
    ref = Dataset()
    ref.FrameOfReferenceUID = frame
    ref.RTReferencedStudySequence = DicomSequence([study])
    ds.ReferencedFrameOfReferenceSequence = DicomSequence([ref])
    z_of = {round(float(s.ImagePositionPatient[2]), 4): s for s in series}
    ds.StructureSetROISequence = DicomSequence()
    ds.ROIContourSequence = DicomSequence()
    ds.RTROIObservationsSequence = DicomSequence()
    for number, (name, spec) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = frame
        roi.ROIName = name
        roi.ROIGenerationAlgorithm = "MANUAL"
        ds.StructureSetROISequence.append(roi)
        contours = list(spec.get("contours", []))
        if "radius" in spec:
            cx, cy, cz = spec["centre"]
            for z in z_of:
                r2 = spec["radius"] ** 2 - (z - cz) ** 2
                if r2 <= 0:
                    continue
                contours.append(_circle(cx, cy, np.sqrt(r2), z, n_points))
                hole = spec.get("hole")
                if hole and hole**2 - (z - cz) ** 2 > 0:
                    contours.append(_circle(cx, cy, np.sqrt(hole**2 - (z - cz) ** 2), z, n_points))
        item = Dataset()
        item.ReferencedROINumber = number
        item.ROIDisplayColor = [255, 0, 0]
        item.ContourSequence = DicomSequence()
        for points in contours:
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            c.NumberOfContourPoints = len(points) // 3
            c.ContourData = points
            s = z_of.get(round(float(points[2]), 4))
            if s is not None:
                img = Dataset()
                img.ReferencedSOPClassUID = s.SOPClassUID
                img.ReferencedSOPInstanceUID = s.SOPInstanceUID
                c.ContourImageSequence = DicomSequence([img])
            item.ContourSequence.append(c)
        ds.ROIContourSequence.append(item)
        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.RTROIInterpretedType = "GTV"
        obs.ROIInterpreter = ""
        ds.RTROIObservationsSequence.append(obs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_seg(path: str | PathLike, series: Sequence, masks: Mapping[str, np.ndarray]) -> Path:
    """Write a binary DICOM SEG (highdicom) with one segment per ``masks`` entry.

    ``masks`` maps segment label -> (z, y, x) 0/1 array on the series grid;
    segments are numbered 1, 2, ... in that order.
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i,
            segment_label=label,
            segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
            segmented_property_type=codes.SCT.Neoplasm,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, label in enumerate(masks, start=1)
    ]
    stack = np.stack([np.asarray(m, bool) for m in masks.values()], axis=-1)
    seg = hd.seg.Segmentation(
        source_images=list(series),
        pixel_array=stack,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=3,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="SIMULATED",
        manufacturer_model_name="radnb",
        software_versions="radnb",
        device_serial_number="0",
        omit_empty_frames=False,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(path)
    return path
