"""Seed stability of a habitat model: refit with other seeds, compare the maps by ARI."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

__all__ = ["seed_stability"]


def seed_stability(
    model,
    cohort,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    train: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Adjusted Rand index between habitat maps of the same model fitted with other seeds.

    Each seed refits a clone of ``model`` (``random_state=seed``) on the training
    patients (``train=`` split, or all of ``cohort``) and maps those patients; every
    pair of fits is compared voxel by voxel inside the masks, pooled over patients
    (:func:`sklearn.metrics.adjusted_rand_score`, which ignores how the habitats are
    numbered). An ARI near 1 means the habitats do not depend on the seed.

    Returns
    -------
    DataFrame
        One row per pair: ``seed_a``, ``seed_b``, ``ari``, ``k_a``, ``k_b``,
        ``n_voxels``.

    Examples
    --------
    >>> import tempfile
    >>> from radnb import datasets
    >>> from radnb.features.habitat import HabitatModel
    >>> c = datasets.simulate("S3", n=6, root=tempfile.mkdtemp(), shape=(12, 24, 24))
    >>> m = HabitatModel(n_habitats=2, n_supervoxels=20, n_init=2)
    >>> tab = seed_stability(m, c, seeds=(0, 1), train="train")
    >>> list(tab.columns), bool(0 <= tab["ari"].iloc[0] <= 1)
    (['seed_a', 'seed_b', 'ari', 'k_a', 'k_b', 'n_voxels'], True)
    """
    import SimpleITK as sitk
    from sklearn.base import clone
    from sklearn.metrics import adjusted_rand_score

    fit_cohort = cohort.subset(split=train) if train is not None else cohort
    maps, ks = {}, {}
    for seed in seeds:
        m = clone(model).set_params(random_state=int(seed)).fit(fit_cohort)
        maps[seed] = m.transform(fit_cohort)
        ks[seed] = m.n_habitats_
    rows = []
    for a, b in combinations(seeds, 2):
        common = [p for p in maps[a] if p in maps[b]]
        la, lb = [], []
        for p in common:
            x = sitk.GetArrayViewFromImage(maps[a][p])
            y = sitk.GetArrayViewFromImage(maps[b][p])
            inside = (x > 0) | (y > 0)
            la.append(np.asarray(x[inside]))
            lb.append(np.asarray(y[inside]))
        xa = np.concatenate(la) if la else np.zeros(0)
        xb = np.concatenate(lb) if lb else np.zeros(0)
        ari = float(adjusted_rand_score(xa, xb)) if xa.size else np.nan
        rows.append(
            {"seed_a": a, "seed_b": b, "ari": ari, "k_a": ks[a], "k_b": ks[b], "n_voxels": xa.size}
        )
    return pd.DataFrame(rows, columns=["seed_a", "seed_b", "ari", "k_a", "k_b", "n_voxels"])
