"""DeLong AUC CI and paired test: radnb (Sun & Xu midranks) against a naive O(n^2)
implementation and against MLstatkit, in the same run.

    .venv/bin/python benchmarks/bench_delong.py [--n 1000000] [--repeat 5]

MLstatkit is a benchmark-only peer (never a radnb dependency). It is imported from
this interpreter if present, else run in a subprocess with the Python named by
$MLSTATKIT_PYTHON or /tmp/mlstatkit-venv/bin/python (create it with
``python -m venv /tmp/mlstatkit-venv && /tmp/mlstatkit-venv/bin/pip install MLstatkit``).
MLstatkit has no single-score CI: its ``Delong_test(y, a, b)`` returns both CIs and
the paired test, so it is timed against radnb's ``delong_test`` on the same pair.
The naive O(n^2) version is timed at n = 10^4 (memory-chunked pairwise placements);
its time at n is extrapolated by (n / 10^4)^2 and printed as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from radnb.evaluate import auc_ci, delong_test  # noqa: E402


def naive_delong_ci(y: np.ndarray, s: np.ndarray, level: float = 0.95):
    """DeLong (1988) by explicit pairwise placements, O(m n) time."""
    from scipy.stats import norm

    pos, neg = s[y == 1], s[y == 0]
    v10 = np.empty(pos.size)
    v01 = np.zeros(neg.size)
    for i0 in range(0, pos.size, 1000):
        block = pos[i0 : i0 + 1000, None]
        psi = (block > neg[None, :]) + 0.5 * (block == neg[None, :])
        v10[i0 : i0 + 1000] = psi.mean(axis=1)
        v01 += psi.sum(axis=0)
    v01 /= pos.size
    auc = v10.mean()
    se = np.sqrt(v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size)
    z = norm.ppf(0.5 + level / 2)
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)


def simulate(n: int, seed: int = 0, decimals: int | None = None):
    """Binormal scores (30% cases); ``decimals`` rounds them to create ties."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(int)
    a = rng.normal(size=n) + 1.0 * y
    b = 0.6 * a + 0.8 * rng.normal(size=n) + 0.3 * y
    if decimals is not None:
        a, b = np.round(a, decimals), np.round(b, decimals)
    return y, a, b


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


_MLSTAT_SNIPPET = r"""
import json, sys, time, numpy as np
from MLstatkit import Delong_test
d = np.load(sys.argv[1]); y, a, b = d["y"], d["a"], d["b"]
Delong_test(y[:1000], a[:1000], b[:1000])
times = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); r = Delong_test(y, a, b); times.append(time.perf_counter() - t0)
z, p, ci_a, ci_b, auc_a, auc_b, info = r
import MLstatkit
print(json.dumps({"time": float(np.median(times)), "z": z, "p": p, "ci_a": list(ci_a),
                  "auc_a": auc_a, "auc_b": auc_b, "method": info["method"],
                  "version": getattr(MLstatkit, "__version__", "?")}))
"""


def run_mlstatkit(y, a, b, repeat: int) -> dict | None:
    candidates = []
    try:
        import MLstatkit  # noqa: F401

        candidates.append(sys.executable)
    except ImportError:
        pass
    env_py = os.environ.get("MLSTATKIT_PYTHON")
    if env_py:
        candidates.append(env_py)
    if Path("/tmp/mlstatkit-venv/bin/python").exists():
        candidates.append("/tmp/mlstatkit-venv/bin/python")
    for py in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "data.npz"
            np.savez(f, y=y, a=a, b=b)
            proc = subprocess.run(
                [py, "-c", _MLSTAT_SNIPPET, str(f), str(repeat)],
                capture_output=True,
                text=True,
                timeout=900,
            )
        if proc.returncode == 0:
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            out["python"] = py
            return out
        print(f"MLstatkit via {py} failed: {proc.stderr.strip()[-300:]}")
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10**6)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = args.n
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    y, a, b = simulate(n)
    print(f"data: n = {n:,}, cases = {int(y.sum()):,}, distinct scores = {np.unique(a).size:,}")

    auc_ci(y[:1000], a[:1000])  # warm imports
    t_ci, ci = best_of(lambda: auc_ci(y, a, direction="<"), args.repeat)
    t_test, test = best_of(lambda: delong_test(y, a, b, direction="<"), args.repeat)
    print(f"radnb auc_ci (n={n:,}):           {t_ci:.3f} s  -> {ci!r}")
    print(
        f"radnb delong_test paired (n={n:,}): {t_test:.3f} s  -> z = {test['z']:.4f}, "
        f"p = {test['p']:.3g}"
    )
    print(f"  target: DeLong CI at n = 10^6 under 1 s: {'PASS' if t_ci < 1 else 'FAIL'}")
    yt, at, _ = simulate(n, decimals=2)
    t_tie, _ = best_of(lambda: auc_ci(yt, at, direction="<"), args.repeat)
    print(f"radnb auc_ci with heavy ties (scores rounded to 0.01): {t_tie:.3f} s")

    # naive O(n^2) at 10^4 (and radnb at the same n)
    n0 = 10**4
    y0, a0, _ = simulate(n0, seed=1)
    t_naive, naive = best_of(lambda: naive_delong_ci(y0, a0), 3)
    t_fast0, fast0 = best_of(lambda: auc_ci(y0, a0, direction="<"), args.repeat)
    assert np.allclose(tuple(fast0), naive, atol=1e-12), (fast0, naive)
    extrap = t_naive * (n / n0) ** 2
    print(
        f"naive O(n^2) at n = {n0:,}: {t_naive:.3f} s; radnb at n = {n0:,}: {t_fast0 * 1e3:.1f} ms "
        f"(ratio {t_naive / t_fast0:,.0f}x; identical CI)"
    )
    print(
        f"naive extrapolated to n = {n:,}: ~{extrap:,.0f} s (x{(n / n0) ** 2:,.0f}); "
        f"ratio to radnb ~{extrap / t_ci:,.0f}x (extrapolated, not run)"
    )

    ml = run_mlstatkit(y, a, b, max(1, min(args.repeat, 3)))
    if ml is None:
        print("MLstatkit: not available (pip install MLstatkit into /tmp/mlstatkit-venv); skipped")
    else:
        same = abs(ml["auc_a"] - test["auc1"]) < 1e-9 and abs(abs(ml["z"]) - abs(test["z"])) < 1e-6
        print(
            f"MLstatkit {ml['version']} Delong_test (n={n:,}): {ml['time']:.3f} s "
            f"[{ml['method']}] -> |z| = {abs(ml['z']):.4f}; same numbers as radnb: {same}"
        )
        print(
            f"  ratio MLstatkit / radnb delong_test: {ml['time'] / t_test:.1f}x; "
            f"MLstatkit paired call / radnb auc_ci: {ml['time'] / t_ci:.1f}x"
        )


if __name__ == "__main__":
    main()
