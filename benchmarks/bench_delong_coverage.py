"""Coverage of radnb's 95% DeLong CI of the AUC over simulated cohorts.

Binormal model: controls ~ N(0, 1), cases ~ N(d, 1), so the true AUC is
Phi(d / sqrt(2)). For each setting, ``--cohorts`` independent cohorts are drawn and
the share of CIs containing the true AUC is printed with its Monte-Carlo standard
error. The acceptance setting (first row) must lie in 93-97%.

    .venv/bin/python benchmarks/bench_delong_coverage.py [--cohorts 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from radnb.evaluate import auc_ci  # noqa: E402

# (cases, controls, d): the first row is the acceptance setting
SETTINGS = [
    (60, 120, 1.0),
    (30, 60, 1.0),
    (100, 100, 0.5),
    (60, 120, 2.0),
    (20, 40, 2.0),
]


def coverage(m: int, n: int, d: float, cohorts: int, seed: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    truth = norm.cdf(d / np.sqrt(2))
    y = np.r_[np.ones(m, int), np.zeros(n, int)]
    hits, widths = 0, []
    for _ in range(cohorts):
        s = np.r_[rng.normal(d, 1, m), rng.normal(0, 1, n)]
        _, lo, hi = auc_ci(y, s, direction="<")  # direction known, never re-chosen
        hits += lo <= truth <= hi
        widths.append(hi - lo)
    return hits / cohorts, truth, float(np.mean(widths))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cohorts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    if args.cohorts < 200:
        raise SystemExit("use at least 200 cohorts")
    print(f"{args.cohorts} cohorts per setting, binormal, nominal level 95%")
    print(
        f"{'cases':>6} {'controls':>8} {'d':>4} {'true AUC':>9} {'coverage':>9} {'MC se':>6} "
        f"{'mean width':>10}"
    )
    t0 = time.perf_counter()
    first = None
    for i, (m, n, d) in enumerate(SETTINGS):
        cov, truth, width = coverage(m, n, d, args.cohorts, args.seed + i)
        se = np.sqrt(cov * (1 - cov) / args.cohorts)
        first = cov if first is None else first
        print(f"{m:>6} {n:>8} {d:>4.1f} {truth:>9.4f} {cov:>9.3f} {se:>6.3f} {width:>10.3f}")
    ok = 0.93 <= first <= 0.97
    print(
        f"acceptance setting (60 cases, 120 controls, AUC 0.760): coverage {first:.3f} -> "
        f"{'PASS' if ok else 'FAIL'} (target 0.93-0.97); {time.perf_counter() - t0:.1f} s"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
