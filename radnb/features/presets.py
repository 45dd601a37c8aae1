"""PyRadiomics parameter presets and parameter resolution.

Every preset is a plain PyRadiomics parameter dictionary (the YAML schema of
``RadiomicsFeatureExtractor``: top-level keys ``setting``, ``imageType`` and
``featureClass``), so a preset can be printed, edited and saved as YAML.

Presets
-------
``"pyradiomics-default"``
    What ``RadiomicsFeatureExtractor()`` does with no parameters: the Original
    image, fixed bin width 25, no resampling, every 3D feature class.
``"ct"``
    For CT in Hounsfield units, following PyRadiomics' ``exampleCT.yaml``:
    1 mm isotropic resampling (``sitkBSpline``), fixed bin width 25 HU,
    ``voxelArrayShift`` 1000; Original + LoG (sigma 1, 2, 3 mm) + Wavelet.
``"mr"``
    For MR in arbitrary units: z-score normalisation inside PyRadiomics
    (``normalize: true``, ``normalizeScale: 100``, ``voxelArrayShift: 300``) and a
    fixed bin *count* of 32; no resampling; Original + LoG (sigma 1, 2, 3 mm) +
    Wavelet. PyRadiomics' documentation recommends a fixed bin width; a fixed bin
    number is what IBSI recommends for images without a calibrated unit, and it
    gives comparable texture matrices when scanners scale intensities
    differently. Pass ``{"setting": {"binWidth": 5}}``-style overrides via a dict
    to use bin width instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = ["PRESETS", "resolve_params", "merge_params"]

#: GLCM features without the deprecated / redundant SumAverage (as exampleCT.yaml).
_GLCM = [
    "Autocorrelation",
    "JointAverage",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "Correlation",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "JointEnergy",
    "JointEntropy",
    "Imc1",
    "Imc2",
    "Idm",
    "Idmn",
    "Id",
    "Idn",
    "InverseVariance",
    "MaximumProbability",
    "SumEntropy",
    "SumSquares",
]

_ALL_3D = {
    "shape": [],
    "firstorder": [],
    "glcm": [],
    "glrlm": [],
    "glszm": [],
    "gldm": [],
    "ngtdm": [],
}

PRESETS: dict[str, dict[str, Any]] = {
    "pyradiomics-default": {
        "setting": {"binWidth": 25, "label": 1},
        "imageType": {"Original": {}},
        "featureClass": dict(_ALL_3D),
    },
    "ct": {
        "setting": {
            "binWidth": 25,
            "label": 1,
            "interpolator": "sitkBSpline",
            "resampledPixelSpacing": [1, 1, 1],
            "padDistance": 10,
            "voxelArrayShift": 1000,
        },
        "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.0]}, "Wavelet": {}},
        "featureClass": {**_ALL_3D, "glcm": list(_GLCM)},
    },
    "mr": {
        "setting": {
            "binCount": 32,
            "label": 1,
            "normalize": True,
            "normalizeScale": 100,
            "voxelArrayShift": 300,
        },
        "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.0]}, "Wavelet": {}},
        "featureClass": {**_ALL_3D, "glcm": list(_GLCM)},
    },
}


def merge_params(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge two PyRadiomics parameter dicts section by section.

    ``setting`` entries are updated key by key (a value of ``None`` removes the
    key, e.g. ``{"binWidth": None, "binCount": 32}``); ``imageType`` and
    ``featureClass`` in ``override`` replace those of ``base`` when given.

    Examples
    --------
    >>> merge_params(PRESETS["ct"], {"setting": {"binWidth": 10}})["setting"]["binWidth"]
    10
    >>> s = merge_params(PRESETS["ct"], {"setting": {"binWidth": None, "binCount": 32}})
    >>> "binWidth" in s["setting"], s["setting"]["binCount"]
    (False, 32)
    """
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if key in ("setting", "voxelSetting"):
            section = out.setdefault(key, {})
            for k, v in dict(value or {}).items():
                if v is None:
                    section.pop(k, None)
                else:
                    section[k] = copy.deepcopy(v)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_params(params: str | PathLike | Mapping[str, Any] | None) -> dict[str, Any]:
    """Turn a preset name, a YAML path or a dict into a PyRadiomics parameter dict.

    Parameters
    ----------
    params : str, path or dict
        ``"pyradiomics-default"``, ``"ct"``, ``"mr"``, a path to a PyRadiomics YAML
        (or JSON) parameter file, or a dict in the same schema. A dict with a
        ``"preset"`` key starts from that preset and overrides it with the other
        keys (for example ``{"preset": "ct", "setting": {"binWidth": 10}}``).

    Returns
    -------
    dict
        A deep copy with keys ``setting``, ``imageType`` and ``featureClass``.

    Examples
    --------
    >>> p = resolve_params("ct")
    >>> sorted(p["imageType"]), p["setting"]["resampledPixelSpacing"]
    (['LoG', 'Original', 'Wavelet'], [1, 1, 1])
    """
    if params is None:
        params = "pyradiomics-default"
    if isinstance(params, Mapping):
        params = dict(params)
        if "preset" in params:
            base = resolve_params(params.pop("preset"))
            return merge_params(base, params)
        out = copy.deepcopy(params)
    elif isinstance(params, str) and params.lower() in PRESETS:
        out = copy.deepcopy(PRESETS[params.lower()])
    else:
        path = Path(params)
        if not path.is_file():
            raise ValueError(
                f"params={str(params)!r} is neither a preset ({', '.join(PRESETS)}) "
                "nor an existing YAML file"
            )
        import yaml

        with open(path, encoding="utf-8") as fh:
            out = yaml.safe_load(fh) or {}
        if not isinstance(out, dict):
            raise ValueError(f"{path} does not hold a PyRadiomics parameter mapping")
    unknown = set(out) - {"setting", "imageType", "featureClass", "voxelSetting"}
    if unknown:
        raise ValueError(
            f"unknown top-level parameter keys {sorted(unknown)}; PyRadiomics expects "
            "'setting', 'imageType', 'featureClass' (and 'voxelSetting')"
        )
    out.setdefault("setting", {})
    out["setting"] = dict(out["setting"] or {})
    if not out.get("imageType"):
        out["imageType"] = {"Original": {}}
    if not out.get("featureClass"):
        out["featureClass"] = dict(_ALL_3D)
    # YAML ``glcm:`` (None) means "all features" in PyRadiomics; normalise to [].
    out["featureClass"] = {k: list(v or []) for k, v in out["featureClass"].items()}
    out["imageType"] = {k: dict(v or {}) for k, v in out["imageType"].items()}
    return out
