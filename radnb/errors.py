"""radnb's exception hierarchy.

Every error names what is wrong and how to fix it; errors raised while
processing one patient carry that patient's ID and the file involved.
"""

from __future__ import annotations

__all__ = [
    "RadnbError",
    "CohortError",
    "PatientError",
    "GeometryError",
    "MissingDependencyError",
    "NotFittedError",
]


class RadnbError(Exception):
    """Base class of all radnb errors."""


class CohortError(RadnbError, ValueError):
    """The cohort definition (table, columns, paths) is wrong as a whole."""


class PatientError(RadnbError):
    """Something is wrong with one patient's data.

    Parameters
    ----------
    patient_id, sequence, path : identify where the problem is.
    message : what is wrong and what to do.
    """

    def __init__(
        self,
        message: str,
        *,
        patient_id: str | None = None,
        sequence: str | None = None,
        path: str | None = None,
    ) -> None:
        self.patient_id = patient_id
        self.sequence = sequence
        self.path = path
        self.reason = message
        where = []
        if patient_id is not None:
            where.append(f"patient {patient_id!r}")
        if sequence is not None:
            where.append(f"sequence {sequence!r}")
        if path is not None:
            where.append(f"file {path}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class GeometryError(PatientError):
    """Image and mask (or two sequences) do not share a grid."""


class MissingDependencyError(RadnbError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        what = f" for {purpose}" if purpose else ""
        super().__init__(
            f"{package} is required{what} but is not installed. "
            f"Install it with: pip install 'radnb[{extra}]' (or scripts/install.sh)."
        )


class NotFittedError(RadnbError, AttributeError):
    """A fitted-only method was called before fit."""


def require(module: str, extra: str, purpose: str = ""):
    """Import an optional module or raise :class:`MissingDependencyError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from exc
