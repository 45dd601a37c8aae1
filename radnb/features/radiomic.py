"""Radiomics features with PyRadiomics, at cohort scale: cached, resumable, parallel.

:func:`extract_case` computes one case (a plain function of an image and a
mask). :func:`extract_radiomics` runs a whole :class:`~radnb.cohort.Cohort`:
each (patient, sequence) result is cached on disk under a key made from the
settings and the *content* of every input file, so a re-run computes only what
is missing and an interrupted run (even a killed kernel) resumes with nothing
lost. Cases run in parallel on Dask (:mod:`radnb.parallel`) or serially, with
identical results.

Feature columns are named ``<sequence>__<imagetype>_<class>_<feature>``, e.g.
``CT__original_firstorder_Mean`` or ``T2__wavelet-LLH_glcm_Contrast``.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radnb.errors import CohortError, PatientError, clean_message
from radnb.features import _cache
from radnb.features._result import FeatureResult
from radnb.features.presets import PRESETS, resolve_params

__all__ = [
    "CaseFeatures",
    "RadiomicsResult",
    "extract_case",
    "extract_radiomics",
    "to_excess_kurtosis",
    "PRESETS",
]

#: Bump when the meaning of a cache entry changes.
CACHE_VERSION = "radnb-radiomics-1"

_EXTRACTORS: dict[str, Any] = {}


def _pyradiomics_version() -> str:
    try:
        return importlib.metadata.version("pyradiomics")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        import radiomics

        return str(radiomics.__version__)


def _extractor(params: Mapping[str, Any]):
    """A PyRadiomics extractor for ``params``, built once per process."""
    key = _cache.settings_hash(params)
    ext = _EXTRACTORS.get(key)
    if ext is None:
        import radiomics
        from radiomics import featureextractor

        radiomics.setVerbosity(logging.ERROR)  # PyRadiomics resets its logger on import
        ext = featureextractor.RadiomicsFeatureExtractor(dict(params))
        _EXTRACTORS[key] = ext
    return ext


def to_excess_kurtosis(features: Mapping[str, float]) -> dict[str, float]:
    """Report kurtosis as IBSI's *excess* kurtosis.

    PyRadiomics' ``firstorder_Kurtosis`` is the plain fourth standardised
    moment (3 for a normal distribution); IBSI (feature ``IPHH``, "(excess)
    kurtosis") subtracts 3. Each ``..._firstorder_Kurtosis`` becomes
    ``..._firstorder_ExcessKurtosis`` = Kurtosis - 3; everything else is kept.

    Examples
    --------
    >>> to_excess_kurtosis({"original_firstorder_Kurtosis": 2.645})
    {'original_firstorder_ExcessKurtosis': -0.355}
    """
    out = {}
    for name, value in features.items():
        if name.endswith("_firstorder_Kurtosis"):
            out[name[: -len("Kurtosis")] + "ExcessKurtosis"] = round(float(value) - 3.0, 12)
        else:
            out[name] = value
    return out


@dataclass(frozen=True)
class CaseFeatures:
    """Features of one case: ``features`` (float Series) and PyRadiomics ``diagnostics``."""

    features: pd.Series
    diagnostics: dict = field(repr=False)


def _as_image(obj, what: str):
    import SimpleITK as sitk

    if isinstance(obj, sitk.Image):
        return obj
    from radnb import io

    return io.read_image(obj, sequence=None)


def _split(result: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    feats, diags = {}, {}
    for k, v in result.items():
        if k.startswith("diagnostics_"):
            diags[k] = v if isinstance(v, str | int | float | bool) else str(v)
        else:
            feats[k] = _real(v)
    return feats, diags


def _real(v: Any) -> float:
    """A feature value as float; numpy >= 2.5 makes PyRadiomics' shape axes complex
    (``eigvals`` of the covariance, e.g. ``11.3+0j``): keep real values, NaN otherwise."""
    a = np.asarray(v)
    if np.iscomplexobj(a):
        if abs(a.imag) > 1e-9 * max(1.0, abs(a.real)):
            return float("nan")
        a = a.real
    return float(a)


def _is_flat(image) -> bool:
    size = image.GetSize()
    return len(size) == 2 or (len(size) == 3 and size[2] == 1)


def _filtered(params) -> bool:
    """True when image types other than Original are on (their filters reach outside the mask)."""
    return any(k.lower() != "original" for k in (params.get("imageType") or {"Original": {}}))


def _compute(image, mask, params, *, label, steps, reference=None, mask_grid=None,
             threshold=None, tolerance=None):  # fmt: skip
    """Check, preprocess and extract one case; returns (features, diagnostics).

    Raises :class:`PatientError` (with its ``check``) for a mask that is not a
    label map, grids that differ beyond ``tolerance``, NaN voxels in the region
    used, an empty mask, or a 2D image without ``force2D``.
    """
    from radnb import io
    from radnb.preprocess import apply_steps

    setting = params.get("setting", {})
    if _is_flat(image) and not setting.get("force2D"):
        raise PatientError(
            f"image is 2D or a single slice (size {image.GetSize()}); 3D shape and texture "
            "features would be NaN or wrong. Use the full volume, or for a 2D study set "
            "setting force2D: true and featureClass shape2D",
            check="dimension",
        )
    mask = io.binarize_mask(mask, label, threshold=threshold)
    if mask_grid is not None:
        mask = io.match_grid(mask_grid, mask, tol=tolerance)
    elif reference is None:
        mask = io.match_grid(image, mask, tol=tolerance)
    if steps.get("n4") or steps.get("normalize") or reference is not None or mask_grid is not None:
        image, mask = apply_steps(image, mask, steps, reference=reference, mask_grid=mask_grid)
        mask = io.match_grid(image, mask, tol=tolerance)
    import SimpleITK as sitk

    if not np.any(sitk.GetArrayViewFromImage(mask)):
        raise io.empty_mask_error(label, where=" on the image grid")
    margin = int(setting.get("padDistance", 5)) if _filtered(params) else 0
    io.check_finite(image, mask, margin=margin)
    result = _execute(params, image, mask, int(setting.get("label", 1)))
    return _split(result)


def _croppable(params: Mapping[str, Any]) -> bool:
    """True when PyRadiomics' numbers do not depend on voxels outside the mask's box.

    With only the Original image type, no resampling and no resegmentation,
    PyRadiomics crops the mask's bounding box (no padding) before computing
    features, so an image cut to that box gives the same features. Filters (LoG,
    wavelet...) and resampling read around the box: those keep the whole volume.
    """
    setting = params.get("setting") or {}
    types = [str(t).lower() for t in (params.get("imageType") or {"Original": {}})]
    resample = setting.get("resampledPixelSpacing") and setting.get("interpolator") is not None
    return (
        types == ["original"]
        and not resample
        and setting.get("resegmentRange") is None
        and not setting.get("correctMask")
    )


def _bounding_box(mask, margin: int = 1) -> tuple[list[int], list[int]] | None:
    """(index, size) in SimpleITK order of the non-zero box of ``mask`` plus ``margin``."""
    import SimpleITK as sitk

    arr = sitk.GetArrayViewFromImage(mask)
    nz = np.nonzero(arr)
    if not nz[0].size:
        return None
    lo = [max(int(a.min()) - margin, 0) for a in nz]  # numpy order (z, y, x)
    hi = [min(int(a.max()) + 1 + margin, n) for a, n in zip(nz, arr.shape, strict=True)]
    return [int(v) for v in lo[::-1]], [
        int(h - lo_) for lo_, h in zip(lo[::-1], hi[::-1], strict=True)
    ]


def _normalise_and_cut(image, mask, params: Mapping[str, Any]):
    """``(image, mask, params)`` as PyRadiomics would compute on, done once here.

    The image is normalised over the whole volume when ``setting.normalize`` is
    on (PyRadiomics' convention; the returned ``params`` no longer ask for it),
    then image and mask are cut to the mask's bounding box (+ 1 voxel) when
    :func:`_croppable` says that changes no number. An empty mask is left
    whole (PyRadiomics reports it).
    """
    import SimpleITK as sitk

    setting = dict(params.get("setting") or {})
    if setting.get("normalize"):
        from radiomics import imageoperations

        image = imageoperations.normalizeImage(image, **setting)
        setting["normalize"] = False
        params = {**params, "setting": setting}
    box = _bounding_box(mask) if _croppable(params) else None
    if box is not None:
        index, size = box
        image = sitk.RegionOfInterest(image, size, index)
        mask = sitk.RegionOfInterest(mask, size, index)
    return image, mask, params


def _execute(params: Mapping[str, Any], image, mask, label: int):
    """PyRadiomics' ``execute``, on the mask's box when that changes no number.

    PyRadiomics checks, casts, normalises and crops the whole volume; for the
    settings of :func:`_croppable` this does the same work on the tumour's box
    (:func:`_normalise_and_cut`): the whole-image diagnostics (hashes, image
    statistics, the mask's box) are computed on the whole image exactly as
    PyRadiomics does, and the features come from the cut image.
    """
    ext = _extractor(params)
    if not _croppable(params):
        return ext.execute(image, mask, label=label)
    import collections

    out: collections.OrderedDict = collections.OrderedDict()
    if ext.settings.get("additionalInfo", False):
        from radiomics import generalinfo, imageoperations

        settings = {**ext.settings, "label": label}
        info = generalinfo.GeneralInfo()
        info.addGeneralSettings(settings)
        info.addEnabledImageTypes(ext.enabledImagetypes)
        info.addImageElements(image)
        info.addMaskElements(None, imageoperations.getMask(mask, **settings), label)
        out.update(info.getGeneralInfo())
    image, mask, params = _normalise_and_cut(image, mask, params)
    lean = {**params, "setting": {**params.get("setting", {}), "additionalInfo": False}}
    out.update(_extractor(lean).execute(image, mask, label=label))
    return out


def _effective_params(params, label: int | None) -> tuple[dict, int | None]:
    """Masks are binarised by radnb; PyRadiomics then always looks for label 1."""
    p = resolve_params(params)
    if label is None:
        label = p["setting"].get("label", 1)
    p["setting"]["label"] = 1
    return p, label


def extract_case(
    image,
    mask,
    params: str | PathLike | Mapping[str, Any] = "pyradiomics-default",
    *,
    label: int | None = None,
    preprocess: Mapping[str, Any] | None = None,
    reference=None,
    excess_kurtosis: bool = False,
) -> CaseFeatures:
    """Extract PyRadiomics features from one image and mask.

    Parameters
    ----------
    image, mask : SimpleITK.Image or path
    params : preset name, YAML path or dict
        See :func:`radnb.features.presets.resolve_params`.
    label : int, optional
        Mask label of the region (default: ``setting.label`` of ``params``, 1).
    preprocess : dict, optional
        Steps of :func:`radnb.preprocess.check_steps` (``n4``, ``normalize``,
        ``register_to``...). ``reference`` is the fixed image of a registration.
    excess_kurtosis : bool
        Report IBSI's excess kurtosis (see :func:`to_excess_kurtosis`).

    Returns
    -------
    CaseFeatures
        ``features``: float Series named ``<imagetype>_<class>_<feature>``;
        ``diagnostics``: PyRadiomics' diagnostics dict.

    Examples
    --------
    >>> import SimpleITK as sitk, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> arr = rng.normal(100, 10, (12, 12, 12))
    >>> m = np.zeros((12, 12, 12), np.uint8); m[3:9, 3:9, 3:9] = 1
    >>> out = extract_case(sitk.GetImageFromArray(arr), sitk.GetImageFromArray(m),
    ...                    {"featureClass": {"firstorder": ["Mean"]}})
    >>> bool(np.isclose(out.features["original_firstorder_Mean"], arr[m == 1].mean()))
    True
    """
    p, label = _effective_params(params, label)
    steps = _check_steps(preprocess)
    feats, diags = _compute(
        _as_image(image, "image"),
        _as_image(mask, "mask"),
        p,
        label=label,
        steps=steps,
        reference=reference,
    )
    if excess_kurtosis:
        feats = to_excess_kurtosis(feats)
    return CaseFeatures(pd.Series(feats, dtype=float), diags)


def _check_steps(preprocess):
    from radnb.preprocess import check_steps

    return check_steps(preprocess)


# --------------------------------------------------------------------- task


def _extract_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Worker side of one (patient, sequence): read, compute, write the cache entry."""
    from radnb import _files, io

    pid, seq = task["patient_id"], task["sequence"]
    opts = task.get("read") or {}
    # the files were hashed and checked once, in the process that made the task
    _files._SCAN.update(task.get("scans") or {})
    try:
        image = io.read_image(task["image_path"], patient_id=pid, sequence=seq, **opts.get(seq, {}))
        mask = io.read_image(task["mask_path"], patient_id=pid, sequence=seq)
        reference = mask_grid = None
        if task.get("reference_path"):
            ref = task["reference_sequence"]
            reference = io.read_image(task["reference_path"], patient_id=pid, sequence=ref,
                                      **opts.get(ref, {}))  # fmt: skip
        if task.get("mask_grid_path"):
            ms = task["mask_sequence"]
            mask_grid = io.read_image(task["mask_grid_path"], patient_id=pid, sequence=ms,
                                      **opts.get(ms, {}))  # fmt: skip
        try:
            feats, diags = _compute(
                image,
                mask,
                task["params"],
                label=task["label"],
                steps=task["steps"],
                reference=reference,
                mask_grid=mask_grid,
                threshold=task.get("threshold"),
                tolerance=task.get("tolerance"),
            )
        except PatientError as exc:
            path = task["mask_path"] if exc.check in _MASK_CHECKS else task["image_path"]
            raise exc.located(patient_id=pid, sequence=seq, path=path) from None
    except PatientError as exc:
        return {"error": exc.detail, "check": exc.check}
    except Exception as exc:  # noqa: BLE001 - any failure of one case is reported
        return {
            "error": f"{clean_message(exc)} (image {task['image_path']}, mask {task['mask_path']})",
            "check": "extraction",
        }
    if task.get("cache_path"):
        _cache.write_entry(task["cache_path"], feats, diags, {"patient_id": pid, "sequence": seq})
    return {"features": feats, "diagnostics": diags, "error": None}


_MASK_CHECKS = ("probability_mask", "not_label_map", "missing_label", "empty_mask", "geometry")


# --------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False, eq=False)
class RadiomicsResult(FeatureResult):
    """Result of :func:`extract_radiomics`: a :class:`~radnb.features.FeatureResult`.

    Attributes
    ----------
    features : DataFrame
        Indexed by ``patient_id``; float columns
        ``<sequence>__<imagetype>_<class>_<feature>``. Patients with every
        sequence failed are absent; a failed sequence is NaN.
    errors : DataFrame
        ``patient_id, sequence, message``: one row per failed case.
    diagnostics : DataFrame
        PyRadiomics' diagnostics (versions, settings, image / mask summaries),
        indexed by ``patient_id``, columns ``<sequence>__diagnostics_...``.
    provenance : dict
        ``step="radiomics"``, the settings and the counts below.
    params, preprocess : dict
        The settings used (PyRadiomics parameter dict and preprocessing steps).
    n_computed, n_cached : int
        Cases computed in this run and cases read back from the cache.
    cache_dir : Path or None
    """

    params: dict = field(default_factory=dict)
    preprocess: dict = field(default_factory=dict)
    n_computed: int = 0
    n_cached: int = 0
    cache_dir: Path | None = None

    def __repr__(self) -> str:
        n, p = self.features.shape
        return (
            f"<RadiomicsResult: {n} patients x {p} features; {len(self.errors)} errors; "
            f"{self.n_computed} computed, {self.n_cached} from cache>"
        )


# --------------------------------------------------------------------- cohort


def _inputs_for(cohort, pid, seq, mask_sequence, steps):
    """Paths of every input file of one case (raises PatientError when missing)."""
    image_path = cohort.image_path(pid, seq)
    if image_path is None:
        raise PatientError("no image path given", patient_id=pid, sequence=seq)
    mseq = mask_sequence or seq
    mask_path = cohort.mask_path(pid, mseq)
    if mask_path is None:
        raise PatientError("no mask path given", patient_id=pid, sequence=mseq)
    paths = {"image_path": image_path, "mask_path": mask_path}
    if mask_sequence is not None and mask_sequence != seq:
        paths["mask_grid_path"] = cohort.image_path(pid, mask_sequence)
    ref = steps.get("register_to")
    if ref is not None and ref != seq:
        paths["reference_path"] = cohort.image_path(pid, ref)
    from radnb import io

    for path in paths.values():
        if path is None:
            raise PatientError("no path given in the clinical table", patient_id=pid,
                               sequence=seq, check="missing_file")  # fmt: skip
        io.check_file(path, patient_id=pid, sequence=seq)  # before hashing: no device is read
    return {k: str(v) for k, v in paths.items()}


def extract_radiomics(
    cohort,
    sequences: str | Sequence[str] | None = None,
    *,
    params: str | PathLike | Mapping[str, Any] = "pyradiomics-default",
    mask_sequence: str | None = None,
    label: int | None = None,
    cache: str | PathLike | bool | None = None,
    client: Any = None,
    n_workers: int | None = None,
    progress: bool = True,
    excess_kurtosis: bool = False,
    preprocess: Mapping[str, Any] | None = None,
    tolerance: Any = None,
) -> RadiomicsResult:
    """Extract PyRadiomics features for every patient and sequence of a cohort.

    Parameters
    ----------
    cohort : Cohort
    sequences : str or list of str, optional
        Sequences to extract (default: all of the cohort's).
    params : str, path or dict
        ``"pyradiomics-default"``, ``"ct"``, ``"mr"`` (see
        :mod:`radnb.features.presets`), a PyRadiomics YAML file or a dict in its
        schema.
    mask_sequence : str, optional
        Use the mask of this sequence for every sequence, carried onto each
        sequence's grid (:func:`radnb.preprocess.carry_mask`). Default: each
        sequence's own mask (or the cohort's single mask).
    label : int, optional
        Mask label (default: the cohort's label).
    cache : None, False or path
        Cache folder (default ``$RADNB_CACHE_DIR/radiomics`` or ``~/.cache/radnb/radiomics``);
        ``False`` turns caching off.
    client : None, "serial", "local", dask Client or scheduler address
        Where the cases run, as in every cohort-level call
        (:func:`radnb.parallel.run_tasks`): ``None`` lets radnb choose (a local
        Dask cluster sized to the machine, the serial path for fewer than 4
        cases to compute or without Dask installed); ``"serial"`` or
        ``n_workers=1`` always runs in this process.
    n_workers : int, optional
        Workers of the local cluster (default: the number of cores).
    progress : bool
        Show a tqdm progress bar (one step per patient and sequence), as in
        every cohort-level call.
    excess_kurtosis : bool
        Report IBSI's excess kurtosis as ``..._firstorder_ExcessKurtosis``
        instead of PyRadiomics' ``..._firstorder_Kurtosis``.
    preprocess : dict, optional
        Preprocessing before extraction, e.g. ``{"n4": True, "normalize":
        "zscore", "register_to": "T1"}``; see :func:`radnb.preprocess.check_steps`.
        Part of the cache key.
    tolerance : radnb.io.GeometryTolerance, optional
        Image and mask grids that agree within it are treated as one grid (the
        mask takes the image's geometry), as ``cohort.validate(tolerance=)``
        does; beyond it the case fails with the difference named. Default:
        the default tolerance of both.

    Every file goes through :func:`radnb.io.read_image`'s checks, with the
    cohort's ``read_options`` and ``mask_threshold``; a failed case is a row of
    ``.errors`` naming the patient, the sequence, the file and the problem, and
    the rest of the cohort finishes. Cases run largest mask first.

    Returns
    -------
    RadiomicsResult
        ``.features`` (DataFrame indexed by ``patient_id``), ``.errors``,
        ``.diagnostics``.

    Examples
    --------
    >>> from radnb import datasets
    >>> from radnb.features.radiomic import extract_radiomics
    >>> cohort = datasets.load_pyradiomics_cases(cases=["brain1", "lung1"])
    >>> small = {"imageType": {"Original": {}}, "featureClass": {"firstorder": []},
    ...          "setting": {"binWidth": 25}}
    >>> res = extract_radiomics(cohort, params=small, cache=False, client="serial",
    ...                         progress=False)
    >>> res.features.shape, res.errors.empty
    ((2, 18), True)
    >>> features, errors = res  # unpacks as (features, errors)
    """
    all_seq = cohort.sequences
    if sequences is None:
        sequences = list(all_seq)
    elif isinstance(sequences, str):
        sequences = [sequences]
    unknown = [s for s in list(sequences) + [mask_sequence] if s is not None and s not in all_seq]
    if unknown:
        raise CohortError(f"unknown sequence(s) {unknown}; the cohort has {all_seq}")
    eff_label = label if label is not None else cohort.label
    p, _ = _effective_params(params, 1)
    steps = _check_steps(preprocess)
    if steps.get("register_to") and steps["register_to"] not in all_seq:
        raise CohortError(f"register_to={steps['register_to']!r} is not a cohort sequence")
    cache_dir: Path | None
    if cache is False:
        cache_dir = None
    elif cache is None or cache is True:
        cache_dir = _cache.default_cache_dir()
    else:
        cache_dir = Path(cache).expanduser()
    from radnb import _files, io

    threshold = getattr(cohort, "mask_threshold", None)
    read_opts = {s: cohort.read_options_for(s) for s in all_seq} if hasattr(
        cohort, "read_options_for") else {}  # fmt: skip
    settings = {
        "version": CACHE_VERSION,
        "pyradiomics": _pyradiomics_version(),
        "params": p,
        "preprocess": steps,
        "label": eff_label,
    }
    # added only when set, so that existing cache entries stay valid
    if tolerance is not None and tolerance != io.GeometryTolerance():
        settings["tolerance"] = [tolerance.spacing, tolerance.origin, tolerance.direction]
    if threshold is not None:
        settings["mask_threshold"] = threshold
    if any(read_opts.values()):
        settings["read_options"] = read_opts
    skey = _cache.settings_hash(settings)
    if cache_dir is not None:
        _cache.write_settings(cache_dir, skey, settings)

    rows: dict[tuple[str, str], tuple[dict, dict]] = {}
    errors: list[dict[str, str]] = []
    todo: list[dict[str, Any]] = []
    n_cached = 0
    for pid in cohort.patient_ids:
        for seq in sequences:
            try:
                paths = _inputs_for(cohort, pid, seq, mask_sequence, steps)
                hashes = [f"{k}={_cache.file_hash(v)}" for k, v in sorted(paths.items())]
            except PatientError as exc:
                errors.append({"patient_id": pid, "sequence": seq, "message": exc.detail})
                continue
            except OSError as exc:
                errors.append({"patient_id": pid, "sequence": seq, "message": str(exc)})
                continue
            entry = None
            if cache_dir is not None:
                entry = _cache.entry_path(cache_dir, skey, pid, seq, hashes)
                got = _cache.read_entry(entry) if entry.exists() else None
                if got is not None:
                    rows[(pid, seq)] = got
                    n_cached += 1
                    continue
            todo.append(
                {
                    "patient_id": pid,
                    "sequence": seq,
                    **paths,
                    "label": eff_label,
                    "params": p,
                    "steps": steps,
                    "threshold": threshold,
                    "tolerance": tolerance,
                    "read": read_opts,
                    "reference_sequence": steps.get("register_to"),
                    "mask_sequence": mask_sequence,
                    "cache_path": str(entry) if entry is not None else None,
                    "scans": _files.scans_of(paths.values()),
                }
            )

    from radnb.parallel import run_tasks

    # largest first by tumour voxels (the real cost), not by file size
    sizes = [io.mask_voxel_count(t["mask_path"], eff_label, threshold=threshold) for t in todo]
    desc = "radiomics" + (f" ({n_cached} cached)" if n_cached else "")
    for i, out in run_tasks(
        _extract_task,
        todo,
        client=client,
        n_workers=n_workers,
        progress=progress,
        desc=desc,
        priority=sizes,
    ):
        t = todo[i]
        if isinstance(out, BaseException):
            out = {"error": f"{type(out).__name__}: {out}"}
        if out.get("error"):
            errors.append(
                {"patient_id": t["patient_id"], "sequence": t["sequence"], "message": out["error"]}
            )
        else:
            rows[(t["patient_id"], t["sequence"])] = (out["features"], out["diagnostics"])

    features, diagnostics = _assemble(rows, cohort.patient_ids, sequences, excess_kurtosis)
    err = pd.DataFrame(errors, columns=["patient_id", "sequence", "message"])
    return RadiomicsResult(
        features=features,
        errors=err,
        diagnostics=diagnostics,
        provenance={
            "step": "radiomics",
            "params": p,
            "preprocess": steps,
            "sequences": list(sequences),
            "n_computed": len(todo),
            "n_cached": n_cached,
        },
        params=p,
        preprocess=steps,
        n_computed=len(todo),
        n_cached=n_cached,
        cache_dir=cache_dir,
    )


def _assemble(rows, patient_ids, sequences, excess_kurtosis):
    feat_rows: dict[str, dict[str, float]] = {}
    diag_rows: dict[str, dict[str, Any]] = {}
    columns: dict[str, None] = {}
    for pid in patient_ids:
        for seq in sequences:
            got = rows.get((pid, seq))
            if got is None:
                continue
            feats, diags = got
            if excess_kurtosis:
                feats = to_excess_kurtosis(feats)
            fr = feat_rows.setdefault(pid, {})
            for k, v in feats.items():
                name = f"{seq}__{k}"
                fr[name] = v
                columns.setdefault(name)
            dr = diag_rows.setdefault(pid, {})
            for k, v in diags.items():
                dr[f"{seq}__{k}"] = v
    ids = [pid for pid in patient_ids if pid in feat_rows]
    index = pd.Index(ids, name="patient_id", dtype=object)
    cols = list(columns)
    values = np.full((len(ids), len(cols)), np.nan)
    pos = {c: j for j, c in enumerate(cols)}
    for i, pid in enumerate(ids):
        for k, v in feat_rows[pid].items():
            values[i, pos[k]] = v
    features = pd.DataFrame(values, index=index, columns=cols)
    diagnostics = pd.DataFrame.from_dict(diag_rows, orient="index").reindex(ids)
    diagnostics.index.name = "patient_id"
    return features, diagnostics
