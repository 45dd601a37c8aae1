"""Benchmark: radnb.extract_radiomics (cold, warm) against a plain serial PyRadiomics loop.

Cohort: copies of PyRadiomics' own test cases (brain1, brain2, breast1, prostate
phantom; ../shared/data/pyradiomics), each copy with a little Gaussian noise so
every case has its own content hash; 24 cases by default. Settings: Original +
LoG (sigma 1, 2, 3 mm) + Wavelet, all seven 3D feature classes, bin width 25,
no resampling (radnb's "ct" preset without its 1 mm resampling).

Measured in one run:

* the serial loop a user writes (one ``RadiomicsFeatureExtractor``, ``execute``
  per case): wall time and CPU seconds (SimpleITK's filters are multi-threaded,
  so CPU > wall);
* radnb cold, fresh cache, on the default local Dask cluster: once including
  the cluster's start-up (the first call of a session), once with the cluster
  already running (every later call);
* radnb warm: everything read back from the cache.

Parallel efficiency = serial CPU seconds / (cores x radnb cold wall).

Run: ``python benchmarks/bench_extraction.py [--cases 24] [--workers N]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CASES = {
    "brain1": ("brain1_image.nrrd", "brain1_label.nrrd"),
    "brain2": ("brain2_image.nrrd", "brain2_label.nrrd"),
    "breast1": ("breast1_image.nrrd", "breast1_label.nrrd"),
    "prostate": ("prostate_phantom_subvolume.nrrd", "prostate_phantom_subvolume-label.nrrd"),
}
PARAMS = {"preset": "ct", "setting": {"resampledPixelSpacing": None}}


def make_cohort(data: Path, out: Path, n: int) -> pd.DataFrame:
    import SimpleITK as sitk

    rng = np.random.default_rng(0)
    rows = []
    names = list(CASES)
    for i in range(n):
        base = names[i % len(names)]
        img_name, mask_name = CASES[base]
        img = sitk.ReadImage(str(data / img_name))
        arr = sitk.GetArrayFromImage(img).astype(np.float32)
        arr += rng.normal(0, 1.0, arr.shape).astype(np.float32)
        noisy = sitk.GetImageFromArray(arr)
        noisy.CopyInformation(img)
        pid = f"{base}_{i:02d}"
        ip, mp = out / f"{pid}_image.nrrd", out / f"{pid}_label.nrrd"
        sitk.WriteImage(noisy, str(ip), True)
        shutil.copy(data / mask_name, mp)
        rows.append({"patient_id": pid, "image": str(ip), "mask": str(mp)})
    return pd.DataFrame(rows)


def _cpu_seconds() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def serial_loop(table: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, float, float]:
    """What a user writes: one extractor, a for loop, a DataFrame at the end."""
    import radiomics
    from radiomics import featureextractor

    radiomics.setVerbosity(logging.ERROR)
    w0, c0 = time.perf_counter(), time.process_time()
    extractor = featureextractor.RadiomicsFeatureExtractor(params)
    rows = {}
    for r in table.itertuples():
        out = extractor.execute(r.image, r.mask)
        rows[r.patient_id] = {
            k: float(v) for k, v in out.items() if not k.startswith("diagnostics_")
        }
    df = pd.DataFrame.from_dict(rows, orient="index")
    return df, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--data", default=os.environ.get("RADNB_DATA_DIR", "../shared/data"))
    args = ap.parse_args()

    from radnb import parallel
    from radnb.cohort import Cohort
    from radnb.features.presets import resolve_params
    from radnb.features.radiomic import extract_radiomics

    cores = args.workers or parallel.default_n_workers()
    params = resolve_params(PARAMS)
    work = Path(tempfile.mkdtemp(prefix="radnb-bench-"))
    table = make_cohort(Path(args.data) / "pyradiomics", work, args.cases)
    cohort = Cohort.from_table(table, images={"MR": "image"}, mask="mask", name="bench")
    print(f"{args.cases} cases, {cores} cores/workers, load average {os.getloadavg()}")

    def cluster_cpu() -> float:
        """CPU seconds used so far by the local cluster's worker processes.

        (LocalCluster's nannies and scheduler live in this process: process_time.)
        """
        c = parallel._LOCAL.get("client")
        if c is None:
            return 0.0
        return float(sum(c.run(_cpu_seconds).values()))

    def radnb_run(cache: Path):
        before = cluster_cpu()
        c0, t = time.process_time(), time.perf_counter()
        res = extract_radiomics(cohort, params=params, cache=cache, n_workers=cores, progress=False)
        wall = time.perf_counter() - t
        cpu = time.process_time() - c0 + cluster_cpu() - before
        return res, wall, cpu

    parallel.close_local_client()
    res_start, t_start, cpu_start = radnb_run(work / "cache_a")  # includes cluster start
    ref, t_serial, cpu_serial = serial_loop(table, params)
    res_cold, t_cold, cpu_cold = radnb_run(work / "cache_b")  # cluster already running
    res_warm, t_warm, _ = radnb_run(work / "cache_b")
    parallel.close_local_client()

    if len(res_cold.errors):
        print(res_cold.errors)
    got = res_cold.features.rename(columns=lambda c: c.split("__", 1)[1])
    diff = float((got[ref.columns] - ref.loc[got.index]).abs().max().max())
    n_feat = got.shape[1]
    print(f"features per case: {n_feat}; max |radnb - serial loop| = {diff:.3g}")
    ceiling = cpu_serial / (cores * t_serial)
    rows = [
        ("serial PyRadiomics loop", t_serial, 1.0, np.nan),
        (
            "radnb cold, incl. cluster start",
            t_start,
            t_serial / t_start,
            cpu_serial / (cores * t_start),
        ),
        ("radnb cold, cluster running", t_cold, t_serial / t_cold, cpu_serial / (cores * t_cold)),
        ("radnb warm (cache)", t_warm, t_serial / t_warm, np.nan),
    ]
    print(
        f"serial loop: {t_serial:.2f} s wall, {cpu_serial:.2f} CPU-s "
        f"({cpu_serial / t_serial:.2f} cores busy; ceiling speed-up on {cores} cores "
        f"{cores * t_serial / cpu_serial:.2f}x)"
    )
    print(f"{'run':34s} {'wall s':>8s} {'speed-up':>9s} {'efficiency':>10s}")
    for name, wall, speed, eff in rows:
        e = "" if np.isnan(eff) else f"{eff:.2f}"
        print(f"{name:34s} {wall:8.2f} {speed:8.2f}x {e:>10s}")
    print(f"(serial loop's own efficiency {ceiling:.2f}; targets: efficiency >= 0.85, warm >= 50x)")
    # Load-independent view: CPU seconds spent (this process, with the scheduler and
    # nannies, + the worker processes).
    # On an otherwise idle machine the cold wall time approaches radnb CPU / cores.
    for name, cpu in (("incl. cluster start", cpu_start), ("cluster running", cpu_cold)):
        print(
            f"radnb cold {name}: {cpu:.2f} CPU-s vs serial loop {cpu_serial:.2f} CPU-s "
            f"-> CPU efficiency {cpu_serial / cpu:.2f}"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
