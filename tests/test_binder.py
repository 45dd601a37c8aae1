"""The Binder environment (binder/) builds and runs the notebooks, proven with pip.

repo2docker, given a ``binder/`` folder with ``runtime.txt``, ``requirements.txt`` and
``postBuild``, creates an environment on that Python, runs ``pip install -r
binder/requirements.txt``, then runs ``binder/postBuild`` from the repository root as
the (non-root) notebook user. This test does the same with pip, into a fresh virtual
environment under a temporary folder:

1. a copy of the checkout's files (``git ls-files``: what a clone holds);
2. ``python3.X -m venv`` on the Python named by ``binder/runtime.txt``;
3. ``pip install -r binder/requirements.txt`` -- **with one change**: the PyTorch CPU
   index (download.pytorch.org) is not reachable from this machine, so its
   ``--extra-index-url`` line is dropped and ``torch==V+cpu`` becomes ``torch==V``,
   which pip finds among this machine's configured wheels (the same CPU build);
4. ``bash binder/postBuild`` from the copy's root with the venv's ``bin`` first on
   ``PATH`` (as the invoking user, without sudo: here that user is root, because the
   interpreter lives under /root; postBuild itself must not need root);
5. the quickstart and one study notebook executed in that environment's own kernel
   (checked: the kernel's ``sys.executable`` and ``radnb`` are the venv's);
6. ``jupyter labextension list`` in that environment shows the widget front-ends.

It builds a ~2 GB environment: pip's cache is reused (``$RADNB_BINDER_PIP_CACHE`` or
pip's default), the venv lives in pytest's temporary folder. Measured times are printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
NOTEBOOKS = ["00_quickstart.ipynb", "01_study_S1_bladder_her2.ipynb"]
#: JupyterLab front-ends the notebooks and radnb's widgets need, and why.
FRONT_ENDS = {
    "@jupyter-widgets/jupyterlab-manager": "ipywidgets (controls, tqdm progress bars)",
    "anywidget": "ipyniivue's NiiVue viewer (radnb.widgets.Viewer) is an anywidget",
    "jupyter-matplotlib": "ipympl (%matplotlib widget)",
}
TORCH_INDEX = "download.pytorch.org"

pytestmark = [pytest.mark.binder, pytest.mark.slow, pytest.mark.timeout(3600)]


def runtime_python() -> str:
    """The interpreter named by binder/runtime.txt (``python-3.11`` -> ``python3.11``)."""
    spec = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)(\.\d+)?", spec)
    assert match, f"binder/runtime.txt: expected 'python-X.Y', found {spec!r}"
    exe = shutil.which(f"python{match.group(1)}")
    if exe is None:
        pytest.fail(
            f"binder/runtime.txt asks for {spec}, but python{match.group(1)} is not on PATH"
        )
    return exe


def local_requirements(text: str) -> tuple[str, list[str]]:
    """binder/requirements.txt with the unreachable PyTorch CPU index replaced."""
    lines, changes = [], []
    for line in text.splitlines():
        if TORCH_INDEX in line and line.strip().startswith("--"):
            changes.append(f"dropped {line.strip()!r} (not reachable from this machine)")
            continue
        m = re.fullmatch(r"\s*torch==([\w.]+)\+cpu\s*", line)
        if m:
            changes.append(f"{line.strip()!r} -> 'torch=={m.group(1)}' (found locally by pip)")
            line = f"torch=={m.group(1)}"
        lines.append(line)
    return "\n".join(lines) + "\n", changes


def test_local_requirements_rewrites_only_the_torch_index():
    text = (BINDER / "requirements.txt").read_text()
    new, changes = local_requirements(text)
    assert TORCH_INDEX in text and "+cpu" in text  # Binder gets the CPU build
    assert TORCH_INDEX not in new and "+cpu" not in new
    assert len(changes) == 2
    assert "pyradiomics-bhklab" in new  # the PyRadiomics install fix
    first_cmd = [
        ln
        for ln in (BINDER / "postBuild").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ][0]
    assert first_cmd == "set -e", "postBuild must start with `set -e`"


def _copy_checkout(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / os.fsdecode(name)
        if src.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _run(cmd, *, env, cwd, log: Path, timeout: float) -> float:
    start = time.perf_counter()
    with log.open("ab") as fh:
        fh.write(f"\n$ {' '.join(map(str, cmd))}\n".encode())
        fh.flush()
        proc = subprocess.run(
            cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
        )
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        pytest.fail(f"{cmd} failed with exit status {proc.returncode}:\n{tail}")
    return time.perf_counter() - start


EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
src, dst, cwd = sys.argv[1:4]
nb = nbformat.read(src, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import sys, radnb; print('KERNEL', sys.executable, radnb.__file__)"))
NotebookClient(nb, timeout=900, kernel_name="python3",
               resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, dst)
"""


@pytest.fixture
def tmp_env(tmp_path):
    """pytest's temporary folder, with the ~2 GB venv and repo copy removed afterwards."""
    yield tmp_path
    for name in ("venv", "repo"):
        shutil.rmtree(tmp_path / name, ignore_errors=True)


def test_binder_environment_builds_and_runs_the_notebooks(tmp_env):
    tmp_path = tmp_env
    python = runtime_python()
    timings = {}
    repo, venv, log = tmp_path / "repo", tmp_path / "venv", tmp_path / "build.log"
    _copy_checkout(repo)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "RADNB_", "CONDA"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["RADNB_CACHE_DIR"] = str(tmp_path / "radnb-cache")  # a fresh user: nothing cached
    env["RADNB_OUT"] = str(tmp_path / "out")
    env["MPLBACKEND"] = "Agg"
    if os.environ.get("RADNB_BINDER_PIP_CACHE"):
        env["PIP_CACHE_DIR"] = os.environ["RADNB_BINDER_PIP_CACHE"]

    timings["venv"] = _run([python, "-m", "venv", venv], env=env, cwd=repo, log=log, timeout=300)
    req, changes = local_requirements((BINDER / "requirements.txt").read_text())
    print("binder/requirements.txt, changed for this machine:", *changes, sep="\n  ")
    (tmp_path / "requirements.txt").write_text(req)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q"]
    timings["requirements"] = _run(
        [*pip, "-r", tmp_path / "requirements.txt"], env=env, cwd=repo, log=log, timeout=1800
    )
    timings["postBuild"] = _run(
        ["bash", "binder/postBuild"], env=env, cwd=repo, log=log, timeout=1800
    )

    # the notebooks, in the environment's own kernel
    for name in NOTEBOOKS:
        out = tmp_path / f"executed-{name}"
        timings[name] = _run(
            [
                venv / "bin" / "python",
                "-c",
                EXECUTE,
                repo / "notebooks" / name,
                out,
                repo / "notebooks",
            ],
            env=env,
            cwd=repo,
            log=log,
            timeout=1800,
        )
        nb = nbformat.read(out, as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"], name
        kernel = next(o["text"] for o in outputs if "KERNEL" in o.get("text", ""))
        exe, radnb_file = kernel.split()[1:3]
        assert Path(exe).parent == venv / "bin", f"{name} ran in {exe}, not the Binder venv"
        assert Path(radnb_file).is_relative_to(venv), f"{name} imported radnb from {radnb_file}"

    listing = subprocess.run(
        [venv / "bin" / "jupyter", "labextension", "list"],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    for ext, why in FRONT_ENDS.items():
        line = next((ln for ln in text.splitlines() if ln.strip().startswith(ext + " ")), None)
        assert line is not None, f"JupyterLab front-end {ext} missing ({why}):\n{text}"
        assert "enabled" in line and "OK" in line, line

    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file()) / 2**30
    report = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    print(f"Binder-equivalent environment: {size:.2f} GiB; {report}", file=sys.stderr)
    assert size < 4, f"the Binder environment is {size:.1f} GiB (a CUDA torch slipped in?)"
