"""A fitted Study as one self-contained HTML report, with TRIPOD+AI and CLEAR checklists.

The file has no external asset (figures are base64 PNG, styles inline) and
no link, so it opens from disk with no network. Sections: cohort flow and
Table 1, the feature pipeline with every setting radnb knows, signature
formulas, models, results with CIs per cohort (the numbers of
:meth:`Study.results`), DeLong comparisons, ROC / calibration / DCA /
nomogram, survival (when given), negative controls (when run), software
versions and seeds, an auto-generated methods paragraph, and the two
checklists. A checklist item is marked "reported here" with its section
only when radnb produced that content; everything radnb cannot know (image
acquisition, segmentation protocol, ethics, funding...) is left "for the
authors to complete".

Used by :meth:`radnb.study.Study.report`.
"""

from __future__ import annotations

import base64
import html
import io
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radnb.study._checklists import CLEAR, TRIPOD_AI, checklist_rows
from radnb.study.controls import CONTROLS

__all__ = ["write_report", "render_report", "SECTIONS"]

SECTIONS = {
    "cohort": "Cohort flow and Table 1",
    "features": "Feature pipeline",
    "signatures": "Signatures",
    "models": "Models",
    "results": "Results",
    "delong": "DeLong comparisons",
    "figures": "ROC, calibration, decision curves, nomogram",
    "survival": "Survival",
    "controls": "Negative controls",
    "software": "Software and seeds",
    "methods": "Methods paragraph",
    "checklists": "TRIPOD+AI and CLEAR checklists",
}
_PACKAGES = (
    "radnb", "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "pyradiomics",
    "SimpleITK", "lifelines", "matplotlib", "torch", "monai",
)  # fmt: skip
_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;
padding:2px 6px;text-align:left}th{background:#f2f2f2}.banner{background:#fff3cd;border:2px
solid #d39e00;padding:.6em;font-weight:bold}.note{color:#555;font-size:13px}
img{max-width:100%}code,pre{background:#f6f6f6}pre{white-space:pre-wrap;padding:.5em}"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _num(v: Any, digits: int = 3) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if not np.isfinite(v) else f"{v:.{digits}f}"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _table(df: pd.DataFrame, *, index: bool = False, rowkey=None, digits: int = 3) -> str:
    """An HTML table; cells carry ``data-col`` and rows ``data-row`` (tests read them)."""
    df = df.reset_index() if index else df
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        key = f' data-row="{_e(rowkey(r))}"' if rowkey else ""
        cells = "".join(f'<td data-col="{_e(c)}">{_e(_num(r[c], digits))}</td>' for c in df.columns)
        rows.append(f"<tr{key}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(obj, alt: str) -> str:
    import matplotlib.pyplot as plt

    fig = getattr(obj, "figure", obj)
    if isinstance(obj, np.ndarray):
        fig = obj.flat[0].figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        for dist in (p, f"{p}-bhklab"):  # PyRadiomics may come as pyradiomics-bhklab
            try:
                out[p] = version(dist)
                break
            except PackageNotFoundError:
                continue
    return out


def _flow(study) -> pd.DataFrame:
    rows = []
    for c, label in study.cohorts.items():
        in_split = study.table[study.split] == c
        known = in_split & study.y.notna()
        rows.append(
            {
                "cohort": label,
                "patients": int(in_split.sum()),
                "outcome missing (excluded)": int((in_split & study.y.isna()).sum()),
                "analysed": int(known.sum()),
                "events": int(study.y[known].sum()),
                "prevalence": float(study.y[known].mean()) if known.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _table1(study, cohort) -> str:
    if cohort is not None and hasattr(cohort, "table1"):
        try:
            t = cohort.table1(by="split").tableone
            t.columns = [" / ".join(map(str, c)) if isinstance(c, tuple) else c for c in t.columns]
            return _table(t, index=True)
        except Exception as exc:  # tableone missing or a degenerate column
            return f'<p class="note">Table 1 not available: {_e(exc)}</p>'
    rows = []
    for col in study.clinical_candidates:
        s = study.table[col]
        g = study.table[study.split]
        if pd.api.types.is_numeric_dtype(s) and s.nunique() > 5:
            r = {"variable": f"{col}, mean (SD)"}
            for c, label in study.cohorts.items():
                v = s[g == c]
                r[label] = f"{v.mean():.1f} ({v.std():.1f})"
            rows.append(r)
        else:
            for level in s.dropna().unique()[:10]:
                r = {"variable": f"{col} = {level}, n (%)"}
                for c, label in study.cohorts.items():
                    v = s[g == c]
                    k = int((v == level).sum())
                    r[label] = f"{k} ({100 * k / max(len(v), 1):.0f}%)"
                rows.append(r)
    return _table(pd.DataFrame(rows)) if rows else '<p class="note">No clinical variables.</p>'


def _features(study, radiomics, preprocessing) -> str:
    parts = ["<h3>Blocks</h3>"]
    blocks = pd.DataFrame(
        [
            {
                "block": b,
                "features": X.shape[1],
                "patients with values": int(X.notna().any(axis=1).sum()),
            }
            for b, X in study.blocks.items()
        ]
    )
    parts.append(_table(blocks))
    if radiomics is not None:
        if isinstance(radiomics, Mapping) and "params" in radiomics:
            params, prep = radiomics["params"], radiomics.get("preprocess") or preprocessing
        else:  # a RadiomicsResult, or the parameter dict itself
            params = getattr(radiomics, "params", radiomics)
            prep = getattr(radiomics, "preprocess", None) or preprocessing
        v = _versions().get("pyradiomics", "not installed")
        parts.append(f"<h3>Radiomics extraction</h3><p>PyRadiomics {_e(v)}; parameters:</p>")
        parts.append(f"<pre>{_e(_yaml(params))}</pre>")
        parts.append(f"<p>Preprocessing: <code>{_e(prep or 'none')}</code></p>")
    elif preprocessing:
        parts.append(f"<p>Preprocessing: <code>{_e(preprocessing)}</code></p>")
    else:
        parts.append(
            '<p class="note">Extraction settings were not passed to the report '
            "(report(radiomics=...)): for the authors to complete.</p>"
        )
    parts.append("<h3>Selection (fitted on the training cohort only)</h3>")
    for name, spec in study._signatures.items():
        kws = _brief(spec["kws"])
        parts.append(
            f"<h4>{_e(name)} (block {_e(spec['block'])})</h4><p>steps: <code>"
            f"{_e(spec['steps'])}</code>; final: <code>{_e(spec['final'])}</code>; settings: "
            f"<code>{_e(kws)}</code></p>"
        )
        if name in study.signatures_:
            rep = study.selection_report(name)
            kept = rep.groupby("step", sort=False)["kept"].agg(["size", "sum"]).reset_index()
            kept.columns = ["step", "features in", "features kept"]
            parts.append(_table(kept))
        else:
            parts.append(f"<p>absent: {_e(study.absent_.get(name, ''))}</p>")
    return "".join(parts)


def _brief(v: Any) -> Any:
    """Settings with arrays and Series (e.g. ICC values) summarised by their length."""
    if isinstance(v, Mapping):
        return {k: _brief(x) for k, x in v.items()}
    if isinstance(v, (pd.Series, pd.DataFrame, np.ndarray)):
        return f"<{type(v).__name__} of {len(v)} values>"
    return v


def _yaml(params) -> str:
    try:
        import yaml

        return yaml.safe_dump(params, sort_keys=False, default_flow_style=None)
    except Exception:
        return str(params)


def _models(study) -> str:
    parts = []
    for name, spec in study._models.items():
        info = study.state_["models"].get(name, {})
        if name in study.absent_:
            parts.append(f"<h3>{_e(name)}</h3><p>absent: {_e(study.absent_[name])}</p>")
            continue
        est = (
            spec["estimator"]
            if isinstance(spec["estimator"], str)
            else type(spec["estimator"]).__name__
        )
        cf = spec.get("crossfit")
        parts.append(
            f"<h3>{_e(name)}</h3><p>inputs: <code>{_e(spec['inputs'])}</code>; clinical: "
            f"<code>{_e(info.get('clinical', spec['clinical']))}</code>; estimator: {_e(est)}; "
            f"cross-fitting: {_e(f'{cf}-fold out-of-fold signature scores' if cf else 'off')}</p>"
        )
        if "result" in info:
            parts.append(_table(study.coefficients(name), index=True, digits=4))
        if info.get("clinical_table") is not None:
            parts.append("<p>Clinical variable selection (training):</p>")
            parts.append(_table(info["clinical_table"], index=True))
    notes = study.notes()
    if notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    return "".join(parts)


def _survival(study, survival) -> str:
    from radnb.evaluate import survival as sv
    from radnb.plots.survival import km_plot

    time, event = survival["time"], survival["event"]
    model = survival.get("model") or study.outputs[-1]
    df = study.table.join(study.scores_[[model]])
    train = df[df[study.split] == study.train]
    cut = sv.cutoff(train[model], method="median")
    df["risk_group"] = cut.assign(df[model])
    rows, figs = [], []
    for c, label in study.cohorts.items():
        sub = df[(df[study.split] == c) & df[time].notna() & df[event].notna()]
        if sub.empty:
            continue
        lr = sv.logrank_test(sub[time], sub[event], sub["risk_group"])
        hc = sv.harrell_c(sub[time], sub[event], sub[model])
        rows.append(
            {"cohort": label, "n": len(sub), "events": int(sub[event].sum()),
             "cut-off (training median)": cut.cutoff, "log-rank p": lr["p"],
             "C-index": hc.c, "C lower": hc.lower, "C upper": hc.upper}
        )  # fmt: skip
        ax = km_plot(time, event, "risk_group", data=sub, title=f"{model} risk groups, {label}")
        figs.append(_figure(ax, f"Kaplan-Meier {label}"))
    out = f"<p>Endpoint <code>{_e(time)}</code> / <code>{_e(event)}</code>; risk groups by {_e(model)}.</p>"
    return out + _table(pd.DataFrame(rows)) + "".join(figs)


def _methods(study, flow: pd.DataFrame, radiomics, controls: Mapping) -> str:
    n = ", ".join(f"{r.cohort} {r.analysed} ({r.events} events)" for r in flow.itertuples())
    sigs = []
    for name, spec in study._signatures.items():
        k = len(study.signatures_[name].features) if name in study.signatures_ else 0
        sigs.append(
            f"{name} from the {spec['block']} block ({study.blocks[spec['block']].shape[1]} "
            f"features; selection steps {', '.join(map(str, spec['steps']))}; {k} features kept)"
        )
    lassos = [
        st for sig in study.signatures_.values() for _, st in sig.pipeline.steps[-1:]
        if hasattr(st, "rule")
    ]  # fmt: skip
    lasso = (
        "LASSO (glmnet-style, lambda by "
        + ", ".join(
            sorted({f"{getattr(st, 'cv', '?')}-fold CV, lambda.{st.rule}" for st in lassos})
        )
        + ", within the training cohort), "
        if lassos
        else ""
    )
    ran = sorted({c for nc in controls.values() for c in nc.settings.get("controls", [])})
    mods = []
    for name, spec in study._models.items():
        if name in study.absent_:
            continue
        cf = spec.get("crossfit")
        mods.append(
            f"{name} ({', '.join(spec['inputs']) or 'clinical variables'}"
            + (f"; second stage cross-fitted on {cf}-fold out-of-fold scores" if cf else "")
            + ")"
        )
    text = (
        f"Patients were analysed in the following cohorts: {n}. "
        + (
            f"Radiomic features were extracted with PyRadiomics {_versions().get('pyradiomics', '')}. "
            if radiomics is not None
            else ""
        )
        + f"Signatures were built on the training cohort only: {'; '.join(sigs) or 'none'}. "
        + f"Models: {'; '.join(mods) or 'none'}. Logistic models were fitted by maximum "
        "likelihood (statsmodels); feature selection, "
        + lasso
        + "clinical variable selection, score directions and Youden cut-offs "
        "were fixed on the training cohort and applied unchanged to the other cohorts. "
        "Discrimination is the AUC with DeLong 95% confidence intervals; AUCs were compared "
        "with the paired DeLong test; calibration by the Hosmer-Lemeshow test, Brier score "
        "and calibration intercept and slope; clinical utility by decision curve analysis. "
        + (
            f"Negative controls ({', '.join(CONTROLS[c] for c in ran)}) reran the whole "
            "chain on the training cohort. "
            if ran
            else ""
        )
        + f"Analyses used radnb {_versions().get('radnb', '')} with random seed "
        f"{study.random_state}."
    )
    return f"<p>{_e(text)}</p>"


def render_report(
    study,
    *,
    title: str | None = None,
    cohort=None,
    radiomics=None,
    preprocessing: Mapping | None = None,
    survival: Mapping[str, str] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    simulated: bool | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    study._check_fitted()
    if simulated is None:
        simulated = bool(getattr(cohort, "simulated", False))
    controls = getattr(study, "negative_controls_", {}) or {}
    names = [n for n in study.outputs if n not in study.absent_]
    flow = _flow(study)
    present: dict[str, str] = {}
    body: list[str] = []

    def section(key: str, content: str) -> None:
        present[key] = SECTIONS[key]
        body.append(f'<section id="{key}"><h2>{_e(SECTIONS[key])}</h2>{content}</section>')

    section("cohort", _table(flow) + "<h3>Table 1</h3>" + _table1(study, cohort))
    section("features", _features(study, radiomics, preprocessing))
    formulas = "".join(
        f"<pre>{_e(study.formula(s))}</pre><pre>{_e(study.formula(s, scale='standardised'))}</pre>"
        if study.signatures_[s].coef_std is not None
        else f"<pre>{_e(study.formula(s))}</pre>"
        for s in study.signatures_
    )
    absent = "".join(f"<p>{_e(s)}: absent - {_e(w)}</p>" for s, w in study.absent_.items())
    section("signatures", (formulas or "<p>No signature.</p>") + absent)
    section("models", _models(study))
    res = study.results()
    res_html = _table(res, rowkey=lambda r: f"{r['model']}|{r['cohort']}")
    section("results", f'<div id="results-table">{res_html}</div>')
    section(
        "delong",
        "".join(
            f"<h3>{_e(label)}</h3>" + _table(study.delong_table(c, models=names), index=True)
            for c, label in study.cohorts.items()
            if len(study.cohort_ids(c))
        ),
    )
    figs = [
        _figure(study.plot_roc(models=names), "ROC"),
        _figure(study.plot_calibration(models=names), "Calibration"),
        _figure(study.plot_dca(models=names), "Decision curves"),
    ]
    for n in names:
        if "result" in study.state_["models"].get(n, {}):
            last = n
    if any("result" in study.state_["models"].get(n, {}) for n in names):
        figs.append(f"<h3>Nomogram: {_e(last)}</h3>" + _figure(study.nomogram(last), "Nomogram"))
    section("figures", "".join(figs))
    if survival:
        section("survival", _survival(study, survival))
    if controls:
        section(
            "controls",
            "".join(
                f"<h3>{_e(s)} ({_e(nc.cohort)} cohort)</h3>{_table(nc.table)}"
                f"<p class='note'>settings: {_e(nc.settings)}</p>{_figure(nc.plot(), s)}"
                for s, nc in controls.items()
            ),
        )
    extra = "".join(f"<h3>{_e(k)}</h3>{_table(v, index=True)}" for k, v in (tables or {}).items())
    vers = pd.DataFrame(list(_versions().items()), columns=["software", "version"])
    seeds = f"<p>random_state (every random step): {study.random_state}</p>"
    section("software", _table(vers) + seeds + extra)
    section("methods", _methods(study, flow, radiomics, controls))
    known = set(present) | ({"radiomics"} if radiomics is not None else set())
    known |= {"crossfit"} if any(s.get("crossfit") for s in study._models.values()) else set()
    lists = (
        "<p class='note'>Item topics abridged from TRIPOD+AI (Collins et al., BMJ 2024;385:"
        "e078378) and CLEAR (Kocak et al., Insights Imaging 2023;14:75); use the official "
        "checklists for item numbers and full wording. An item is marked reported only "
        "where this report holds it.</p>"
        + "<h3>TRIPOD+AI</h3>"
        + _table(checklist_rows(TRIPOD_AI, known, SECTIONS))
        + "<h3>CLEAR</h3>"
        + _table(checklist_rows(CLEAR, known, SECTIONS))
    )
    section("checklists", lists)
    title = title or f"Study report: {study.outcome}"
    banner = (
        '<p class="banner">SIMULATED DATA: every number and figure in this report comes '
        "from a simulated cohort with planted ground truth. Not real patients.</p>"
        if simulated
        else ""
    )
    toc = "".join(f'<li><a href="#{k}">{_e(v)}</a></li>' for k, v in present.items())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head><body>{banner}<h1>{_e(title)}</h1>"
        f"<p class='note'>Written by radnb {_e(_versions().get('radnb', ''))} on {stamp}. "
        f"{_e(repr(study))}</p><ol>{toc}</ol>{''.join(body)}{banner}</body></html>"
    )


def write_report(study, path: str | Path, *, pdf: bool = False, **kws) -> Path:
    """Write a fitted Study as one self-contained HTML file; returns the path.

    Parameters
    ----------
    study : fitted Study
    path : the ``.html`` file to write.
    title : str, optional
    cohort : Cohort, optional
        Gives Table 1 (tableone) and the SIMULATED banner (``cohort.simulated``).
    radiomics : RadiomicsResult or dict, optional
        Its ``params`` / ``preprocess`` (PyRadiomics settings) are printed.
    preprocessing : dict, optional
    survival : dict, optional
        ``{"time": col, "event": col, "model": name}``: risk groups by the
        training median of the model's score, KM and log-rank per cohort, C-index.
    tables : mapping title -> DataFrame, optional
        Extra tables (e.g. a Cox table) printed under "Software and seeds".
    simulated : bool, optional (default: ``cohort.simulated``)
    pdf : bool
        Also write ``path`` with ``.pdf`` when weasyprint is installed (never
        required; a note is printed otherwise).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(study, **kws)
    path.write_text(text, encoding="utf-8")
    if pdf:
        try:
            from weasyprint import HTML
        except ImportError:
            print("radnb: no PDF engine (weasyprint) installed; wrote the HTML only")
        else:
            HTML(string=text).write_pdf(str(path.with_suffix(".pdf")))
    return path
