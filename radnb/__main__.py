"""Command line: ``python -m radnb main --out out`` runs the S1 study end to end."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m radnb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("main", help="S1 study end to end on its simulated cohort")
    run.add_argument("--out", default="out", help="output folder (default: out)")
    run.add_argument("--n", type=int, default=None, help="patients (default: the design's 181)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--serial", action="store_true", help="no Dask cluster")
    run.add_argument(
        "--permutations", type=int, default=20, help="negative-control label permutations"
    )
    args = parser.parse_args(argv)
    from radnb.pipeline import run_s1

    res = run_s1(
        args.out, n=args.n, random_state=args.seed, client="serial" if args.serial else None
    )
    write_s1_report(res, n=args.n, seed=args.seed, permutations=args.permutations)
    return 0


def write_s1_report(res: dict, *, n: int | None, seed: int, permutations: int = 20):
    """Negative controls of the Rad score, then ``<out>/report.html`` (one self-contained file)."""
    from pathlib import Path

    from radnb import datasets
    from radnb.features.presets import resolve_params

    study = res["study"]
    if "Rad score" in study.signatures_ and permutations > 0:
        study.negative_controls(
            "Rad score", controls=["permuted", "volume"], n_permutations=permutations
        )
    model = next((m for m in ("DLCS", "DL", "Rad") if m in study.outputs), None)
    path = study.report(
        Path(res["out"]) / "report.html",
        title="Study S1: HER2 in bladder cancer (SIMULATED cohort)",
        cohort=datasets.simulate("S1", n=n, random_state=seed),  # cached: read back
        radiomics={"params": resolve_params("ct"), "preprocess": {}},
        survival={"time": "rfs_months", "event": "rfs_event", "model": model} if model else None,
        tables={"Cox regression for RFS, training cohort": res["cox"]},
    )
    print(f"[radnb] report: {path.resolve()}")
    return path


if __name__ == "__main__":
    sys.exit(main())
