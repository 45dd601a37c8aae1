"""Deep-feature throughput: radnb's whole pipeline vs the bare backbone forward pass.

Same run, same tensors, same network, batch size, precision and memory format:

- ``bare``: the crops already stacked on the device, only ``net(x)`` is timed;
- ``radnb cold``: ``extract_deep_features`` from the image files (read, crop,
  normalise, batch, copy, forward), no cache;
- ``radnb warm``: the same call with the crops in a memory ``CropCache``.

Usage::

    python benchmarks/bench_deep.py --quick --out results.json   # < 3 min
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
import torch

from radnb import device as rdev
from radnb.cohort import Cohort
from radnb.features import deep


def make_cohort(root: Path, n: int, n_seq: int, shape=(32, 96, 96), seed=0) -> Cohort:
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.ogrid[: shape[0], : shape[1], : shape[2]]
    rows = []
    for i in range(n):
        c = rng.integers([10, 30, 30], [22, 66, 66])
        r = rng.integers(6, 14)
        m = ((zz - c[0]) * 3) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= r * r
        row = {"patient_id": f"p{i:04d}"}
        for s in range(n_seq):
            a = rng.normal(100, 20, shape).astype(np.float32)
            a[m] += 60
            img = sitk.GetImageFromArray(a)
            img.SetSpacing((0.8, 0.8, 3.0))
            sitk.WriteImage(img, str(root / f"{i}_{s}.nii.gz"))
            row[f"s{s}"] = f"{i}_{s}.nii.gz"
        mk = sitk.GetImageFromArray(m.astype(np.uint8))
        mk.SetSpacing((0.8, 0.8, 3.0))
        sitk.WriteImage(mk, str(root / f"{i}_m.nii.gz"))
        row["mask"] = f"{i}_m.nii.gz"
        rows.append(row)
    table = pd.DataFrame(rows)
    return Cohort.from_table(
        table, images={f"s{s}": f"s{s}" for s in range(n_seq)}, mask="mask", root=root
    )


def bare_forward(net, X: torch.Tensor, dev, batch: int, amp: bool, repeats: int = 1) -> float:
    """Crops per second of net(x) alone, inputs already on the device."""
    cuda = dev.type == "cuda"
    x_dev = rdev.to_device(X, dev, channels_last=cuda)
    with torch.inference_mode(), rdev.autocast(dev, amp):
        net(x_dev[:batch])  # warm-up (cudnn autotune)
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(repeats):
            outs = [net(x_dev[i : i + batch]).float() for i in range(0, len(x_dev), batch)]
        if cuda:
            torch.cuda.synchronize()
        dt = time.perf_counter() - t
    del outs, x_dev
    return repeats * len(X) / dt


def run_config(cohort, dev, *, name, backbone, dims, crop_kws, batch, amp=True) -> dict:
    kws = dict(
        backbone=backbone, dims=dims, crop_kws=crop_kws, batch_size=batch, device=dev,
        amp=amp, progress=False,
    )  # fmt: skip
    spec = deep.CropSpec.from_kws(dims, crop_kws)
    ds = deep.CropDataset(cohort, spec=spec)
    X = torch.from_numpy(ds.load_all()[0])
    n = len(X)
    net = deep.build_backbone(backbone, dims=dims, in_channels=spec.shape[0]).eval().to(dev)
    if dev.type == "cuda":
        net = net.to(memory_format=torch.channels_last if dims == 2 else torch.channels_last_3d)
    with rdev.deterministic(False):
        bare = bare_forward(net, X, dev, batch, amp)
    cache = deep.CropCache()
    t = time.perf_counter()
    deep.extract_deep_features(cohort, cache=cache, **kws)  # cold run, fills the cache
    cold = n / (time.perf_counter() - t)
    t = time.perf_counter()
    deep.extract_deep_features(cohort, cache=cache, **kws)
    warm = n / (time.perf_counter() - t)
    res = dict(
        config=name, crops=n, batch=batch, bare_crops_per_s=round(bare, 1),
        radnb_cold_crops_per_s=round(cold, 1), radnb_warm_crops_per_s=round(warm, 1),
        cold_ratio=round(cold / bare, 3), warm_ratio=round(warm / bare, 3),
    )  # fmt: skip
    print(
        f"{name:<28} n={n:<5} bare {bare:8.1f}/s | radnb cold {cold:8.1f}/s "
        f"({cold / bare:5.1%}) | radnb warm {warm:8.1f}/s ({warm / bare:5.1%})",
        flush=True,
    )
    return res


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small run (< 3 min)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)
    dev = rdev.resolve_device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        n, n_seq = (512, 2) if args.quick else (1024, 4)
        b3, b2 = 128, 256
    else:
        n, n_seq = (32, 2) if args.quick else (96, 2)
        b3, b2 = 8, 16
    print(f"device: {rdev.describe_device(dev)}; torch {torch.__version__}; amp "
          f"{rdev.amp_dtype(dev)}; python {platform.python_version()}", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cohort = make_cohort(Path(tmp), n, n_seq)
        print(f"wrote {n} patients x {n_seq} sequences in {time.perf_counter() - t0:.1f} s")
        configs = [
            ("3D resnet18 64^3", "resnet18", 3, {"size": 64}, b3),
            ("2.5D resnet50 128^2 x3", "resnet50", 2, {"size": 128, "n_slices": 3}, b2),
        ]
        for name, backbone, dims, crop_kws, batch in configs:
            results.append(
                run_config(
                    cohort,
                    dev,
                    name=name,
                    backbone=backbone,
                    dims=dims,
                    crop_kws=crop_kws,
                    batch=batch,
                )  # fmt: skip
            )
    out = dict(
        device=rdev.describe_device(dev), device_type=dev.type, torch=torch.__version__,
        amp=str(rdev.amp_dtype(dev)), total_s=round(time.perf_counter() - t0, 1),
        results=results,
    )  # fmt: skip
    print(f"total {out['total_s']} s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
