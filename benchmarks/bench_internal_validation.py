"""Study.internal_validation: serial against parallel (radnb.parallel), same numbers.

    .venv/bin/python benchmarks/bench_internal_validation.py [--n 300] [--p 60] [--n-boot 20]

A SIMULATED cohort (n patients, 70% training; p radiomic features, three carrying the
outcome; age and sex), a Rad score (correlation filter + LASSO) and a combined
logistic model with automatic clinical selection, as in the worked notebooks. The
bootstrap optimism correction is run once serially (``client="serial"``) and once
on a local Dask cluster (``client="local"``, one single-threaded process per core;
cluster start-up included, and timed separately), and the two tables are compared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from radnb.parallel import close_local_client, default_n_workers, get_client  # noqa: E402
from radnb.study import Study  # noqa: E402


def make_study(n: int, p: int, seed: int = 0) -> Study:
    """SIMULATED cohort and study."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    y = rng.binomial(1, 0.4, n)
    X = pd.DataFrame(rng.normal(size=(n, p)), index=ids, columns=[f"f{i}" for i in range(p)])
    X.iloc[:, :3] += np.outer(y, [1.0, -0.8, 0.6])
    table = pd.DataFrame(
        {
            "split": rng.choice(["train", "test"], n, p=[0.7, 0.3]),
            "y": y,
            "age": rng.normal(60, 10, n) + 5 * y,
            "sex": rng.choice(["F", "M"], n),
        },
        index=pd.Index(ids, name="patient_id"),
    )
    s = Study(table, outcome="y", clinical=["age", "sex"]).add_block("rad", X)
    s.signature("Rad score", "rad", steps=["corr", "lasso"])
    s.model("Combined", ["Rad score"], clinical="auto")
    return s.fit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--p", type=int, default=60)
    ap.add_argument("--n-boot", type=int, default=20)
    a = ap.parse_args()
    study = make_study(a.n, a.p)
    t = time.perf_counter()
    serial = study.internal_validation(n_boot=a.n_boot, client="serial")
    t_serial = time.perf_counter() - t
    t = time.perf_counter()
    get_client("local")
    t_start = time.perf_counter() - t
    t = time.perf_counter()
    par = study.internal_validation(n_boot=a.n_boot, client="local")
    t_par = time.perf_counter() - t
    close_local_client()
    same = serial.equals(par)
    print(f"SIMULATED n={a.n} p={a.p} n_boot={a.n_boot}, {default_n_workers()} cores")
    print(serial.to_string(index=False))
    print(f"serial {t_serial:.1f} s; parallel {t_par:.1f} s (+ cluster start {t_start:.1f} s)")
    print(
        f"speed-up {t_serial / t_par:.2f}x ({t_serial / (t_par + t_start):.2f}x with start-up); "
        f"identical tables: {same}"
    )


if __name__ == "__main__":
    main()
