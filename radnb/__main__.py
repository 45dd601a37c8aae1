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
    args = parser.parse_args(argv)
    from radnb.pipeline import run_s1

    run_s1(args.out, n=args.n, random_state=args.seed, client="serial" if args.serial else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
