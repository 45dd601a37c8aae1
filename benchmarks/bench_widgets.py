"""UI latency of the step widgets on a 200-patient study (Python side).

What a slider move costs in the kernel: ModelBoard's threshold slider (metrics at the
threshold, two markers moved, ROC and DCA re-rendered) and SurvivalExplorer's cut-off
(training cut-off refitted, groups reassigned, Kaplan-Meier per cohort with numbers at
risk and log-rank p redrawn). Statistics that do not depend on the slider (ROC curves,
AUC CIs, calibration, Cox) are computed once when the models or the score change.

Data: study S1's clinical table simulated for 200 patients (SIMULATED, no images) and
a 30-feature block with a planted signal. Target: < 0.3 s per move on this machine.

Run: ``python benchmarks/bench_widgets.py``
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pandas as pd


def _study(n: int = 200):
    import radnb as rn
    from radnb import datasets

    cohort = datasets.simulate("S1", n=n, random_state=0, images=False)
    rng = np.random.default_rng(0)
    y = cohort.clinical["her2"].to_numpy(float)
    block = pd.DataFrame(
        rng.normal(size=(n, 30)) + np.outer(np.nan_to_num(y), np.r_[np.ones(5), np.zeros(25)]),
        index=cohort.clinical.index,
        columns=[f"f{i}" for i in range(30)],
    )
    study = rn.Study(cohort, outcome="her2", train="train", clinical=["age", "tumour_size_cm"])
    study.add_block("rad", block)
    study.signature("Rad score", "rad", steps=["variance", "corr", "lasso"])
    study.model("Rad", ["Rad score"])
    study.model("Rad + clinical", ["Rad score"], clinical="auto")
    return cohort, study.fit()


def _time(fn, values) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each call (CPU: this process, all threads)."""
    wall, cpu = [], []
    for v in values:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(v)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _report(what: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(
        f"{what:<24} wall median {statistics.median(wall):.3f} s (max {max(wall):.3f}); "
        f"CPU median {statistics.median(cpu):.3f} s (max {max(cpu):.3f})"
    )


def main() -> None:
    from radnb.widgets.models import ModelBoard
    from radnb.widgets.survival import SurvivalExplorer

    t0 = time.perf_counter()
    cohort, study = _study()
    print(f"200-patient SIMULATED study fitted in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    board = ModelBoard(study)
    print(f"ModelBoard built (all statistics + 4 figures) in {time.perf_counter() - t0:.2f} s")
    thresholds = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65]

    def move(v):
        board.threshold.value = v

    _report("threshold slider move", _time(move, thresholds))

    t0 = time.perf_counter()
    ex = SurvivalExplorer.from_study(study, cohort)
    print(f"SurvivalExplorer built (cut-off, KM, Cox) in {time.perf_counter() - t0:.2f} s")
    ex.method.value = "manual"
    lo, hi = ex.manual.min, ex.manual.max
    cuts = list(np.linspace(lo, hi, 10))

    def cut(v):
        ex.manual.value = float(v)

    _report("survival cut-off move", _time(cut, cuts))
    methods = ["median", "tertiles", "maxstat"] * 2
    _report("cut-off method change", _time(lambda m: setattr(ex.method, "value", m), methods))
    print(f"machine load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
