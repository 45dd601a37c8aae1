"""On-disk cache of per-case radiomics results, keyed by content hashes.

Layout::

    <cache_dir>/<settings hash>/settings.json
    <cache_dir>/<settings hash>/<patient>/<sequence>-<inputs hash>.parquet

One small Parquet file per finished (patient, sequence, settings, image content,
mask content). Each file is long format (columns ``feature``: string,
``value``: float64); PyRadiomics diagnostics travel as JSON in the Parquet
schema metadata. Files are written to a temporary name and moved into place
with :func:`os.replace`, so an interrupted run never leaves a half-written
entry, and a re-run computes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = [
    "default_cache_dir",
    "file_hash",
    "settings_hash",
    "entry_path",
    "read_entry",
    "write_entry",
    "write_settings",
]


def default_cache_dir() -> Path:
    """``$RADNB_CACHE_DIR/radiomics`` or ``~/.cache/radnb/radiomics``."""
    env = os.environ.get("RADNB_CACHE_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "radnb"
    return root / "radiomics"


def file_hash(path: str | PathLike) -> str:
    """BLAKE2b (128-bit) of a file's bytes, or of every file in a DICOM folder.

    The same hash as :func:`radnb.io.content_hash` (computed in one pass with
    the file's integrity check, memoised per process on path, size, mtime and
    inode). Devices and pipes are refused.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> _ = open(p, "wb").write(b"abc")
    >>> file_hash(p)
    'cf4ab791c62b8d2b2109c90275287816'
    """
    from radnb._files import content_hash  # not radnb.io: io imports dicom.masks, which imports us

    return content_hash(path)


def _canonical(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple):
        return [_canonical(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def settings_hash(settings: Mapping[str, Any]) -> str:
    """Hash of a settings dict (key order and ``1.0`` vs ``1`` do not matter)."""
    text = json.dumps(_canonical(settings), sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name))[:80] or "_"


def entry_path(
    cache_dir: str | PathLike,
    settings_key: str,
    patient_id: str,
    sequence: str,
    inputs: Sequence[str],
) -> Path:
    """Where the entry of one (patient, sequence, settings, input hashes) lives."""
    h = hashlib.blake2b("|".join(inputs).encode(), digest_size=12).hexdigest()
    return Path(cache_dir) / settings_key / _safe(patient_id) / f"{_safe(sequence)}-{h}.parquet"


def write_settings(cache_dir: str | PathLike, settings_key: str, settings: Mapping) -> None:
    """Record the settings of a cache folder once (for humans; never read back)."""
    folder = Path(cache_dir) / settings_key
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "settings.json"
    if not target.exists():
        _atomic_write_bytes(
            target, json.dumps(_canonical(settings), indent=1, default=str).encode()
        )


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_entry(
    path: str | PathLike,
    features: Mapping[str, float],
    diagnostics: Mapping[str, Any],
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write one entry atomically (temporary file, then :func:`os.replace`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "feature": pa.array(list(features.keys()), pa.string()),
            "value": pa.array([float(v) for v in features.values()], pa.float64()),
        }
    )
    metadata = {
        b"radnb.diagnostics": json.dumps(dict(diagnostics), default=str).encode(),
        b"radnb.meta": json.dumps(dict(meta or {}), default=str).encode(),
    }
    table = table.replace_schema_metadata(metadata)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_entry(path: str | PathLike) -> tuple[dict[str, float], dict[str, Any]] | None:
    """Read an entry back as (features, diagnostics); ``None`` if absent or unreadable."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (FileNotFoundError, OSError):
        return None
    except Exception:  # a corrupt file from outside radnb: recompute it
        return None
    names = table.column("feature").to_pylist()
    values = table.column("value").to_numpy()
    features = dict(zip(names, values.tolist()))
    md = table.schema.metadata or {}
    diagnostics = json.loads(md.get(b"radnb.diagnostics", b"{}"))
    return features, diagnostics
