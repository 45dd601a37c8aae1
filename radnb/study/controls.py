"""Negative controls: does a signature beat what it should not be able to beat?

Each control reruns a signature's whole chain (selection steps, LASSO with
its CV, direction) on the training rows of a study, with one ingredient
destroyed, and scores the evaluation cohort (the test cohort by default) with
its real labels:

- ``"permuted"``: the training labels permuted ``n_permutations`` times; the
  permutation p-value of the real test AUC is ``(1 + #{AUC_perm >= AUC}) /
  (N + 1)`` (Phipson & Smyth 2010);
- ``"shuffled"``: every image's voxel values permuted inside the mask (the
  intensity histogram kept, the spatial texture destroyed), features
  re-extracted;
- ``"random_mask"``: the mask moved to a random place of the same image that
  does not overlap it, inside the body (voxels above the image's lowest
  value), same shape and volume, features re-extracted;
- ``"volume"``: tumour volume alone (a logistic regression on it): is the
  signature just tumour size?

The image-level controls follow the negative controls of READII (Radiomic
Extraction and Analysis for DICOM Images; BHKLab, Princess Margaret Cancer
Centre; https://github.com/bhklab/readii), which shuffle or randomise voxels of
the whole image, the ROI or outside it. radnb implements those that fit its
Cohort (images and tumour masks, no separate organ mask): shuffling inside the
mask, and the mask moved to a random place of the same volume. Nothing here
looks at a test label except to score.

Used by :meth:`radnb.study.Study.negative_controls`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError

__all__ = ["NegativeControls", "negative_controls", "CONTROLS"]

CONTROLS = {
    "permuted": "training labels permuted",
    "shuffled": "voxels shuffled inside the mask",
    "random_mask": "random mask of the same volume elsewhere in the image",
    "volume": "tumour volume only",
}


@dataclass
class NegativeControls:
    """Test AUC of a signature next to its negative controls.

    ``table`` has one row per control (the real signature first): ``control,
    description, auc, auc_lower, auc_upper, n, p, p_method, note``. For
    ``"permuted"`` the AUC is the median of the permutation AUCs and the
    interval their 2.5-97.5 percentiles; for the others the DeLong CI, and
    ``p`` is the paired DeLong test of the real signature against the
    control.
    """

    signature: str
    cohort: str
    table: pd.DataFrame
    permutation_aucs: np.ndarray = field(default_factory=lambda: np.empty(0))
    settings: dict = field(default_factory=dict)

    def plot(self, ax=None, *, title: str | None = None):
        """AUC with interval per control (real signature on top); returns ``ax``."""
        from radnb.plots.style import PALETTE, get_ax, style_ax

        ax = get_ax(ax, figsize=(5.6, 0.5 * len(self.table) + 1.6))
        t = self.table.iloc[::-1].reset_index(drop=True)
        for i, row in t.iterrows():
            real = row["control"] == "real"
            col = PALETTE[0] if real else "0.35"
            if row["control"] == "permuted" and self.permutation_aucs.size:
                jit = np.random.default_rng(0).uniform(-0.15, 0.15, self.permutation_aucs.size)
                ax.scatter(self.permutation_aucs, i + jit, s=6, color="0.75", zorder=1)
            if np.isfinite(row["auc"]):
                ax.plot([row["auc_lower"], row["auc_upper"]], [i, i], color=col, lw=2, zorder=2)
                ax.plot(row["auc"], i, "o", color=col, ms=7, zorder=3)
        ax.axvline(0.5, color="0.6", ls="--", lw=1)
        labels = [
            f"{r.control}" + (f"  (p = {r.p:.3g})" if np.isfinite(r.p) else "")
            for r in t.itertuples()
        ]
        ax.set_yticks(range(len(t)), labels)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"AUC, {self.cohort} cohort")
        style_ax(ax, title=title or f"{self.signature}: negative controls")
        return ax

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False, float_format=lambda v: f"{v:.3f}")


def _sub_study(study, signature: str, *, y=None, block=None, spec=None):
    """A shallow copy of ``study`` holding only ``signature`` (optionally changed)."""
    sub = copy.copy(study)
    spec = spec or study._signatures[signature]
    sub._signatures = {signature: spec}
    sub._models = {}
    sub.absent_ = {}
    if y is not None:
        sub.y = y
    if block is not None:
        sub.blocks = {**study.blocks, spec.block: block}
    return sub


def _refit_score(sub, signature: str, eval_ids) -> tuple[pd.Series, str]:
    """Refit ``signature`` on ``sub``'s training rows; its scores on ``eval_ids`` + direction."""
    from radnb.evaluate import score_direction

    ids = sub.train_ids
    state = sub._fit_on(ids, resample=True)  # empty LASSO -> constant score, not an error
    if signature not in state.signatures:
        return pd.Series(np.nan, index=eval_ids), "<"
    s = state.signature_scores[signature]
    tr = s.loc[ids]
    ok = tr.notna()
    d = score_direction(sub.y.loc[ids][ok], tr[ok]) if tr[ok].nunique() > 1 else "<"
    return s.loc[eval_ids], d


def _auc_row(y, s, d, level) -> dict:
    from radnb.evaluate import auc_ci

    ok = s.notna().to_numpy()
    if not ok.any() or y[ok].nunique() < 2:
        return {"auc": np.nan, "auc_lower": np.nan, "auc_upper": np.nan, "n": int(ok.sum())}
    r = auc_ci(y[ok], s[ok], direction=d, level=level)
    return {"auc": r.auc, "auc_lower": r.lower, "auc_upper": r.upper, "n": int(ok.sum())}


def _vs_real(y, real, real_d, s, d) -> float:
    from radnb.evaluate import delong_test

    ok = (real.notna() & s.notna()).to_numpy()
    if not ok.any() or y[ok].nunique() < 2 or s[ok].nunique() < 2:
        return np.nan
    return float(delong_test(y[ok], real[ok], s[ok], direction=(real_d, d))["p"])


def _volume(study, block: str, volume, images) -> pd.Series | None:
    """Tumour volume per patient: given, a table column, a shape column, or the masks."""
    if isinstance(volume, pd.Series):
        return volume.reindex(study.table.index).astype(float)
    if isinstance(volume, str):
        if volume in study.table.columns:
            return study.table[volume].astype(float)
        for b in study.blocks.values():
            if volume in b.columns:
                return b[volume]
        raise InvalidParameterError(f"volume column {volume!r} is in neither the table nor a block")
    cols = study.blocks[block].columns
    for key in ("original_shape_MeshVolume", "original_shape_VoxelVolume"):
        hit = [c for c in cols if c.endswith(key)]
        if hit:
            return study.blocks[block][hit[0]]
    if images is not None:
        from radnb.study._control_images import mask_volumes

        return mask_volumes(images).reindex(study.table.index)
    return None


def negative_controls(
    study,
    signature: str,
    *,
    controls: Sequence[str] = ("permuted", "shuffled", "random_mask", "volume"),
    cohort: Any = None,
    n_permutations: int = 100,
    images=None,
    extract: Callable | None = None,
    params: Any = "pyradiomics-default",
    volume: str | pd.Series | None = None,
    level: float = 0.95,
    random_state: int | None = None,
) -> NegativeControls:
    """Rerun a signature's chain on negative controls; compare their test AUC with the real one.

    Parameters
    ----------
    study : fitted Study
    signature : name of a fitted signature.
    controls : subset of ``"permuted", "shuffled", "random_mask", "volume"``.
    cohort : evaluation cohort (default: the first one after training).
    n_permutations : label permutations (each refits the whole chain).
    images : Cohort with the images and masks (``"shuffled"``, ``"random_mask"``).
    extract : callable Cohort -> feature table, the same extraction that made
        the signature's block (default: :func:`~radnb.features.radiomic.extract_radiomics`
        with ``params``, serial, uncached). Control images are written to a
        temporary folder and removed afterwards.
    volume : tumour volume (a Series, or a column of the table or a block);
        default: a PyRadiomics shape volume column of the block, else the masks.
    random_state : seed for permutations and image controls (default: the study's).

    Returns
    -------
    NegativeControls
        Controls that cannot run (e.g. image controls without ``images``)
        have a row with NaN and the reason in ``note``.
    """
    study._check_fitted()
    if signature not in study.signatures_:
        raise InvalidParameterError(
            f"{signature!r} is not a fitted signature; known: {list(study.signatures_)}"
        )
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown:
        raise InvalidParameterError(f"unknown control(s) {unknown}; choose from {list(CONTROLS)}")
    rs = study.random_state if random_state is None else random_state
    rng = np.random.default_rng(rs)
    if cohort is None:
        rest = [c for c in study.cohorts if c != study.train]
        if not rest:
            raise RadnbError("negative controls need a cohort besides training")
        cohort = rest[0]
    c = study._cohort_value(cohort)
    eval_ids = study.cohort_ids(c)
    y = study.y.loc[eval_ids]
    spec = study._signatures[signature]
    real = study.scores_.loc[eval_ids, signature]
    real_d = study.directions_[signature]
    real_row = _auc_row(y, real, real_d, level)
    rows = [{"control": "real", "description": f"{signature} as fitted", **real_row}]
    perm = np.empty(0)
    for ctrl in controls:
        row: dict = {"control": ctrl, "description": CONTROLS[ctrl], "p": np.nan}
        row["p_method"], row["note"] = "", ""
        if ctrl == "permuted":
            train = study.train_ids
            aucs = []
            for _ in range(n_permutations):
                yp = study.y.copy()
                yp.loc[train] = rng.permutation(study.y.loc[train].to_numpy())
                s, d = _refit_score(_sub_study(study, signature, y=yp), signature, eval_ids)
                aucs.append(_auc_row(y, s, d, level)["auc"])
            perm = np.asarray(aucs, dtype=float)
            fin = perm[np.isfinite(perm)]
            row |= {
                "auc": float(np.median(fin)) if fin.size else np.nan,
                "auc_lower": float(np.percentile(fin, 2.5)) if fin.size else np.nan,
                "auc_upper": float(np.percentile(fin, 97.5)) if fin.size else np.nan,
                "n": real_row["n"],
                "p": (1 + np.sum(fin >= real_row["auc"])) / (fin.size + 1),
                "p_method": f"permutation (N = {fin.size})",
                "note": "AUC: median of the permutations; interval: their 2.5-97.5 percentiles",
            }
        else:
            if ctrl == "volume":
                v = _volume(study, spec.block, volume, images)
                if v is None:
                    rows.append(row | {"note": "no volume: pass volume= or images="})
                    continue
                block = pd.DataFrame({"volume": v.astype(float)}, index=study.table.index)
                sub = _sub_study(
                    study,
                    signature,
                    block=block,
                    spec=spec.replace(steps=[], final="logistic", kws={}),
                )
            else:
                if images is None:
                    rows.append(row | {"note": "needs images= (the Cohort of the block)"})
                    continue
                from radnb.study._control_images import control_features

                feats = control_features(images, ctrl, rng=rng, extract=extract, params=params)
                ov = feats.attrs.pop("mask_overlap", None)
                if ov is not None and (ov > 0).any():
                    row["note"] = (
                        f"{int((ov > 0).sum())} moved mask(s) overlap the tumour (median "
                        f"{ov[ov > 0].median():.0%}): no room elsewhere in the image"
                    )
                feats.attrs = {}
                sub = _sub_study(study, signature, block=feats.reindex(study.table.index))
            s, d = _refit_score(sub, signature, eval_ids)
            row |= _auc_row(y, s, d, level)
            row["p"] = _vs_real(y, real, real_d, s, d)
            row["p_method"] = "paired DeLong vs real"
        rows.append(row)
    cols = ["control", "description", "auc", "auc_lower", "auc_upper", "n", "p"]
    table = pd.DataFrame(rows).reindex(columns=[*cols, "p_method", "note"])
    table["p_method"] = table["p_method"].fillna("")
    table["note"] = table["note"].fillna("")
    settings = {
        "controls": list(controls),
        "n_permutations": n_permutations if "permuted" in controls else 0,
        "random_state": rs,
        "cohort": study.cohorts[c],
        "extract": getattr(extract, "__name__", repr(extract)) if extract else f"{params}",
    }
    return NegativeControls(signature, study.cohorts[c], table, perm, settings)
