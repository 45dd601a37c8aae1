"""Sphinx extension that writes radnb's generated documentation sources.

Run at ``builder-inited``, before Sphinx reads any source, it writes four git-ignored
folders inside ``docs/``:

``guide/``
    The user-guide section: a toctree of every ``docs/*.md`` page (today's guides stay
    where they are and are the source; a new page appears without editing the docs).
``api/``
    The API reference: one page per public module (every module of the ``radnb``
    package whose dotted name has no component starting with ``_``) listing each name
    of its ``__all__``, and one page per object at its canonical place (the module that
    defines it, or the public module closest to the private module that does). A new
    module with an ``__all__`` appears without editing the docs.
``notebooks/``
    Copies of ``notebooks/*.ipynb``. When the test run saved an executed copy (see
    ``tests/test_notebooks.py``; folder ``$RADNB_EXECUTED_DIR``, default
    ``docs/_executed``) whose code cells match the current notebook, its outputs are
    used and nothing is executed (markdown cells come from the current notebook);
    otherwise the notebook is marked for execution at build time (myst-nb,
    per-notebook ``execution_mode = "force"``), unless
    ``RADNB_DOCS_EXECUTE=0`` (quick builds while writing docs: shown without outputs).
``screenshots/``
    One page per widget class of ``radnb.widgets`` with the PNG screenshots the browser
    tests saved in ``$RADNB_SCREENSHOTS`` (default ``docs/_screenshots``), matched by
    the words of the file name.

At ``build-finished`` it checks that no HTML page loads a script or stylesheet from the
network (the site must open from disk, offline) and warns otherwise (an error under
``-W``).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
import types
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
PACKAGE = "radnb"
#: Generated folders (git-ignored), relative to docs/.
GENERATED = ("guide", "api", "notebooks", "screenshots")
#: User-guide pages in reading order; any other docs/*.md follows alphabetically.
GUIDE_ORDER = ["datasets", "radiomics", "habitat", "deep", "study", "evaluation", "survival"]


def _write(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (keeps incremental builds)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _heading(title: str, char: str = "=") -> str:
    return f"{title}\n{char * len(title)}\n"


# --------------------------------------------------------------------------- API


def public_modules(package: str = PACKAGE) -> dict[str, types.ModuleType]:
    """Import every public module of ``package`` (no dotted component starts with ``_``)."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    modules = {}
    for name in sorted(names):
        modules[name] = importlib.import_module(name)
    return modules


def _exports(module: types.ModuleType) -> list[str]:
    return list(getattr(module, "__all__", ()))


def _kind(obj) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, type):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        n += 1
    return n


def canonical_places(modules: dict[str, types.ModuleType]) -> dict[tuple[str, str], str]:
    """Map each ``(module, name)`` of an ``__all__`` to the module that documents it.

    A function or class is documented once: in the module that defines it when that
    module is public and exports it, otherwise in the exporting public module closest to
    its defining module (deepest first). Data is documented where it is exported,
    once per object.
    """
    exporters: dict[object, list[tuple[str, str]]] = {}
    keys: dict[tuple[str, str], object] = {}
    for modname, module in modules.items():
        for name in _exports(module):
            obj = getattr(module, name)
            if _kind(obj) == "module":
                key = ("module", obj.__name__)
            elif _kind(obj) == "data":
                key = ("data", id(obj), name)
            else:
                key = ("obj", getattr(obj, "__module__", ""), getattr(obj, "__qualname__", name))
            keys[(modname, name)] = key
            exporters.setdefault(key, []).append((modname, name))
    place = {}
    for key, where in exporters.items():
        if key[0] == "module":
            home = (key[1], "")
        else:
            origin = key[1] if key[0] == "obj" else ""
            home = max(
                where,
                key=lambda mn, origin=origin: (
                    mn[0] == origin,
                    _common_prefix(mn[0], origin),
                    mn[0].count("."),
                    [-ord(c) for c in mn[0]],
                ),
            )
        for mn in where:
            place[mn] = home
    return place


def _object_page(modname: str, name: str, kind: str) -> str:
    lines = [_heading(name), f".. currentmodule:: {modname}\n"]
    if kind == "class":
        lines.append(f".. autoclass:: {name}\n   :members:\n   :show-inheritance:\n")
    elif kind == "exception":
        lines.append(f".. autoexception:: {name}\n   :show-inheritance:\n")
    elif kind == "function":
        lines.append(f".. autofunction:: {name}\n")
    else:
        lines.append(f".. autodata:: {name}\n   :no-value:\n")
    return "\n".join(lines)


def generate_api(out: Path) -> list[str]:
    """Write the API reference under ``out``; return the module names documented."""
    modules = public_modules()
    place = canonical_places(modules)
    written = set()
    for modname, module in modules.items():
        entries, own = [], []
        for name in _exports(module):
            home_mod, home_name = place[(modname, name)]
            obj = getattr(module, name)
            if home_name == "":  # a submodule: link to its page
                entries.append(home_mod.removeprefix(f"{modname}."))
                continue
            full = f"{home_mod}.{home_name}"
            entries.append("~" + full.removeprefix(f"{modname}."))
            if home_mod == modname and name not in own:
                own.append(name)
                _write(
                    out / "generated" / f"{modname}.{name}.rst",
                    _object_page(modname, name, _kind(obj)),
                )
                written.add(f"generated/{modname}.{name}.rst")
        page = [
            _heading(modname),
            f".. automodule:: {modname}\n",
            f".. currentmodule:: {modname}\n",
        ]
        if entries:
            page.append(_heading("Public names", "-"))
            page.append(".. autosummary::\n\n" + "".join(f"   {e}\n" for e in entries))
        children = [
            m.removeprefix(f"{modname}.")
            for m in modules
            if m.rpartition(".")[0] == modname and m.removeprefix(f"{modname}.") not in entries
        ]
        if children:
            page.append(_heading("Submodules", "-"))
            page.append(".. autosummary::\n\n" + "".join(f"   {c}\n" for c in children))
        if own:
            page.append(
                ".. toctree::\n   :hidden:\n\n"
                + "".join(f"   generated/{modname}.{n}\n" for n in own)
            )
        _write(out / f"{modname}.rst", "\n".join(page))
        written.add(f"{modname}.rst")
    index = [
        _heading("API reference"),
        "Every public name of radnb: one page per module (the names of its ``__all__``)\n"
        "and one per function or class, generated from the docstrings.\n",
        ".. autosummary::\n\n" + "".join(f"   {m}\n" for m in modules),
        ".. toctree::\n   :hidden:\n\n" + "".join(f"   {m}\n" for m in modules),
    ]
    _write(out / "index.rst", "\n".join(index))
    written.add("index.rst")
    _prune(out, written)
    return list(modules)


def _prune(out: Path, keep: set[str]) -> None:
    """Remove generated files of names that no longer exist."""
    for path in out.rglob("*.rst"):
        if path.relative_to(out).as_posix() not in keep:
            path.unlink()


# -------------------------------------------------------------------- user guide


def generate_guide(out: Path) -> list[str]:
    """Write the user-guide section page: a toctree of every ``docs/*.md`` page."""
    stems = [p.stem for p in sorted(DOCS.glob("*.md")) if p.stem != "index"]
    rank = {s: i for i, s in enumerate(GUIDE_ORDER)}
    stems.sort(key=lambda s: (s == "ARCHITECTURE", rank.get(s, len(rank)), s.lower()))
    page = [
        _heading("User guide"),
        "One page per step, from the cohort to survival analysis; the architecture page\n"
        "says where each part lives in the code.\n",
        ".. toctree::\n   :maxdepth: 2\n\n" + "".join(f"   /{s}\n" for s in stems),
    ]
    _write(out / "index.rst", "\n".join(page))
    return stems


# --------------------------------------------------------------------- notebooks


def executed_dir() -> Path:
    """Folder where tests/test_notebooks.py saves executed notebooks."""
    return Path(os.environ.get("RADNB_EXECUTED_DIR") or DOCS / "_executed")


def _code(nb: dict) -> list[str]:
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


def _with_outputs(nb: dict, executed: dict) -> dict:
    """The current notebook (its markdown may be newer) with the executed outputs."""
    ran = iter(c for c in executed["cells"] if c["cell_type"] == "code")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            done = next(ran)
            cell["outputs"] = done.get("outputs", [])
            cell["execution_count"] = done.get("execution_count")
    if "widgets" in executed.get("metadata", {}):
        nb.setdefault("metadata", {})["widgets"] = executed["metadata"]["widgets"]
    return nb


def collect_notebooks(out: Path) -> list[str]:
    """Copy each notebook into ``out``: executed copy if current, else marked to run."""
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for src in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(src.read_text(encoding="utf-8"))
        done = executed_dir() / src.name
        executed = json.loads(done.read_text(encoding="utf-8")) if done.exists() else None
        if executed is not None and _code(executed) == _code(nb):
            nb = _with_outputs(nb, executed)
            logger.info(f"[radnb] {src.name}: outputs from {done}")
        elif os.environ.get("RADNB_DOCS_EXECUTE", "1") == "0":
            logger.info(f"[radnb] {src.name}: no current executed copy; shown WITHOUT outputs")
        else:
            why = "no executed copy" if executed is None else "executed copy is stale"
            logger.info(f"[radnb] {src.name}: {why} in {executed_dir()}; executing it")
            nb.setdefault("metadata", {})["mystnb"] = {"execution_mode": "force"}
        _write(out / src.name, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        names.append(src.stem)
    for old in out.glob("*.ipynb"):
        if old.stem not in names:
            old.unlink()
    page = [
        _heading("Notebooks"),
        "The quickstart and one worked study per design, shown with the outputs of the\n"
        "test run (``make test``). Studies S1-S5 run on SIMULATED cohorts and say so.\n",
        ".. toctree::\n   :maxdepth: 1\n\n" + "".join(f"   {n}\n" for n in names),
    ]
    _write(out / "index.rst", "\n".join(page))
    return names


# ------------------------------------------------------------------- screenshots


def screenshot_dir() -> Path:
    """Folder where the browser tests save screenshots (``$RADNB_SCREENSHOTS``)."""
    return Path(os.environ.get("RADNB_SCREENSHOTS") or DOCS / "_screenshots")


def _widget_classes() -> dict[str, str]:
    """Public widget classes of ``radnb.widgets``: name -> dotted path of its API page."""
    try:
        widgets = importlib.import_module(f"{PACKAGE}.widgets")
    except ImportError:
        return {}
    out = {}
    for name in getattr(widgets, "__all__", ()):
        obj = getattr(widgets, name)
        if isinstance(obj, type):
            module = obj.__module__
            public = not any(p.startswith("_") for p in module.split("."))
            out[name] = f"{module}.{name}" if public else f"{widgets.__name__}.{name}"
    return out


def _words(name: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+", name)}


def widget_of(stem: str, classes: list[str]) -> str:
    """The widget a screenshot shows: the class sharing most words with its file name."""
    tokens = stem.lower().split("_")

    def score(cls: str) -> tuple[int, int]:  # words shared, then the earliest one wins
        hits = [i for i, t in enumerate(tokens) if t in _words(cls)]
        return (len(hits), -min(hits, default=len(tokens)))

    best = max(classes, key=score, default="")
    return best if best and score(best)[0] else "Other"


def collect_screenshots(out: Path) -> dict[str, list[str]]:
    """Copy the browser tests' screenshots into ``out`` and write one page per widget.

    Each PNG goes to the page of the ``radnb.widgets`` class whose name shares most
    words with the file name, the earliest word breaking ties
    (``sim_viewer_canvas.png`` -> ``Viewer``, ``wizard_3_radiomics.png`` ->
    ``StudyWizard``); the rest to "Other".
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    classes = _widget_classes()
    groups: dict[str, list[str]] = {}
    src = screenshot_dir()
    for png in sorted(src.glob("*.png")) if src.is_dir() else []:
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", png.stem)
        groups.setdefault(widget_of(stem, list(classes)), []).append(stem)
        shutil.copyfile(png, out / f"{stem}.png")
    order = [c for c in classes if c in groups] + (["Other"] if "Other" in groups else [])
    for widget in order:
        body = [_heading(widget)]
        if widget in classes:
            body.append(f"API: :class:`{classes[widget]}`.\n")
        body.append(
            "Screenshots taken by the browser tests (``tests/browser/``) in headless "
            "Chromium against a real JupyterLab, offline.\n"
        )
        for shot in groups[widget]:
            title = shot.replace("_", " ")
            body.append(f"{title}\n{'-' * len(title)}\n\n.. image:: {shot}.png\n   :alt: {title}\n")
        _write(out / f"{widget.lower()}.rst", "\n".join(body))
    intro = [
        _heading("Widget screenshots"),
        "What radnb's widgets look like in JupyterLab, as captured by the browser tests.\n",
    ]
    if groups:
        intro.append(".. toctree::\n\n" + "".join(f"   {w.lower()}\n" for w in order))
    else:
        intro.append(
            f"No screenshots in this build: ``{src}`` holds none. Run the browser tests "
            "(``pytest tests/browser``) with ``RADNB_SCREENSHOTS`` pointing there, then "
            "rebuild.\n"
        )
    _write(out / "index.rst", "\n".join(intro))
    return groups


# ------------------------------------------------------------------ offline check

_REMOTE = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"'](https?:)?//", re.I)


def check_offline(app, exception) -> None:
    """Warn for every page that loads an asset from the network."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        for match in _REMOTE.finditer(page.read_text(encoding="utf-8", errors="replace")):
            tag = match.group(0)
            if match.group(1).lower() == "link" and "stylesheet" not in tag and "icon" not in tag:
                continue
            logger.warning(f"[radnb] {page.relative_to(app.outdir)} loads a remote asset: {tag}")


def generate(app) -> None:
    srcdir = Path(app.srcdir)
    generate_guide(srcdir / "guide")
    mods = generate_api(srcdir / "api")
    nbs = collect_notebooks(srcdir / "notebooks")
    shots = collect_screenshots(srcdir / "screenshots")
    logger.info(
        f"[radnb] API: {len(mods)} modules; notebooks: {len(nbs)}; "
        f"widget screenshot pages: {len(shots)}"
    )


def skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing methods (``set_*_request``)."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("autodoc-skip-member", skip_member)
    app.connect("build-finished", check_offline)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
