"""Shared pieces of the step widgets: messages, figures, code, exports, background runs.

Every piece is a plain object holding its state (testable without a browser) plus
the ipywidgets that show it. Nothing here keeps module-level state.
"""

from __future__ import annotations

import contextlib
import html
import io
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError

__all__ = [
    "BackgroundRun",
    "CodeLog",
    "ExportBar",
    "FigureView",
    "MessageArea",
    "export_figures",
    "export_tables",
    "table_html",
]

TRAINING_NOTE = "Fitted on the training cohort only; other cohorts are only scored."


class MessageArea:
    """A visible message area: radnb errors as one readable line, never a traceback.

    ``messages`` keeps ``(level, text)`` pairs for tests and the log.

    Examples
    --------
    >>> m = MessageArea()
    >>> with m.catching("fit"):
    ...     raise RadnbError("patient P1: mask empty (file m.nii.gz)")
    >>> m.messages[-1]
    ('error', 'fit: patient P1: mask empty (file m.nii.gz)')
    """

    _COLOURS = {"info": "#0b5394", "warning": "#b45f06", "error": "#990000", "ok": "#38761d"}

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.widget = W.HTML(layout=W.Layout(min_height="1.5em"))

    def show(self, text: str, level: str = "info") -> None:
        """Add one message (``info``, ``ok``, ``warning`` or ``error``)."""
        self.messages.append((level, text))
        rows = self.messages[-6:]
        self.widget.value = "<br>".join(
            f'<span style="color:{self._COLOURS.get(lv, "black")}">{html.escape(t)}</span>'
            for lv, t in rows
        )

    def clear(self) -> None:
        self.messages.clear()
        self.widget.value = ""

    @property
    def errors(self) -> list[str]:
        return [t for lv, t in self.messages if lv == "error"]

    def error(self, exc: BaseException, what: str | None = None) -> None:
        """Show an exception as a message: radnb errors verbatim, others with their type."""
        text = (
            str(exc)
            if isinstance(exc, RadnbError | ValueError | KeyError)
            else (f"{type(exc).__name__}: {exc}")
        )
        self.show(f"{what}: {text}" if what else text, "error")

    @contextlib.contextmanager
    def catching(self, what: str | None = None) -> Iterator[None]:
        """Run a block; an exception becomes a message instead of a traceback."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - shown to the user, not raised
            self.error(exc, what)


class CodeLog:
    """The exact radnb calls a widget ran, in order, copyable into a cell.

    Examples
    --------
    >>> log = CodeLog(["import radnb as rn"])
    >>> log.add("cohort", "cohort = rn.datasets.simulate('S1')")
    >>> print(log.code)
    import radnb as rn
    <BLANKLINE>
    # cohort
    cohort = rn.datasets.simulate('S1')
    """

    def __init__(self, header: list[str] | None = None) -> None:
        self.header = list(header or [])
        self.steps: dict[str, str] = {}
        self.text = W.Textarea(layout=W.Layout(width="100%", height="14em"))
        self.widget = W.Accordion([self.text], titles=("Show the code",))
        self.widget.selected_index = None

    def add(self, step: str, code: str) -> None:
        """Record (or replace) the code of one step; later steps keep their order."""
        self.steps[step] = code.strip()
        self.text.value = self.code

    def drop_after(self, step: str) -> None:
        """Forget the code of every step recorded after ``step``."""
        keys = list(self.steps)
        if step in keys:
            for k in keys[keys.index(step) + 1 :]:
                del self.steps[k]
        self.text.value = self.code

    @property
    def code(self) -> str:
        parts = ["\n".join(self.header)] if self.header else []
        parts += [f"# {k}\n{v}" for k, v in self.steps.items()]
        return "\n\n".join(parts)


class FigureView:
    """A matplotlib Figure shown as a PNG image; redraw only what changed.

    The Figure is created without pyplot (no global state, nothing to close) on an
    Agg canvas. :meth:`draw` renders everything; artists registered with
    :meth:`animate` (markers that follow a slider) are left out of that render and
    drawn on top of the saved background by :meth:`update`, which costs a few
    milliseconds instead of a full render. ``n_draws`` / ``n_updates`` count both,
    so a test can check what was redrawn. Exported figures leave animated artists
    out (they follow the slider, not the paper).

    ``interactive=True`` shows the figure on an ipympl canvas instead (clicks reach
    matplotlib's ``button_press_event``: the linked views), when ipympl is installed;
    without it the PNG stays (``interactive`` then reads False).
    """

    def __init__(
        self, figsize: tuple[float, float] = (5.0, 4.0), *, dpi: int = 80, interactive: bool = False
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figsize = figsize
        self.dpi = dpi
        self.fig = Figure(figsize=figsize, dpi=dpi, constrained_layout=True)
        self.image = W.Image(format="png")
        self.interactive = False
        if interactive:
            try:
                from ipympl.backend_nbagg import Canvas, FigureManager
            except ImportError:
                pass
            else:
                self.canvas = Canvas(self.fig)
                self.manager = FigureManager(self.canvas, 0)  # not registered with pyplot
                self.canvas.header_visible = False
                self.interactive = True
        if not self.interactive:
            self.canvas = FigureCanvasAgg(self.fig)
        self.widget = self.canvas if self.interactive else self.image
        self.n_draws = 0
        self.n_updates = 0
        self._animated: list = []
        self._background = None

    def clear(self, figsize: tuple[float, float] | None = None):
        """Empty the figure (optionally resize) and return it."""
        self.fig.clear()
        self.fig.set_layout_engine("constrained")
        self._animated, self._background = [], None
        if figsize is not None:
            self.fig.set_size_inches(*figsize)
        return self.fig

    def axes(self, nrows: int = 1, ncols: int = 1, **kws) -> list:
        self.clear(kws.pop("figsize", None))
        axs = self.fig.subplots(nrows, ncols, squeeze=False, **kws)
        return list(axs.ravel())

    def reuse_axes(self) -> list:
        """The same axes, emptied, with the layout of the last render kept.

        Redrawing curves on a fixed layout skips constrained layout (the slowest
        part of a render); use :meth:`axes` when the panels themselves change.
        """
        if self._background is not None:
            self.fig.set_layout_engine("none")
        for ax in self.fig.axes:  # remove the data artists, keep the axes and their ticks
            for a in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]:
                a.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            ax.relim()
            ax.set_autoscale_on(True)
        self._animated = []
        return list(self.fig.axes)

    def animate(self, *artists):
        """Mark artists as moving: :meth:`update` redraws only them."""
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)
        return artists[0] if len(artists) == 1 else artists

    def draw(self) -> None:
        """Render the whole figure (layout included)."""
        self.fig.set_dpi(self.dpi)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.n_draws += 1
        self._blit()

    def update(self) -> None:
        """Redraw the animated artists over the last full render."""
        if self._background is None:
            self.draw()
            return
        self.canvas.restore_region(self._background)
        self.n_updates += 1
        self._blit()

    def _blit(self) -> None:
        from PIL import Image

        for a in self._animated:
            self.fig.draw_artist(a)
        if self.interactive:  # ipympl sends the Agg buffer as it is now
            self.canvas.blit(self.fig.bbox)
            return
        rgba = np.asarray(self.canvas.buffer_rgba())
        buf = io.BytesIO()
        Image.fromarray(rgba).save(buf, format="png", compress_level=1)
        width = str(rgba.shape[1])  # natural size: a flex box must not stretch the plot
        if self.image.width != width:
            self.image.width = width
        self.image.value = buf.getvalue()


def table_html(df: pd.DataFrame, *, max_rows: int = 60, digits: int = 3) -> str:
    """A DataFrame as compact HTML for an ``ipywidgets.HTML``."""
    if df is None or len(df) == 0:
        return "<i>(empty)</i>"
    shown = df.head(max_rows)
    out = shown.to_html(float_format=lambda v: f"{v:.{digits}g}", border=0, na_rep="")
    if len(df) > max_rows:
        out += f"<i>... {len(df) - max_rows} more rows</i>"
    return f'<div style="max-height:22em;overflow:auto;font-size:85%">{out}</div>'


def export_figures(
    figures: Mapping[str, Any], folder: str | Path, *, formats=("png", "svg"), dpi: int = 300
) -> list[Path]:
    """Write each figure as PNG and SVG at ``dpi`` through :func:`radnb.plots.savefig`."""
    from radnb.plots import savefig

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        savefig(fig, folder / f"{name}.{ext}", dpi=dpi)
        for name, fig in figures.items()
        for ext in formats
    ]


def export_tables(
    tables: Mapping[str, pd.DataFrame], folder: str | Path, *, formats=("csv", "xlsx", "tex")
) -> list[Path]:
    """Write each table as CSV, Excel and LaTeX; returns the paths written.

    Examples
    --------
    >>> import tempfile
    >>> paths = export_tables({"t": pd.DataFrame({"a": [1.5]})}, tempfile.mkdtemp())
    >>> sorted(p.suffix for p in paths)
    ['.csv', '.tex', '.xlsx']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, df in tables.items():
        for ext in formats:
            path = folder / f"{name}.{ext}"
            if ext == "csv":
                df.to_csv(path)
            elif ext == "xlsx":
                df.to_excel(path)
            elif ext == "tex":
                path.write_text(df.to_latex(float_format="%.3f"), encoding="utf-8")
            else:
                raise InvalidParameterError(f"unknown table format {ext!r}; use csv, xlsx or tex")
            out.append(path)
    return out


class ExportBar:
    """Two buttons: figures (PNG + SVG, 300 dpi) and tables (CSV, Excel, LaTeX)."""

    def __init__(
        self,
        figures: Callable[[], Mapping[str, Any]],
        tables: Callable[[], Mapping[str, pd.DataFrame]],
        folder: str | Path,
        messages: MessageArea,
    ) -> None:
        self.get_figures, self.get_tables = figures, tables
        self.folder = Path(folder)
        self.messages = messages
        self.written: list[Path] = []
        self.figures_button = W.Button(description="Export figures", icon="image")
        self.tables_button = W.Button(description="Export tables", icon="table")
        self.figures_button.on_click(lambda _: self.export_figures())
        self.tables_button.on_click(lambda _: self.export_tables())
        self.widget = W.HBox([self.figures_button, self.tables_button])

    def export_figures(self) -> list[Path]:
        with self.messages.catching("export figures"):
            paths = export_figures(self.get_figures(), self.folder)
            self.written += paths
            self.messages.show(f"{len(paths)} figure files written to {self.folder}", "ok")
            return paths
        return []

    def export_tables(self) -> list[Path]:
        with self.messages.catching("export tables"):
            paths = export_tables(self.get_tables(), self.folder)
            self.written += paths
            self.messages.show(f"{len(paths)} table files written to {self.folder}", "ok")
            return paths
        return []


class BackgroundRun:
    """Run a chunked job in a thread with a progress bar and a Cancel button.

    ``job(cancelled, step)`` does the work; it calls ``step(done, total, text)``
    after each chunk and returns early when ``cancelled()`` is true. The
    notebook stays responsive while it runs; ``wait()`` joins the thread
    (tests, scripts). ``background=False`` runs in the calling thread.
    """

    def __init__(self, messages: MessageArea) -> None:
        self.messages = messages
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="40%"))
        self.label = W.Label("")
        self.cancel_button = W.Button(description="Cancel", icon="stop", disabled=True)
        self.cancel_button.on_click(lambda _: self.cancel())
        self.widget = W.HBox([self.progress, self.label, self.cancel_button])
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = "idle"  # idle, running, cancelled, done, failed
        self.result: Any = None
        self.seconds = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def cancel(self) -> None:
        """Ask the job to stop after its current chunk."""
        self._cancel.set()
        self.label.value = "cancelling after the current patient..."

    def start(
        self,
        job: Callable[[Callable[[], bool], Callable[[int, int, str], None]], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        background: bool = True,
        what: str = "run",
    ) -> None:
        if self.running:
            self.messages.show(f"{what}: already running", "warning")
            return
        self._cancel.clear()
        self.state, self.result = "running", None
        self.cancel_button.disabled = False
        t0 = time.perf_counter()

        def step(done: int, total: int, text: str = "") -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done
            self.label.value = f"{done}/{total} {text}".strip()

        def body() -> None:
            try:
                self.result = job(self._cancel.is_set, step)
                self.state = "cancelled" if self._cancel.is_set() else "done"
                if on_done is not None:
                    on_done(self.result)
            except Exception as exc:  # noqa: BLE001 - shown, never a traceback
                self.state = "failed"
                self.messages.error(exc, what)
            finally:
                self.seconds = time.perf_counter() - t0
                self.cancel_button.disabled = True
                if self.state == "cancelled":
                    self.label.value += " (cancelled; run again to resume from the cache)"

        if background:
            self._thread = threading.Thread(target=body, daemon=True, name=f"radnb-{what}")
            self._thread.start()
        else:
            self._thread = None
            body()

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the job ends; return its result."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result


def choose_cohort_ids(cohort, split_value: Any) -> list[str]:
    """Patient IDs of one split value of a Cohort (all patients if it has no split)."""
    splits = cohort.splits
    if splits is None:
        return list(cohort.patient_ids)
    return [p for p in cohort.patient_ids if splits.get(p) == split_value]


def open_selected_patient(w: Any) -> Any:
    """Open ``w.patients.value`` in ``w.viewer`` (created on first use) and show it.

    The linked view of the widgets with a patient list (ModelBoard,
    SurvivalExplorer): ``w`` has ``patients``, ``cohort_data``, ``viewer``,
    ``viewer_backend``, ``viewer_box`` and ``messages``. Returns the Viewer, or
    None (with a message) when no patient is selected, no cohort was given, or
    the patient cannot be shown.
    """
    pid = w.patients.value
    if pid is None:
        w.messages.show("select a patient first", "warning")
        return None
    if w.cohort_data is None:
        w.messages.show("pass cohort_data= to open patients in the viewer", "warning")
        return None
    with w.messages.catching(f"viewer, patient {pid}"):
        w.viewer = open_patient(w.viewer, w.cohort_data, pid, backend=w.viewer_backend)
        w.viewer_box.children = (w.viewer.widget,)
        return w.viewer
    return None


def open_patient(
    viewer: Any, cohort: Any, pid: str, *, habitats: Any = None, backend: str = "niivue"
) -> Any:
    """Show ``pid`` (and its habitat map) in a :class:`~radnb.widgets.viewer.Viewer`.

    The Viewer is created on first use (``viewer=None``) and reused after that;
    returns it. This is the linked view of every step widget.
    """
    if viewer is None:
        from radnb.widgets.viewer import Viewer

        viewer = Viewer(cohort, pid, backend=backend)
    else:
        viewer.show_patient(pid)
    if habitats is not None:
        viewer.add_habitats(habitats)
    return viewer
