"""Features of habitat maps: volume fractions, connectivity, ITH score, MSI, per-habitat radiomics.

All functions take the maps returned by :meth:`HabitatModel.transform
<radnb.features.habitat.HabitatModel.transform>` (``patient_id -> SimpleITK``
label image, habitats ``1..k``, 0 outside the tumour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["habitat_features", "ith_score", "msi_matrix", "map_features"]

#: With ``client=None`` (radnb chooses, as in every cohort-level call), habitat
#: steps of at least this many patients run on a local Dask cluster when Dask is
#: installed; smaller ones run in this process (the per-patient work is light).
AUTO_MIN_PATIENTS = 500


def _structure(ndim: int, connectivity: int):
    from scipy import ndimage

    rank = {6: 1, 18: 2, 26: 3, 4: 1, 8: 2}.get(connectivity)
    if rank is None:
        raise ValueError(f"connectivity={connectivity}; use 6, 18 or 26 (3D) / 4 or 8 (2D)")
    return ndimage.generate_binary_structure(ndim, min(rank, ndim))


def _components(labels: np.ndarray, k: int, connectivity: int):
    """Per habitat: (voxel count, number of connected regions, largest region size)."""
    from scipy import ndimage

    st = _structure(labels.ndim, connectivity)
    out = []
    for h in range(1, k + 1):
        sel = labels == h
        n_vox = int(sel.sum())
        if n_vox == 0:
            out.append((0, 0, 0))
            continue
        comp, n = ndimage.label(sel, structure=st)
        sizes = np.bincount(comp.ravel())[1:]
        out.append((n_vox, int(n), int(sizes.max())))
    return out


def ith_score(labels: np.ndarray, *, connectivity: int = 26) -> float:
    """Intratumour heterogeneity score of a habitat map (Li et al. 2023, ITHscore).

    ``ITH = 1 - (1 / S_total) * sum_i S_i,max / n_i``, where ``S_total`` is the
    tumour volume, ``S_i,max`` the size of the largest connected region of
    habitat ``i`` and ``n_i`` its number of connected regions (Li J, et al.
    "ITHscore: comprehensive quantification of intra-tumor heterogeneity in NSCLC
    by multi-scale radiomic features", Eur Radiol 2023;33:893-903). 0 when every
    habitat is one compact region; towards 1 when habitats are scattered.

    Examples
    --------
    >>> lab = np.zeros((1, 4, 4), int); lab[0, :, :2] = 1; lab[0, :, 2:] = 2
    >>> ith_score(lab)
    0.0
    >>> chk = (np.indices((1, 4, 4)).sum(0) % 2) + 1
    >>> round(ith_score(chk, connectivity=6), 3)
    0.984
    """
    labels = np.asarray(labels)
    k = int(labels.max()) if labels.size else 0
    total = int((labels > 0).sum())
    if total == 0:
        return float("nan")
    s = sum(big / n for _, n, big in _components(labels, k, connectivity) if n > 0)
    return float(1.0 - s / total)


def msi_matrix(labels: np.ndarray, k: int | None = None) -> np.ndarray:
    """Multi-region spatial interaction (MSI) matrix of a habitat map.

    Entry ``(a, b)`` counts pairs of face-adjacent voxels (6-neighbourhood in
    3D) with labels ``a`` and ``b``, for labels ``0..k`` where 0 is the tissue
    around the tumour (so row 0 describes the tumour border). The matrix is
    symmetric; each unordered pair of different labels is counted once in
    ``(a, b)`` and once in ``(b, a)``, each same-label pair twice on the diagonal.
    Follows Wu J, et al. "Intratumoral spatial heterogeneity at perfusion MR
    imaging predicts recurrence-free survival in locally advanced breast cancer
    treated with neoadjuvant chemotherapy", Radiology 2018;288:26-35.

    Examples
    --------
    >>> msi_matrix(np.array([[[1, 1, 2]]]), k=2)
    array([[0, 9, 5],
           [9, 2, 1],
           [5, 1, 0]])
    """
    labels = np.asarray(labels).astype(np.int64)
    if k is None:
        k = int(labels.max()) if labels.size else 0
    # pad with background so the tumour border counts against label 0
    lab = np.pad(labels, 1)
    n = k + 1
    m = np.zeros((n, n), np.int64)
    inside = lab > 0
    for ax in range(lab.ndim):
        a = np.moveaxis(lab, ax, 0)
        ia = np.moveaxis(inside, ax, 0)
        x, y = a[:-1], a[1:]
        keep = ia[:-1] | ia[1:]  # skip background-background pairs
        x, y = x[keep], y[keep]
        np.add.at(m, (x, y), 1)
    return m + m.T


def _msi_features(m: np.ndarray, k: int) -> dict[str, float]:
    total = m.sum()
    feats: dict[str, float] = {}
    p = m / total if total > 0 else m.astype(float)
    for a in range(k + 1):
        for b in range(a, k + 1):
            feats[f"msi_{a}_{b}"] = float(p[a, b] + (p[b, a] if a != b else 0.0))
    # second-order summaries of the habitat-only part (labels ordered 1..k)
    sub = m[1:, 1:].astype(float)
    s = sub.sum()
    q = sub / s if s > 0 else sub
    i, j = np.indices(q.shape)
    nz = q[q > 0]
    feats["msi_contrast"] = float((q * (i - j) ** 2).sum())
    feats["msi_dissimilarity"] = float((q * np.abs(i - j)).sum())
    feats["msi_homogeneity"] = float((q / (1.0 + (i - j) ** 2)).sum())
    feats["msi_energy"] = float((q**2).sum())
    feats["msi_entropy"] = float(-(nz * np.log2(nz)).sum())
    return feats


def map_features(label_image: Any, n_habitats: int, *, connectivity: int = 26) -> dict[str, float]:
    """Shape-free features of one habitat map (no images needed).

    Columns: ``habitat<h>_fraction`` (volume fraction), ``habitat<h>_volume_mm3``,
    ``habitat<h>_n_regions`` (connected regions, ``connectivity``),
    ``n_habitats_present``, ``habitat_entropy`` (Shannon entropy, bits, of the
    fractions), ``ith_score`` (:func:`ith_score`) and MSI features
    (``msi_<a>_<b>`` normalised co-occurrence of labels ``a <= b``, 0 = border,
    and ``msi_contrast / dissimilarity / homogeneity / energy / entropy`` of the
    habitat-only MSI matrix, GLCM formulas of Haralick et al. 1973).

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> arr = np.zeros((3, 4, 4), np.uint8); arr[1, :, :2] = 1; arr[1, :, 2:] = 2
    >>> f = map_features(sitk.GetImageFromArray(arr), 2)
    >>> f["habitat1_fraction"], f["habitat2_n_regions"], f["ith_score"]
    (0.5, 1, 0.0)
    """
    import SimpleITK as sitk

    lab = sitk.GetArrayViewFromImage(label_image)
    lab = np.asarray(lab)
    voxel_mm3 = float(np.prod(label_image.GetSpacing()))
    total = int((lab > 0).sum())
    comps = _components(lab, n_habitats, connectivity)
    f: dict[str, float] = {}
    fracs = []
    for h, (n_vox, n_reg, _) in enumerate(comps, start=1):
        frac = n_vox / total if total else float("nan")
        fracs.append(frac)
        f[f"habitat{h}_fraction"] = frac
        f[f"habitat{h}_volume_mm3"] = n_vox * voxel_mm3
        f[f"habitat{h}_n_regions"] = n_reg
    fr = np.array([x for x in fracs if x > 0])
    f["n_habitats_present"] = int(len(fr))
    f["habitat_entropy"] = float(-(fr * np.log2(fr)).sum()) if len(fr) else float("nan")
    s = sum(big / n for _, n, big in comps if n > 0)
    f["ith_score"] = float(1.0 - s / total) if total else float("nan")
    f.update(_msi_features(msi_matrix(lab, n_habitats), n_habitats))
    return f


def _n_habitats(maps: Mapping[str, Any], n_habitats: int | None) -> int:
    import SimpleITK as sitk

    if n_habitats is None:
        n_habitats = getattr(maps, "n_habitats", None)
    if n_habitats is None:  # one-step maps: k varies per patient
        n_habitats = max(
            (int(np.max(sitk.GetArrayViewFromImage(m))) for m in maps.values()), default=0
        )
    return int(n_habitats)


def _message(exc: Exception) -> str:
    from radnb.errors import PatientError, clean_message

    return exc.detail if isinstance(exc, PatientError) else clean_message(exc)


def _radiomics_one(task):
    """Per-habitat radiomics of one patient; returns (pid, features, error rows)."""
    from radnb.features.presets import resolve_params
    from radnb.features.radiomic import _normalise_and_cut, extract_case
    from radnb.io import match_grid

    pid, cohort, label_image, sequences, k, params, min_voxels = task
    import SimpleITK as sitk

    # only the features are kept: skip PyRadiomics' diagnostics (image hashes and
    # summaries of the whole image, about half the time of a small habitat)
    params = resolve_params("pyradiomics-default" if params is None else params)
    params.setdefault("setting", {})["additionalInfo"] = False
    feats: dict[str, float] = {}
    errors = []
    for seq in sequences:
        try:
            image = cohort.image(pid, seq)
            # the habitat map is on the image grid (as extract_case would check); the
            # image is normalised and cut to the tumour once, not once per habitat
            grid_lab = match_grid(image, label_image, patient_id=pid, sequence=seq)
            img, ref, seq_params = _normalise_and_cut(image, grid_lab, params)
            lab = sitk.GetArrayFromImage(ref)
        except Exception as exc:  # noqa: BLE001 - collected per patient
            errors.append({"patient_id": pid, "sequence": seq, "message": _message(exc)})
            continue
        for h in range(1, k + 1):
            sel = lab == h
            if int(sel.sum()) < min_voxels:
                continue
            m = sitk.GetImageFromArray(sel.astype(np.uint8))
            m.CopyInformation(ref)
            try:
                out = extract_case(img, m, seq_params).features
            except Exception as exc:  # noqa: BLE001 - collected per patient
                msg = _message(exc)
                errors.append(
                    {"patient_id": pid, "sequence": seq, "message": f"habitat {h}: {msg}"}
                )
                continue
            for name, v in out.items():
                name = str(name)
                if name.startswith("diagnostics_"):
                    continue
                if "__" in name:
                    name = name.split("__", 1)[1]
                feats[f"{seq}__habitat{h}_{name}"] = v
    return pid, feats, errors


def habitat_features(
    maps: Mapping[str, Any],
    cohort: Any = None,
    *,
    n_habitats: int | None = None,
    sequences: Sequence[str] | None = None,
    params: Any = None,
    min_voxels: int = 10,
    connectivity: int = 26,
    client: Any = None,
    progress: bool = False,
    as_result: bool | None = None,
) -> Any:
    """Feature table of habitat maps, indexed by ``patient_id``, with the failures.

    Parameters
    ----------
    maps : mapping patient_id -> SimpleITK label image (from ``HabitatModel.transform``).
    cohort : Cohort, optional
        When given, per-habitat radiomics are added: each habitat of each patient
        is used as its own mask with :func:`radnb.features.radiomic.extract_case`,
        giving columns ``<sequence>__habitat<h>_<imagetype>_<class>_<feature>``.
    n_habitats : k (default: ``maps.n_habitats``, or the largest label found).
    sequences : sequences for per-habitat radiomics (default: all of the cohort's).
    params : extraction parameters passed to ``extract_case`` (a preset name or
        a PyRadiomics parameter mapping / file).
    min_voxels : habitats smaller than this in a patient get no radiomics (NaN).
    connectivity : neighbourhood for connected regions (6, 18 or 26).
    client : where the per-habitat radiomics run, as in every cohort-level call
        (:func:`radnb.parallel.run_tasks`): ``None`` lets radnb choose (a local
        Dask cluster from :data:`AUTO_MIN_PATIENTS` patients when Dask is
        installed, this process otherwise), ``"serial"``, ``"local"``, or a
        ``Client`` / scheduler address.
    progress : show a progress bar (``True``) or not (as in every cohort-level
        call; see :func:`radnb.parallel.run_tasks`).
    as_result : deprecated. ``False`` returns the old form (the features
        DataFrame with the failures in ``attrs["errors"]``) with a
        :class:`DeprecationWarning`; ``True`` is the default behaviour.

    Returns
    -------
    FeatureResult
        ``features``: the columns of :func:`map_features`, then the per-habitat
        radiomics, indexed by ``patient_id``. ``errors``: ``patient_id,
        sequence, message`` of the maps and extractions that failed (the rest
        is filled in). ``provenance``: the settings.

    Examples
    --------
    >>> import SimpleITK as sitk
    >>> arr = np.zeros((3, 4, 4), np.uint8); arr[1, :, :2] = 1; arr[1, :, 2:] = 2
    >>> res = habitat_features({"p1": sitk.GetImageFromArray(arr)}, n_habitats=2)
    >>> res.features.loc["p1", ["habitat1_fraction", "ith_score"]].tolist()
    [0.5, 0.0]
    """
    k = _n_habitats(maps, n_habitats)
    rows = {str(pid): map_features(img, k, connectivity=connectivity) for pid, img in maps.items()}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "patient_id"
    errors: list[dict] = []
    map_errors = getattr(maps, "errors", None)
    if isinstance(map_errors, pd.DataFrame) and len(map_errors):
        errors.extend(map_errors.to_dict("records"))
    if cohort is not None and len(maps):
        seqs = list(sequences) if sequences is not None else list(cohort.sequences)
        tasks = [
            (str(pid), cohort, img, seqs, k, params, int(min_voxels)) for pid, img in maps.items()
        ]
        rad: dict[str, dict] = {}
        from radnb.parallel import run_tasks

        for i, out in run_tasks(
            _radiomics_one, tasks, client=client, progress=progress, desc="habitat radiomics",
            min_tasks=AUTO_MIN_PATIENTS if client is None else 1,
        ):  # fmt: skip
            if isinstance(out, Exception):
                errors.append({"patient_id": tasks[i][0], "sequence": None, "message": str(out)})
                continue
            pid, feats, errs = out
            rad[pid] = feats
            errors.extend(errs)
        if rad:
            r = pd.DataFrame.from_dict(rad, orient="index")
            r = r.apply(pd.to_numeric, errors="coerce")
            df = df.join(r, how="left")
    from radnb.features._result import FeatureResult, deprecated_as_result

    result = FeatureResult(
        df, errors, provenance=dict(
            step="habitat", n_habitats=k, connectivity=connectivity,
            sequences=None if cohort is None else list(sequences or cohort.sequences),
            params=params,
        ),
    )  # fmt: skip
    return deprecated_as_result(result, as_result, "habitat_features")
