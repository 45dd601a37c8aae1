"""study.report(): one self-contained HTML file whose numbers are study.results()."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from radnb import datasets
from radnb.study import Study
from radnb.study.report import SECTIONS

LASSO = {"n_lambdas": 15, "cv": 5, "rule": "min"}


@pytest.fixture(scope="module")
def report():
    cohort = datasets.simulate("S1", images=False)  # SIMULATED
    lat = cohort.truth["latent"]
    rng = np.random.default_rng(1)

    def block(z, p):
        d = {f"{p}{i}": z + rng.normal(size=len(z)) for i in range(3)}
        d |= {f"{p}_noise{i}": rng.normal(size=len(z)) for i in range(8)}
        return pd.DataFrame(d, index=lat.index)

    study = Study(cohort, outcome="her2", train="train")
    study.add_block("rad", block(lat["radiomic"].to_numpy(), "rad"))
    study.add_block("dl", block(lat["deep"].to_numpy(), "dl"))
    study.signature("Rad score", "rad", steps=["corr", "lasso"], lasso=LASSO)
    study.signature("DL score", "dl", steps=["corr", "lasso"], lasso=LASSO)
    study.model("Clinical", clinical="auto")
    study.model("DLCS", ["DL score", "Rad score"], clinical="auto", crossfit=5)
    study.fit()
    study.negative_controls("Rad score", n_permutations=3, controls=["permuted"])
    return study, cohort


@pytest.fixture(scope="module")
def text(report, tmp_path_factory):
    study, cohort = report
    path = study.report(
        tmp_path_factory.mktemp("report") / "report.html",
        cohort=cohort,
        survival={"time": "rfs_months", "event": "rfs_event", "model": "DLCS"},
        radiomics={"setting": {"binWidth": 25}, "imageType": {"Original": {}}},
    )
    return path.read_text(encoding="utf-8")


def test_report_is_self_contained_and_has_every_section(report, text):
    study, _ = report
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    assert links and not [u for u in links if re.match(r"(https?:)?//", u)]
    assert all(u.startswith(("#", "data:image/png;base64,")) for u in links)
    assert not re.search(r"<(script|link|iframe)\b", text)
    for key, title in SECTIONS.items():
        assert f'<section id="{key}">' in text, key
        assert f"<h2>{title}</h2>" in text
    assert text.count("SIMULATED DATA") == 2  # banner on top and at the end
    assert text.count("data:image/png;base64,") >= 6  # ROC, calibration, DCA, nomogram, KM x2
    assert "binWidth" in text and "PyRadiomics" in text
    assert (
        study.formula("Rad score").replace("×", "&#215;") in text
        or study.formula("Rad score") in text
    )
    assert "cross-fitted on 5-fold out-of-fold scores" in text  # methods paragraph
    assert "permuted" in text


def test_report_numbers_equal_results(report, text):
    study, _ = report
    block = text[text.index('<div id="results-table">') :]
    block = block[: block.index("</div>")]
    res = study.results()
    for _, r in res.iterrows():
        m = re.search(rf'<tr data-row="{re.escape(r["model"])}\|{r["cohort"]}">(.*?)</tr>', block)
        assert m, (r["model"], r["cohort"])
        cells = dict(re.findall(r'<td data-col="([^"]+)">([^<]*)</td>', m.group(1)))
        for col in ("auc", "auc_lower", "auc_upper", "sensitivity", "specificity", "brier"):
            assert cells[col] == f"{r[col]:.3f}", (r["model"], col)
    assert len(re.findall(r"<tr data-row=", block)) == len(res)


def test_checklists_never_claim_what_radnb_cannot_know(report, text, tmp_path):
    study, _ = report
    part = text[text.index('<section id="checklists">') :]
    rows = re.findall(r'<td data-col="topic">([^<]*)</td><td data-col="status">([^<]*)</td>', part)
    status = dict(rows)
    assert len(rows) > 50
    for topic in (
        "image acquisition protocol, scanners",
        "segmentation method, readers, software",
        "ethical approval and consent",
        "funding",
        "methods to handle class imbalance",
    ):
        assert status[topic] == "for the authors to complete"
    assert status["performance estimates with confidence intervals"] == "reported here (Results)"
    assert status["software and version"] == "reported here (Feature pipeline)"
    # without extraction settings the report does not claim them
    text2 = study.report(tmp_path / "bare.html").read_text(encoding="utf-8")
    assert "for the authors to complete" in text2
    part2 = text2[text2.index('<section id="checklists">') :]
    s2 = dict(
        re.findall(r'<td data-col="topic">([^<]*)</td><td data-col="status">([^<]*)</td>', part2)
    )
    assert s2["software and version"] == "for the authors to complete"
    assert "SIMULATED DATA" not in text2  # no cohort passed: nothing says so
    assert '<section id="survival">' not in text2


def test_main_job_writes_the_report(tmp_path):
    from radnb.__main__ import write_s1_report

    cohort = datasets.simulate("S1", n=40, images=False)  # SIMULATED, same table as with images
    lat = cohort.truth["latent"]
    study = Study(cohort, outcome="her2", train="train")
    study.add_block("rad", lat[["radiomic", "deep"]] + 0.0)
    study.signature("Rad score", "rad", steps=[], final="logistic")
    study.model("Rad", ["Rad score"])
    study.fit()
    cox = pd.DataFrame({"covariate": ["Rad score"], "hr": [1.5], "p": [0.01]})
    res = {"study": study, "out": tmp_path, "cox": cox}
    path = write_s1_report(res, n=40, seed=0, permutations=0)
    text = path.read_text(encoding="utf-8")
    assert path == tmp_path / "report.html"
    assert "SIMULATED DATA" in text and '<section id="survival">' in text
    assert "Cox regression for RFS, training cohort" in text


def test_pdf_is_optional(report, tmp_path, capsys):
    import importlib.util

    study, _ = report
    path = study.report(tmp_path / "r.html", pdf=True)
    assert path.exists()
    if importlib.util.find_spec("weasyprint") is None:
        assert "no PDF engine" in capsys.readouterr().out
        assert not path.with_suffix(".pdf").exists()
    else:
        assert path.with_suffix(".pdf").stat().st_size > 0
