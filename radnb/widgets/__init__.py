"""Widgets: thin ipywidgets views over radnb calls.

Nothing is imported until used: ``radnb.widgets.view(cohort, "p001")`` opens a
:class:`~radnb.widgets.viewer.Viewer`; :class:`~radnb.widgets.browser.CohortBrowser`
shows the cohort table, its validation problems and a QA gallery; the step
widgets and the study wizard (issue 12) load the same way. Every control calls
a public function that can be called in a cell instead.

One table, :mod:`radnb._lazy`: a missing ipywidgets surfaces as ImportError
(with its own message), never as "has no attribute".
"""

from __future__ import annotations

from radnb._lazy import attach

_WHERE = {
    "Viewer": "radnb.widgets.viewer",
    "view": "radnb.widgets.viewer",
    "CohortBrowser": "radnb.widgets.browser",
    "DeepPanel": "radnb.widgets.deep",
    "ExtractionPanel": "radnb.widgets.extraction",
    "HabitatExplorer": "radnb.widgets.habitat",
    "ModelBoard": "radnb.widgets.models",
    "StudyWizard": "radnb.widgets.wizard",
    "SurvivalExplorer": "radnb.widgets.survival",
}

__getattr__, __dir__, __all__ = attach(__name__, _WHERE)
