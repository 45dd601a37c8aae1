"""The study wizard's saved state (a project folder) and the code of each step.

``wizard.json`` holds the settings of every finished step and the code it ran;
feature blocks are Parquet files beside it. Everything a step needs to be rebuilt
after a kernel restart is here; images stay where they are (a simulated cohort is
re-simulated from its seed, which reads its cached files back).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["HEADER", "ProjectState", "study_code"]

HEADER = [
    "import radnb as rn",
    "from radnb import datasets",
    "from radnb.features import deep, habitat, radiomic",
]
BLOCK_VARS = {"rad": "rad.features", "hab": "hab", "dl": "dl"}


class ProjectState:
    """Settings and blocks of a wizard project, saved as the wizard goes."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "wizard.json"
        self.data: dict[str, Any] = {}
        if self.path.exists():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))

    @property
    def resumed(self) -> bool:
        return bool(self.data)

    def get(self, step: str, default: Any = None) -> Any:
        return self.data.get(step, default)

    def set(self, step: str, value: Any) -> None:
        self.data[step] = value
        self.save()

    def drop(self, *steps: str) -> None:
        for s in steps:
            self.data.pop(s, None)
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path)

    def save_block(self, name: str, df: pd.DataFrame) -> Path:
        path = self.folder / f"block_{name}.parquet"
        df = df.copy()
        df.attrs = {}
        df.columns = [str(c) for c in df.columns]
        df.to_parquet(path)
        return path

    def drop_block(self, name: str) -> None:
        (self.folder / f"block_{name}.parquet").unlink(missing_ok=True)

    def load_block(self, name: str) -> pd.DataFrame | None:
        path = self.folder / f"block_{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None


def study_code(
    outcome: str,
    train: Any,
    clinical: list[str],
    blocks: list[str],
    signatures: list[dict],
    models: list[dict],
    random_state: int,
) -> str:
    """The radnb calls that build and fit the wizard's Study."""
    lines = [
        f"study = rn.Study(cohort, outcome={outcome!r}, train={train!r}, "
        f"clinical={clinical!r}, random_state={random_state!r})"
    ]
    lines += [f"study.add_block({b!r}, {BLOCK_VARS[b]})" for b in blocks]
    for s in signatures:
        lines.append(
            f"study.signature({s['name']!r}, {s['block']!r}, steps={s['steps']!r}, "
            f"lasso={{'rule': {s['lasso_rule']!r}}}, on_empty='absent')"
        )
    for m in models:
        args = [repr(m["name"])]
        if m["inputs"]:
            args.append(repr(m["inputs"]))
        if m["clinical"] is not None:
            args.append(f"clinical={m['clinical']!r}")
        lines.append(f"study.model({', '.join(args)})")
    lines.append("study.fit()  # every step fitted on the training cohort only")
    return "\n".join(lines)
