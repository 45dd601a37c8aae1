"""Re-splitting a cohort (issue 15.16): Cohort.with_split and make_split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb.cohort import Cohort
from radnb.errors import CohortError
from radnb.study import Study, make_split


def cohort(rng, n=120):
    """SIMULATED: two centres with different event rates, paths never read."""
    ids = [f"{i:03d}" for i in range(n)]
    centre = np.where(np.arange(n) < 80, "A", "B")
    y = (rng.uniform(size=n) < np.where(centre == "A", 0.6, 0.25)).astype(int)
    clin = pd.DataFrame(
        {"y": y, "centre": centre, "era": np.where(np.arange(n) % 3 == 0, "late", "early")},
        index=ids,
    )
    clin["split"] = "train"
    return Cohort(
        clin, pd.DataFrame({"CT": [f"{i}.nii.gz" for i in ids]}, index=ids), split="split"
    )


def test_make_split_is_stratified_seeded_and_saved(rng, tmp_path):
    c = cohort(rng)
    path = tmp_path / "split.csv"
    s = make_split(c, ["y", "centre"], test_size=0.3, random_state=7, path=path)
    assert set(s) == {"train", "test"} and s.index.tolist() == c.patient_ids
    clin = c.clinical
    for _, grp in clin.groupby(["y", "centre"]):
        n_test = (s[grp.index] == "test").sum()
        assert n_test == round(0.3 * len(grp))  # every stratum keeps its share
    again = make_split(c, ["y", "centre"], test_size=0.3, random_state=7)
    pd.testing.assert_series_equal(s, again)  # seeded
    other = make_split(c, ["y", "centre"], test_size=0.3, random_state=8)
    assert not other.equals(s)
    # saved once: read back (a different seed is ignored, the file wins); IDs keep zeros
    assert path.read_text().splitlines()[0] == "patient_id,split"
    back = make_split(c, ["y", "centre"], random_state=99, path=path)
    assert back.tolist() == s.tolist() and back.index[0] == "000"
    with pytest.raises(CohortError, match="same patients"):
        make_split(c.subset(c.patient_ids[:50]), path=path)


def test_with_split_column_or_mapping_and_study(rng):
    c = cohort(rng)
    by_era = c.with_split("era")
    assert by_era.split_column == "era"
    assert by_era.subset(split="late").patient_ids == [p for p in c.patient_ids if int(p) % 3 == 0]
    s = make_split(c, "y", random_state=1)
    resplit = c.with_split(s)
    assert resplit.split_column == "split"
    assert (resplit.splits == s).all()
    assert (c.splits == "train").all()  # the original is unchanged
    study = Study(resplit, outcome="y")
    assert set(study.table["split"]) == {"train", "test"}
    assert len(study.cohort_ids("test")) == (s == "test").sum()
    partial = c.with_split({"000": "train", "001": "test"}, name="pilot")
    assert partial.splits.notna().sum() == 2 and partial.split_column == "pilot"
    with pytest.raises(CohortError, match="not in the cohort"):
        c.with_split({"999": "train"})
    with pytest.raises(CohortError, match="not in the clinical table"):
        c.with_split("nope")
