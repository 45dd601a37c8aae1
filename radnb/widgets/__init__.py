"""Widgets: thin ipywidgets views over radnb calls (import a submodule to use one)."""
