"""Keep DICOM identifiers out of everything radnb writes.

SimpleITK copies every DICOM tag of a single-file read into the image's
metadata dictionary (``"0010|0010"`` is PatientName), and ``sitk.WriteImage``
to NRRD / MetaImage writes that dictionary out. radnb drops every DICOM tag on
read: the patient is known by the cohort's ``patient_id`` only.
"""

from __future__ import annotations

import re

__all__ = ["IDENTIFYING_TAGS", "strip_identifiers"]

#: Tags named by the issue and DICOM PS3.15 Annex E's basic profile that radnb
#: never copies (all DICOM tags are dropped; this list documents the worst).
IDENTIFYING_TAGS = {
    "0010|0010": "PatientName",
    "0010|0020": "PatientID",
    "0010|0030": "PatientBirthDate",
    "0008|0050": "AccessionNumber",
    "0008|0080": "InstitutionName",
    "0008|0081": "InstitutionAddress",
    "0008|0090": "ReferringPhysicianName",
    "0020|0010": "StudyID",
    "0020|000d": "StudyInstanceUID",
    "0020|000e": "SeriesInstanceUID",
    "0008|0018": "SOPInstanceUID",
    "0020|0052": "FrameOfReferenceUID",
}
_TAG = re.compile(r"^[0-9a-fA-F]{4}\|[0-9a-fA-F]{4}$")


def strip_identifiers(image):
    """Remove every DICOM tag from a ``SimpleITK.Image``'s metadata (in place); return it.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.Image(2, 2, sitk.sitkUInt8)
    >>> img.SetMetaData("0010|0010", "Doe^Jane")
    >>> strip_identifiers(img).GetMetaDataKeys()
    ()
    """
    for key in image.GetMetaDataKeys():
        if _TAG.match(key):
            image.EraseMetaData(key)
    return image
