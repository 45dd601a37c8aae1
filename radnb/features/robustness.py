"""Feature robustness: intraclass correlation between readers or perturbed masks.

:func:`icc` computes, per feature, the single-measure intraclass correlation
between two (or more) feature tables of the same patients, as R's
``psych::ICC`` does (Shrout & Fleiss 1979; McGraw & Wong 1996 names in
brackets):

* ``ICC(1,1)``: one-way random effects, absolute agreement.
* ``ICC(2,1)`` [``ICC(A,1)``]: two-way random effects, absolute agreement
  (``irr::icc(model="twoway", type="agreement")``).
* ``ICC(3,1)`` [``ICC(C,1)``]: two-way mixed effects, consistency
  (``irr::icc(model="twoway", type="consistency")``); the usual choice for
  radiomics reproducibility between readers (Koo & Li 2016 recommend stating
  which one is used).
* ``ICC(1,k)``, ``ICC(2,k)`` [``ICC(A,k)``], ``ICC(3,k)`` [``ICC(C,k)``]: the
  same models for the mean of the k raters (``psych::ICC`` rows ICC1k, ICC2k,
  ICC3k), for a feature that will be averaged over readers.

Estimates and confidence intervals are those of ``psych::ICC(x, lmer = FALSE)``
(psych 2.x; ANOVA mean squares, F-distribution limits; ICC(2,k)'s limits are
the Spearman-Brown transform of ICC(2,1)'s, as psych computes them).

Mask perturbations (:func:`erode_mask`, :func:`dilate_mask`, :func:`shift_mask`,
:func:`jitter_mask`) emulate segmentation variability (Zwanenburg et al.,
*Sci Rep* 2019); :func:`perturbation_icc` extracts features with perturbed
masks and returns the ICC table, and :func:`filter_by_icc` keeps the robust
features.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "icc",
    "icc_matrix",
    "icc_forms",
    "erode_mask",
    "dilate_mask",
    "shift_mask",
    "jitter_mask",
    "perturb_mask",
    "perturbation_icc",
    "filter_by_icc",
]

_KINDS = {
    "ICC(1,1)": "ICC1",
    "ICC1": "ICC1",
    "ICC(2,1)": "ICC2",
    "ICC2": "ICC2",
    "ICC(A,1)": "ICC2",
    "ICC(3,1)": "ICC3",
    "ICC3": "ICC3",
    "ICC(C,1)": "ICC3",
    "ICC(1,K)": "ICC1k",
    "ICC1K": "ICC1k",
    "ICC(2,K)": "ICC2k",
    "ICC2K": "ICC2k",
    "ICC(A,K)": "ICC2k",
    "ICC(3,K)": "ICC3k",
    "ICC3K": "ICC3k",
    "ICC(C,K)": "ICC3k",
}
KINDS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")


def _kind(kind: str) -> str:
    k = _KINDS.get(kind.upper().replace(" ", ""))
    if k is None:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, not {kind!r}")
    return k


def _icc_forms(which, n, k, msr, msc, mse, msw, alpha):
    """One ICC form with its CI, as ``psych::ICC(lmer = FALSE)`` (psych 2.x)."""
    from scipy import stats

    q = 1 - alpha / 2
    if which.startswith("ICC1"):
        f, df1, df2 = msr / msw, n - 1, n * (k - 1)
    else:
        f, df1, df2 = msr / mse, n - 1, (n - 1) * (k - 1)
    fl = f / stats.f.ppf(q, df1, df2)
    fu = f * stats.f.ppf(q, df2, df1)
    if which == "ICC1":
        val = (msr - msw) / (msr + (k - 1) * msw)
        lo, up = (fl - 1) / (fl + (k - 1)), (fu - 1) / (fu + (k - 1))
    elif which == "ICC1k":
        val = (msr - msw) / msr
        lo, up = 1 - 1 / fl, 1 - 1 / fu
    elif which == "ICC3":
        val = (msr - mse) / (msr + (k - 1) * mse)
        lo, up = (fl - 1) / (fl + (k - 1)), (fu - 1) / (fu + (k - 1))
    elif which == "ICC3k":
        val = (msr - mse) / msr
        lo, up = 1 - 1 / fl, 1 - 1 / fu
    else:  # ICC2 / ICC2k: Satterthwaite df for the two-way random model
        v1 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        fj = msc / mse
        vn = (k - 1) * (n - 1) * (k * v1 * fj + n * (1 + (k - 1) * v1) - k * v1) ** 2
        vd = (n - 1) * k**2 * v1**2 * fj**2 + (n * (1 + (k - 1) * v1) - k * v1) ** 2
        v = vn / vd
        if np.isfinite(v) and v > 0:
            fu2 = stats.f.ppf(q, n - 1, v)
            fl2 = stats.f.ppf(q, v, n - 1)
            lo = n * (msr - fu2 * mse) / (fu2 * (k * msc + (k * n - k - n) * mse) + n * msr)
            up = n * (fl2 * msr - mse) / (k * msc + (k * n - k - n) * mse + n * fl2 * msr)
        else:  # perfect agreement: the interval collapses onto the estimate
            lo = up = v1
        val = v1
        if which == "ICC2k":
            val = (msr - mse) / (msr + (msc - mse) / n)
            lo, up = lo * k / (1 + lo * (k - 1)), up * k / (1 + up * (k - 1))
    return val, lo, up, f, df1, df2


def icc_matrix(ratings: np.ndarray, *, kind: str = "ICC(3,1)", level: float = 0.95) -> pd.DataFrame:
    """ICC of ratings shaped (subjects, raters) or (subjects, raters, features).

    Complete cases only (a subject with any missing rating is dropped, per
    feature). Returns the columns of :func:`icc` (without ``feature``), one row
    per feature.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.

    >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    >>> [round(float(icc_matrix(sf, kind=k)["icc"][0]), 2)
    ...  for k in ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)")]
    [0.17, 0.29, 0.71]
    """
    from scipy import stats

    x = np.asarray(ratings, float)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[1] < 2:
        raise ValueError("ratings must be (subjects, raters[, features]) with >= 2 raters")
    which = _kind(kind)
    alpha = 1.0 - level
    rows = []
    for j in range(x.shape[2]):
        r = x[:, :, j]
        r = r[np.all(np.isfinite(r), axis=1)]
        n, k = r.shape
        if n < 2:
            rows.append(
                dict(
                    icc=np.nan,
                    lower=np.nan,
                    upper=np.nan,
                    F=np.nan,
                    df1=np.nan,
                    df2=np.nan,
                    pvalue=np.nan,
                    n=n,
                )
            )
            continue
        grand = r.mean()
        ss_r = k * ((r.mean(axis=1) - grand) ** 2).sum()
        ss_c = n * ((r.mean(axis=0) - grand) ** 2).sum()
        ss_t = ((r - grand) ** 2).sum()
        ss_e = ss_t - ss_r - ss_c
        msr = ss_r / (n - 1)
        msc = ss_c / (k - 1)
        mse = ss_e / ((n - 1) * (k - 1))
        msw = (ss_c + ss_e) / (n * (k - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            val, lo, up, f, df1, df2 = _icc_forms(which, n, k, msr, msc, mse, msw, alpha)
            p = stats.f.sf(f, df1, df2) if np.isfinite(f) else (0.0 if msr > 0 else np.nan)
        if msr > 0 and (mse == 0 if not which.startswith("ICC1") else msw == 0):
            val, lo, up = 1.0, 1.0, 1.0
        rows.append(
            dict(
                icc=float(val),
                lower=float(lo),
                upper=float(up),
                F=float(f),
                df1=float(df1),
                df2=float(df2),
                pvalue=float(p),
                n=int(n),
            )
        )
    return pd.DataFrame(rows)


def icc_forms(ratings, *, level: float = 0.95) -> pd.DataFrame:
    """All six Shrout & Fleiss ICCs of one (subjects, raters) matrix.

    The table of ``psych::ICC(ratings, lmer = FALSE)$results``: rows
    ICC(1,1), ICC(2,1), ICC(3,1), ICC(1,k), ICC(2,k), ICC(3,k) (psych's ICC1,
    ICC2, ICC3, ICC1k, ICC2k, ICC3k); columns as :func:`icc_matrix`.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (their Table 4: .17, .29, .71, .44, .62, .91).

    >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    >>> icc_forms(sf)["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    x = np.asarray(ratings, float)
    if x.ndim != 2:
        raise ValueError("ratings must be (subjects, raters)")
    out = pd.concat([icc_matrix(x, kind=k, level=level) for k in KINDS], ignore_index=True)
    out.index = pd.Index(KINDS, name="kind")
    return out


def icc(
    features_a: pd.DataFrame,
    features_b: pd.DataFrame,
    *more: pd.DataFrame,
    kind: str = "ICC(3,1)",
    level: float = 0.95,
) -> pd.DataFrame:
    """Per-feature intraclass correlation between feature tables of the same patients.

    Parameters
    ----------
    features_a, features_b, *more : DataFrame
        Feature tables indexed by ``patient_id`` (one per reader or mask
        perturbation). Patients and columns present in all tables are used.
    kind : {"ICC(3,1)", "ICC(2,1)", "ICC(1,1)", "ICC(3,k)", "ICC(2,k)", "ICC(1,k)"}
        Shrout & Fleiss form (``psych::ICC`` rows ICC3, ICC2, ICC1, ICC3k,
        ICC2k, ICC1k; McGraw & Wong names such as "ICC(C,1)", "ICC(A,k)" are
        accepted); see the module docstring. Default: two-way mixed,
        consistency, single rater.
    level : float
        Confidence level of the interval (F distribution, as ``psych::ICC``).

    Returns
    -------
    DataFrame
        Indexed by ``feature``; columns ``icc``, ``lower``, ``upper`` (CI),
        ``F``, ``df1``, ``df2``, ``pvalue`` (H0: ICC = 0) and ``n`` (patients
        used). A feature constant over patients has ``icc`` NaN; identical
        tables give 1.

    Examples
    --------
    >>> a = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0]}, index=list("pqrs"))
    >>> float(icc(a, a)["icc"].iloc[0])
    1.0
    """
    tables = [features_a, features_b, *more]
    index = tables[0].index
    cols = list(tables[0].columns)
    for t in tables[1:]:
        index = index.intersection(t.index)
        cols = [c for c in cols if c in t.columns]
    if len(index) < 2:
        raise ValueError("the feature tables share fewer than 2 patients")
    if not cols:
        raise ValueError("the feature tables share no feature columns")
    arr = np.stack([t.loc[index, cols].to_numpy(dtype=float) for t in tables], axis=1)  # (n, k, p)
    out = icc_matrix(arr, kind=kind, level=level)
    out.index = pd.Index(cols, name="feature")
    return out


def filter_by_icc(
    features: pd.DataFrame,
    icc_table: pd.DataFrame | pd.Series,
    threshold: float = 0.75,
    *,
    use: str = "icc",
) -> pd.DataFrame:
    """Keep the feature columns whose ICC is at least ``threshold``.

    ``use="lower"`` compares the lower confidence bound instead (stricter).
    Features missing from ``icc_table`` or with NaN ICC are dropped. 0.75 is
    the "good reliability" cut-off of Koo & Li (2016). The selection is
    :class:`radnb.select.ICCFilter`'s (``missing="drop"``), the one ICC filter;
    use that in a pipeline.

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1.0]})
    >>> filter_by_icc(f, pd.Series({"a": 0.9, "b": 0.4})).columns.tolist()
    ['a']
    """
    from radnb.select import ICCFilter

    values = icc_table if isinstance(icc_table, pd.Series) else icc_table[use]
    if features.shape[1] == 0:
        return features
    values = values[~values.index.duplicated()]
    # ICCFilter needs only the names: fit it on one row of placeholders, named by
    # position so that any column labels (not only strings) work
    slots = [f"f{i}" for i in range(features.shape[1])]
    icc = pd.Series(values.reindex(features.columns).to_numpy(dtype=float), index=slots)
    placeholder = pd.DataFrame(np.zeros((1, len(slots))), columns=slots)
    keep = ICCFilter(icc, threshold=threshold, missing="drop").fit(placeholder).get_support()
    return features.loc[:, keep]


# ----------------------------------------------------------------- perturbations


def _sitk():
    import SimpleITK as sitk

    return sitk


def _binary(mask):
    sitk = _sitk()
    return sitk.Cast(mask != 0, sitk.sitkUInt8)


def erode_mask(mask, radius: int = 1):
    """Binary erosion by a ball of ``radius`` voxels (uint8 0/1).

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> a = np.zeros((9, 9, 9), np.uint8); a[2:7, 2:7, 2:7] = 1
    >>> int(sitk.GetArrayFromImage(erode_mask(sitk.GetImageFromArray(a))).sum())
    27
    """
    sitk = _sitk()
    return sitk.BinaryErode(_binary(mask), [int(radius)] * mask.GetDimension(), sitk.sitkBall, 0, 1)


def dilate_mask(mask, radius: int = 1):
    """Binary dilation by a ball of ``radius`` voxels (uint8 0/1)."""
    sitk = _sitk()
    return sitk.BinaryDilate(
        _binary(mask), [int(radius)] * mask.GetDimension(), sitk.sitkBall, 0, 1
    )


def shift_mask(mask, shift: Sequence[int] = (1, 0, 0)):
    """Translate a mask by whole voxels, ``shift`` in (x, y, z) order; empty edges fill with 0.

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> a = np.zeros((1, 1, 5), np.uint8); a[0, 0, 1] = 1
    >>> sitk.GetArrayFromImage(shift_mask(sitk.GetImageFromArray(a), (2, 0, 0)))[0, 0].tolist()
    [0, 0, 0, 1, 0]
    """
    sitk = _sitk()
    arr = sitk.GetArrayFromImage(_binary(mask))
    out = np.zeros_like(arr)
    sh = list(shift)[::-1]  # numpy order z, y, x
    src = tuple(slice(max(0, -s), arr.shape[i] - max(0, s)) for i, s in enumerate(sh))
    dst = tuple(slice(max(0, s), arr.shape[i] - max(0, -s)) for i, s in enumerate(sh))
    out[dst] = arr[src]
    img = sitk.GetImageFromArray(out)
    img.CopyInformation(mask)
    return img


def jitter_mask(mask, *, amplitude: float = 1.0, smoothness: float = 2.0, random_state: int = 0):
    """Randomly deform a mask's contour (contour randomisation, Zwanenburg et al. 2019).

    A smooth random field (Gaussian-filtered white noise with standard
    deviation ``smoothness`` voxels, scaled to ``amplitude`` voxels at its
    standard deviation) is added to the mask's signed distance map, which is
    then thresholded at 0: the contour moves in and out by about ``amplitude``
    voxels, smoothly along the surface.
    """
    from scipy import ndimage

    sitk = _sitk()
    arr = sitk.GetArrayViewFromImage(mask) != 0
    inside = ndimage.distance_transform_edt(arr)
    outside = ndimage.distance_transform_edt(~arr)
    sdf = np.where(arr, inside - 0.5, -(outside - 0.5))
    rng = np.random.default_rng(random_state)
    noise = ndimage.gaussian_filter(rng.standard_normal(arr.shape), smoothness)
    sd = noise.std()
    if sd > 0:
        noise *= amplitude / sd
    out = (sdf + noise > 0).astype(np.uint8)
    img = sitk.GetImageFromArray(out)
    img.CopyInformation(mask)
    return img


def perturb_mask(mask, kind: str, *, random_state: int = 0, **kws: Any):
    """Apply one perturbation by name: ``"erode"``, ``"dilate"``, ``"shift"``, ``"jitter"``."""
    if kind == "erode":
        return erode_mask(mask, **kws)
    if kind == "dilate":
        return dilate_mask(mask, **kws)
    if kind == "shift":
        return shift_mask(mask, **kws)
    if kind == "jitter":
        return jitter_mask(mask, random_state=random_state, **kws)
    raise ValueError(f"unknown perturbation {kind!r}; use erode, dilate, shift or jitter")


def perturbation_icc(
    cohort,
    sequence: str | None = None,
    *,
    perturbations: Sequence[str | tuple[str, Mapping[str, Any]]] = (
        "erode",
        ("shift", {"shift": (1, 1, 0)}),
        "dilate",
    ),
    kind: str = "ICC(3,1)",
    params: Any = "pyradiomics-default",
    folder: str | PathLike | None = None,
    random_state: int = 0,
    **extract_kws: Any,
) -> pd.DataFrame:
    """ICC of each feature across the original mask and perturbed masks.

    Each perturbation is treated as one "rater"; features are extracted with
    :func:`radnb.features.radiomic.extract_radiomics` (cached and parallel)
    for the original mask and every perturbed mask of ``sequence``.

    Parameters
    ----------
    cohort : Cohort
    sequence : str, optional
        The sequence (default: the cohort's only / first sequence).
    perturbations : sequence
        Names (``"erode"``, ``"dilate"``, ``"shift"``, ``"jitter"``) or
        ``(name, options)`` pairs for :func:`perturb_mask`.
    kind : str
        ICC form, see :func:`icc`.
    folder : path, optional
        Where perturbed masks are written (default: a ``perturbed`` folder in
        the radiomics cache); names include a content hash, so they are reused.
    **extract_kws
        Passed to ``extract_radiomics`` (``cache``, ``client``, ``progress``...).

    Returns
    -------
    DataFrame
        The :func:`icc` table, indexed by feature (``<sequence>__...`` names as
        in the feature table).
    """
    from radnb import io
    from radnb.features import _cache
    from radnb.features.radiomic import extract_radiomics

    seq = sequence or cohort.sequences[0]
    out_dir = Path(folder) if folder is not None else _cache.default_cache_dir() / "perturbed"
    out_dir.mkdir(parents=True, exist_ok=True)
    base = extract_radiomics(cohort, seq, params=params, **extract_kws).features
    tables = [base]
    for i, item in enumerate(perturbations):
        name, opts = (item, {}) if isinstance(item, str) else (item[0], dict(item[1]))
        paths = {}
        for pid in cohort.patient_ids:
            mpath = cohort.mask_path(pid, seq)
            if mpath is None or not Path(mpath).exists():
                continue
            tag = hashlib.blake2b(
                f"{_cache.file_hash(mpath)}|{cohort.label}|{name}|{sorted(opts.items())}|"
                f"{random_state + i}".encode(),
                digest_size=8,
            ).hexdigest()
            target = out_dir / f"{tag}.nii.gz"
            if not target.exists():
                m = cohort.mask(pid, seq)
                pert = perturb_mask(m, name, random_state=random_state + i, **opts)
                # keep the cohort's label value so the perturbed cohort reads it back
                io.write_image(pert * int(cohort.label or 1), target)
            paths[pid] = str(target)
        pcohort = cohort.with_masks(pd.Series(paths, dtype=object))
        tables.append(extract_radiomics(pcohort, seq, params=params, **extract_kws).features)
    return icc(*tables, kind=kind)
