"""CohortBrowser: the cohort's table, its validation problems, a QA gallery and a Viewer.

A thin view over public calls: :meth:`Cohort.validate` gives the problems,
:meth:`CohortBrowser.filter` / :meth:`CohortBrowser.sort` give the rows shown,
:meth:`CohortBrowser.open` opens a patient in the :class:`~radnb.widgets.viewer.Viewer`
beside the table, :meth:`CohortBrowser.thumbnail` draws one QA thumbnail. Every
button calls one of them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from radnb.widgets._browser_widgets import _fmt

__all__ = ["CohortBrowser", "cohort_table"]

_STATUS_RANK = {"error": 0, "warning": 1, "ok": 2}
_STATUS_STYLE = {
    "error": "background:#fde0e0;color:#b00020",
    "warning": "background:#fff3cd;color:#8a6100",
    "ok": "color:#2e7d32",
}
_ALL = "(all)"


def cohort_table(
    cohort, problems: pd.DataFrame | None = None, *, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per patient: clinical columns, split, outcomes and validation status.

    Columns: the chosen clinical ``columns`` (default: split, declared outcomes, then
    up to six more), ``status`` (``"error"``, ``"warning"`` or ``"ok"``; the worst
    problem), ``n_errors``, ``n_warnings`` and ``problems`` (``check: message``
    joined by ``"; "``). Indexed by ``patient_id``.
    """
    clin = cohort.clinical
    if columns is None:
        first = [c for c in [cohort.split_column, *cohort.outcomes] if c]
        rest = [c for c in clin.columns if c not in first][: max(0, 8 - len(first))]
        columns = first + rest
    missing = [c for c in columns if c not in clin.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the clinical table")
    table = clin[list(columns)].copy()
    table["n_errors"] = 0
    table["n_warnings"] = 0
    table["problems"] = ""
    if problems is not None and len(problems):
        p = problems.assign(patient_id=problems["patient_id"].astype(str))
        p = p[p["patient_id"].isin(table.index)]
        counts = p.groupby(["patient_id", "severity"]).size().unstack(fill_value=0)
        for sev, col in (("error", "n_errors"), ("warning", "n_warnings")):
            if sev in counts:
                table[col] = counts[sev].reindex(table.index, fill_value=0).astype(int)
        text = (
            p.assign(t=p["check"] + ": " + p["message"]).groupby("patient_id")["t"].agg("; ".join)
        )
        table["problems"] = text.reindex(table.index).fillna("")
    table.insert(
        0,
        "status",
        [
            "error" if e else ("warning" if w else "ok")
            for e, w in zip(table["n_errors"], table["n_warnings"])
        ],
    )
    return table


class CohortBrowser:
    """The cohort in a table with filters, sorting, problems, a QA gallery and a Viewer.

    Parameters
    ----------
    cohort : Cohort
    problems : DataFrame, optional
        A :meth:`Cohort.validate` table; computed when ``None`` and ``validate``.
    validate : bool
        Run :meth:`Cohort.validate` when no ``problems`` are given.
    columns : clinical columns to show (default: split, outcomes, a few more).
    viewer : Viewer, optional
        The viewer that row clicks open patients in; by default one is created
        beside the table on the first click (``viewer_kws`` go to it).
    page_size, gallery_page_size : rows per table page, thumbnails per gallery page.
    thumb_size : thumbnail edge in pixels.

    Examples
    --------
    >>> import tempfile
    >>> from radnb import datasets
    >>> c = datasets.simulate("S1", n=6, root=tempfile.mkdtemp(), shape=(12, 24, 24))
    >>> b = CohortBrowser(c, page_size=4)
    >>> b.filter(split="train").index.tolist() == c.subset(split="train").patient_ids
    True
    >>> b.open(c.patient_ids[1], backend="slices").patient_id == c.patient_ids[1]
    True
    """

    def __init__(
        self,
        cohort,
        *,
        problems: pd.DataFrame | None = None,
        validate: bool = True,
        columns: Sequence[str] | None = None,
        viewer=None,
        viewer_kws: dict | None = None,
        page_size: int = 15,
        gallery_page_size: int = 24,
        thumb_size: int = 128,
    ) -> None:
        if problems is None and validate:
            problems = cohort.validate()
        self.cohort = cohort
        self.problems = problems
        self.table = cohort_table(cohort, problems, columns=columns)
        self.viewer = viewer
        self.viewer_kws = dict(viewer_kws or {})
        self.page_size = int(page_size)
        self.gallery_page_size = int(gallery_page_size)
        self.thumb_size = int(thumb_size)
        self.page = 0
        self.gallery_page = 0
        self.gallery_sequence = cohort.sequences[0] if cohort.sequences else None
        self._filters: dict[str, Any] = {
            "split": None,
            "outcome": None,
            "has_problem": None,
            "text": "",
        }
        self._sort: tuple[str | None, bool] = (None, True)
        self._thumbs: dict[tuple[str, str], tuple[bytes, str | None]] = {}
        self._own_viewer = viewer is None
        from radnb.widgets._browser_widgets import build

        build(self)

    # ------------------------------------------------------------------ model
    @property
    def outcome_column(self) -> str | None:
        outs = [c for c in self.cohort.outcomes if c in self.cohort.clinical.columns]
        return outs[0] if outs else None

    def filter(
        self,
        *,
        split: str | None = None,
        outcome: Any = None,
        has_problem: str | bool | None = None,
        text: str = "",
    ) -> pd.DataFrame:
        """Set the filters and return the rows shown (sorted).

        ``split``: a split value; ``outcome``: a value of the first declared outcome;
        ``has_problem``: ``True`` / ``"any"``, ``"error"``, ``"warning"``, ``False`` /
        ``"none"``; ``text``: case-insensitive search in every shown column and the
        patient ID. ``None`` or ``""`` means no filter.
        """
        if has_problem is True:
            has_problem = "any"
        elif has_problem is False:
            has_problem = "none"
        if has_problem not in (None, "any", "error", "warning", "none"):
            raise ValueError(
                f"has_problem must be any, error, warning or none, not {has_problem!r}"
            )
        self._filters = {
            "split": split,
            "outcome": outcome,
            "has_problem": has_problem,
            "text": text or "",
        }
        self.page = 0
        self._refresh()
        return self.rows()

    def sort(self, by: str | None, *, ascending: bool = True) -> pd.DataFrame:
        """Sort the shown rows by a column (``"status"``: errors first); returns them."""
        if by is not None and by not in self.table.columns and by != "patient_id":
            raise KeyError(
                f"cannot sort by {by!r}; columns are {['patient_id', *self.table.columns]}"
            )
        self._sort = (by, bool(ascending))
        self._refresh()
        return self.rows()

    def rows(self) -> pd.DataFrame:
        """The filtered, sorted table (all pages)."""
        t = self.table
        f = self._filters
        keep = pd.Series(True, index=t.index)
        splits = self.cohort.splits
        if f["split"] not in (None, _ALL) and splits is not None:
            keep &= (_fmt(splits.reindex(t.index)) == str(f["split"])).to_numpy()
        out = self.outcome_column
        if f["outcome"] not in (None, _ALL) and out:
            keep &= (
                _fmt(self.cohort.clinical[out].reindex(t.index)) == str(f["outcome"])
            ).to_numpy()
        hp = f["has_problem"]
        if hp == "any":
            keep &= t["status"] != "ok"
        elif hp in ("error", "warning"):
            keep &= t["status"] == hp
        elif hp == "none":
            keep &= t["status"] == "ok"
        if f["text"]:
            needle = f["text"].lower()
            hay = (
                t.astype(str).apply(lambda r: " ".join(r).lower(), axis=1)
                + " "
                + t.index.str.lower()
            )
            keep &= hay.str.contains(needle, regex=False)
        rows = t[keep.to_numpy()]
        by, asc = self._sort
        if by == "status":
            rows = rows.iloc[
                rows["status"].map(_STATUS_RANK).argsort(kind="stable")[:: 1 if asc else -1]
            ]
        elif by == "patient_id":
            rows = rows.sort_index(ascending=asc)
        elif by is not None:
            rows = rows.sort_values(by, ascending=asc, kind="stable", na_position="last")
        return rows

    def page_rows(self) -> pd.DataFrame:
        """The rows of the current table page."""
        start = self.page * self.page_size
        return self.rows().iloc[start : start + self.page_size]

    def n_pages(self, *, gallery: bool = False) -> int:
        n = len(self.rows())
        size = self.gallery_page_size if gallery else self.page_size
        return max(1, -(-n // size))

    def set_page(self, page: int, *, gallery: bool = False) -> None:
        """Go to a table (or gallery) page; clipped to the valid range."""
        page = min(max(int(page), 0), self.n_pages(gallery=gallery) - 1)
        if gallery:
            self.gallery_page = page
        else:
            self.page = page
        self._refresh()

    def gallery_ids(self) -> list[str]:
        """Patient IDs on the current gallery page (same filters and order as the table)."""
        ids = list(self.rows().index)
        start = self.gallery_page * self.gallery_page_size
        return ids[start : start + self.gallery_page_size]

    def set_gallery_sequence(self, sequence: str) -> None:
        """Show another sequence's thumbnails."""
        if sequence not in self.cohort.sequences:
            raise KeyError(f"sequence {sequence!r} not in {self.cohort.sequences}")
        self.gallery_sequence = sequence
        self._refresh()

    def thumbnail(self, patient_id: str, sequence: str | None = None) -> tuple[bytes, str | None]:
        """``(png, error)`` for one patient: its largest tumour slice with the mask
        contour, or an error tile and the reason when its image cannot be read."""
        from radnb.errors import RadnbError
        from radnb.widgets._browser_thumbs import error_thumbnail, thumbnail_png

        seq = sequence or self.gallery_sequence
        key = (str(patient_id), seq)
        if key not in self._thumbs:
            try:
                image = self.cohort.image(patient_id, seq)
                try:
                    mask = self.cohort.mask(patient_id, seq)
                except (RadnbError, RuntimeError, OSError, KeyError):
                    mask = None
                self._thumbs[key] = (thumbnail_png(image, mask, size=self.thumb_size), None)
            except (RadnbError, RuntimeError, OSError) as exc:
                self._thumbs[key] = (error_thumbnail(str(exc), size=self.thumb_size), str(exc))
        return self._thumbs[key]

    def open(self, patient_id: str, **viewer_kws: Any):
        """Open a patient in the viewer beside the table (created on first use).

        Returns the Viewer. A broken patient opens too: the viewer shows why.
        """
        from radnb.widgets.viewer import Viewer

        pid = str(patient_id)
        if pid not in self.cohort:
            raise KeyError(f"patient {pid!r} is not in the cohort")
        if self.viewer is None:
            kws = {**self.viewer_kws, **viewer_kws}
            self.viewer = Viewer(self.cohort, pid, problems=self.problems, **kws)
            self._own_viewer = True
        else:
            if self.viewer.problems is None:
                self.viewer.problems = self.problems
            self.viewer.show_patient(pid)
        self.selected = pid
        self._refresh()
        return self.viewer

    selected: str | None = None

    # ------------------------------------------------------------------ display
    def _refresh(self) -> None:
        from radnb.widgets._browser_widgets import refresh

        refresh(self)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        n_err = int((self.table["status"] == "error").sum())
        return (
            f"<CohortBrowser {self.cohort.name!r}: {len(self.table)} patients, {n_err} with errors>"
        )

    @staticmethod
    def status_html(status: str) -> str:
        """The coloured status cell of the table."""
        return f"<span class='radnb-status radnb-{status}' style='{_STATUS_STYLE[status]};padding:0 4px'>{html.escape(status)}</span>"
