"""Study: feature blocks -> signatures (Rad score, DL score) -> models, fitted on training only.

A :class:`Study` joins a clinical table (or a :class:`~radnb.cohort.Cohort`)
with feature blocks keyed by ``patient_id``. Everything that learns
(selection, LASSO, clinical variable selection, model coefficients, score
directions, Youden cut-offs) sees the training rows only; the other cohorts
are only transformed and scored. Internal validation refits the whole chain
inside each resample of the training cohort.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 120
>>> y = rng.integers(0, 2, n)
>>> table = pd.DataFrame({"split": np.where(np.arange(n) < 80, "train", "test"), "y": y,
...                       "age": rng.normal(60, 10, n)}, index=[f"P{i}" for i in range(n)])
>>> feats = pd.DataFrame(rng.normal(size=(n, 6)), index=table.index,
...                      columns=[f"f{i}" for i in range(6)])
>>> feats["f0"] += 1.5 * y
>>> study = Study(table, outcome="y", train="train")
>>> _ = study.add_block("rad", feats).signature("Rad score", "rad", steps=["lasso"],
...                                              lasso={"n_lambdas": 20, "cv": 5})
>>> study.fit().results()[["model", "cohort"]].values.tolist()
[['Rad score', 'train'], ['Rad score', 'test']]
"""

from __future__ import annotations

from radnb.study.clinical import ClinicalEncoder, select_clinical
from radnb.study.core import Study
from radnb.study.signature import Signature
from radnb.study.split import make_split

__all__ = ["Study", "Signature", "select_clinical", "ClinicalEncoder", "make_split"]
