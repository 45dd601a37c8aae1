"""Feature blocks: radiomic, habitat, deep, fusion, robustness.

Every cohort-level feature step can hand back one carrier,
:class:`FeatureResult` (``features``, ``errors``, ``diagnostics``,
``provenance``; unpacks as ``features, errors``): :func:`extract_radiomics`
always does (its :class:`~radnb.features.radiomic.RadiomicsResult`), and
``extract_deep_features``, ``habitat_features`` and ``DLScoreModel.predict``
do with ``as_result=True``. Without it they return the feature DataFrame and
keep the per-patient failures in ``df.attrs["errors"]`` as ``{"patient_id",
"sequence", "message"}`` records (plain records, so that pandas can still join
and concatenate tables); :func:`errors_table` reads either form.

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
    """Store an errors table (DataFrame or records) in ``df.attrs["errors"]``; returns df."""
    from radnb.features._result import as_errors_frame

    df.attrs["errors"] = as_errors_frame(errors).to_dict("records")
    return df


def errors_table(result: Any):
    """The per-patient errors of the run that made a feature table, as a DataFrame.

    ``result`` is a :class:`FeatureResult` (``extract_radiomics``' result, or
    any step's with ``as_result=True``) or a feature DataFrame whose
    ``attrs["errors"]`` holds them.

    Examples
    --------
    >>> import pandas as pd
    >>> df = set_errors(pd.DataFrame({"f": [1.0]}), [("p2", "CT", "mask is empty")])
    >>> errors_table(df)["patient_id"].tolist()
    ['p2']
    >>> pd.concat([df, df.rename(columns={"f": "g"})], axis=1).shape  # tables still join
    (1, 2)
    >>> from radnb.features import FeatureResult
    >>> errors_table(FeatureResult(df, [("p3", "MR", "unreadable")]))["patient_id"].tolist()
    ['p3']
    """
    import pandas as pd

    from radnb.features._result import as_errors_frame

    if not isinstance(result, pd.DataFrame) and hasattr(result, "errors"):
        return as_errors_frame(result.errors)
    return as_errors_frame(result.attrs.get("errors", []))
