"""Feature blocks: radiomic, habitat, deep, fusion, robustness (import the submodule you need)."""
