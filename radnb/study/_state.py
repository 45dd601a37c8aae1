"""Typed internal state of a :class:`~radnb.study.Study` (definitions and fits).

Each definition (``study.signature``, ``study.model``) and each fitted model is
a dataclass; the whole fit is a :class:`FitState`. They also read like the
dicts they replace (``spec["block"]``, ``study.state_["models"].get(name)``,
``"result" in info``), so code written against the old dicts keeps working:
a key is "in" an object when its attribute is set (not None).

Examples
--------
>>> spec = SignatureSpec("rad", ["lasso"])
>>> spec.block, spec["block"], "kws" in spec
('rad', 'rad', True)
>>> fit = ModelFit("m", spec=None)
>>> "result" in fit, fit.is_logistic, fit.get("clinical", ["age"])
(False, False, ['age'])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from radnb.errors import RadnbError

__all__ = ["SignatureSpec", "ModelSpec", "ModelFit", "FitState"]


class _MappingView:
    """Read access by key (``obj["name"]``, ``obj.get``, ``in``) to a dataclass."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None) if key in self._keys() else None
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return key in self._keys() and getattr(self, str(key)) is not None

    def keys(self) -> list[str]:
        """Field names whose value is set (as the keys of the old dict)."""
        return [k for k in self._keys() if getattr(self, k) is not None]

    def _keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self)) + getattr(self, "_extra_keys", ())

    def replace(self, **changes: Any):
        """A copy with some fields changed (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)


@dataclass
class SignatureSpec(_MappingView):
    """A signature as defined by :meth:`Study.signature` (nothing fitted)."""

    block: str
    steps: list = field(default_factory=list)
    final: str = "auto"
    kws: dict = field(default_factory=dict)
    on_empty: str = "raise"


@dataclass
class ModelSpec(_MappingView):
    """A model as defined by :meth:`Study.model` (nothing fitted)."""

    inputs: list[str] = field(default_factory=list)
    clinical: Any = None
    estimator: Any = "logistic"
    p_uni: float = 0.05
    p_multi: float = 0.05
    candidates: list[str] | None = None
    crossfit: int | None = None


@dataclass
class ModelFit(_MappingView):
    """One model fitted on training rows (or recorded as absent, with why).

    ``result`` is the statsmodels fit of a logistic model (None otherwise),
    ``estimator`` the fitted scikit-learn pipeline of the others.
    """

    name: str
    spec: ModelSpec | None = None
    absent: str | None = None
    notes: list[str] = field(default_factory=list)
    clinical_table: pd.DataFrame | None = None
    clinical: list[str] | None = None
    encoder: Any = None
    columns: list[str] | None = None
    result: Any = None
    estimator: Any = None
    train_design: pd.DataFrame | None = None

    _extra_keys = ("coef",)

    @property
    def is_logistic(self) -> bool:
        """A statsmodels logistic fit (coefficients, odds ratios, nomogram)."""
        return self.result is not None

    @property
    def coef(self) -> pd.Series | None:
        """Coefficients (with ``const``) of a logistic model; None otherwise."""
        return self.result.params if self.result is not None else None


@dataclass
class FitState(_MappingView):
    """Everything one fit on a set of rows produced (training or a resample)."""

    signatures: dict = field(default_factory=dict)  # name -> Signature
    models: dict[str, ModelFit] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)  # name -> why
    signature_scores: pd.DataFrame | None = None
    absent_pipelines: dict = field(default_factory=dict)  # fitted selection of absent ones


class _EmptySignature(RadnbError):
    """Selection kept no feature and the signature was declared ``on_empty="absent"``.

    Carries the fitted selection ``pipeline``, so that an absent signature can
    still be inspected (``selection_report``, ``plot_lasso_cv``).
    """

    def __init__(self, message: str, pipeline: Any = None):
        super().__init__(message)
        self.pipeline = pipeline
