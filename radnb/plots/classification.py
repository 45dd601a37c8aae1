"""Classification plots: ROC, calibration, decision curves, nomogram, LASSO, Rad score, heatmap.

Each function calls the public statistics function (``radnb.evaluate``) and
draws on ``ax`` (a new one when ``None``), returning it; the nomogram returns
its Figure. Export with :func:`radnb.plots.style.savefig` (300 dpi).

Examples
--------
>>> import numpy as np
>>> y = np.r_[np.zeros(30), np.ones(30)]
>>> s = y + np.random.default_rng(0).normal(size=60)
>>> ax = plot_roc(y, {"Rad score": s})
>>> ax.get_legend().get_texts()[0].get_text()[:14]
'Rad score: AUC'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from radnb.plots.style import PALETTE, get_ax, style_ax

__all__ = [
    "plot_roc",
    "plot_calibration",
    "plot_dca",
    "plot_nomogram",
    "nomogram_table",
    "plot_lasso_path",
    "plot_lasso_cv",
    "plot_score_box",
    "plot_waterfall",
    "plot_correlation_heatmap",
]


#: Legend on a white, nearly opaque box: curves under it stay visible around it,
#: and the text stays readable where it crosses them.
LEGEND_BOX = {"frameon": True, "facecolor": "white", "framealpha": 0.9, "edgecolor": "0.85"}


def _as_mapping(scores, name: str = "score") -> dict[str, np.ndarray]:
    if isinstance(scores, Mapping):
        return {str(k): np.asarray(v, dtype=float) for k, v in scores.items()}
    if isinstance(scores, pd.DataFrame):
        return {str(c): scores[c].to_numpy(dtype=float) for c in scores}
    label = getattr(scores, "name", None) or name
    return {str(label): np.asarray(scores, dtype=float)}


def _complete(y, s):
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y) & np.isfinite(s)
    return y[ok].astype(int), s[ok]


def _notes(ax, notes: Sequence[str]) -> None:
    """Add notes (e.g. an absent model) as text-only legend entries."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    for n in notes or ():
        handles.append(Line2D([], [], linestyle="none"))
        labels.append(n)
    if handles:
        ax.legend(handles, labels, loc="lower right", fontsize=8, **LEGEND_BOX)


def plot_roc(
    y,
    scores,
    *,
    directions: Mapping[str, str] | str | None = None,
    ax=None,
    title: str | None = None,
    level: float = 0.95,
    notes: Sequence[str] = (),
    colors: Sequence[str] | None = None,
):
    """ROC curves of several scores on one cohort, AUC (DeLong CI) in the legend.

    Parameters
    ----------
    y : array of 0/1
    scores : mapping name -> scores, a DataFrame, or one array/Series
    directions : mapping name -> "<" / ">" (fixed on training), one for all, or
        None for ``"auto"`` (pROC's rule).
    notes : extra legend lines, e.g. ``["Clinical: absent"]``.

    Examples
    --------
    >>> ax = plot_roc([0, 0, 1, 1], {"a": [0.1, 0.4, 0.35, 0.8]})
    >>> len(ax.lines)  # the curve and the chance diagonal
    2
    """
    from radnb.evaluate import auc_ci, roc_curve

    ax = get_ax(ax, figsize=(4.6, 4.4))
    colors = colors or PALETTE
    for i, (name, s) in enumerate(_as_mapping(scores).items()):
        d = (
            directions.get(name, "auto")
            if isinstance(directions, Mapping)
            else (directions or "auto")
        )
        yy, ss = _complete(y, s)
        roc = roc_curve(yy, ss, direction=d)
        auc, lo, hi = auc_ci(yy, ss, direction=d, level=level)
        ax.plot(
            1 - roc["specificity"],
            roc["sensitivity"],
            color=colors[i % len(colors)],
            lw=1.8,
            label=f"{name}: AUC {auc:.3f} ({lo:.3f}-{hi:.3f})",
        )
    ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1)
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        xlabel="1 - Specificity",
        ylabel="Sensitivity",
        aspect="equal",
    )
    style_ax(ax, title=title)
    _notes(ax, notes)
    return ax


def plot_calibration(
    y,
    probabilities,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
    smoother: str | None = "loess",
    ax=None,
    title: str | None = None,
    notes: Sequence[str] = (),
    colors: Sequence[str] | None = None,
):
    """Calibration plot: observed vs predicted risk, binned points and a lowess curve.

    Uses :func:`radnb.evaluate.calibration_curve` (quantile bins by default,
    lowess as ``rms::val.prob``); the legend gives each model's Brier score.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.linspace(0.05, 0.95, 40)
    >>> y = (np.random.default_rng(0).random(40) < p).astype(int)
    >>> ax = plot_calibration(y, {"m": p}, n_bins=4)
    >>> ax.get_xlabel()
    'Predicted probability'
    """
    from radnb.evaluate import brier_score, calibration_curve

    ax = get_ax(ax, figsize=(4.6, 4.4))
    colors = colors or PALETTE
    ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1, label="Ideal")
    for i, (name, p) in enumerate(_as_mapping(probabilities, "model").items()):
        yy, pp = _complete(y, p)
        c = colors[i % len(colors)]
        cal = calibration_curve(yy, pp, n_bins=n_bins, strategy=strategy, smoother=smoother)
        b = cal[cal["kind"] == "bin"]
        label = f"{name} (Brier {brier_score(yy, pp):.3f})"
        ax.plot(
            b["predicted"], b["observed"], "o", color=c, ms=4, label=None if smoother else label
        )
        sm = cal[cal["kind"] == "smooth"]
        if len(sm):
            ax.plot(sm["predicted"], sm["observed"], "-", color=c, lw=1.6, label=label)
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="Predicted probability",
        ylabel="Observed proportion",
        aspect="equal",
    )
    style_ax(ax, title=title)
    _notes(ax, notes)
    return ax


def plot_dca(
    y,
    probabilities,
    *,
    thresholds=None,
    ax=None,
    title: str | None = None,
    notes: Sequence[str] = (),
    colors: Sequence[str] | None = None,
    ylim: tuple[float, float] | None = None,
):
    """Decision curves (net benefit) with treat-all and treat-none (dcurves' layout).

    Examples
    --------
    >>> ax = plot_dca([0, 1, 0, 1, 1], {"m": [0.2, 0.7, 0.4, 0.9, 0.6]})
    >>> sorted(t.get_text() for t in ax.get_legend().get_texts())
    ['Treat all', 'Treat none', 'm']
    """
    from radnb.evaluate import decision_curve

    ax = get_ax(ax, figsize=(5.2, 4.2))
    colors = colors or PALETTE
    probs = _as_mapping(probabilities, "model")
    yy = np.asarray(y, dtype=float)
    ok = np.isfinite(yy) & np.all([np.isfinite(p) for p in probs.values()], axis=0)
    dc = decision_curve(yy[ok].astype(int), {k: v[ok] for k, v in probs.items()}, thresholds)
    ref = {"Treat all": ("0.55", "-"), "Treat none": ("0.1", "-")}
    names = list(probs)
    for name, g in dc.groupby("model", sort=False):
        if name in ref:
            color, ls = ref[name]
        else:
            color, ls = colors[names.index(name) % len(colors)], "-"
        ax.plot(
            g["threshold"],
            g["net_benefit"],
            ls=ls,
            color=color,
            lw=1.2 if name in ref else 1.8,
            label=name,
        )
    prev = yy[ok].mean() if ok.any() else 0.0
    ax.set_ylim(ylim or (-0.05, max(prev, dc["net_benefit"].max()) + 0.05))
    ax.set(xlabel="Threshold probability", ylabel="Net benefit")
    style_ax(ax, title=title)
    _notes(ax, notes)
    ax.get_legend().set_loc("upper right")
    return ax


def _nice_ticks(lo: float, hi: float, n: int = 6) -> np.ndarray:
    from matplotlib.ticker import MaxNLocator

    t = MaxNLocator(nbins=n).tick_values(lo, hi)
    return t[(t >= lo - 1e-9 * abs(hi - lo)) & (t <= hi + 1e-9 * abs(hi - lo))]


def nomogram_table(
    coef: pd.Series, intercept: float, data: pd.DataFrame, *, q: float | None = None
) -> pd.DataFrame:
    """Points of each predictor as ``rms::nomogram`` scales them.

    Each predictor ranges over the ``q`` to ``1 - q`` quantiles of the
    training data (``rms::datadist``'s default ``q = 10 / max(n, 200)``; a
    variable with two values uses both). The predictor with the widest range
    of ``coef * x`` gets 0-100 points; the others are scaled alike.

    Returns
    -------
    DataFrame
        One row per predictor: ``predictor, coef, low, high, min_lp,
        points_per_unit`` (``points = (coef * x - min_lp) * points_per_unit``).

    Examples
    --------
    >>> d = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [0.0, 1, 0, 1]})
    >>> t = nomogram_table(pd.Series({"a": 1.0, "b": -1.0}), 0.0, d)  # a: 0.15-2.85 (q = 0.05)
    >>> t.points_per_unit.round(2).tolist()
    [37.04, 37.04]
    """
    n = len(data)
    q = 10 / max(n, 200) if q is None else q
    rows = []
    for name, b in coef.items():
        x = data[name].dropna().to_numpy(dtype=float)
        if np.unique(x).size <= 2:
            lo, hi = float(x.min()), float(x.max())
        else:
            lo, hi = (float(v) for v in np.quantile(x, [q, 1 - q]))
        rows.append(
            {
                "predictor": name,
                "coef": float(b),
                "low": lo,
                "high": hi,
                "min_lp": min(b * lo, b * hi),
                "range_lp": abs(b) * (hi - lo),
            }
        )
    t = pd.DataFrame(rows)
    widest = t["range_lp"].max()
    t["points_per_unit"] = 100.0 / widest if widest > 0 else 0.0
    return t.drop(columns="range_lp")


def _readable(name: str) -> str:
    """``t_stage[Ta]`` -> ``t stage = Ta``; ``age_years`` -> ``age years``."""
    import re

    m = re.fullmatch(r"(.+)\[(.+)\]", str(name))
    if m:
        return f"{m.group(1).replace('_', ' ')} = {m.group(2)}"
    return str(name).replace("_", " ")


def _thin_overlapping(fig, rows: list[list]) -> None:
    """Remove tick labels (and their ticks) that overlap the previous kept one in a row.

    Measured on the drawn figure (after constrained layout), so what is left
    never overlaps; the first and the 0.5-risk labels are kept first.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for row in rows:
        kept = None
        for text, tick in sorted(row, key=lambda e: e[0].get_position()[0]):
            box = text.get_window_extent(renderer).expanded(1.15, 1.0)
            if kept is not None and box.x0 < kept.x1:
                text.remove()
                tick.remove()
                continue
            kept = box


def plot_nomogram(
    coef: pd.Series,
    intercept: float,
    data: pd.DataFrame,
    *,
    fig=None,
    ax=None,
    labels: Mapping[str, str] | None = None,
    levels: Mapping[str, Mapping[float, str]] | None = None,
    probabilities: Sequence[float] | None = None,
    q: float | None = None,
    title: str | None = None,
    risk_label: str = "Risk",
):
    """Nomogram of a logistic model, laid out as ``rms::nomogram``.

    Rows: a 0-100 ``Points`` scale; one axis per predictor (its points,
    see :func:`nomogram_table`); ``Total Points``; and the predicted
    probability (``risk_label``) at each total.

    Parameters
    ----------
    coef, intercept : logistic coefficients on the scale of ``data``.
    data : training design matrix (ranges of the predictors).
    labels : display names of predictors (default: readable names,
        ``t_stage[Ta]`` -> ``t stage = Ta``); ``levels``: tick labels per
        value (e.g. ``{"sex[M]": {0: "F", 1: "M"}}``; an indicator column
        ``name[level]`` shows ``no`` / ``yes`` by default).

    Integer variables get integer ticks, binary ones their two values, and
    tick labels that would overlap are thinned on the drawn figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> d = pd.DataFrame({"Rad score": np.linspace(-2, 2, 50), "T stage": np.r_[[0.0] * 25, [1.0] * 25]})
    >>> fig = plot_nomogram(pd.Series({"Rad score": 1.2, "T stage": 0.8}), -0.3, d)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Points', 'Rad score', 'T stage', 'Total Points', 'Risk']
    """
    from scipy.special import expit, logit

    labels = dict(labels or {})
    levels = dict(levels or {})
    t = nomogram_table(coef, intercept, data, q=q)
    if ax is None:
        import matplotlib.pyplot as plt

        if fig is None:
            fig = plt.figure(figsize=(7.5, 0.55 * (len(t) + 3) + 0.8), constrained_layout=True)
        ax = fig.add_subplot(111)
    fig = ax.figure
    ppu = float(t["points_per_unit"].iloc[0])
    rows: list[str] = []
    drawn: list[list] = []

    def axis(y, xs, texts, color="black"):
        ax.plot([min(xs), max(xs)], [y, y], color=color, lw=1)
        row = []
        for x, s in zip(xs, texts):
            (tick,) = ax.plot([x, x], [y, y + 0.12], color=color, lw=1)
            row.append((ax.text(x, y + 0.16, s, ha="center", va="bottom", fontsize=7), tick))
        drawn.append(row)

    y = 0.0
    pts = np.arange(0, 101, 10)
    axis(y, pts, [f"{v:g}" for v in pts])
    rows.append("Points")
    for r in t.itertuples():
        y -= 1
        x = data[r.predictor].dropna().to_numpy(dtype=float)
        lv = levels.get(r.predictor)
        if lv is not None:
            vals = np.asarray(sorted(lv), dtype=float)
            texts = [str(lv[v]) for v in sorted(lv)]
        elif np.unique(x).size <= 2:
            vals = np.unique(x)
            indicator = "[" in str(r.predictor) and set(vals) <= {0.0, 1.0}
            texts = [("yes" if v else "no") if indicator else f"{v:g}" for v in vals]
        else:
            vals = _nice_ticks(r.low, r.high)
            if np.allclose(x, np.round(x)):  # integer variable: integer ticks only
                from matplotlib.ticker import MaxNLocator

                vals = MaxNLocator(nbins=6, integer=True).tick_values(r.low, r.high)
                vals = vals[(vals >= r.low - 1e-9) & (vals <= r.high + 1e-9)]
                vals = vals if vals.size >= 2 else np.array([r.low, r.high])
            texts = [f"{v:g}" for v in vals]
        xs = (r.coef * vals - r.min_lp) * ppu
        axis(y, xs, texts)
        rows.append(labels.get(r.predictor, _readable(r.predictor)))
    total_max = float(
        ((t["coef"] * t["high"]).combine(t["coef"] * t["low"], max) - t["min_lp"]).sum() * ppu
    )
    total_max = total_max if total_max > 0 else 100.0
    scale = 100.0 / total_max
    y -= 1
    tt = _nice_ticks(0, total_max, 8)
    axis(y, tt * scale, [f"{v:g}" for v in tt])
    rows.append("Total Points")
    y -= 1
    lp0 = intercept + float(t["min_lp"].sum())
    lp_lo, lp_hi = lp0, lp0 + total_max / ppu if ppu > 0 else lp0
    probs = np.asarray(
        probabilities
        if probabilities is not None
        else [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
    )
    lps = logit(probs)
    inside = (lps >= lp_lo) & (lps <= lp_hi)
    if inside.sum() < 2:  # a narrow range: label its ends
        probs = expit(np.array([lp_lo, lp_hi]))
        lps, inside = np.array([lp_lo, lp_hi]), np.array([True, True])
    xs = (lps[inside] - lp0) * ppu * scale
    kept_p = probs[inside]
    if probabilities is None:  # default ticks: drop labels closer than 4 points to a kept one
        keep: list[int] = []
        for i in np.argsort(np.abs(kept_p - 0.5)):  # keep 0.5 first, then outwards
            if all(abs(xs[i] - xs[j]) >= 4.0 for j in keep):
                keep.append(i)
        keep = np.sort(keep)
        xs, kept_p = xs[keep], kept_p[keep]
    axis(y, xs, [f"{p:.2g}" for p in kept_p])
    rows.append(risk_label)
    ax.set_yticks(-np.arange(len(rows)), rows)
    ax.set_ylim(y - 0.5, 0.6)
    ax.set_xlim(-5, 105)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=11)
    _thin_overlapping(fig, drawn)
    return fig


def plot_lasso_path(selector, *, ax=None, top: int | None = 10, title: str | None = None):
    """LASSO coefficient paths against log(lambda), with lambda.min and lambda.1se.

    ``selector`` is a fitted :class:`radnb.select.LassoSelector`
    (coefficients on the standardised scale, as ``plot(glmnet)``); the
    ``top`` features with the largest coefficients at ``lambda_`` are labelled.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radnb.select import LassoSelector
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    >>> y = (X.a + rng.normal(size=60) > 0).astype(int)
    >>> ax = plot_lasso_path(LassoSelector(n_lambdas=20, cv=5).fit(X, y))
    >>> ax.get_xlabel()
    'log(lambda)'
    """
    ax = get_ax(ax, figsize=(5.2, 4.2))
    path = selector.coef_path_
    x = np.log(path.index.to_numpy())
    at = path.iloc[int(np.argmin(np.abs(path.index.to_numpy() - selector.lambda_)))].abs()
    ranked = list(at[at > 0].sort_values(ascending=False).index[: top or len(at)])
    colours = _distinct_colours(len(ranked))
    for f in path.columns:  # unnamed paths in grey, under the named ones
        if f not in ranked:
            ax.plot(x, path[f], lw=0.9, color="0.8", zorder=1)
    for f, c in zip(ranked, colours):
        ax.plot(x, path[f], lw=1.4, color=c, label=str(f), zorder=2)
    _lambda_lines(ax, selector)
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set(xlabel="log(lambda)", ylabel="Coefficient (standardised)")
    style_ax(ax, title=title)
    # outside the axes, to the right: never over the lines
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def _distinct_colours(n: int) -> list:
    """``n`` distinct colours: the Okabe-Ito palette, then tab20 (no repeats up to 28)."""
    import matplotlib

    base = list(PALETTE)
    if n <= len(base):
        return base[:n]
    extra = [matplotlib.colormaps["tab20"](i) for i in range(20)]
    out = base + extra
    if n > len(out):
        out += [matplotlib.colormaps["turbo"](v) for v in np.linspace(0, 1, n - len(out))]
    return out[:n]


def _lambda_lines(ax, selector):
    ax.axvline(np.log(selector.lambda_min_), ls="--", color="0.3", lw=1, label="lambda.min")
    ax.axvline(np.log(selector.lambda_1se_), ls=":", color="0.3", lw=1.2, label="lambda.1se")


def plot_lasso_cv(selector, *, ax=None, title: str | None = None):
    """Cross-validation curve of a fitted LassoSelector (as ``plot(cv.glmnet)``).

    Mean CV error (binomial deviance or AUC) +- 1 SE against log(lambda),
    vertical lines at lambda.min and lambda.1se, and the number of non-zero
    coefficients along the top axis.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radnb.select import LassoSelector
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    >>> y = (X.a + rng.normal(size=60) > 0).astype(int)
    >>> ax = plot_lasso_cv(LassoSelector(n_lambdas=20, cv=5).fit(X, y))
    >>> ax.get_ylabel()
    'Binomial deviance'
    """
    ax = get_ax(ax, figsize=(5.2, 4.2))
    cv = selector.cv_results_
    ax.errorbar(
        cv["log_lambda"],
        cv["mean"],
        yerr=cv["se"],
        fmt="o",
        ms=3,
        color=PALETTE[1],
        ecolor="0.6",
        elinewidth=0.8,
        capsize=1.5,
        label="CV mean ± SE",
    )
    _lambda_lines(ax, selector)
    ax.set(
        xlabel="log(lambda)",
        ylabel="Binomial deviance" if selector.scoring == "deviance" else "AUC",
    )
    top = ax.twiny()
    top.set_xlim(ax.get_xlim())
    idx = np.linspace(0, len(cv) - 1, min(8, len(cv))).round().astype(int)
    top.set_xticks(
        cv["log_lambda"].to_numpy()[idx], [str(v) for v in cv["n_nonzero"].to_numpy()[idx]]
    )
    top.tick_params(labelsize=7)
    for side in ("right",):
        top.spines[side].set_visible(False)
    style_ax(ax, title=title)
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_score_box(
    score,
    y,
    *,
    ax=None,
    labels: Sequence[str] = ("Negative", "Positive"),
    title: str | None = None,
    ylabel: str | None = None,
    jitter: bool = True,
    random_state: int = 0,
    cohort: str | None = None,
):
    """Box plot of a score by outcome with the Mann-Whitney U test (two-sided).

    The title names the test and, when given, the ``cohort`` (e.g.
    ``"Test cohort: Mann-Whitney U p = 0.209"``).

    Examples
    --------
    >>> ax = plot_score_box([0.1, 0.3, 0.8, 0.9], [0, 0, 1, 1])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['Negative', 'Positive']
    """
    from scipy.stats import mannwhitneyu

    ax = get_ax(ax, figsize=(3.6, 4.2))
    s = np.asarray(score, dtype=float)
    yy = np.asarray(y, dtype=float)
    ok = np.isfinite(s) & np.isfinite(yy)
    groups = [s[ok & (yy == k)] for k in (0, 1)]
    bp = ax.boxplot(groups, widths=0.5, patch_artist=True, showfliers=not jitter)
    for patch, c in zip(bp["boxes"], PALETTE[:2]):
        patch.set(facecolor=c, alpha=0.35, edgecolor=c)
    if jitter:
        rng = np.random.default_rng(random_state)
        for k, g in enumerate(groups):
            ax.scatter(
                k + 1 + rng.uniform(-0.12, 0.12, g.size),
                g,
                s=9,
                color=PALETTE[k],
                alpha=0.8,
                zorder=3,
            )
    ax.set_xticks([1, 2], list(labels))
    ax.set_ylabel(ylabel or getattr(score, "name", None) or "Score")
    if all(g.size for g in groups):
        p = mannwhitneyu(*groups, alternative="two-sided").pvalue
        ptxt = "Mann-Whitney U " + ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")
        if cohort:
            ptxt = f"{cohort}: {ptxt}"
        title = f"{title}\n{ptxt}" if title else ptxt
    elif cohort:
        title = f"{title}\n{cohort}" if title else cohort
    style_ax(ax, title=title)
    return ax


def plot_waterfall(
    score,
    y,
    *,
    threshold: float = 0.0,
    ax=None,
    labels: Sequence[str] = ("Negative", "Positive"),
    title: str | None = None,
    ylabel: str | None = None,
    cohort: str | None = None,
):
    """Waterfall plot: one bar per patient, ``score - threshold`` sorted, coloured by outcome.

    ``cohort`` (e.g. ``"Test"``) is written in the title with the number of patients.

    Examples
    --------
    >>> ax = plot_waterfall([0.1, -0.3, 0.8, 0.2], [0, 0, 1, 1], threshold=0.15)
    >>> len(ax.patches)
    4
    """
    ax = get_ax(ax, figsize=(6.0, 3.6))
    s = np.asarray(score, dtype=float)
    yy = np.asarray(y, dtype=float)
    ok = np.isfinite(s) & np.isfinite(yy)
    s, yy = s[ok] - threshold, yy[ok]
    order = np.argsort(-s, kind="stable")
    colors = [PALETTE[int(v)] for v in yy[order]]
    ax.bar(np.arange(s.size), s[order], color=colors, width=0.85)
    ax.axhline(0, color="0.3", lw=0.8)
    from matplotlib.patches import Patch

    ax.legend(
        [Patch(color=PALETTE[0]), Patch(color=PALETTE[1])], list(labels), fontsize=8, **LEGEND_BOX
    )
    if cohort:
        where = f"{cohort} cohort (n = {s.size})"
        title = f"{title}\n{where}" if title else where
    ax.set_xticks([])
    ax.set(
        xlabel="Patients", ylabel=ylabel or f"{getattr(score, 'name', None) or 'Score'} - cut-off"
    )
    style_ax(ax, title=title, grid=False)
    return ax


def plot_correlation_heatmap(
    X: pd.DataFrame,
    *,
    method: str = "spearman",
    cluster: bool = True,
    annotate: bool | None = None,
    ax=None,
    title: str | None = None,
):
    """Heatmap of feature-feature correlations (optionally ordered by clustering).

    Clustering is average-linkage on ``1 - |r|`` (scipy). Values are written
    in the cells when ``annotate`` (default: up to 15 features).

    Examples
    --------
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=list("abc"))
    >>> ax = plot_correlation_heatmap(X, cluster=False)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['a', 'b', 'c']
    """
    if method not in ("spearman", "pearson"):
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    c = X.corr(method=method)
    names = list(c.columns)
    if cluster and len(names) > 2:
        from scipy.cluster.hierarchy import leaves_list, linkage
        from scipy.spatial.distance import squareform

        d = 1 - c.abs().to_numpy()
        np.fill_diagonal(d, 0)
        order = leaves_list(linkage(squareform(np.clip(d, 0, None), checks=False), "average"))
        names = [names[i] for i in order]
        c = c.loc[names, names]
    k = len(names)
    ax = get_ax(ax, figsize=(min(2 + 0.35 * k, 12), min(1.6 + 0.35 * k, 11)))
    im = ax.imshow(c.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(k), names, rotation=90, fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    if annotate if annotate is not None else k <= 15:
        for i in range(k):
            for j in range(k):
                v = c.iat[i, j]
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if abs(v) > 0.6 else "black",
                )
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"{method.title()} r")
    if title:
        ax.set_title(title, fontsize=11)
    return ax
