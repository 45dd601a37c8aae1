"""Preview of PyRadiomics' intensity discretisation inside one patient's mask.

The bins are PyRadiomics' own (:func:`radiomics.imageoperations.getBinEdges`), after
its own normalisation and resampling when the settings ask for them, so the preview
is what texture features of the ``Original`` image will see.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["binned_histogram"]

_RESAMPLE_KEYS = ("resampledPixelSpacing", "interpolator", "padDistance", "preCrop")
_NORMALISE_KEYS = ("normalizeScale", "removeOutliers")


def binned_histogram(
    image: Any,
    mask: Any,
    params: str | PathLike | Mapping[str, Any] = "pyradiomics-default",
    *,
    label: int = 1,
) -> pd.DataFrame:
    """Histogram of the intensities inside ``mask`` with PyRadiomics' bins for ``params``.

    Parameters
    ----------
    image, mask : SimpleITK images on the same grid (e.g. ``cohort.image(pid)``,
        ``cohort.mask(pid)``).
    params : preset name, YAML path or parameter dict (see
        :func:`radnb.features.presets.resolve_params`); ``binWidth`` / ``binCount``,
        ``normalize`` and ``resampledPixelSpacing`` are applied.
    label : mask label.

    Returns
    -------
    DataFrame
        One row per grey level (bin) PyRadiomics' discretiser produces: ``lower``,
        ``upper``, ``count``; ``attrs`` holds
        ``n_bins``, ``n_voxels`` and the ``setting`` used.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> img = sitk.GetImageFromArray(np.arange(64, dtype=float).reshape(4, 4, 4))
    >>> msk = sitk.GetImageFromArray(np.ones((4, 4, 4), dtype=np.uint8))
    >>> h = binned_histogram(img, msk, {"setting": {"binWidth": 16}})
    >>> h["count"].tolist(), h.attrs["n_bins"]
    ([16, 16, 16, 16], 4)
    """
    import logging

    import radiomics
    import SimpleITK as sitk
    from radiomics import imageoperations as ops

    from radnb.features.presets import resolve_params

    radiomics.setVerbosity(logging.ERROR)  # PyRadiomics resets its logger on import
    setting = dict(resolve_params(params).get("setting") or {})
    if setting.get("normalize"):
        kws = {k: setting[k] for k in _NORMALISE_KEYS if k in setting}
        image = ops.normalizeImage(image, **kws)
    if setting.get("resampledPixelSpacing"):
        kws = {k: setting[k] for k in _RESAMPLE_KEYS if k in setting}
        image, mask = ops.resampleImage(image, mask, label=label, **kws)
    x = sitk.GetArrayViewFromImage(image)[sitk.GetArrayViewFromImage(mask) == label]
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise ValueError(f"the mask has no voxel with label {label}")
    bins = {k: setting[k] for k in ("binWidth", "binCount") if k in setting}
    edges = np.asarray(ops.getBinEdges(x, **bins), dtype=float)
    counts, _ = np.histogram(x, bins=edges)
    last = int(np.flatnonzero(counts)[-1]) + 1  # PyRadiomics' top edge adds an empty bin
    counts, edges = counts[:last], edges[: last + 1]
    out = pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "count": counts})
    out.attrs.update(n_bins=len(counts), n_voxels=int(x.size), setting=setting)
    return out
