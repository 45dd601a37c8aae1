"""Widgets: thin ipywidgets views over radnb calls.

Nothing is imported until used: ``radnb.widgets.view(cohort, "p001")`` opens a
:class:`~radnb.widgets.viewer.Viewer`; :class:`~radnb.widgets.browser.CohortBrowser`
shows the cohort table, its validation problems and a QA gallery. Every control
calls a public function that can be called in a cell instead.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CohortBrowser", "Viewer", "view"]

_WHERE = {
    "Viewer": "radnb.widgets.viewer",
    "view": "radnb.widgets.viewer",
    "CohortBrowser": "radnb.widgets.browser",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'radnb.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# the step widgets and the study wizard (issue 12), loaded on first use as well
__all__ += [
    "DeepPanel", "ExtractionPanel", "HabitatExplorer", "ModelBoard", "StudyWizard",
    "SurvivalExplorer",
]  # fmt: skip
_WHERE.update(
    {
        "DeepPanel": "radnb.widgets.deep",
        "ExtractionPanel": "radnb.widgets.extraction",
        "HabitatExplorer": "radnb.widgets.habitat",
        "ModelBoard": "radnb.widgets.models",
        "StudyWizard": "radnb.widgets.wizard",
        "SurvivalExplorer": "radnb.widgets.survival",
    }
)
