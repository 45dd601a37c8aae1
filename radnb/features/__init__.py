"""Feature blocks: radiomic, habitat, deep, fusion, robustness.

Every cohort-level feature step returns one carrier, :class:`FeatureResult`
(``features``, ``errors``, ``diagnostics``, ``provenance``; unpacks as
``features, errors``): :func:`extract_radiomics` (its
:class:`~radnb.features.radiomic.RadiomicsResult`), ``extract_deep_features``,
``habitat_features``, ``DLScoreModel.predict`` and ``DLScoreModel.scores``.
The per-patient failures are ``result.errors`` (``patient_id, sequence,
message``); :func:`errors_table` reads them from a result (or, for one more
release, from an older table's ``attrs["errors"]``). ``HabitatModel.transform``
returns the maps as a read-only :class:`HabitatMaps` with its own ``errors``.

The names below load on first use (one table, :mod:`radnb._lazy`); the
submodules (``radnb.features.radiomic``, ``...habitat``, ``...habitat_metrics``,
``...deep``, ...) can be imported directly.
"""

from __future__ import annotations

from typing import Any

from radnb._lazy import attach

ERROR_COLUMNS = ("patient_id", "sequence", "message")

_WHERE = {
    "FeatureResult": "radnb.features._result",
    "CaseFeatures": "radnb.features.radiomic",
    "RadiomicsResult": "radnb.features.radiomic",
    "extract_case": "radnb.features.radiomic",
    "extract_radiomics": "radnb.features.radiomic",
    "HabitatMaps": "radnb.features.habitat",
    "HabitatModel": "radnb.features.habitat",
    "habitat_features": "radnb.features.habitat_metrics",
    "ith_score": "radnb.features.habitat_metrics",
    "map_features": "radnb.features.habitat_metrics",
    "msi_matrix": "radnb.features.habitat_metrics",
    "seed_stability": "radnb.features.habitat_stability",
    "DLScoreModel": "radnb.features.deep",
    "extract_deep_features": "radnb.features.deep",
    "train_dl_score": "radnb.features.deep",
    "FusionClassifier": "radnb.features.fusion",
    "ComBat": "radnb.features.harmonise",
    "filter_by_icc": "radnb.features.robustness",
    "icc": "radnb.features.robustness",
    "perturbation_icc": "radnb.features.robustness",
}
#: Public submodules. No name of the table above is a submodule's name, so that
#: importing a submodule can never replace a function of the same name here.
_SUBMODULES = (
    "binning", "deep", "fusion", "habitat", "habitat_metrics", "habitat_stability",
    "harmonise", "ibsi", "presets", "radiomic", "robustness",
)  # fmt: skip

__getattr__, __dir__, _lazy_all = attach(__name__, _WHERE, submodules=_SUBMODULES)
__all__ = ["ERROR_COLUMNS", "errors_table", "set_errors", *_lazy_all]


def set_errors(df: Any, errors: Any) -> Any:
    """Deprecated: store errors in ``df.attrs["errors"]``; use ``FeatureResult(df, errors)``."""
    from radnb.evaluate._deprecate import warn_renamed
    from radnb.features._result import _with_errors_attr

    warn_renamed("radnb.features.set_errors", "radnb.features.FeatureResult(features, errors)")
    return _with_errors_attr(df, errors)


def errors_table(result: Any):
    """The per-patient errors of the run that made a feature table, as a DataFrame.

    ``result`` is what a feature step returned (a :class:`FeatureResult`, a
    :class:`HabitatMaps`) or, for one more release, an older feature DataFrame
    whose ``attrs["errors"]`` holds them.

    Examples
    --------
    >>> import pandas as pd
    >>> from radnb.features import FeatureResult
    >>> df = pd.DataFrame({"f": [1.0]})
    >>> errors_table(FeatureResult(df, [("p3", "MR", "unreadable")]))["patient_id"].tolist()
    ['p3']
    """
    import pandas as pd

    from radnb.features._result import as_errors_frame

    if isinstance(result, pd.DataFrame):
        return as_errors_frame(result.attrs.get("errors", []))
    return as_errors_frame(result.errors)
