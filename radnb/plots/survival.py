"""Survival plots: Kaplan-Meier with numbers at risk, forest plots, calibration.

Each function takes ``ax=None`` and returns the Axes it drew on; statistics come
from :mod:`radnb.evaluate.survival`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError
from radnb.plots.style import PALETTE, get_ax, style_ax

__all__ = [
    "forest_plot",
    "km_plot",
    "plot_forest",
    "plot_km",
    "plot_survival_calibration",
    "plot_treatment_by_risk",
]


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def plot_km(
    time,
    event,
    groups=None,
    *,
    data=None,
    ax=None,
    conf_int: bool = True,
    conf_type: str = "log",
    level: float = 0.95,
    at_risk: bool = True,
    at_risk_times=None,
    pvalue: bool = True,
    censor_marks: bool = True,
    palette=None,
    xlabel: str | None = None,
    ylabel: str = "Survival probability",
    title: str | None = None,
    legend_loc: str = "lower left",
):
    """Kaplan-Meier curves with confidence bands, numbers at risk and log-rank p.

    Parameters
    ----------
    time, event, groups : arrays, or column names when ``data`` is given
        (a DataFrame, or a Cohort whose ``.clinical`` table is used).
    conf_int, conf_type, level : shaded pointwise CI (R ``survfit`` types).
    at_risk : draw the numbers at risk under the x axis at ``at_risk_times``
        (default: the major x ticks).
    pvalue : write the overall log-rank p (R ``survdiff``) on the plot.
    xlabel : default the time column's name when ``data`` is given, else "Time".

    Each numbers-at-risk row is labelled with its group (in its colour) at
    the left of the axis.

    Returns
    -------
    matplotlib Axes.

    Examples
    --------
    >>> ax = plot_km([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 1], ["a", "a", "a", "b", "b", "b"])
    >>> len(ax.lines) >= 2
    True
    """
    from radnb.evaluate import survival as sv
    from radnb.evaluate.survival import n_at_risk

    if xlabel is None:
        xlabel = str(time) if data is not None and isinstance(time, str) else "Time"
    if data is not None:
        table = getattr(data, "clinical", data)
        if not isinstance(table, pd.DataFrame):
            raise InvalidParameterError("data must be a DataFrame or a Cohort")
        cols = [time, event] + ([groups] if groups is not None else [])
        table = table.dropna(subset=cols)
        time, event = table[time].to_numpy(), table[event].to_numpy()
        groups = table[groups] if groups is not None else None
    t = np.asarray(time, dtype=float)
    km = sv.kaplan_meier(t, event, groups, conf_type=conf_type, level=level)
    if groups is None:
        cats = pd.Categorical(np.repeat("all", t.size))
    elif isinstance(groups, pd.Categorical) or isinstance(
        getattr(groups, "dtype", None), pd.CategoricalDtype
    ):
        cats = pd.Categorical(groups).remove_unused_categories()
    else:
        cats = pd.Categorical(np.asarray(groups))
    colors = list(palette or PALETTE)
    ax = get_ax(ax, figsize=(6.0, 5.0))
    for k, g in enumerate(cats.categories):
        cur = km[km["group"] == g]
        col = colors[k % len(colors)]
        xs = np.r_[0.0, cur["time"].to_numpy()]
        ys = np.r_[1.0, cur["survival"].to_numpy()]
        label = None if groups is None else f"{g} (n={int((np.asarray(cats) == g).sum())})"
        ax.step(xs, ys, where="post", color=col, lw=1.8, label=label)
        if conf_int:
            lo = np.r_[1.0, cur["lower"].to_numpy()]
            hi = np.r_[1.0, cur["upper"].to_numpy()]
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(xs[ok], lo[ok], hi[ok], step="post", color=col, alpha=0.15, lw=0)
        if censor_marks:
            cm = cur[cur["n_censor"] > 0]
            ax.plot(cm["time"], cm["survival"], "|", color=col, ms=7, mew=1.2)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    style_ax(ax, title=title)
    if groups is not None:
        ax.legend(loc=legend_loc, frameon=False, fontsize=9)
        if pvalue and len(cats.categories) > 1:
            p = sv.logrank_test(t, event, cats)["p"]
            ax.text(
                0.97,
                0.95,
                f"Log-rank {_fmt_p(p)}",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=10,
            )
    if at_risk:
        ticks = at_risk_times
        if ticks is None:
            ticks = [x for x in ax.get_xticks() if ax.get_xlim()[0] <= x <= ax.get_xlim()[1]]
        ticks = np.asarray(ticks, dtype=float)
        if at_risk_times is not None:  # the axis ticks follow the at-risk columns
            ax.set_xticks(ticks)
        trans = ax.get_xaxis_transform()
        ax.text(
            0,
            -0.2,
            "Number at risk",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=9,
            fontweight="bold",
        )
        for k, g in enumerate(cats.categories):
            m = np.asarray(cats) == g
            counts = n_at_risk(t[m], ticks)
            y = -0.27 - 0.07 * k
            ax.text(
                -0.02,
                y,
                "All" if groups is None else str(g),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=9,
                color=colors[k % len(colors)],
                gid="at_risk_label",
            )
            for x, c in zip(ticks, counts):
                ax.text(
                    x,
                    y,
                    str(int(c)),
                    transform=trans,
                    ha="center",
                    va="top",
                    fontsize=9,
                    color=colors[k % len(colors)],
                    gid="at_risk",
                )
    return ax


def _labels(table: pd.DataFrame) -> list[str]:
    if "label" in table.columns:
        return table["label"].astype(str).tolist()
    out = []
    for _, r in table.iterrows():
        if "risk_group" in table.columns and "comparison" in table.columns:
            out.append(f"{r['risk_group']}: {r['comparison']}")
        elif "covariate" in table.columns:
            lev = f" ({r['level']})" if str(r.get("level", "")) else ""
            out.append(f"{r['covariate']}{lev}")
        elif "cohort" in table.columns:
            out.append(f"{r['cohort']}: {r.get('comparison', '')}")
        else:
            out.append(str(_))
    return out


def plot_forest(
    table: pd.DataFrame,
    *,
    ax=None,
    hr: str = "hr",
    lower: str = "lower",
    upper: str = "upper",
    p: str = "p",
    annotate: bool = True,
    log_scale: bool = True,
    color=None,
    xlabel: str = "Hazard ratio (95% CI)",
    title: str | None = None,
):
    """Forest plot of hazard ratios (a :func:`cox_table`, :func:`hr_by_cohort` or
    ``treatment_by_risk(...).table``).

    Rows are labelled from the table's columns; HR (CI) and p are written at the
    right. Returns the Axes.

    Examples
    --------
    >>> tab = pd.DataFrame({"covariate": ["age", "sex"], "level": ["", "F vs M"],
    ...                     "hr": [1.1, 0.6], "lower": [1.0, 0.4], "upper": [1.2, 0.9],
    ...                     "p": [0.04, 0.01]})
    >>> ax = plot_forest(tab)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['age', 'sex (F vs M)']
    """
    tab = table.dropna(subset=[hr, lower, upper]).reset_index(drop=True)
    if tab.empty:
        raise RadnbError("no rows with a finite HR and CI to plot")
    labels = _labels(tab)
    # a table with several models (univariable / multivariable): one block each, headed
    headers: list[tuple[int, str]] = []
    if "model" in tab.columns and tab["model"].nunique() > 1:
        order = pd.unique(tab["model"])
        tab = tab.assign(_o=tab["model"].map({m: i for i, m in enumerate(order)}))
        tab = tab.sort_values("_o", kind="stable").drop(columns="_o")
        labels = [labels[i] for i in tab.index]
        tab = tab.reset_index(drop=True)
        slots, pos = [], 0
        for m in order:
            headers.append((pos, str(m).capitalize()))
            pos += 1
            slots += list(range(pos, pos + int((tab["model"] == m).sum())))
            pos += int((tab["model"] == m).sum())
        n_slots = pos
    else:
        slots, n_slots = list(range(len(tab))), len(tab)
    n = n_slots
    ax = get_ax(ax, figsize=(6.5, 0.45 * n + 1.2))
    y = (n - 1 - np.asarray(slots)).astype(float)
    col = color or PALETTE[0]
    ax.errorbar(
        tab[hr],
        y,
        xerr=[tab[hr] - tab[lower], tab[upper] - tab[hr]],
        fmt="s",
        color=col,
        ecolor=col,
        capsize=3,
        ms=5,
        lw=1.4,
    )
    ax.axvline(1.0, color="0.4", lw=0.9, ls="--")
    if log_scale:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        lo_x, hi_x = ax.get_xlim()
        coarse = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20, 50, 100)
        fine = sorted({*coarse, 0.4, 0.6, 0.8, 0.9, 1.1, 1.2, 1.25, 1.3, 1.4, 2.5, 4})
        nice = [v for v in coarse if lo_x <= v <= hi_x]
        if len(nice) < 3:  # a narrow range (HRs near 1): finer values, widened to 3+
            inside = [v for v in fine if lo_x <= v <= hi_x]
            below = [v for v in fine if v < lo_x][-1:]
            above = [v for v in fine if v > hi_x][:1]
            nice = below + inside + above if len(inside) < 3 else inside
            ax.set_xlim(min(nice + [lo_x]) / 1.03, max(nice + [hi_x]) * 1.03)
        if len(nice) >= 2:
            ax.set_xticks(nice)
        else:
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    for slot, text in headers:
        ax.text(
            0, n - 1 - slot, text, transform=ax.get_yaxis_transform(), ha="right",
            va="center", fontsize=9, fontweight="bold", gid="forest-header",
        )  # fmt: skip
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    style_ax(ax, title=title, grid=False)
    if annotate:
        trans = ax.get_yaxis_transform()
        for yi, (_, r) in zip(y, tab.iterrows()):
            txt = f"{r[hr]:.2f} ({r[lower]:.2f}-{r[upper]:.2f})"
            if p in tab.columns:
                txt += f"  {_fmt_p(r[p])}"
            ax.text(1.02, yi, txt, transform=trans, va="center", fontsize=8.5)
    return ax


def plot_treatment_by_risk(result, *, ax=None, title: str | None = None):
    """Forest plot of the treatment effect by risk group with the interaction p.

    ``result`` is a :class:`radnb.evaluate.survival.TreatmentByRisk`.

    Examples
    --------
    >>> from radnb.evaluate.survival import treatment_by_risk
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"t": rng.exponential(5, 80), "e": rng.integers(0, 2, 80),
    ...                    "arm": ["none", "single"] * 40, "risk": ["low"] * 40 + ["high"] * 40})
    >>> ax = plot_treatment_by_risk(treatment_by_risk(df, "t", "e", "arm", "risk"))
    >>> "interaction" in ax.get_title()
    True
    """
    i = result.interaction
    head = f"Treatment x risk interaction: LR {_fmt_p(i['p'])}"
    return plot_forest(result.table, ax=ax, title=f"{title}\n{head}" if title else head)


def plot_survival_calibration(cal: pd.DataFrame, *, ax=None, title: str | None = None):
    """Predicted versus observed (1 - KM) risk at a time point, with KM CIs.

    ``cal`` is the table from :func:`radnb.evaluate.survival.calibration_at`.

    Examples
    --------
    >>> cal = pd.DataFrame({"predicted": [0.1, 0.5], "observed": [0.12, 0.45],
    ...                     "lower": [0.05, 0.3], "upper": [0.2, 0.6]})
    >>> ax = plot_survival_calibration(cal)
    >>> ax.get_xlabel()
    'Predicted risk'
    """
    ax = get_ax(ax)
    ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=1)
    ax.errorbar(
        cal["predicted"],
        cal["observed"],
        yerr=[cal["observed"] - cal["lower"], cal["upper"] - cal["observed"]],
        fmt="o",
        color=PALETTE[0],
        capsize=3,
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Predicted risk")
    ax.set_ylabel("Observed risk (1 - Kaplan-Meier)")
    t = cal.attrs.get("time")
    style_ax(ax, title=title or (f"Calibration at t = {t:g}" if t is not None else None))
    return ax


def km_plot(*args, **kwargs):
    """Deprecated alias of :func:`plot_km`."""
    import warnings

    warnings.warn(
        "km_plot is deprecated; use radnb.plots.plot_km", DeprecationWarning, stacklevel=2
    )
    return plot_km(*args, **kwargs)


def forest_plot(*args, **kwargs):
    """Deprecated alias of :func:`plot_forest`."""
    import warnings

    msg = "forest_plot is deprecated; use radnb.plots.plot_forest"
    warnings.warn(msg, DeprecationWarning, stacklevel=2)
    return plot_forest(*args, **kwargs)
