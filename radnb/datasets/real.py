"""Loaders for the real public data radnb uses (images and clinical tables).

Where the data are: the ``path`` argument, else ``$RADNB_DATA_DIR``, else the
``shared/data`` folder of a source checkout (searched upwards from this file).
If none exists, ``download=True`` fetches the files from their public source (the
GitHub URLs named in each folder's README / PROVENANCE) into
``$RADNB_CACHE_DIR`` (default ``~/.cache/radnb``)/data, printing every URL; nothing
is ever downloaded without ``download=True``.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from radnb.errors import InvalidParameterError, RadnbError

if TYPE_CHECKING:  # pragma: no cover
    from radnb.cohort import Cohort

__all__ = ["TABLES", "data_dir", "load_pyradiomics_cases", "load_sts_pet_mr", "load_table"]

_IBSI = (
    "https://raw.githubusercontent.com/theibsi/data_sets/6da96021bc91faf4c0cb7fd7fa56a4225d2064a8"
)
_VALLIERES = "https://raw.githubusercontent.com/mvallieres/radiomics/d3a61737730e1b2b46d04c9e22a3fcc390912f1a"
_PYRAD = "https://raw.githubusercontent.com/AIM-Harvard/pyradiomics"
_PYRAD_TAG = "v3.1.0"
_PYRAD_HEAD = "8ed579383b44806651c463d5e691f3b2b57522ab"

#: Table name -> (file under the data folder, source, licence, download URL or None).
TABLES: dict[str, tuple[str, str, str, str | None]] = {
    "gbsg2": (
        "survival/gbsg2_lifelines.csv",
        "GBSG2 trial (Schumacher et al. 1994) as shipped by lifelines 0.30.3 "
        "(lifelines/datasets/gbsg2.csv); same data as R TH.data::GBSG2",
        "lifelines MIT; data from R package TH.data (GPL)",
        None,
    ),
    "rotterdam_survset": (
        "survival/rotterdam_rott2_survset.csv",
        "Rotterdam tumour bank (Royston & Altman 2013), SurvSet 0.2.11 rott2",
        "GPL-3 (SurvSet)",
        None,
    ),
    "colon": (
        "survival/colon_chemo_trial_survset.csv",
        "R survival::colon (death, etype 2) via SurvSet 0.2.11; randomised Obs/Lev/Lev+5FU",
        "GPL-3 (SurvSet); R survival LGPL",
        None,
    ),
    "veteran": (
        "survival/veteran_lung_trial_survset.csv",
        "Veterans' Administration lung cancer trial, SurvSet 0.2.11 veteran",
        "GPL-3 (SurvSet); R survival LGPL",
        None,
    ),
    "hcc": (
        "survival/hepatocellular_survset.csv",
        "Hepatocellular carcinoma cohort, R asaur::hepatoCellular via SurvSet 0.2.11",
        "GPL-3",
        None,
    ),
    "duke_breast": (
        "survival/duke_breast_mri_clinical_features.csv",
        "TCIA Duke-Breast-Cancer-MRI clinical features (Saha et al., Br J Cancer 2018), "
        "via github.com/aconeop/monografia_udea@94bc6e6",
        "CC BY-NC 4.0 (non-commercial)",
        None,
    ),
    "hn_pet_ct": (
        "survival/hn_pet_ct_vallieres2017_outcomes.csv",
        "TCIA Head-Neck-PET-CT outcomes (Vallieres et al., Sci Rep 2017), from "
        "github.com/mvallieres/radiomics@d3a6173 STUDIES/HN_study/WORKSPACE",
        "repository GPL-3; TCIA data CC BY 3.0",
        None,
    ),
    "hnscc": (
        "survival/hnscc_mdacc_clinical.csv",
        "TCIA HNSCC (MDACC) clinical data, github.com/pchlap/ingham-medphys-coding@378ea0d "
        "data/hnscc.csv",
        "CC BY-NC 3.0 (non-commercial)",
        "https://raw.githubusercontent.com/pchlap/ingham-medphys-coding/"
        "378ea0debef0ae027545eb76a8a34be6188f48bc/data/hnscc.csv",
    ),
    "nsclc_radiogenomics": (
        "survival/nsclc_radiogenomics_tcia_clinical.csv",
        "TCIA NSCLC-Radiogenomics clinical data (Bakr et al. 2018), "
        "github.com/lawrence-chillrud/ece475@272c1de",
        "CC BY 3.0 (as listed on TCIA)",
        "https://raw.githubusercontent.com/lawrence-chillrud/ece475/"
        "272c1de21a1e8831e3505733b9d673cfe1e14d29/data/TCIA/manifest/"
        "NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv",
    ),
    "aSAH": (
        "stats/aSAH.csv",
        "pROC's aSAH data (Turck et al. 2010), xrobin/pROC@ee2877e data/aSAH.RData",
        "GPL-3 (pROC)",
        None,
    ),
    "lung": (
        "stats/survival_lung.csv",
        "NCCTG lung cancer data, R survival::lung (therneau/survival@a2533a9, 3.8-11)",
        "LGPL (R survival)",
        None,
    ),
    "ovarian": ("stats/survival_ovarian.csv", "R survival::ovarian", "LGPL (R survival)", None),
    "mgus2": ("stats/survival_mgus2.csv", "R survival::mgus2", "LGPL (R survival)", None),
    "rotterdam": ("stats/survival_rotterdam.csv", "R survival::rotterdam", "LGPL", None),
    "gbsg": ("stats/survival_gbsg.csv", "R survival::gbsg", "LGPL (R survival)", None),
    "hohnloser": ("stats/maxstat_hohnloser.csv", "R maxstat::hohnloser (0.7-25)", "GPL-2", None),
    "DLBCL": ("stats/maxstat_DLBCL.csv", "R maxstat::DLBCL (0.7-25)", "GPL-2", None),
    "treepipit": ("stats/maxstat_treepipit.csv", "R maxstat::treepipit (0.7-25)", "GPL-2", None),
    "dca_binary": (
        "stats/dcurves/df_binary.csv",
        "dcurves 1.1.7 example data (MSKCC)",
        "Apache-2.0 (dcurves)",
        None,
    ),
    "dca_surv": (
        "stats/dcurves/df_surv.csv",
        "dcurves 1.1.7 example data (MSKCC)",
        "Apache-2.0 (dcurves)",
        None,
    ),
}

_PYRAD_CASES = {
    "brain1": ("brain1_image.nrrd", "brain1_label.nrrd", "MR"),
    "brain2": ("brain2_image.nrrd", "brain2_label.nrrd", "MR"),
    "breast1": ("breast1_image.nrrd", "breast1_label.nrrd", "MR"),
    "lung1": ("lung1_image.nrrd", "lung1_label.nrrd", "CT"),
    "lung2": ("lung2_image.nrrd", "lung2_label.nrrd", "CT"),
    "prostate_phantom": (
        "prostate_phantom_subvolume.nrrd",
        "prostate_phantom_subvolume-label.nrrd",
        "MR",
    ),
}


def _cache() -> Path:
    base = os.environ.get("RADNB_CACHE_DIR")
    return (Path(base) if base else Path.home() / ".cache" / "radnb") / "data"


def _find_shared() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return None


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The folder of radnb's real public data.

    Order: ``path``, then ``$RADNB_DATA_DIR``, then a ``shared/data`` folder above
    the package (a source checkout), then the download cache. Raises
    :class:`~radnb.errors.RadnbError` saying how to fix it when none exists.

    Examples
    --------
    >>> data_dir().name
    'data'
    """
    for cand in (path, os.environ.get("RADNB_DATA_DIR")):
        if cand:
            p = Path(cand).expanduser()
            if not p.is_dir():
                raise InvalidParameterError(f"data folder not found: {p}")
            return p
    found = _find_shared()
    if found is not None:
        return found
    if _cache().is_dir():
        return _cache()
    raise RadnbError(
        "radnb's public data folder was not found: pass path=, set RADNB_DATA_DIR, "
        "or call the loader with download=True to fetch it from its public source"
    )


def _download(url: str, dest: Path) -> None:
    if dest.is_file():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    print(f"radnb: downloading {url}\n       -> {dest}")
    tmp = dest.with_suffix(dest.suffix + ".part")
    with urllib.request.urlopen(url, timeout=120) as resp, open(tmp, "wb") as fh:  # noqa: S310
        while chunk := resp.read(1 << 20):
            fh.write(chunk)
    tmp.replace(dest)


def _folder(sub: str, path, download: bool, fetch) -> Path:
    try:
        base = data_dir(path)
        if (base / sub).is_dir():
            return base / sub
    except RadnbError:
        if path is not None:
            raise
    if not download:
        raise RadnbError(
            f"data folder {sub!r} not found (looked in path=, RADNB_DATA_DIR, a source "
            f"checkout's shared/data and {_cache()}); pass download=True to fetch it from "
            "its public source"
        )
    target = _cache() / sub
    fetch(target)
    return target


# ---------------------------------------------------------------- sarcoma PET/MR
def _fetch_sts(target: Path) -> None:
    ids = [f"STS_{i:03d}" for i in range(1, 52)]
    for pid in ids:
        for mod in ("PET", "MR_T1"):
            for kind in ("image", "mask"):
                _download(
                    f"{_IBSI}/ibsi_validation/nifti/{pid}/{mod}_{kind}.nii.gz",
                    target / mod / f"{pid}_{kind}.nii.gz",
                )
    mat = target / "outcome.mat"
    _download(f"{_VALLIERES}/STUDIES/STS_study/WORKSPACE/outcome.mat", mat)
    from scipy.io import loadmat

    values = [v for v in loadmat(str(mat)).values() if hasattr(v, "shape")][0].ravel()
    pd.DataFrame({"patient_id": ids, "lung_metastasis": values.astype(int)}).to_csv(
        target / "outcome.csv", index=False
    )


def load_sts_pet_mr(path: str | os.PathLike | None = None, *, download: bool = False) -> Cohort:
    """Soft-tissue sarcoma FDG-PET + T1 MRI cohort with lung-metastasis labels (51 patients).

    Sequences ``"PET"`` (SUV, ~5 mm voxels) and ``"MR_T1"`` (~1 x 1 x 3.3 mm),
    each with its own ``GTV_Mass`` mask (the two grids differ; both are in the
    same world frame). Clinical column ``lung_metastasis`` (19 of 51 positive).

    Source: TCIA Soft-tissue-Sarcoma (Vallieres et al., Phys Med Biol 60:5471, 2015;
    doi:10.7937/K9/TCIA.2015.7GO2GSKS) as curated by IBSI
    (github.com/theibsi/data_sets@6da9602, Zwanenburg et al., Radiology 2020);
    outcome vector from github.com/mvallieres/radiomics@d3a6173. Licence: CC BY 3.0
    (images, masks); the outcome file sits in a GPL-3.0 repository. Cite both papers.
    A download fetches IBSI's files as they are (the shared copy crops MR around
    the mask; the download does not).

    Examples
    --------
    >>> c = load_sts_pet_mr()
    >>> len(c), int(c.clinical["lung_metastasis"].sum()), c.sequences
    (51, 19, ['PET', 'MR_T1'])
    """
    from radnb.cohort import Cohort

    folder = _folder("sts_pet_mr", path, download, _fetch_sts)
    table = pd.read_csv(folder / "outcome.csv")
    for mod in ("PET", "MR_T1"):
        table[f"image_{mod}"] = [str(folder / mod / f"{p}_image.nii.gz") for p in table.patient_id]
        table[f"mask_{mod}"] = [str(folder / mod / f"{p}_mask.nii.gz") for p in table.patient_id]
    table.attrs["source"] = "TCIA Soft-tissue-Sarcoma via IBSI (CC BY 3.0)"
    return Cohort.from_table(
        table,
        images={"PET": "image_PET", "MR_T1": "image_MR_T1"},
        mask={"PET": "mask_PET", "MR_T1": "mask_MR_T1"},
        split=None,
        outcomes=["lung_metastasis"],
        name="STS PET/MR (Vallieres 2015, IBSI)",
    )


# ---------------------------------------------------------------- PyRadiomics cases
def _fetch_pyrad(target: Path) -> None:
    for case, (img, lab, _) in _PYRAD_CASES.items():
        ref = _PYRAD_HEAD if case == "prostate_phantom" else _PYRAD_TAG
        for f in (img, lab):
            _download(f"{_PYRAD}/{ref}/data/{f}", target / f)


def load_pyradiomics_cases(
    path: str | os.PathLike | None = None,
    *,
    cases: list[str] | None = None,
    download: bool = False,
) -> Cohort:
    """PyRadiomics' own test cases as a Cohort (one sequence, ``"image"``).

    Cases: brain1, brain2, breast1 (MR), lung1, lung2 (CT), prostate_phantom (MR;
    its label map also holds labels 7-9, the tumour is label 1). Clinical
    column ``modality``.

    Source: github.com/AIM-Harvard/pyradiomics, tag v3.1.0 ``data/`` (prostate phantom
    from commit 8ed5793). Licence: BSD-3-Clause (Copyright 2017 Harvard Medical
    School); the repository states no clinical provenance for the volumes.

    Examples
    --------
    >>> c = load_pyradiomics_cases(cases=["brain1", "lung1"])
    >>> c.patient_ids, c.clinical["modality"].tolist()
    (['brain1', 'lung1'], ['MR', 'CT'])
    """
    from radnb.cohort import Cohort

    chosen = list(cases or _PYRAD_CASES)
    bad = [c for c in chosen if c not in _PYRAD_CASES]
    if bad:
        raise InvalidParameterError(
            f"unknown PyRadiomics case(s) {bad}; choose from {list(_PYRAD_CASES)}"
        )
    folder = _folder("pyradiomics", path, download, _fetch_pyrad)
    table = pd.DataFrame(
        {
            "patient_id": chosen,
            "modality": [_PYRAD_CASES[c][2] for c in chosen],
            "image": [str(folder / _PYRAD_CASES[c][0]) for c in chosen],
            "mask": [str(folder / _PYRAD_CASES[c][1]) for c in chosen],
        }
    )
    return Cohort.from_table(
        table, images={"image": "image"}, mask="mask", split=None, name="PyRadiomics test cases"
    )


# ---------------------------------------------------------------- tables
def load_table(
    name: str, path: str | os.PathLike | None = None, *, download: bool = False
) -> pd.DataFrame:
    """A real clinical / reference table by name, with ``.attrs["source"]`` and ``["licence"]``.

    Names (see :data:`TABLES`): survival tables ``gbsg2``, ``rotterdam_survset``,
    ``colon``, ``veteran``, ``hcc``, ``duke_breast``, ``hn_pet_ct``, ``hnscc``,
    ``nsclc_radiogenomics``; statistics references ``aSAH``, ``lung``, ``ovarian``,
    ``mgus2``, ``rotterdam``, ``gbsg``, ``hohnloser``, ``DLBCL``, ``treepipit``,
    ``dca_binary``, ``dca_surv``. Each entry names its source and licence (some
    are non-commercial). Only tables published as CSV on GitHub can be fetched with
    ``download=True``; the others name the package they come from.

    Examples
    --------
    >>> df = load_table("gbsg2")
    >>> df.shape, df.attrs["licence"].split()[0]
    ((686, 10), 'lifelines')
    """
    key = {k.lower(): k for k in TABLES}.get(str(name).lower())
    if key is None:
        raise InvalidParameterError(f"unknown table {name!r}; choose from {sorted(TABLES)}")
    rel, source, licence, url = TABLES[key]
    sub, fname = rel.split("/", 1)

    def fetch(target: Path) -> None:
        if url is None:
            raise InvalidParameterError(
                f"table {key!r} cannot be downloaded by radnb; get it from its source: {source}"
            )
        _download(url, target / fname)

    try:
        folder = _folder(sub, path, download, fetch)
    except RadnbError:
        raise
    file = folder / fname
    if not file.is_file() and download and url is not None:
        _download(url, file)
    if not file.is_file():
        raise RadnbError(f"table file not found: {file}")
    df = pd.read_csv(file, encoding="utf-8-sig")
    df.attrs["source"] = source
    df.attrs["licence"] = licence
    df.attrs["name"] = key
    return df
