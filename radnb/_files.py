"""File-level checks behind :mod:`radnb.io`: what a path is, whether a file is whole.

Private: use the names re-exported by :mod:`radnb.io` (``check_file``,
``content_hash``, ``check_integrity``). One pass over a file's bytes gives its
content hash, its integrity (gzip stream complete, NIfTI data block as long as
the header says) and, for a float NIfTI, its NaN voxel count (ITK reads NaN in
NIfTI as 0; :func:`restore_nan` puts them back). Results are memoised per
process on (path, size, mtime, inode).
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import zlib
from os import PathLike
from pathlib import Path

import numpy as np

from radnb.errors import PatientError

__all__ = [
    "IMAGE_SUFFIXES",
    "check_file",
    "check_integrity",
    "content_hash",
    "restore_nan",
    "scan",
    "scans_of",
]

#: File name endings radnb recognises as images (a folder is a DICOM series).
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".dcm")
# other formats SimpleITK reads; their content is not sniffed
_OTHER_SUFFIXES = (".hdr", ".img", ".img.gz", ".vtk", ".gipl", ".gipl.gz", ".tif", ".tiff",
                   ".png", ".jpg", ".jpeg", ".bmp", ".pic", ".lsm", ".rec", ".mnc", ".ima")  # fmt: skip
#: A "mask" with more distinct non-zero values than this is not a label map.
_SNIFF_BYTES = 1024
_CHUNK = 1 << 20


def _sitk():
    import SimpleITK as sitk

    return sitk


def check_file(path: str | PathLike, *, patient_id=None, sequence=None) -> str:
    """Check that ``path`` can be read as an image; return ``"file"`` or ``"folder"``.

    Refuses missing paths, devices, pipes and sockets (reading ``/dev/zero``
    would never end), and files whose first bytes are not an image format radnb
    knows. Reads at most 1 KiB.

    Examples
    --------
    >>> check_file("/dev/null")
    Traceback (most recent call last):
    ...
    radnb.errors.PatientError: file /dev/null: not a regular file (a character device); ...
    """
    path = Path(path)
    where = dict(patient_id=patient_id, sequence=sequence, path=str(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise PatientError(
            "file not found; check the path in the clinical table", check="missing_file", **where
        ) from None
    except OSError as exc:
        raise PatientError(f"cannot open ({exc.strerror})", check="unreadable", **where) from None
    if stat.S_ISDIR(st.st_mode):
        return "folder"
    if not stat.S_ISREG(st.st_mode):
        kind = ("a character device" if stat.S_ISCHR(st.st_mode) else "a block device"
                if stat.S_ISBLK(st.st_mode) else "a pipe" if stat.S_ISFIFO(st.st_mode)
                else "a socket")  # fmt: skip
        raise PatientError(
            f"not a regular file ({kind}); point the table to an image file or a DICOM folder",
            check="not_a_file",
            **where,
        )
    fmt = _sniff(path)
    if fmt is None:
        raise PatientError(
            "not an image file radnb recognises (neither NIfTI, NRRD, MetaImage nor DICOM, "
            "and no known image suffix); check the path",
            check="unreadable",
            **where,
        )
    return "file"


def _head(path: Path, n: int = _SNIFF_BYTES) -> bytes:
    with open(path, "rb") as fh:
        raw = fh.read(n)
    if raw[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, n)
        except zlib.error:
            return b""
    return raw


def _sniff(path: Path) -> str | None:
    """Format from the first bytes (or the suffix for other SimpleITK formats)."""
    head = _head(path)
    name = path.name.lower()
    if len(head) >= 348 and head[344:347] in (b"n+1", b"ni1"):
        return "nifti1"
    if len(head) >= 12 and head[4:7] in (b"n+2", b"ni2"):
        return "nifti2"
    if head.startswith(b"NRRD"):
        return "nrrd"
    if head[128:132] == b"DICM" or name.endswith(".dcm"):
        return "dicom"
    text = head[:256].lower()
    if b"ndims" in text or b"objecttype" in text:
        return "meta"
    if name.endswith(_OTHER_SUFFIXES) or name.endswith(IMAGE_SUFFIXES):
        return "other"
    return None


_SCAN: dict[tuple, tuple[str, str | None, int]] = {}


def _stat_key(path: Path) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


_NIFTI_FLOATS = {16: "f4", 64: "f8"}


def _nifti_info(head: bytes) -> dict | None:
    """Offset, voxel count, bytes per voxel and float dtype of a NIfTI-1/2 header."""
    for endian in "<>":
        if len(head) < 4:
            return None
        (size,) = struct.unpack(endian + "i", head[:4])
        if size == 348 and len(head) >= 348:
            dim = struct.unpack(endian + "8h", head[40:56])
            code, bitpix = struct.unpack(endian + "2h", head[70:74])
            offset = struct.unpack(endian + "f", head[108:112])[0]
        elif size == 540 and len(head) >= 540:
            code, bitpix = struct.unpack(endian + "2h", head[12:16])
            dim = struct.unpack(endian + "8q", head[16:80])
            offset = struct.unpack(endian + "q", head[168:176])[0]
        else:
            continue
        n = (
            int(np.prod([max(int(d), 1) for d in dim[1 : int(dim[0]) + 1]]))
            if 0 < dim[0] <= 7
            else 0
        )
        kind = _NIFTI_FLOATS.get(int(code))
        return {"offset": int(max(offset, size)), "n": n, "bytes": max(int(bitpix), 8) // 8,
                "dtype": np.dtype(endian + kind) if kind else None}  # fmt: skip
    return None


def _nifti_expected(head: bytes) -> int | None:
    """Bytes a NIfTI file must hold (vox_offset + data), from its header."""
    info = _nifti_info(head)
    return None if info is None else info["offset"] + info["n"] * info["bytes"]


class _NanCounter:
    """Counts NaN voxels of a float NIfTI data block while it streams past (ITK reads them as 0)."""

    def __init__(self) -> None:
        self.buf, self.info, self.n, self.off = b"", None, 0, False

    def feed(self, data: bytes) -> None:
        if self.off:
            return
        self.buf += data
        if self.info is None:
            if len(self.buf) < 544:
                return
            self._start()
        self._count()

    def _start(self) -> None:
        self.info = _nifti_info(self.buf[:544])
        if self.info is None or self.info["dtype"] is None:
            self.off, self.buf = True, b""
            return
        self.buf = self.buf[self.info["offset"] :]

    def _count(self) -> None:
        if self.off or self.info is None:
            return
        k = len(self.buf) // self.info["bytes"] * self.info["bytes"]
        a = np.frombuffer(self.buf[:k], self.info["dtype"])
        self.n += int(np.count_nonzero(np.isnan(a)))
        self.buf = self.buf[k:]

    def finish(self) -> int:
        if self.info is None and not self.off and self.buf:
            self._start()
            self._count()
        return self.n


def restore_nan(path: Path, img):
    """Put back the NaN voxels of a float NIfTI file that ITK read as 0."""
    sitk = _sitk()
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    info = _nifti_info(raw[:544])
    if info is None or info["dtype"] is None or img.GetNumberOfComponentsPerPixel() != 1:
        return img
    data = np.frombuffer(raw, info["dtype"], count=info["n"], offset=info["offset"])
    arr = sitk.GetArrayFromImage(img)
    if arr.size != data.size or not np.issubdtype(arr.dtype, np.floating):
        return img
    arr.reshape(-1)[np.isnan(data)] = np.nan
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(img)
    return out


def scan(path: Path) -> tuple[str, str | None, int]:
    """(content hash, integrity problem or None, NaN voxels of a float NIfTI), memoised."""
    key = _stat_key(path)
    if key in _SCAN:
        return _SCAN[key]
    h = hashlib.blake2b(digest_size=16)
    problem = None
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(path)).encode())
            with open(f, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
        _SCAN[key] = (h.hexdigest(), None, 0)
        return _SCAN[key]
    name = path.name.lower()
    nifti_name = name.endswith((".nii", ".nii.gz"))
    nan = _NanCounter() if nifti_name else None
    head = b""
    length = 0
    with open(path, "rb") as fh:
        first = fh.read(2)
        fh.seek(0)
        gz = first == b"\x1f\x8b"
        d = zlib.decompressobj(16 + zlib.MAX_WBITS) if gz else None
        try:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                if d is None:
                    out = chunk
                elif problem is None:
                    out = d.decompress(chunk)
                    while d.eof and d.unused_data:  # concatenated gzip members
                        rest = d.unused_data
                        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                        out += d.decompress(rest)
                else:
                    continue
                length += len(out)
                if len(head) < _SNIFF_BYTES:
                    head += out[: _SNIFF_BYTES - len(head)]
                if nan is not None:
                    nan.feed(out)
        except zlib.error as exc:
            problem = f"gzip stream is corrupt ({exc})"
    if d is not None and problem is None and not d.eof:
        problem = "gzip stream ends early (file truncated)"
    nifti = head[344:347] in (b"n+1", b"ni1") or head[4:7] in (b"n+2", b"ni2")
    if problem is None and (nifti or nifti_name):
        need = _nifti_expected(head)
        if need is not None and length < need:
            problem = f"NIfTI data block is short: {length} bytes of the {need} its header needs (file truncated)"
    _SCAN[key] = (h.hexdigest(), problem, nan.finish() if nan is not None else 0)
    return _SCAN[key]


def scans_of(paths) -> dict[tuple, tuple[str, str | None, int]]:
    """The memoised scans of ``paths`` (to hand to a worker process with its task)."""
    out = {}
    for p in paths:
        try:
            key = _stat_key(Path(p))
        except OSError:
            continue
        if key in _SCAN:
            out[key] = _SCAN[key]
    return out


def content_hash(path: str | PathLike) -> str:
    """BLAKE2b (128-bit) of a file's bytes, or of every file in a DICOM folder.

    Memoised per process on (path, size, mtime, inode); computed in the same
    pass as the integrity check of :func:`check_integrity`. Refuses devices and
    pipes (:func:`check_file`).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> _ = open(p, "wb").write(b"abc")
    >>> content_hash(p)
    'cf4ab791c62b8d2b2109c90275287816'
    """
    path = Path(path)
    st = os.stat(path)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise PatientError(
            "not a regular file; refusing to read it", check="not_a_file", path=str(path)
        )
    return scan(path)[0]


def check_integrity(path: str | PathLike) -> None:
    """Raise ``ValueError`` if a file is truncated or its gzip stream is corrupt.

    ITK fills a truncated ``.nii.gz`` with zeros without complaint, so radnb
    checks the gzip stream end to end and, for NIfTI, that the data block is
    as long as the header says. Runs once per file content (memoised with the
    content hash); :func:`read_image` calls it on every read.
    """
    path = Path(path)
    if path.is_dir():
        return
    problem = scan(path)[1]
    if problem:
        raise ValueError(problem)
