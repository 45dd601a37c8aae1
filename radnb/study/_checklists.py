"""TRIPOD+AI and CLEAR item topics (abridged) and what a radnb report can claim.

Each item is ``(part, topic, key)``: ``key`` names the report section that
holds it when radnb produced that content (``"radiomics"``: the extraction
settings were passed; otherwise a section of :data:`radnb.study.report.SECTIONS`),
or ``None`` when only the authors can know it. Sources: TRIPOD+AI, Collins
et al., BMJ 2024;385:e078378; CLEAR, Kocak et al., Insights into Imaging
2023;14:75.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["TRIPOD_AI", "CLEAR", "checklist_rows"]

A = None  # for the authors

TRIPOD_AI = [
    ("Title", "identify the study as developing / evaluating a prediction model", A),
    ("Abstract", "structured summary", A),
    ("Introduction", "healthcare context, rationale, target population", A),
    ("Introduction", "objectives (development and / or evaluation)", A),
    ("Methods: data", "sources of data, study dates, representativeness", A),
    ("Methods: participants", "setting, eligibility criteria, treatments", A),
    ("Methods: participants", "number of participants and flow per cohort", "cohort"),
    ("Methods: data preparation", "data pre-processing and quality checking", "radiomics"),
    ("Methods: outcome", "definition of the outcome and how it was assessed", A),
    ("Methods: predictors", "predictors used (clinical variables and feature blocks)", "features"),
    ("Methods: predictors", "how and when predictors were measured, blinding", A),
    ("Methods: sample size", "how the study size was arrived at", A),
    ("Methods: missing data", "missing outcomes (excluded, counted per cohort)", "cohort"),
    ("Methods: missing data", "missing predictor values and how they were handled", A),
    ("Methods: analysis", "how data were used in the analysis (train / test split)", "cohort"),
    ("Methods: analysis", "type of model, building steps, hyperparameters", "models"),
    ("Methods: analysis", "predictor selection", "features"),
    ("Methods: analysis", "performance measures (discrimination, calibration, clinical utility)", "results"),
    ("Methods: analysis", "model comparison", "delong"),
    ("Methods: class imbalance", "methods to handle class imbalance", A),
    ("Methods: fairness", "methods to address fairness across groups", A),
    ("Methods: model output", "output of the model (risk, score) and thresholds", "results"),
    ("Methods: training vs evaluation", "differences between development and evaluation data", A),
    ("Methods: ethics", "ethical approval and consent", A),
    ("Open science", "funding", A),
    ("Open science", "conflicts of interest", A),
    ("Open science", "protocol and registration", A),
    ("Open science", "data availability", A),
    ("Open science", "code availability (software and versions listed here)", "software"),
    ("Patient and public involvement", "details of involvement", A),
    ("Results: participants", "participant flow and characteristics (Table 1)", "cohort"),
    ("Results: model development", "number of participants and events per analysis", "cohort"),
    ("Results: model specification", "full model (formulas, coefficients)", "signatures"),
    ("Results: model performance", "performance estimates with confidence intervals", "results"),
    ("Results: model updating", "results of any model updating", A),
    ("Discussion", "interpretation, limitations, usability in practice", A),
]  # fmt: skip

CLEAR = [
    ("Title / abstract", "radiomics study identified, structured abstract", A),
    ("Introduction", "scientific background, rationale, aims", A),
    ("Method: study design", "adherence to guidelines, design (retrospective / prospective)", A),
    ("Method: data", "data source, eligibility criteria, dates", A),
    ("Method: data", "reference standard of the outcome", A),
    ("Method: data", "cohort sizes and partitioning (training / test)", "cohort"),
    ("Method: imaging", "image acquisition protocol, scanners", A),
    ("Method: segmentation", "segmentation method, readers, software", A),
    ("Method: pre-processing", "image pre-processing (resampling, normalisation, discretisation)", "radiomics"),
    ("Method: feature extraction", "software and version", "radiomics"),
    ("Method: feature extraction", "image types, feature classes and extraction settings", "radiomics"),
    ("Method: feature processing", "feature robustness / reproducibility analysis", A),
    ("Method: feature processing", "feature selection / dimension reduction, on training only", "features"),
    ("Method: modelling", "algorithm and its settings", "models"),
    ("Method: modelling", "stacking of signatures without double dipping (cross-fitting)", "crossfit"),
    ("Method: modelling", "handling of class imbalance", A),
    ("Method: modelling", "hyperparameter tuning (internal CV of the LASSO)", "features"),
    ("Method: evaluation", "performance metrics with confidence intervals", "results"),
    ("Method: evaluation", "calibration", "figures"),
    ("Method: evaluation", "clinical utility (decision curves)", "figures"),
    ("Method: evaluation", "comparison with a baseline (clinical / volume) model", "delong"),
    ("Method: evaluation", "negative controls / sanity checks", "controls"),
    ("Method: evaluation", "internal testing and external testing", A),
    ("Method: evaluation", "statistical methods and software", "methods"),
    ("Results", "baseline characteristics (Table 1)", "cohort"),
    ("Results", "final model (formulas)", "signatures"),
    ("Results", "performance per cohort", "results"),
    ("Discussion", "overview, limitations, clinical implications", A),
    ("Open science", "sharing of data", A),
    ("Open science", "sharing of code, model and settings", "software"),
]  # fmt: skip


def checklist_rows(items, known: set[str], sections: Mapping[str, str]) -> pd.DataFrame:
    """One row per item: ``part, topic, status`` ("reported here (section)" or for the authors).

    Examples
    --------
    >>> rows = checklist_rows(CLEAR[:6], {"cohort"}, {"cohort": "Cohort flow"})
    >>> rows["status"].tolist()[-1], rows["status"].tolist()[0]
    ('reported here (Cohort flow)', 'for the authors to complete')
    """
    alias = {"radiomics": "features", "crossfit": "models"}
    rows = []
    for part, topic, key in items:
        if key is not None and key in known:
            where = sections.get(alias.get(key, key), key)
            status = f"reported here ({where})"
        else:
            status = "for the authors to complete"
        rows.append({"part": part, "topic": topic, "status": status})
    return pd.DataFrame(rows)
