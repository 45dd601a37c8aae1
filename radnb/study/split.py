"""A seeded, stratified random train / test split, made once and saved.

:func:`make_split` draws the split within each stratum (the outcome, and the
centre when there is one), so both cohorts keep the event rate and the centre
mix; with ``path=`` it is written to a CSV the first time and read back ever
after, so a notebook re-run, a co-author and the paper all use the same
patients. Apply it with ``cohort.with_split(split)`` or by joining it to a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from radnb.errors import CohortError

__all__ = ["make_split"]


def make_split(
    data,
    by: str | Sequence[str] | None = None,
    *,
    test_size: float = 0.3,
    random_state: int = 0,
    labels: tuple[str, str] = ("train", "test"),
    path: str | PathLike | None = None,
) -> pd.Series:
    """Stratified random split of patients into training and test.

    Within each stratum (each combination of the ``by`` columns; missing
    values form their own stratum) the patients are shuffled with
    ``random_state`` and ``round(test_size * n)`` of them go to the test
    cohort, so the event rate and the centre mix are kept in both.

    Parameters
    ----------
    data : Cohort or DataFrame indexed by patient_id
    by : column(s) to stratify on, e.g. ``["pcr", "centre"]``; None: none.
    test_size : fraction of each stratum in the test cohort.
    random_state : seed.
    labels : the two split values.
    path : CSV file (``patient_id,split``). If it exists the split is read
        from it (and must list exactly these patients); otherwise it is
        made and written there.

    Returns
    -------
    Series ``patient_id -> label`` named ``"split"``; ``attrs`` record how it
    was made (``by``, ``test_size``, ``random_state``, or the file).

    Examples
    --------
    >>> t = pd.DataFrame({"y": [0, 1] * 10, "centre": ["A"] * 10 + ["B"] * 10},
    ...                  index=[f"p{i}" for i in range(20)])
    >>> s = make_split(t, ["y", "centre"], test_size=0.4, random_state=1)
    >>> pd.crosstab([t["y"], t["centre"]], s).loc[:, "test"].tolist()
    [2, 2, 2, 2]
    """
    table = data.clinical if hasattr(data, "clinical") else data
    if not isinstance(table, pd.DataFrame):
        raise CohortError("make_split needs a Cohort or a DataFrame indexed by patient_id")
    ids = table.index.astype(str)
    if path is not None and Path(path).exists():
        saved = pd.read_csv(path, dtype={"patient_id": str}).set_index("patient_id")["split"]
        if set(saved.index) != set(ids):
            extra = sorted(set(saved.index) - set(ids))[:5]
            lacking = sorted(set(ids) - set(saved.index))[:5]
            raise CohortError(
                f"saved split {path} does not list the same patients "
                f"(only in the file: {extra}; not in the file: {lacking}); "
                "delete it to make a new split"
            )
        out = saved.reindex(ids).rename("split")
        out.attrs = {"path": str(path)}
        return out
    if not 0 < test_size < 1:
        raise CohortError(f"test_size must be between 0 and 1, got {test_size}")
    cols = [by] if isinstance(by, str) else list(by or [])
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise CohortError(f"make_split: columns {missing} not in the table")
    key = (
        table[cols].astype(str).agg("|".join, axis=1)
        if cols
        else pd.Series("all", index=table.index)
    )
    key.index = ids
    rng = np.random.default_rng(random_state)
    out = pd.Series(labels[0], index=ids, name="split", dtype=object)
    out.index.name = "patient_id"
    for stratum in sorted(key.unique()):
        members = key.index[key == stratum].to_numpy()
        n_test = int(np.round(test_size * len(members)))
        out[rng.permutation(members)[:n_test]] = labels[1]
    out.attrs = {"by": cols, "test_size": test_size, "random_state": random_state}
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        out.rename("split").to_frame().to_csv(path, index_label="patient_id")
    return out
