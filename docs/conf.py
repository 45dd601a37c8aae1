"""Sphinx configuration of the radnb documentation site (``make docs``).

The site builds offline: no intersphinx, no CDN assets (``_ext/radnb_docs.py`` checks
the HTML), notebooks rendered from the executed copies the test run saves (executed at
build time only when absent or stale), and warnings are errors (``-W --keep-going``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))  # document this checkout's radnb

import radnb  # noqa: E402

# Notebooks executed at build time write their outputs outside the checkout.
os.environ.setdefault("RADNB_OUT", tempfile.mkdtemp(prefix="radnb-docs-out-"))
# ... and show their figures (the kernel's inline backend, as in JupyterLab)
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

project = "radnb"
author = "radnb developers"
copyright = "radnb developers, Apache-2.0"
version = release = radnb.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",  # also loads myst_parser for docs/*.md
    "radnb_docs",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = [
    "_build",
    "_executed",
    "_screenshots",
    "_ext",
    "_templates",
    "**/.ipynb_checkpoints",
]
templates_path = ["_templates"]

# autodoc / autosummary / numpydoc: stubs are written by radnb_docs from __all__.
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# MyST (user guide) and myst-nb (notebooks).
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # outputs come from the test run; stale/missing ones set "force"
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_in_temp = False
nb_merge_streams = True
nb_ipywidgets_js = {}  # the default loads require.js and the widget manager from CDNs

# HTML: pydata-sphinx-theme, everything served from the build folder.
html_theme = "pydata_sphinx_theme"
html_title = f"radnb {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "icon_links": [],
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_copy_source = False
