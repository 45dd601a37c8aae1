"""Benchmark: time from cell execution to the first rendered NiiVue frame, and bytes sent.

JupyterLab on 127.0.0.1 and Debian's Chromium (headless, offline, the harness of
``tests/browser/lab_harness.py``). Two synthetic volumes with a spherical tumour
are written as uncompressed NIfTI into a temporary folder (reading them is part
of the timed cell):

- MR: 256 x 256 x 256, 1 mm, int16, tumour diameter 40 mm;
- CT: 512 x 512 x 300, 0.8 x 0.8 x 1.0 mm, int16 HU, tumour diameter 40 mm.

Each is opened with ``Viewer`` three ways: the default (cropped around the tumour
with a 20 mm margin, at most 2 M voxels), downsampled only (``crop=False``), and
full resolution (``crop=False, max_voxels=None``, what plain ipyniivue does with
the whole file). Timed: from Shift+Enter on the cell to the first canvas
screenshot showing the image (polled every ~0.2 s), with the kernel-side
construction time and the NIfTI bytes handed to the browser (``viewer.bytes_sent``).
Target (issue 11): the default CT view under 2 s and 10 MB.

    python benchmarks/bench_viewer.py [--timeout 120]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

SETUP = r"""
import time, json
import numpy as np, SimpleITK as sitk, pandas as pd
from radnb.cohort import Cohort
from radnb.widgets import Viewer
root = "{root}"

def make(name, shape, spacing, bg, fg):
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    c = [s // 2 for s in shape]
    r = 20.0  # mm
    d2 = ((x - c[2]) * spacing[0]) ** 2 + ((y - c[1]) * spacing[1]) ** 2 + ((z - c[0]) * spacing[2]) ** 2
    m = (d2 <= r * r).astype(np.uint8)
    rng = np.random.default_rng(0)
    img = (bg + rng.normal(0, 20, size=shape) + (fg - bg) * m.astype(np.float32)).astype(np.int16)
    for arr, suffix in ((img, ""), (m, "_mask")):
        im = sitk.GetImageFromArray(arr)
        im.SetSpacing(spacing)
        sitk.WriteImage(im, f"{{root}}/{{name}}{{suffix}}.nii", useCompression=False)
    return name

make("mr", (256, 256, 256), (1.0, 1.0, 1.0), 300, 800)
make("ct", (300, 512, 512), (0.8, 0.8, 1.0), 40, 120)
table = pd.DataFrame({{"patient_id": ["mr", "ct"], "img": [f"{{root}}/mr.nii", f"{{root}}/ct.nii"],
                      "mask": [f"{{root}}/mr_mask.nii", f"{{root}}/ct_mask.nii"]}})
cohort = Cohort.from_table(table, images={{"image": "img"}}, mask="mask", split=None)
print("SETUP-DONE")
"""

CASE = r"""
t0 = time.perf_counter()
v = Viewer(cohort, "{pid}", height=400, slice_type="axial", **{kws})
print("KERNEL", "{label}", round(time.perf_counter() - t0, 3), v.bytes_sent, v.base.info["browser_size"])
v
"""

# the light cases first: a full-resolution volume keeps the browser busy (decoding, and
# sending the volume back) well after its first frame, which would inflate the next case
CASES = [
    ("MR 256^3, default (crop + max 2 M voxels)", "mr", "{}"),
    ("CT 512x512x300, default (crop + max 2 M voxels)", "ct", "{}"),
    ("CT 512x512x300, downsampled only (crop=False)", "ct", "dict(crop=False)"),
    ("MR 256^3, full resolution", "mr", "dict(crop=False, max_voxels=None)"),
    ("CT 512x512x300, full resolution", "ct", "dict(crop=False, max_voxels=None)"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    args = ap.parse_args()

    import nbformat
    from lab_harness import LabServer, NotebookPage, Offline, canvas_stats, launch_chromium
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="radnb-bench-viewer-"))
    data = work / "data"
    data.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell(SETUP.format(root=data)))
    for label, pid, kws in CASES:
        nb.cells.append(nbformat.v4.new_code_cell(CASE.format(pid=pid, kws=kws, label=label)))
    nbformat.write(nb, work / "bench.ipynb")
    lab = LabServer(work)
    rows = []
    try:
        with sync_playwright() as pw:
            ctx = launch_chromium(pw, viewport=(1200, 900))
            off = Offline()
            off.install(ctx)
            page = NotebookPage(ctx.new_page(), lab).open("bench.ipynb")
            page.wait_kernel_idle()
            cells = page.page.locator(".jp-CodeCell")
            cells.nth(0).locator(".jp-InputArea-editor").click()
            page.page.keyboard.press("Shift+Enter")
            try:
                page.output("SETUP-DONE", timeout=300_000)
            except Exception:
                page.screenshot("bench_setup_timeout")
                raise
            for i, (label, _, _) in enumerate(CASES, start=1):
                try:
                    cell = cells.nth(i)
                    cell.locator(".jp-InputArea-editor").click()
                    page.page.keyboard.press("Escape")
                    t0 = time.perf_counter()
                    page.page.keyboard.press("Shift+Enter")
                    canvas = cell.locator(".jp-OutputArea canvas").first
                    drawn = None
                    while time.perf_counter() - t0 < args.timeout:
                        try:
                            shot = canvas.screenshot(timeout=5_000) if canvas.count() else None
                        except Exception:  # the output area is being re-rendered
                            shot = None
                        if shot is not None:
                            stats = canvas_stats(shot)
                            if stats["lit"] > 0.05 and stats["colours"] > 10:
                                drawn = time.perf_counter() - t0
                                break
                        page.page.wait_for_timeout(200)
                    kernel = page.output(f"KERNEL {label}", timeout=10_000).inner_text().split()
                    rows.append((label, drawn, kernel))
                    print(
                        label,
                        "->",
                        f"{drawn:.2f} s" if drawn else f"not drawn in {args.timeout:.0f} s",
                        kernel[-5:],
                        flush=True,
                    )
                    try:  # the browser sends the decoded volume back; let that finish
                        page.wait_kernel_idle(timeout=1000 * args.timeout)
                    except Exception:
                        print("  (kernel still busy after the timeout)", flush=True)
                except PlaywrightError as exc:  # e.g. the page crashed on a huge volume
                    msg = str(exc).splitlines()[0][:100]
                    print(label, "-> browser failed:", msg, flush=True)
                    rows.append((label, None, None))
                    break
            if rows and rows[-1][2] is not None:
                off.check()
                ctx.close()
    finally:
        lab.stop()
    print("\n| case | first frame (s) | kernel (s) | bytes to browser | browser grid |")
    print("|---|---|---|---|---|")
    for label, drawn, kernel in rows:
        if kernel is None:
            print(f"| {label} | browser failed (page closed) | - | - | - |")
            continue
        ktime, nbytes = kernel[-5], int(kernel[-4])
        grid = " ".join(kernel[-3:])
        first = f"{drawn:.2f}" if drawn else "not drawn"
        print(f"| {label} | {first} | {ktime} | {nbytes / 1e6:.1f} MB | {grid} |")


if __name__ == "__main__":
    main()
