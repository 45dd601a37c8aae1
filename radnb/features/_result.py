"""The one carrier of a cohort-level feature step: features, errors, diagnostics, provenance."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["FeatureResult", "as_errors_frame"]

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


@dataclass(frozen=True, repr=False)
class FeatureResult:
    """What a cohort-level feature step returns: the table and what went wrong.

    ``extract_radiomics`` returns one (a :class:`~radnb.features.radiomic.RadiomicsResult`,
    which adds the settings); ``extract_deep_features(..., as_result=True)``,
    ``habitat_features(..., as_result=True)`` and ``DLScoreModel.scores_result``
    give the same carrier for the other steps.

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
        from radnb.features import set_errors

        return set_errors(self.features.copy(), self.errors)

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
