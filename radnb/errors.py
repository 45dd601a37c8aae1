"""radnb's exception hierarchy.

Every error names what is wrong and how to fix it; errors raised while
processing one patient carry that patient's ID and the file involved.
"""

from __future__ import annotations

import re

__all__ = [
    "clean_message",
    "RadnbError",
    "CohortError",
    "InvalidParameterError",
    "UnknownIDError",
    "PatientError",
    "GeometryError",
    "MissingDependencyError",
    "NotFittedError",
]


class RadnbError(Exception):
    """Base class of all radnb errors."""


class InvalidParameterError(RadnbError, ValueError):
    """An argument has a wrong value or type (a user's ``except ValueError`` catches it).

    Data problems (a patient's file, a cohort's table) raise :class:`PatientError`
    / :class:`CohortError` instead.
    """


class CohortError(RadnbError, ValueError):
    """The cohort definition (table, columns, paths) is wrong as a whole."""


class UnknownIDError(CohortError, KeyError):
    """A patient ID (or sequence) that is not in the cohort was asked for.

    Also a :class:`KeyError`, as a missing key of a mapping is.

    Examples
    --------
    >>> try:
    ...     raise UnknownIDError("patient 'p9' is not in this cohort")
    ... except KeyError as exc:
    ...     print(exc)
    patient 'p9' is not in this cohort
    """

    __str__ = Exception.__str__  # KeyError would quote the message


class PatientError(RadnbError):
    """Something is wrong with one patient's data.

    Parameters
    ----------
    patient_id, sequence, path : identify where the problem is.
    message : what is wrong and what to do.
    check : the name of the problem, as in ``validate()``'s ``check`` column
        (e.g. ``"empty_mask"``; see docs/data-problems.md).
    """

    default_check = "unreadable"

    def __init__(
        self,
        message: str,
        *,
        patient_id: str | None = None,
        sequence: str | None = None,
        path: str | None = None,
        check: str | None = None,
    ) -> None:
        self.patient_id = patient_id
        self.sequence = sequence
        self.path = path
        self.reason = message
        self.check = check or self.default_check
        where = []
        if patient_id is not None:
            where.append(f"patient {patient_id!r}")
        if sequence is not None:
            where.append(f"sequence {sequence!r}")
        if path is not None:
            where.append(f"file {path}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)

    def located(self, **where) -> PatientError:
        """The same error with missing ``patient_id`` / ``sequence`` / ``path`` filled in."""
        fill = {
            k: getattr(self, k) if getattr(self, k) is not None else v for k, v in where.items()
        }
        base = dict(patient_id=self.patient_id, sequence=self.sequence, path=self.path)
        return type(self)(self.reason, check=self.check, **{**base, **fill})

    @property
    def detail(self) -> str:
        """The reason followed by the file, for an errors-table row."""
        return f"{self.reason} (file {self.path})" if self.path else self.reason


class GeometryError(PatientError):
    """Image and mask (or two sequences) do not share a grid."""

    default_check = "geometry"


_LOCATION = re.compile(r"^(Exception thrown in SimpleITK \S+:\s*)?\S*\.(cxx|hxx|txx|h|cpp):\d+:?$")


def clean_message(exc: BaseException | str) -> str:
    r"""An exception's message in one line, without ITK's source locations.

    SimpleITK errors start with ``Exception thrown in SimpleITK X: .../sitkImageFilter.cxx:70:``
    and put the informative text on the next lines; those lines are kept.

    Examples
    --------
    >>> clean_message("Exception thrown in SimpleITK LabelStatistics_Execute: "
    ...               "/src/sitkImageFilter.cxx:70:\nsitk::ERROR: Inputs do not occupy "
    ...               "the same physical space!")
    'Inputs do not occupy the same physical space!'
    """
    text = getattr(exc, "reason", None) or str(exc)
    keep = []
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or _LOCATION.match(line):
            continue
        keep.append(re.sub(r"^(sitk::ERROR:|itk::ERROR:|ERROR:)\s*", "", line))
    out = " ".join(keep) or text.strip()
    if isinstance(exc, BaseException) and not isinstance(exc, RadnbError):
        name = type(exc).__name__
        if name not in ("RuntimeError", "Exception"):
            out = f"{name}: {out}"
    return out


class MissingDependencyError(RadnbError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, purpose: str = "") -> None:
        what = f" for {purpose}" if purpose else ""
        super().__init__(
            f"{package} is required{what} but is not installed. "
            f"Install it with: pip install 'radnb[{extra}]' (or scripts/install.sh)."
        )


class NotFittedError(RadnbError, ValueError, AttributeError):
    """A fitted-only method was called before fit.

    A :class:`ValueError` and an :class:`AttributeError`, as scikit-learn's
    ``sklearn.exceptions.NotFittedError``.
    """


def require(module: str, extra: str, purpose: str = ""):
    """Import an optional module or raise :class:`MissingDependencyError`."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from exc
