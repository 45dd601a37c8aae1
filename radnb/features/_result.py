"""The one carrier of a cohort-level feature step: features, errors, diagnostics, provenance."""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["FeatureResult", "as_errors_frame", "deprecated_as_result"]

ERROR_COLUMNS = ("patient_id", "sequence", "message")


def as_errors_frame(errors: Any) -> pd.DataFrame:
    """Errors as a ``patient_id, sequence, message`` DataFrame (from a frame or records)."""
    if isinstance(errors, pd.DataFrame):
        frame = errors
    else:
        rows = list(errors if errors is not None else [])
        frame = pd.DataFrame(
            rows, columns=None if rows and isinstance(rows[0], dict) else list(ERROR_COLUMNS)
        )
    return frame.reindex(columns=list(ERROR_COLUMNS)).reset_index(drop=True)


#: Names never forwarded to the features: protocol probes (pickle, copy, IPython
#: display, pandas / numpy duck typing) must not warn or pretend to be a frame.
_NOT_FORWARDED = frozenset({"errors", "diagnostics", "provenance", "features", "to_frame"})


def _warn_frame_access(what: str, new: str) -> None:
    warnings.warn(
        f"FeatureResult {what}: DataFrame access on a feature step's result is deprecated "
        f"and will be removed in the next release; use {new} (failures: result.errors)",
        DeprecationWarning,
        stacklevel=3,
    )


def _with_errors_attr(df: pd.DataFrame, errors: Any) -> pd.DataFrame:
    df.attrs["errors"] = as_errors_frame(errors).to_dict("records")
    return df


def deprecated_as_result(result: FeatureResult, as_result: bool | None, func: str) -> Any:
    """Honour the deprecated ``as_result=`` keyword of a feature step.

    ``None`` (default) and ``True`` return the :class:`FeatureResult` (``True``
    warns that the keyword is no longer needed); ``False`` warns and returns
    the old form, the features DataFrame with ``attrs["errors"]``.
    """
    if as_result is None:
        return result
    if as_result:
        warnings.warn(
            f"{func}(as_result=True) is deprecated and will be removed in the next release: "
            f"{func}(...) always returns a FeatureResult; drop the keyword",
            DeprecationWarning,
            stacklevel=3,
        )
        return result
    warnings.warn(
        f"{func}(as_result=False) is deprecated and will be removed in the next release; "
        f"use {func}(...).features (failures: .errors)",
        DeprecationWarning,
        stacklevel=3,
    )
    return result.to_frame()


@dataclass(frozen=True, repr=False, eq=False)
class FeatureResult:
    """What a cohort-level feature step returns: the table and what went wrong.

    Every cohort-level feature step returns one: ``extract_radiomics`` (a
    :class:`~radnb.features.radiomic.RadiomicsResult`, which adds the settings),
    ``extract_deep_features``, ``habitat_features``, ``DLScoreModel.predict``
    and ``DLScoreModel.scores``.

    Attributes
    ----------
    features : DataFrame
        Indexed by ``patient_id``; the feature block (``Study.add_block`` takes
        the result itself).
    errors : DataFrame
        ``patient_id, sequence, message``: one row per failed case.
    diagnostics : DataFrame
        Per-patient diagnostics of the step (may have no columns).
    provenance : dict
        The step and its settings (``{"step": "deep", "backbone": ...}``).

    Unpacks as ``features, errors = result``.

    For one release, DataFrame access on the result itself (``result.loc``,
    ``result["col"]``, ``result.shape``, ``len(result)``, ``result.attrs["errors"]``,
    ...) still works: it forwards to :attr:`features` (``attrs["errors"]`` to
    :attr:`errors`) with a :class:`DeprecationWarning`.

    Examples
    --------
    >>> import pandas as pd
    >>> res = FeatureResult(pd.DataFrame({"f": [1.0]}, index=pd.Index(["p1"], name="patient_id")),
    ...                     [("p2", "CT", "mask is empty")], provenance={"step": "demo"})
    >>> features, errors = res
    >>> errors["patient_id"].tolist(), res.provenance["step"]
    (['p2'], 'demo')
    >>> res
    <FeatureResult demo: 1 patients x 1 features; 1 errors>
    """

    features: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=lambda: as_errors_frame([]))
    diagnostics: pd.DataFrame | None = None
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", as_errors_frame(self.errors))
        if self.diagnostics is None:
            object.__setattr__(self, "diagnostics", pd.DataFrame(index=self.features.index))
        object.__setattr__(self, "provenance", dict(self.provenance or {}))

    @classmethod
    def from_frame(cls, df: pd.DataFrame, **provenance: Any) -> FeatureResult:
        """The carrier of a feature DataFrame whose ``attrs["errors"]`` holds its failures.

        The features lose the ``attrs`` (the errors live in ``errors`` only).
        """
        features = df.copy()
        errors = features.attrs.pop("errors", [])
        features.attrs = {}
        return cls(features, errors, provenance=provenance)

    def __iter__(self):
        """Unpack as ``features, errors = result``."""
        return iter((self.features, self.errors))

    def to_frame(self) -> pd.DataFrame:
        """The features with the errors in ``attrs["errors"]`` (the older return form)."""
        return _with_errors_attr(self.features.copy(), self.errors)

    # ---------------------------------------------------- deprecated DataFrame access
    def __getattr__(self, name: str) -> Any:
        # only reached for names the dataclass does not have
        if name.startswith("_") or name in _NOT_FORWARDED:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        features = object.__getattribute__(self, "features")
        if name == "attrs":
            _warn_frame_access("attrs", "result.errors")
            return {"errors": self.errors.to_dict("records")}
        if not hasattr(features, name):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        _warn_frame_access(name, f"result.features.{name}")
        return getattr(features, name)

    def __getitem__(self, key: Any) -> Any:
        _warn_frame_access("[...]", "result.features[...]")
        return self.features[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        _warn_frame_access("[...] = ...", "result.features[...] = ...")
        self.features[key] = value

    def __len__(self) -> int:
        _warn_frame_access("len()", "len(result.features)")
        return len(self.features)

    def __contains__(self, key: Any) -> bool:
        _warn_frame_access("in", "... in result.features")
        return key in self.features

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        _warn_frame_access("numpy conversion", "result.features.to_numpy()")
        return self.features.to_numpy(dtype=dtype)

    def _label(self) -> str:
        step = self.provenance.get("step")
        return f"{type(self).__name__}" + (f" {step}" if step else "")

    def __repr__(self) -> str:
        n, p = self.features.shape
        return f"<{self._label()}: {n} patients x {p} features; {len(self.errors)} errors>"

    def _repr_html_(self) -> str:
        err = ""
        if len(self.errors):
            err = "<p><b>Errors</b></p>" + self.errors.head(10).to_html(index=False)
        return (
            f"<p>{html.escape(repr(self))}</p>"
            + self.features.iloc[:5, :8].to_html(float_format=lambda v: f"{v:.4g}")
            + err
        )
