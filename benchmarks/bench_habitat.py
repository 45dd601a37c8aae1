"""Benchmark: radnb's HabitatModel vs HABIT (``habitat-analysis`` on PyPI), two-step design.

Both run on the same simulated S3 cohort (DCE early phase + ADC, the reader's
masks, planted sub-regions as truth), fitted on the training split and applied
to every patient, each in its own fresh interpreter so that time and peak
memory (``ru_maxrss`` of that process) are comparable. Reported: wall time
(fit, apply, total, and with imports), peak RSS, chosen k, ARI between the two
sets of maps and each against the planted sub-regions (voxels of the planted
tumour inside the mask, pooled over patients).

HABIT needs pandas < 3, so it lives in its own virtual environment; the
benchmark creates ``/tmp/habit-venv`` when it is missing (or pass
``--habit-python``). HABIT is run twice: with the settings of its documented
``two_step_habitat`` recipe (raw intensities, elbow over k = 2..10), and
"matched" to radnb (Calinski-Harabasz over the same k range, robust scaling of
the supervoxel features across the training cohort).

    python benchmarks/bench_habitat.py [--n 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEQS = ["DCE_early", "ADC"]


def ensure_habit(python: str | None) -> str:
    if python:
        return python
    venv = Path("/tmp/habit-venv")
    py = venv / "bin" / "python"
    if not py.exists():
        print("creating", venv, "(habitat-analysis, pandas<3) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "habitat-analysis", "pandas<3"], check=True
        )
    return str(py)


def radnb_worker(job_path: str) -> None:
    """Fit + transform with radnb in this (fresh) process; write maps and a report."""
    job = json.loads(Path(job_path).read_text())
    t0 = time.perf_counter()
    import SimpleITK as sitk

    from radnb.datasets import simulate
    from radnb.features.habitat import HabitatModel

    t_import = time.perf_counter() - t0
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cohort = simulate("S3", n=job["n"], random_state=job["seed"], root=job["sim_root"])
    model = HabitatModel(
        SEQS,
        n_supervoxels=job["n_supervoxels"],
        k_range=tuple(job["k_range"]),
        criterion=job["criterion"],
        random_state=0,
    )
    t = time.perf_counter()
    model.fit(cohort, train="train")
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    maps = model.transform(cohort)
    t_predict = time.perf_counter() - t
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    for pid, img in maps.items():
        np.save(out / f"{pid}.npy", sitk.GetArrayFromImage(img))
    report = {
        "import_s": t_import,
        "fit_s": t_fit,
        "predict_s": t_predict,
        "k": int(model.n_habitats_),
        "maxrss_import_kib": rss_import,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "scores": {int(k): float(v) for k, v in model.scores_.items()},
    }
    (out / "report.json").write_text(json.dumps(report))


def habit_layout(cohort, root: Path) -> Path:
    """HABIT's directory layout (images/<pid>/<mod>/, masks/<pid>/<roi>/) as symlinks."""
    for pid in cohort.patient_ids:
        for seq in SEQS:
            d = root / "images" / pid / seq
            d.mkdir(parents=True, exist_ok=True)
            link = d / f"{pid}_{seq}.nii.gz"
            if not link.exists():
                os.symlink(cohort.image_path(pid, seq), link)
        d = root / "masks" / pid / SEQS[0]
        d.mkdir(parents=True, exist_ok=True)
        link = d / f"{pid}_mask.nii.gz"
        if not link.exists():
            os.symlink(cohort.mask_path(pid), link)
    return root


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed:\n{proc.stderr[-3000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="patients (S3 split proportions)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-supervoxels", type=int, default=50)
    ap.add_argument("--criterion", default="calinski_harabasz")
    ap.add_argument("--habit-python", default=None)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        radnb_worker(args.worker)
        return

    import SimpleITK as sitk
    from sklearn.metrics import adjusted_rand_score

    from radnb.datasets import simulate

    habit_py = ensure_habit(args.habit_python)
    work = Path(tempfile.mkdtemp(prefix="bench_habitat_"))
    sim_root = work / "s3"
    cohort = simulate("S3", n=args.n, random_state=args.seed, root=sim_root)
    train = cohort.subset(split="train").patient_ids
    habit_layout(cohort, work / "habit")
    base = {
        "n": args.n,
        "seed": args.seed,
        "sim_root": str(sim_root),
        "n_supervoxels": args.n_supervoxels,
        "k_range": [2, 8],
        "criterion": args.criterion,
    }
    runs = {}
    job = dict(base, out=str(work / "radnb"))
    (work / "radnb.json").write_text(json.dumps(job))
    wall = run([sys.executable, __file__, "--worker", str(work / "radnb.json")])
    runs["radnb"] = dict(json.loads((work / "radnb" / "report.json").read_text()), wall=wall)
    for name, matched in (("HABIT (recipe defaults)", False), ("HABIT (matched)", True)):
        out = work / ("habit_matched" if matched else "habit_default")
        job = dict(
            base,
            root=str(work / "habit"),
            modalities=SEQS,
            roi=SEQS[0],
            train=train,
            matched=matched,
            out=str(out),
        )
        (out.parent / f"{out.name}.json").write_text(json.dumps(job))
        wall = run([habit_py, str(HERE / "_habit_worker.py"), str(out.parent / f"{out.name}.json")])
        runs[name] = dict(json.loads((out / "report.json").read_text()), wall=wall, out=str(out))
    runs["radnb"]["out"] = str(work / "radnb")

    # agreement: voxels of the planted tumour inside the reader's mask, pooled
    truth, labels = [], {k: [] for k in runs}
    for pid in cohort.patient_ids:
        sub = sitk.GetArrayFromImage(
            sitk.ReadImage(str(cohort.clinical.loc[pid, "subregions_path"]))
        )
        mask = sitk.GetArrayFromImage(cohort.mask(pid)).astype(bool)
        inside = mask & (sub > 0)
        truth.append(sub[inside])
        for k, r in runs.items():
            labels[k].append(np.load(Path(r["out"]) / f"{pid}.npy")[inside])
    truth = np.concatenate(truth)
    labels = {k: np.concatenate(v) for k, v in labels.items()}
    r0 = runs["radnb"]
    n_vox = int(sum((sitk.GetArrayFromImage(cohort.mask(p)) > 0).sum() for p in cohort.patient_ids))
    print(
        f"\nS3 simulated cohort: {len(cohort)} patients ({len(train)} training), "
        f"sequences {SEQS}, {n_vox} mask voxels, planted k = {cohort.truth['n_subregions']}"
    )
    hdr = (
        f"{'':26s} {'fit s':>7s} {'apply s':>8s} {'fit+apply':>9s} {'process s':>9s} "
        f"{'peak MiB':>8s} {'k':>3s} {'ARI truth':>9s} {'ARI radnb':>9s}"
    )
    print(hdr)
    for k, r in runs.items():
        tot = r["fit_s"] + r["predict_s"]
        print(
            f"{k:26s} {r['fit_s']:7.2f} {r['predict_s']:8.2f} {tot:9.2f} {r['wall']:9.2f} "
            f"{r['maxrss_kib'] / 1024:8.0f} {r['k']:3d} "
            f"{adjusted_rand_score(truth, labels[k]):9.3f} "
            f"{adjusted_rand_score(labels['radnb'], labels[k]):9.3f}"
        )
    for k, r in runs.items():
        if k == "radnb":
            continue
        tot0 = r0["fit_s"] + r0["predict_s"]
        tot = r["fit_s"] + r["predict_s"]
        print(
            f"speed-up vs {k}: fit+apply {tot / tot0:.1f}x, whole process "
            f"{r['wall'] / r0['wall']:.1f}x; peak memory ratio "
            f"{r['maxrss_kib'] / r0['maxrss_kib']:.2f}; same k: {r['k'] == r0['k']}"
        )
    print("results in", work)


if __name__ == "__main__":
    main()
