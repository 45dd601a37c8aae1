"""Generation speed of radnb.datasets.simulate (full S1: 181 patients, CT 48^3).

Compares, in the same run:
- radnb, 1 thread and 2 threads (fresh folder each time);
- reading every written file back with SimpleITK (a floor: generation cannot be
  much cheaper than I/O of the same files);
- a naive per-voxel Python generator of the same kind of image (ellipsoid,
  three shells, noise), timed on 2 patients and extrapolated to 181.

Run: .venv/bin/python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

import radnb.datasets as ds


def naive_patient(seed: int, shape=(48, 48, 48)) -> np.ndarray:
    """One CT-like image built voxel by voxel in pure Python (the baseline)."""
    rnd = random.Random(seed)
    z0, y0, x0 = (s / 2 + rnd.uniform(-4, 4) for s in shape)
    a, b, c = (rnd.uniform(6, 12) for _ in range(3))
    out = np.empty(shape, np.int16)
    for z in range(shape[0]):
        for y in range(shape[1]):
            for x in range(shape[2]):
                r = math.sqrt(((z - z0) / a) ** 2 + ((y - y0) / b) ** 2 + ((x - x0) / c) ** 2)
                mu = 35.0 if r >= 1 else (18.0 if r < 0.4 else (55.0 if r < 0.75 else 85.0))
                out[z, y, x] = int(mu + rnd.gauss(0, 12))
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    times = {}
    for jobs in (1, 2):
        t = time.perf_counter()
        c = ds.simulate("S1", root=tmp / f"j{jobs}", n_jobs=jobs)
        times[f"radnb, n_jobs={jobs}"] = time.perf_counter() - t
    t = time.perf_counter()
    ds.simulate("S1", root=tmp / "j2")
    times["radnb, cached re-run"] = time.perf_counter() - t

    files = sorted((tmp / "j2").rglob("*.nii.gz"))
    t = time.perf_counter()
    for f in files:
        sitk.GetArrayFromImage(sitk.ReadImage(str(f)))
    times[f"read back all {len(files)} files"] = time.perf_counter() - t

    t = time.perf_counter()
    for s in range(2):
        naive_patient(s)
    per = (time.perf_counter() - t) / 2
    times["naive per-voxel Python (1 image, no texture), x181"] = per * len(c)

    ref = times["radnb, n_jobs=2"]
    print(
        f"S1: {len(c)} patients, grid {c.truth['shape']} (z, y, x), spacing {c.truth['spacing']} mm"
    )
    print(f"{'what':58s} {'seconds':>8s} {'ratio to radnb (2 threads)':>28s}")
    for k, v in times.items():
        print(f"{k:58s} {v:8.2f} {v / ref:27.2f}x")


if __name__ == "__main__":
    main()
