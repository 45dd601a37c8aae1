"""Habitat analysis: cluster tumour voxels across sequences into sub-regions ("habitats").

:class:`HabitatModel` learns habitats on a training cohort and maps every
patient (training, test, external) onto them; :func:`habitat_features` turns the
maps into a feature table (see :mod:`radnb.features.habitat_metrics`).

Designs (``design=``):

``"two_step"`` (default; HABIT's and most papers' design)
    1. per patient, k-means on voxel features into ``n_supervoxels`` supervoxels;
    2. population k-means on the supervoxel descriptors (mean voxel features) of the
       training patients, ``k`` chosen by ``criterion`` over ``k_range``.

    Voxels of any patient are labelled through their own supervoxels: each
    supervoxel takes the habitat of the nearest trained centroid
    (``assign="voxel"`` labels each voxel by its nearest centroid instead).
``"pooled"``
    population k-means directly on the voxels of the training patients (at most
    ``max_voxels`` random voxels per patient); voxels go to the nearest centroid.
``"one_step"``
    no population model: each patient is clustered on its own, with its own k
    chosen by ``criterion``; labels are ordered by the first feature's mean, so
    habitat ``h`` is *not* the same tissue class across patients.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from radnb.errors import (
    InvalidParameterError,
    NotFittedError,
    PatientError,
    RadnbError,
    clean_message,
)
from radnb.features import _kmeans, _voxel
from radnb.features.habitat_metrics import AUTO_MIN_PATIENTS

__all__ = ["HabitatMaps", "HabitatModel", "habitat_features"]

_CRITERIA = ("calinski_harabasz", "silhouette", "davies_bouldin", "bic", "elbow")
_DESIGNS = ("two_step", "one_step", "pooled")
_FORMAT = "radnb.HabitatModel/1"


@dataclass(frozen=True, repr=False, eq=False)
class HabitatMaps(Mapping):
    """What :meth:`HabitatModel.transform` returns: the maps and what failed.

    A read-only mapping ``patient_id -> SimpleITK`` label image (habitats
    ``1..k``, 0 outside the mask): ``maps["p001"]``, ``len(maps)``,
    ``maps.items()`` work as on a dict.

    Attributes
    ----------
    maps : dict
        ``patient_id -> SimpleITK.Image``.
    errors : DataFrame
        ``patient_id, sequence, message`` of the patients that failed.
    n_habitats : int or None
        The model's k; ``None`` for the one-step design, where k varies.

    Examples
    --------
    >>> m = HabitatMaps({"p1": "image"}, n_habitats=3)
    >>> m["p1"], len(m), list(m), m.n_habitats, len(m.errors)
    ('image', 1, ['p1'], 3, 0)
    """

    maps: Mapping[str, Any] = field(default_factory=dict)
    errors: pd.DataFrame | None = None
    n_habitats: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "maps", dict(self.maps))
        if self.errors is None:
            object.__setattr__(self, "errors", _errors_frame([]))

    def __getitem__(self, pid: str) -> Any:
        return self.maps[pid]

    def __iter__(self):
        return iter(self.maps)

    def __len__(self) -> int:
        return len(self.maps)

    def __repr__(self) -> str:
        k = "varies" if self.n_habitats is None else self.n_habitats
        return f"<HabitatMaps: {len(self)} patients, k={k}, {len(self.errors)} errors>"


def _errors_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["patient_id", "sequence", "message"])


def _error_row(pid: str, exc: Exception) -> dict:
    return {
        "patient_id": str(pid),
        "sequence": getattr(exc, "sequence", None),
        "message": exc.detail if isinstance(exc, PatientError) else clean_message(exc),
    }


class HabitatModel(BaseEstimator):
    """Habitat clustering fitted on a training cohort (scikit-learn style).

    ``fit`` sees the **training cohort only** (pass ``cohort.subset(split="train")``):
    the supervoxel descriptors of those patients are the only data the population
    centroids are learned from. ``transform`` maps any cohort onto the fitted
    centroids and never changes them.

    Parameters
    ----------
    sequences : sequence names to cluster on (default: all of the cohort's).
        All must be co-registered on the mask's grid.
    voxel_features : voxel feature kinds per sequence, from ``"intensity"``,
        ``"local_mean"``, ``"local_std"``, ``"local_entropy"``, ``"gradient"``
        (see :func:`radnb.features._voxel.voxel_features`). The default, intensity
        alone, recovers the planted sub-regions of the simulated S3 cohort
        (k = 3, ARI 0.87). Local texture (std, entropy, gradient) peaks *at*
        sub-region boundaries and adds spurious boundary habitats (k inflates to
        8 on a three-region phantom), and a local mean blurs thin rim-like
        sub-regions (on S3, k = 2 and ARI 0.46); add them with a small
        ``feature_weights``. Pick sequences with complementary contrast: several
        phases that separate the same tissue out-vote the others.
    feature_weights : mapping feature kind -> multiplier applied after normalisation
        (default 1 for each kind).
    kernel_radius : radius in voxels of the local kernel (cube of side 2r+1).
    normalise : ``"cohort"`` (default), ``"patient"`` or ``"none"``. ``"cohort"``
        centres each feature on the median of the training patients' voxels and
        scales it by their IQR (learned in ``fit``, stored as ``center_`` /
        ``scale_``): one tissue keeps one position in feature space across
        patients. ``"patient"`` uses each patient's own median / IQR inside the
        mask; it removes scanner gain differences but moves every tissue class
        with the patient's sub-region proportions (on S3: k = 4 instead of 3), so
        use it only when intensities are not comparable between scans (and
        harmonise them first where you can).
    n_supervoxels : supervoxels per patient in the two-step design.
    n_habitats : ``"auto"`` (chosen by ``criterion`` over ``k_range``) or an int.
    k_range : inclusive (min, max) k searched when ``n_habitats="auto"``.
    criterion : ``"calinski_harabasz"`` (max), ``"silhouette"`` (max),
        ``"davies_bouldin"`` (min), ``"bic"`` (min; spherical-Gaussian BIC of the
        k-means solution, Pelleg & Moore 2000) or ``"elbow"`` (knee of the inertia
        curve, Satopää et al. 2011).
    design : ``"two_step"``, ``"pooled"`` or ``"one_step"`` (see the module docs).
    assign : ``"supervoxel"`` (two-step default) or ``"voxel"``.
    min_island_size : connected islands (26-connectivity) smaller than this many
        voxels take the majority habitat around them; 0 or 1 disables it.
    max_voxels : voxels sampled per patient for pooled fitting and one-step scoring.
    n_init : k-means restarts of the population step.
    device : ``"auto"`` (torch k-means on CUDA when a GPU is present, else
        scikit-learn), ``"cpu"``, ``"cuda"`` or ``"torch-cpu"``.
    random_state : seed of every random step; the same seed gives the same maps.

    Attributes
    ----------
    n_habitats_ : int
        Chosen k (one-step: the median of the training patients' k).
    centroids_ : array (k, n_features)
        Population centroids in normalised feature space, ordered by the first
        feature (habitat 1 has the lowest first-sequence intensity). Empty for
        the one-step design.
    scores_ : Series
        Criterion score per k (index ``k``), for :meth:`plot_scores`.
    feature_names_ : list of str
    center_, scale_ : arrays (n_features,)
        ``normalise="cohort"``: training median and IQR of each voxel feature.
    patient_k_ : Series or None
        One-step design: k chosen for each training patient.
    train_ids_ : list of str
        Patients the model was fitted on.
    errors_ : DataFrame
        Training patients that failed (``patient_id, sequence, message``).

    Examples
    --------
    >>> m = HabitatModel(["T1"], n_habitats=3)
    >>> m.get_params()["n_supervoxels"]
    50
    """

    def __init__(
        self,
        sequences: Sequence[str] | None = None,
        *,
        voxel_features: Sequence[str] = ("intensity",),
        feature_weights: Mapping[str, float] | None = None,
        kernel_radius: int = 1,
        normalise: str = "cohort",
        n_supervoxels: int = 50,
        n_habitats: int | str = "auto",
        k_range: tuple[int, int] = (2, 8),
        criterion: str = "calinski_harabasz",
        design: str = "two_step",
        assign: str = "supervoxel",
        min_island_size: int = 10,
        max_voxels: int = 5000,
        n_init: int = 10,
        device: str = "auto",
        random_state: int = 0,
    ) -> None:
        self.sequences = sequences
        self.voxel_features = voxel_features
        self.feature_weights = feature_weights
        self.kernel_radius = kernel_radius
        self.normalise = normalise
        self.n_supervoxels = n_supervoxels
        self.n_habitats = n_habitats
        self.k_range = k_range
        self.criterion = criterion
        self.design = design
        self.assign = assign
        self.min_island_size = min_island_size
        self.max_voxels = max_voxels
        self.n_init = n_init
        self.device = device
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        if self.criterion not in _CRITERIA:
            raise InvalidParameterError(f"criterion={self.criterion!r}; choose from {_CRITERIA}")
        if self.design not in _DESIGNS:
            raise InvalidParameterError(f"design={self.design!r}; choose from {_DESIGNS}")
        if self.assign not in ("supervoxel", "voxel"):
            raise InvalidParameterError(f"assign={self.assign!r}; choose 'supervoxel' or 'voxel'")
        if self.normalise not in ("patient", "cohort", "none"):
            raise InvalidParameterError(
                f"normalise={self.normalise!r}; choose 'patient', 'cohort' or 'none'"
            )
        unknown = [f for f in self.voxel_features if f not in _voxel.VOXEL_FEATURES]
        if unknown or not self.voxel_features:
            raise InvalidParameterError(
                f"voxel_features {list(self.voxel_features)} invalid; choose from "
                f"{_voxel.VOXEL_FEATURES}"
            )
        unknown_w = set(self.feature_weights or {}) - set(self.voxel_features)
        if unknown_w:
            raise InvalidParameterError(
                f"feature_weights for {sorted(unknown_w)} not in voxel_features"
            )
        if self.n_habitats != "auto":
            if not isinstance(self.n_habitats, (int, np.integer)) or self.n_habitats < 1:
                raise InvalidParameterError(
                    f"n_habitats={self.n_habitats!r}; pass 'auto' or an int >= 1"
                )
        lo, hi = self.k_range
        if not (2 <= lo <= hi):
            raise InvalidParameterError(f"k_range={self.k_range!r}; need 2 <= min <= max")
        if self.n_supervoxels < 2:
            raise InvalidParameterError("n_supervoxels must be at least 2")

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once ``fit`` (or :meth:`load`) has set ``n_habitats_``."""
        return hasattr(self, "n_habitats_")

    def _check_fitted(self) -> None:
        """scikit-learn's ``check_is_fitted``, raising radnb's :class:`NotFittedError`."""
        from sklearn.exceptions import NotFittedError as SklearnNotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(self)
        except SklearnNotFittedError as exc:
            raise NotFittedError(
                "this HabitatModel is not fitted yet; call fit(training_cohort) or "
                "HabitatModel.load(path) first"
            ) from exc

    def _sequences_for(self, cohort) -> list[str]:
        seqs = list(self.sequences) if self.sequences is not None else list(cohort.sequences)
        missing = [s for s in seqs if s not in cohort.sequences]
        if missing:
            raise InvalidParameterError(
                f"sequences {missing} are not in the cohort (it has {cohort.sequences}); "
                "pass sequences= with the cohort's names"
            )
        return seqs

    # ------------------------------------------------------------------ per patient
    def _weights(self, n_seqs: int) -> np.ndarray:
        fw = dict(self.feature_weights or {})
        return np.tile([float(fw.get(f, 1.0)) for f in self.voxel_features], n_seqs)

    def _patient(self, cohort, pid: str, seqs: list[str], raw: bool = False):
        """Read one patient; return (X, names, inside, box, mask image)."""
        import SimpleITK as sitk

        from radnb import io

        mask_img = cohort.mask(pid, seqs[0])
        mask = sitk.GetArrayFromImage(mask_img).astype(bool)
        where = dict(patient_id=pid, sequence=seqs[0], path=str(cohort.mask_path(pid, seqs[0])))
        if not mask.any():
            raise io.empty_mask_error(cohort.label, **where)
        if mask.sum() < 2:
            raise PatientError("the mask has 1 tumour voxel; habitats need at least 2",
                               check="tiny_mask", **where)  # fmt: skip
        arrays = {}
        for s in seqs:
            img = cohort.image(pid, s)
            where = dict(patient_id=pid, sequence=s, path=str(cohort.image_path(pid, s)))
            m_s = io.match_grid(img, mask_img, **where)
            # NaN inside the mask or where the voxel kernels reach: this patient's error
            io.check_finite(img, m_s, margin=int(self.kernel_radius) + 2, **where)
            arrays[s] = sitk.GetArrayFromImage(img)
        x, names, box = _voxel.voxel_features(
            arrays, mask, features=self.voxel_features, kernel_radius=self.kernel_radius
        )
        if not np.isfinite(x).all():
            raise PatientError("voxel features are not finite (extreme intensities?)",
                               check="non_finite", patient_id=pid)  # fmt: skip
        if self.normalise == "patient":
            x = _voxel.robust_normalise(x)
        elif self.normalise == "cohort" and not raw:
            x = (x - self.center_) / self.scale_
        if raw:
            return x, names, mask[box], box, mask_img
        x = x * self._weights(len(seqs))
        return x, names, mask[box], box, mask_img

    def _device(self) -> str:
        return _kmeans.resolve_device(self.device)

    def _supervoxels(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step 1: per-patient k-means into supervoxels; (voxel labels, descriptors)."""
        r = _kmeans.kmeans(
            x,
            self.n_supervoxels,
            random_state=self.random_state,
            n_init=1,
            max_iter=100,
            tol=1e-3,
            device=self._device(),
            minibatch=x.shape[0] > 200_000,
            float32=True,
        )
        k = int(r.labels.max()) + 1
        counts = np.bincount(r.labels, minlength=k).astype(float)
        desc = np.stack(
            [np.bincount(r.labels, weights=x[:, j], minlength=k) for j in range(x.shape[1])],
            axis=1,
        )
        keep = counts > 0
        remap = np.cumsum(keep) - 1
        return remap[r.labels], desc[keep] / counts[keep, None]

    def _sample(self, x: np.ndarray, pid: str) -> np.ndarray:
        import zlib

        if x.shape[0] <= self.max_voxels:
            return x
        rng = np.random.default_rng([int(self.random_state), zlib.crc32(str(pid).encode())])
        idx = np.sort(rng.choice(x.shape[0], self.max_voxels, replace=False))
        return x[idx]

    def _cluster_select(self, x: np.ndarray, *, n_init: int):
        """k-means over the k range (or the fixed k); returns (k, result, scores)."""
        n = x.shape[0]
        if self.n_habitats != "auto":
            ks = [int(min(self.n_habitats, n))]
        else:
            lo, hi = self.k_range
            ks = list(range(min(lo, n - 1), min(hi, n - 1) + 1)) or [1]
        dev = self._device()
        results = {
            k: _kmeans.kmeans(x, k, random_state=self.random_state, n_init=n_init, device=dev)
            for k in ks
        }
        scorable = {k: r for k, r in results.items() if 1 < k < n and len(set(r.labels)) > 1}
        scores = (
            _kmeans.select_k_scores(x, scorable, self.criterion, random_state=self.random_state)
            if scorable
            else {}
        )
        if self.n_habitats != "auto" or len(scores) == 0:
            k = ks[0]
        else:
            k = _kmeans.best_k(scores, self.criterion)
        return k, results[k], scores

    def _one_step_labels(self, x: np.ndarray) -> tuple[int, np.ndarray]:
        k, res, _ = self._cluster_select(x, n_init=3)
        first = np.array([x[res.labels == c, 0].mean() for c in range(res.centroids.shape[0])])
        rank = np.empty(len(first), np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        return k, rank[res.labels]

    def _label_patient(self, cohort, pid: str, seqs: list[str]):
        """Habitat label image (SimpleITK, uint8) of one patient."""
        import SimpleITK as sitk

        x, _, inside, box, mask_img = self._patient(cohort, pid, seqs)
        if self.design == "one_step":
            _, lab = self._one_step_labels(x)
        elif self.design == "two_step" and self.assign == "supervoxel":
            sv, desc = self._supervoxels(x)
            lab = _kmeans.assign(desc, self.centroids_)[sv]
        else:
            lab = _kmeans.assign(x, self.centroids_)
        crop = np.zeros(inside.shape, np.uint8)
        crop[inside] = lab.astype(np.uint8) + 1
        crop = _voxel.island_cleanup(crop, inside, int(self.min_island_size or 0))
        full = np.zeros(sitk.GetArrayViewFromImage(mask_img).shape, np.uint8)
        full[box] = crop
        out = sitk.GetImageFromArray(full)
        out.CopyInformation(mask_img)
        return out

    def _fit_patient(self, cohort, pid: str, seqs: list[str]):
        """What fitting needs from one training patient (descriptors / samples / k)."""
        x, names, *_ = self._patient(cohort, pid, seqs)
        if self.design == "two_step":
            return names, self._supervoxels(x)[1]
        if self.design == "pooled":
            return names, self._sample(x, pid)
        return names, self._one_step_labels(x)[0]

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        cohort,
        y=None,
        *,
        train: str | Sequence[str] | None = None,
        client=None,
        progress: bool = False,
    ) -> HabitatModel:
        """Learn the habitats from a **training** cohort.

        Parameters
        ----------
        cohort : Cohort
            The training patients (e.g. ``cohort.subset(split="train")``), or a
            whole cohort together with ``train=`` naming the training split.
            Nothing from any other patient is used.
        y : ignored (scikit-learn signature).
        train : split value(s) to fit on; ``None`` uses every patient of ``cohort``.
        client : where the per-patient step runs, as in every cohort-level call
            (:func:`radnb.parallel.run_tasks`): ``None`` lets radnb choose (a
            local Dask cluster from :data:`AUTO_MIN_PATIENTS` patients, when
            Dask is installed; this process otherwise), ``"serial"`` this
            process, ``"local"`` the local cluster, or a ``Client`` / address.
        progress : show a progress bar (``True``) or not.

        Returns
        -------
        self
        """
        self._check_params()
        if train is not None:
            cohort = cohort.subset(split=train)
        splits = cohort.splits
        if train is None and splits is not None and splits.nunique() > 1:
            warnings.warn(
                f"fitting habitats on patients from several splits {sorted(splits.unique())}; "
                "fit on the training split only (train='train') to avoid leakage",
                stacklevel=2,
            )
        seqs = self._sequences_for(cohort)
        pids = cohort.patient_ids
        if self.normalise == "cohort":
            samples, errors = _run_patients(
                _sample_one,
                self,
                cohort,
                pids,
                seqs,
                client=client,
                progress=progress,
                what="normalisation",
            )
            if not samples:
                raise RadnbError(
                    "no training patient could be read; first errors: "
                    + "; ".join(f"{e['patient_id']}: {e['message']}" for e in errors[:5])
                )
            pooled = np.concatenate([samples[p] for p in pids if p in samples], axis=0)
            q1, med, q3 = np.percentile(pooled, [25, 50, 75], axis=0)
            iqr = q3 - q1
            sd = pooled.std(axis=0)
            self.center_ = med
            self.scale_ = np.where(iqr > 1e-12, iqr, np.where(sd > 1e-12, sd, 1.0))
        outputs, errors = _run_patients(
            _fit_one, self, cohort, pids, seqs, client=client, progress=progress, what="fit"
        )
        if not outputs:
            raise RadnbError(
                "no training patient could be processed; see the messages: "
                + "; ".join(f"{e['patient_id']}: {e['message']}" for e in errors[:5])
            )
        ok = [p for p in pids if p in outputs]
        names = outputs[ok[0]][0]
        self.feature_names_ = list(names)
        self.n_features_in_ = len(names)
        self.sequences_ = seqs
        self.train_ids_ = ok
        self.errors_ = _errors_frame(errors)
        self.patient_k_ = None
        if self.design == "one_step":
            ks = pd.Series({p: int(outputs[p][1]) for p in ok}, name="k")
            ks.index.name = "patient_id"
            self.patient_k_ = ks
            self.n_habitats_ = int(np.round(ks.median()))
            self.centroids_ = np.zeros((0, len(names)))
            self.scores_ = pd.Series(dtype=float, name=self.criterion)
            return self
        data = np.concatenate([outputs[p][1] for p in ok], axis=0)
        k, res, scores = self._cluster_select(data, n_init=self.n_init)
        order = np.argsort(res.centroids[:, 0], kind="stable")
        self.centroids_ = np.ascontiguousarray(res.centroids[order])
        self.n_habitats_ = int(k)
        self.scores_ = pd.Series(scores, name=self.criterion, dtype=float)
        self.scores_.index.name = "k"
        edge = self._k_edge()
        if edge:
            warnings.warn(
                f"HabitatModel chose k = {k}, the {edge} end of k_range={tuple(self.k_range)} "
                f"({self.criterion} is best there): the best k may lie outside the range; "
                "widen k_range, or fix n_habitats, and look at plot_scores()",
                stacklevel=2,
            )
        return self

    def _k_edge(self) -> str | None:
        """``"lower"`` / ``"upper"`` when the chosen k is at an end of the scored range."""
        s = getattr(self, "scores_", None)
        if self.n_habitats != "auto" or s is None or len(s) < 2:
            return None
        if self.n_habitats_ == s.index.min():
            return "lower"
        if self.n_habitats_ == s.index.max():
            return "upper"
        return None

    # ------------------------------------------------------------------ transform
    def transform(self, cohort, *, client=None, progress: bool = False) -> HabitatMaps:
        """Habitat maps of every patient of ``cohort`` (training, test or external).

        Each patient's voxels (through its own supervoxels in the two-step design)
        go to the nearest fitted centroid; the centroids are never changed.
        Patients that fail are listed in the result's ``errors`` table.

        Returns
        -------
        HabitatMaps
            ``patient_id -> SimpleITK`` uint8 label image on the mask's grid:
            habitats ``1..n_habitats_``, 0 outside the mask.
        """
        self._check_fitted()
        seqs = self._sequences_for(cohort)
        outputs, errors = _run_patients(
            _transform_one,
            self,
            cohort,
            cohort.patient_ids,
            seqs,
            client=client,
            progress=progress,
            what="transform",
        )
        k = None if self.design == "one_step" else self.n_habitats_
        return HabitatMaps(
            {p: outputs[p] for p in cohort.patient_ids if p in outputs},
            errors=_errors_frame(errors),
            n_habitats=k,
        )

    def fit_transform(self, cohort, y=None, **kws) -> HabitatMaps:
        """``fit(cohort)`` then ``transform(cohort)`` (the same patients)."""
        client = kws.get("client")
        progress = kws.get("progress", False)
        return self.fit(cohort, **kws).transform(cohort, client=client, progress=progress)

    # ------------------------------------------------------------------ plots
    def plot_scores(self, ax=None):
        """Criterion score against k, the chosen k marked. Returns the Axes."""
        from radnb.plots.style import PALETTE, get_ax, style_ax

        self._check_fitted()
        ax = get_ax(ax)
        s = self.scores_
        if len(s):
            ax.plot(s.index, s.values, "o-", color=PALETTE[0])
            if self.n_habitats_ in s.index:
                ax.plot(
                    [self.n_habitats_],
                    [s[self.n_habitats_]],
                    "o",
                    ms=12,
                    mfc="none",
                    color=PALETTE[1],
                    label=f"chosen k = {self.n_habitats_}",
                )
                ax.legend(frameon=False)
            edge = self._k_edge()
            if edge:
                ax.axvspan(
                    self.n_habitats_ - 0.5,
                    self.n_habitats_ + 0.5,
                    color=PALETTE[5],
                    alpha=0.15,
                    gid="k-edge",
                )
                ax.text(
                    0.5,
                    0.02,
                    f"k at the {edge} end of k_range: the best k may lie outside it",
                    transform=ax.transAxes,
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=PALETTE[5],
                    gid="k-edge-note",
                )
        ax.set_xlabel("number of habitats k")
        ax.set_ylabel(self.criterion.replace("_", " "))
        return style_ax(ax, title=f"Habitat number selection ({self.design})")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | PathLike) -> Path:
        """Write the fitted model to one ``.npz`` file: arrays + a JSON header (no pickle)."""
        self._check_fitted()
        path = Path(path)
        if path.suffix != ".npz":
            path = (
                path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
            )
        params = self.get_params()
        params["voxel_features"] = list(params["voxel_features"])
        params["k_range"] = list(params["k_range"])
        params["sequences"] = None if params["sequences"] is None else list(params["sequences"])
        header = {
            "format": _FORMAT,
            "params": params,
            "n_habitats_": int(self.n_habitats_),
            "feature_names_": list(self.feature_names_),
            "sequences_": list(self.sequences_),
            "train_ids_": list(self.train_ids_),
            "criterion": self.criterion,
            "patient_k_": None if self.patient_k_ is None else self.patient_k_.to_dict(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            header=np.array(json.dumps(header)),
            centroids=self.centroids_,
            center=getattr(self, "center_", np.zeros(0)),
            scale=getattr(self, "scale_", np.zeros(0)),
            score_k=np.asarray(self.scores_.index, dtype=np.int64),
            score_v=np.asarray(self.scores_.values, dtype=np.float64),
        )
        return path

    @classmethod
    def load(cls, path: str | PathLike) -> HabitatModel:
        """Read a model written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(Path(path), allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            if header.get("format") != _FORMAT:
                raise InvalidParameterError(f"{path} is not a saved radnb HabitatModel")
            p = header["params"]
            p["k_range"] = tuple(p["k_range"])
            p["voxel_features"] = tuple(p["voxel_features"])
            model = cls(**p)
            model.centroids_ = np.array(z["centroids"])
            if model.normalise == "cohort":
                model.center_ = np.array(z["center"])
                model.scale_ = np.array(z["scale"])
            model.scores_ = pd.Series(
                np.array(z["score_v"]),
                index=pd.Index(np.array(z["score_k"]), name="k"),
                name=header["criterion"],
            )
        model.n_habitats_ = int(header["n_habitats_"])
        model.feature_names_ = header["feature_names_"]
        model.n_features_in_ = len(model.feature_names_)
        model.sequences_ = header["sequences_"]
        model.train_ids_ = header["train_ids_"]
        model.errors_ = _errors_frame([])
        pk = header["patient_k_"]
        model.patient_k_ = None if pk is None else pd.Series(pk, name="k", dtype=int)
        return model


# ---------------------------------------------------------------------- runners
def _fit_one(model: HabitatModel, cohort, seqs: list[str], pid: str):
    return model._fit_patient(cohort, pid, seqs)


def _sample_one(model: HabitatModel, cohort, seqs: list[str], pid: str):
    x = model._patient(cohort, pid, seqs, raw=True)[0]
    return model._sample(x, pid)


def _transform_one(model: HabitatModel, cohort, seqs: list[str], pid: str):
    return model._label_patient(cohort, pid, seqs)


def _safe(func, model, cohort, seqs, pid):
    try:
        return pid, func(model, cohort, seqs, pid), None
    except Exception as exc:  # noqa: BLE001 - per-patient failures go to the errors table
        return pid, None, _error_row(pid, exc)


def _run_patients(func, model, cohort, pids, seqs, *, client, progress: bool, what: str):
    """Run ``func`` per patient through :func:`radnb.parallel.run_tasks`.

    Returns (outputs by patient, error rows). ``client=None`` follows run_tasks'
    rule with a threshold of :data:`AUTO_MIN_PATIENTS` (the voxel work is
    light; a cluster pays off for large cohorts only).
    """
    import functools

    from radnb.parallel import run_tasks

    pids = list(pids)
    task = functools.partial(_safe, func, model, cohort, seqs)
    results = []
    for i, out in run_tasks(
        task, pids, client=client, progress=progress, desc=f"habitats: {what}",
        min_tasks=AUTO_MIN_PATIENTS if client is None else 1,
    ):  # fmt: skip
        if isinstance(out, Exception):
            out = (pids[i], None, _error_row(pids[i], out))
        results.append(out)
    outputs, errors = {}, []
    for pid, out, err in results:
        if err is not None:
            errors.append(err)
        else:
            outputs[pid] = out
    return outputs, errors


def habitat_features(maps, cohort=None, **kws):
    """Feature table from habitat maps; see :func:`radnb.features.habitat_metrics.habitat_features`."""
    from radnb.features.habitat_metrics import habitat_features as _hf

    return _hf(maps, cohort, **kws)
