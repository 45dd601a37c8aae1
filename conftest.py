"""Root pytest configuration: headless plotting for tests and doctests alike."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
