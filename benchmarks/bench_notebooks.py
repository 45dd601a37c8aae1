"""Each notebook's wall time and peak memory against Binder's budget (120 s, 1.5 GB).

    .venv/bin/python benchmarks/bench_notebooks.py [NAME ...] [--warm-cache]
        [--profile DIR] [--write-results]

Every notebook in notebooks/ (or those whose file name contains one of the NAMEs) is
executed top to bottom as the test suite and Binder run it: nbclient, a fresh
``python3`` kernel, outputs to a temporary ``RADNB_OUT``. Wall time counts everything
from kernel start to shutdown. Memory is the peak, over 0.1 s polls, of the summed RSS
of the kernel process and all its descendants (Dask or process-pool workers included;
pages shared between forked processes are counted once per process, so this errs
high), and the peak summed PSS (shared pages split between the processes). By default every notebook starts from an empty ``RADNB_CACHE_DIR`` (a user's
first Binder launch: simulated cohorts are generated, nothing is cached);
``--warm-cache`` reuses one cache for all notebooks.

``--profile DIR`` runs the kernel's code under cProfile (added first and last cells)
and writes ``DIR/<notebook>.prof`` (times are then inflated by the profiler).
``--write-results`` replaces the ``bench_notebooks`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
TARGET_S = 120.0
TARGET_GB = 1.5
START, END = "<!-- bench_notebooks:start -->", "<!-- bench_notebooks:end -->"


class TreePeak:
    """Poll the memory of a process's descendants in a background thread.

    ``peak`` is the peak summed RSS (pages shared between processes counted once per
    process: errs high); ``peak_pss`` the peak summed PSS (Linux; shared pages split
    between the processes that map them: what the processes use together, as a
    container's memory limit sees it, up to the page cache).
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval, self.peak, self.peak_pss = interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = pss = 0
            for proc in me.children(recursive=True):
                try:
                    total += proc.memory_info().rss
                    pss += getattr(proc.memory_full_info(), "pss", 0)
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_notebook(path: Path, *, cache: Path | None, profile: Path | None) -> dict:
    """Execute one notebook; return wall time, peak RSS of the kernel tree, status."""
    nb = nbformat.read(path, as_version=4)
    if profile is not None:
        out = profile / f"{path.stem}.prof"
        nb.cells.insert(
            0,
            nbformat.v4.new_code_cell(
                "import cProfile as _cp\n_radnb_prof = _cp.Profile()\n_radnb_prof.enable()"
            ),
        )
        nb.cells.append(
            nbformat.v4.new_code_cell(
                f"_radnb_prof.disable()\n_radnb_prof.dump_stats({str(out)!r})"
            )
        )
    with tempfile.TemporaryDirectory(prefix="radnb-bench-nb-") as tmp:
        os.environ["RADNB_OUT"] = str(Path(tmp) / "out")
        os.environ["RADNB_CACHE_DIR"] = str(cache or Path(tmp) / "cache")
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # as JupyterLab
        client = NotebookClient(
            nb,
            timeout=1800,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        error = ""
        start = time.perf_counter()
        with TreePeak() as peak:
            try:
                client.execute()
            except Exception as exc:  # report the failure, keep benchmarking the rest
                error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:120]}"
        wall = time.perf_counter() - start
    return {
        "notebook": path.stem,
        "wall_s": wall,
        "peak_gb": peak.peak / 1e9,
        "peak_pss_gb": peak.peak_pss / 1e9,
        "error": error,
    }


def machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def table(rows: list[dict]) -> str:
    lines = [
        f"| notebook | wall time (s) | target {TARGET_S:.0f} s | peak RSS, kernel tree (GB) "
        f"| peak PSS, kernel tree (GB) | target {TARGET_GB} GB |",
        "|---|---:|---|---:|---:|---|",
    ]
    for r in rows:
        if r["error"]:
            ok_t = f"FAILED ({r['error']})"
        else:
            ok_t = "pass" if r["wall_s"] <= TARGET_S else "**over**"
        # the target is judged on RSS (errs high) unless only the double counting is over
        ok_m = "pass" if r["peak_gb"] <= TARGET_GB else "**over**"
        if ok_m != "pass" and 0 < r.get("peak_pss_gb", 0) <= TARGET_GB:
            ok_m = "pass (PSS)"
        lines.append(
            f"| `{r['notebook']}` | {r['wall_s']:.0f} | {ok_t} | {r['peak_gb']:.2f} "
            f"| {r.get('peak_pss_gb', 0):.2f} | {ok_m} |"
        )
    return "\n".join(lines)


def write_results(text: str) -> None:
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# radnb benchmarks\n"
    block = f"{START}\n{text.strip()}\n{END}"
    if START in old and END in old:
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, old, flags=re.S)
    else:
        new = old.rstrip() + "\n\n## notebooks\n\n" + block + "\n"
    RESULTS.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only notebooks whose name contains one")
    parser.add_argument("--warm-cache", action="store_true", help="share one cache folder")
    parser.add_argument("--profile", type=Path, help="write cProfile stats into this folder")
    parser.add_argument("--write-results", action="store_true", help="update RESULTS.md")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if any(n in p.name for n in args.names)]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    cache = Path(tempfile.mkdtemp(prefix="radnb-bench-cache-")) if args.warm_cache else None
    load0 = os.getloadavg()
    rows: list[dict] = []
    text = "no notebook matched"
    for path in paths:
        row = run_notebook(path, cache=cache, profile=args.profile)
        rows.append(row)
        print(
            f"{row['notebook']}: {row['wall_s']:.1f} s, {row['peak_gb']:.2f} GB RSS, "
            f"{row['peak_pss_gb']:.2f} GB PSS"
            + (f"  FAILED {row['error']}" if row["error"] else ""),
            flush=True,
        )
        text = report(rows, load0, os.getloadavg(), cache=cache, profile=args.profile)
        if args.write_results:  # after each notebook, so an interrupted run leaves a table
            write_results(text)
    print("\n" + text)
    return int(any(r["error"] for r in rows))


def report(rows: list[dict], load0, load1, *, cache, profile) -> str:
    """The RESULTS.md block: machine, load, table."""
    return (
        f"Machine: {machine()}; load average {load0[0]:.1f} at the start and "
        f"{load1[0]:.1f} at the end; {'shared cache' if cache else 'empty cache per notebook'}"
        f"{'; under cProfile' if profile else ''}.\n\n{table(rows)}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
