"""The five study designs (S1-S5) that :func:`radnb.datasets.simulate` reproduces.

Each :class:`StudyDesign` holds what the generator needs: splits and their
sizes, sequences and their grid, planted-signal coefficients per latent block,
outcome prevalences and survival settings. The numbers are plausible choices for
each kind of study, not copies of the papers' results (see ``../shared/STUDIES.md``).

Latent blocks (standard normal per patient, mildly correlated):

``clinical``  drives the clinical variables (grade, stage, AFP, ...)
``radiomic``  drives whole-tumour intensity, texture and margin irregularity
``habitat``   drives the proportions of the tumour's sub-regions
``deep``      drives a spotty texture pattern in one sequence (``deep_sequence``)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BLOCKS", "DESIGNS", "SequenceSpec", "StudyDesign", "get_design"]

#: Latent blocks, in the order of the latent matrix.
BLOCKS = ("clinical", "radiomic", "habitat", "deep")


@dataclass(frozen=True)
class SequenceSpec:
    """Intensity model of one sequence.

    ``background``: (mean, texture SD) of the surrounding tissue;
    ``regions``: per sub-region name, (mean, texture SD); ``noise``: scanner
    noise SD; ``floor``: lowest value (-1024 for CT, 0 for MR); ``unit``.
    """

    name: str
    background: tuple[float, float]
    regions: dict[str, tuple[float, float]]
    noise: float
    floor: float = 0.0
    unit: str = "a.u."
    fat: float | None = None  # intensity of fat patches in the background


@dataclass(frozen=True)
class StudyDesign:
    """A study design: sizes, sequences, planted coefficients, endpoints."""

    study: str
    title: str
    splits: dict[str, int]
    sequences: tuple[SequenceSpec, ...]
    modality: str  # "CT" or "MR"
    spacing: tuple[float, float, float]  # (x, y, z) in mm
    shape: tuple[int, int, int]  # (z, y, x) voxels
    diameter_mm: tuple[float, float]  # median, log-SD of the tumour diameter
    outcomes: dict[str, dict[str, Any]]  # name -> {prevalence, coef{block: beta}}
    survival: dict[str, dict[str, Any]] = field(default_factory=dict)
    deep_sequence: str | None = None
    n_subregions: int = 3
    centres: dict[str, str] = field(default_factory=dict)  # split -> centre
    arms: dict[str, float] = field(default_factory=dict)  # arm -> share (S4)
    risk_shares: tuple[float, float, float] = (0.6, 0.2, 0.2)


# ----------------------------------------------------------------- sequences
_CT_BLADDER = SequenceSpec(
    "CT",
    background=(35.0, 12.0),
    regions={
        "necrotic": (18.0, 8.0),
        "hypoxic": (38.0, 10.0),
        "intermediate": (55.0, 12.0),
        "enhancing": (85.0, 15.0),
    },
    noise=9.0,
    floor=-1024.0,
    unit="HU",
    fat=-95.0,
)


def _liver(name: str, bg: float, nec: float, mid: float, enh: float) -> SequenceSpec:
    return SequenceSpec(
        name,
        background=(bg, 8.0),
        regions={
            "necrotic": (nec, 7.0),
            "hypoxic": ((nec + mid) / 2, 9.0),
            "intermediate": (mid, 10.0),
            "enhancing": (enh, 14.0),
        },
        noise=10.0,
        floor=-1024.0,
        unit="HU",
        fat=-90.0,
    )


_S5_SEQS = (
    _liver("CT_plain", 55.0, 25.0, 40.0, 48.0),
    _liver("CT_arterial", 75.0, 28.0, 80.0, 125.0),
    _liver("CT_portal", 115.0, 30.0, 95.0, 88.0),
)


def _mr(name: str, bg: float, nec: float, mid: float, enh: float, tex: float) -> SequenceSpec:
    return SequenceSpec(
        name,
        background=(bg, 0.08 * bg),
        regions={
            "necrotic": (nec, tex * 0.6),
            "hypoxic": ((nec + mid) / 2, tex * 0.8),
            "intermediate": (mid, tex),
            "enhancing": (enh, tex * 1.2),
        },
        noise=0.03 * max(bg, mid),
        floor=0.0,
    )


_S2_SEQS = (
    _mr("T1WI", 420.0, 260.0, 330.0, 360.0, 28.0),
    _mr("T2WI", 380.0, 820.0, 560.0, 500.0, 45.0),
    _mr("CE_T1WI", 480.0, 280.0, 620.0, 900.0, 55.0),
)
_S3_SEQS = (
    _mr("DCE_pre", 300.0, 210.0, 250.0, 260.0, 18.0),
    _mr("DCE_early", 340.0, 230.0, 520.0, 820.0, 50.0),
    _mr("DCE_late", 360.0, 240.0, 600.0, 640.0, 45.0),
    _mr("DWI", 260.0, 180.0, 420.0, 560.0, 40.0),
    SequenceSpec(
        "ADC",
        background=(1500.0, 120.0),
        regions={
            "necrotic": (2300.0, 150.0),
            "hypoxic": (1450.0, 110.0),
            "intermediate": (1150.0, 100.0),
            "enhancing": (850.0, 90.0),
        },
        noise=60.0,
        floor=0.0,
        unit="1e-6 mm^2/s",
    ),
)
_S4_SEQS = (
    _mr("DCE_pre", 300.0, 210.0, 250.0, 260.0, 18.0),
    _mr("DCE_early", 340.0, 230.0, 520.0, 820.0, 50.0),
)

# ----------------------------------------------------------------- designs
DESIGNS: dict[str, StudyDesign] = {
    "S1": StudyDesign(
        study="S1",
        title="CT radiomics + DL + clinical for HER2 in non-muscle-invasive bladder cancer",
        splits={"train": 126, "test": 55},
        sequences=(_CT_BLADDER,),
        modality="CT",
        spacing=(1.0, 1.0, 1.0),
        shape=(48, 48, 48),
        diameter_mm=(18.0, 0.3),
        outcomes={
            "her2": {
                "prevalence": 0.38,
                "coef": {"clinical": 0.6, "radiomic": 1.0, "habitat": 0.4, "deep": 1.3},
            }
        },
        survival={
            "rfs": {
                "time": "rfs_months",
                "event": "rfs_event",
                "coef": {"clinical": 0.3, "radiomic": 0.35, "habitat": 0.1, "deep": 0.45},
                "median_months": 40.0,
                "shape": 1.2,
                "follow_up": (24.0, 72.0),
            }
        },
        deep_sequence="CT",
        centres={"train": "centre 1", "test": "centre 1"},
    ),
    "S2": StudyDesign(
        study="S2",
        title="MRI deep-learning score for PD-L1 in head and neck squamous cell carcinoma",
        splits={"train": 290, "internal": 125, "external": 115, "ici": 80},
        sequences=_S2_SEQS,
        modality="MR",
        spacing=(0.8, 0.8, 3.0),
        shape=(24, 64, 64),
        diameter_mm=(26.0, 0.3),
        outcomes={
            "pdl1": {
                "prevalence": 0.5,
                "coef": {"clinical": 0.35, "radiomic": 0.7, "habitat": 0.3, "deep": 2.0},
            },
            "dcb": {
                "prevalence": 0.35,
                "coef": {"clinical": 0.1, "radiomic": 0.35, "habitat": 0.1, "deep": 0.75},
                "only": ["ici"],
            },
        },
        survival={
            "pfs": {
                "time": "pfs_months",
                "event": "pfs_event",
                "coef": {"clinical": 0.35, "radiomic": -0.2, "habitat": 0.0, "deep": -0.5},
                "median_months": 22.0,
                "shape": 1.1,
                "follow_up": (12.0, 60.0),
            }
        },
        deep_sequence="CE_T1WI",
        centres={
            "train": "institution A",
            "internal": "institution A",
            "external": "institution B",
            "ici": "institution A",
        },
    ),
    "S3": StudyDesign(
        study="S3",
        title="Habitat radiomics for HER2 in young (< 40 y) breast cancer, DCE-MRI + DWI",
        splits={"train": 206, "external": 169},
        sequences=_S3_SEQS,
        modality="MR",
        spacing=(0.8, 0.8, 2.0),
        shape=(32, 64, 64),
        diameter_mm=(24.0, 0.3),
        outcomes={
            "her2_positive": {
                "prevalence": 0.3,
                "coef": {"clinical": 0.45, "radiomic": 0.55, "habitat": 0.75, "deep": 0.0},
            },
            "her2_low": {
                "prevalence": 0.55,
                "coef": {"clinical": 0.0, "radiomic": 0.5, "habitat": 0.45, "deep": 0.0},
                "given": ("her2_positive", 0),
            },
        },
        deep_sequence=None,
        centres={"train": "centre 1", "external": "centre 2"},
    ),
    "S4": StudyDesign(
        study="S4",
        title="DeepTEPP: MRI deep-learning risk score to guide anti-HER2 (de-)escalation",
        splits={"train": 436, "test": 290},
        sequences=_S4_SEQS,
        modality="MR",
        spacing=(0.8, 0.8, 2.0),
        shape=(32, 64, 64),
        diameter_mm=(25.0, 0.3),
        outcomes={},
        survival={
            "rfs": {
                "time": "rfs_months",
                "event": "rfs_event",
                "coef": {"clinical": 0.35, "radiomic": 0.4, "habitat": 0.25, "deep": 0.8},
                "median_months": 220.0,
                "shape": 1.0,
                "follow_up": (36.0, 96.0),
            },
        },
        deep_sequence="DCE_early",
        arms={"none": 0.3, "single": 0.45, "dual": 0.25},
        centres={"train": "centre 1", "test": "centre 1"},
        risk_shares=(0.6, 0.2, 0.2),
    ),
    "S5": StudyDesign(
        study="S5",
        title="Distant metastasis after TACE in hepatocellular carcinoma (multiphase CT)",
        splits={"train": 230, "test": 100, "external": 145},
        sequences=_S5_SEQS,
        modality="CT",
        spacing=(2.0, 2.0, 2.5),
        shape=(40, 64, 64),
        diameter_mm=(50.0, 0.4),
        outcomes={
            "metastasis": {
                "prevalence": 0.25,
                "coef": {"clinical": 1.0, "radiomic": 1.0, "habitat": 0.4, "deep": 1.1},
            }
        },
        survival={
            "mfs": {
                "time": "mfs_months",
                "event": "mfs_event",
                "coef": {"clinical": 0.45, "radiomic": 0.45, "habitat": 0.2, "deep": 0.5},
                "median_months": 30.0,
                "shape": 1.1,
                "follow_up": (12.0, 48.0),
            }
        },
        deep_sequence="CT_arterial",
        centres={"train": "centre 1", "test": "centre 1", "external": "centre 2"},
    ),
}


def get_design(study: str) -> StudyDesign:
    """The :class:`StudyDesign` of ``study`` ("S1" to "S5")."""
    from radnb.errors import InvalidParameterError

    key = str(study).upper()
    if key not in DESIGNS:
        raise InvalidParameterError(f"unknown study {study!r}; choose one of {sorted(DESIGNS)}")
    return DESIGNS[key]
