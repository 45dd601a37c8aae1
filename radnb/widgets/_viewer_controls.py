"""The Viewer's ipywidgets controls: each one calls a public Viewer method."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["build_controls", "refresh_header", "sync_controls"]

_SEVERITY_COLOURS = {"error": "#b00020", "warning": "#8a6100"}


def build_controls(v: Any) -> None:
    """Create ``v.controls`` (a dict of widgets) and ``v.widget`` (the whole view)."""
    import ipywidgets as w

    from radnb.widgets._viewer_data import COLORMAPS, SLICE_TYPES

    small = w.Layout(width="auto")
    slice_types = SLICE_TYPES if v.backend_name == "niivue" else SLICE_TYPES[:4]
    c = {
        "header": w.HTML(),
        "message": w.HTML(),
        "sequence": w.Dropdown(description="sequence", options=[], layout=w.Layout(width="220px")),
        "slice_type": w.ToggleButtons(
            options=list(slice_types), value=None, style={"button_width": "96px"}
        ),
        "window": w.Dropdown(
            description="window",
            options=list(v.WINDOWS) + ["custom"],
            layout=w.Layout(width="220px"),
        ),
        "mask_style": w.ToggleButtons(
            options=["outline", "filled", "hidden"], value=None, style={"button_width": "70px"}
        ),
        "layer": w.Dropdown(description="layer", options=[], layout=w.Layout(width="220px")),
        "opacity": w.FloatSlider(
            description="opacity", min=0.0, max=1.0, step=0.05, value=1.0, continuous_update=False
        ),
        "colormap": w.Dropdown(
            description="colormap", options=list(COLORMAPS), layout=w.Layout(width="200px")
        ),
        "tumour": w.Button(description="go to tumour", icon="crosshairs", layout=small),
        "readout": w.HTML(),
    }
    v.controls = c
    v._syncing = False

    def guard(fn):
        def handler(change):
            if not v._syncing and change["new"] is not None:
                fn(change["new"])

        return handler

    c["sequence"].observe(guard(v.set_sequence), names="value")
    c["slice_type"].observe(guard(v.set_slice_type), names="value")
    c["window"].observe(guard(lambda val: val != "custom" and v.set_window(val)), names="value")
    c["mask_style"].observe(guard(v.set_mask_style), names="value")
    c["layer"].observe(guard(lambda _: sync_controls(v)), names="value")
    c["opacity"].observe(guard(lambda val: v.set_opacity(c["layer"].value, val)), names="value")

    def colormap(val):
        name = c["layer"].value
        if name is not None and v._layer(name).kind in ("image", "map"):
            v.set_colormap(name, val)

    c["colormap"].observe(guard(colormap), names="value")
    c["tumour"].on_click(lambda _: "mask" in v.layers and v.go_to_tumour())
    row1 = w.HBox([c["sequence"], c["slice_type"]])
    row2 = w.HBox([c["window"], c["mask_style"], c["tumour"]])
    row3 = w.HBox([c["layer"], c["opacity"], c["colormap"]])
    v.widget = w.VBox(
        [c["header"], row1, row2, row3, v._backend.widget, c["readout"], c["message"]],
        layout=w.Layout(width="100%"),
    )
    v.widget.add_class("radnb-viewer")
    sync_controls(v)
    refresh_header(v)


def sync_controls(v: Any) -> None:
    """Show the model's state in the controls (without calling back into it)."""
    c = getattr(v, "controls", None)
    if c is None:
        return
    v._syncing = True
    try:
        seqs = (
            list(v.cohort.sequences)
            if v.cohort is not None
            else ([v.sequence] if v.sequence else [])
        )
        c["sequence"].options = seqs
        c["sequence"].value = v.sequence if v.sequence in seqs else None
        c["sequence"].disabled = v.cohort is None
        c["slice_type"].value = v.slice_type if v.slice_type in c["slice_type"].options else None
        c["window"].value = v.window_name
        has_mask = "mask" in v.layers
        c["mask_style"].value = v.mask_style
        c["mask_style"].disabled = not has_mask
        c["tumour"].disabled = not has_mask
        names = ([v.base.name] if v.base is not None else []) + list(v.layers)
        current = c["layer"].value
        c["layer"].options = names
        c["layer"].value = current if current in names else (names[0] if names else None)
        if c["layer"].value is not None:
            layer = v._layer(c["layer"].value)
            c["opacity"].value = layer.opacity
            c["colormap"].disabled = layer.kind not in ("image", "map")
            if layer.colormap in c["colormap"].options:
                c["colormap"].value = layer.colormap
    finally:
        v._syncing = False


def refresh_header(v: Any) -> None:
    """Patient, sequence, SIMULATED badge; the error and validation problems, coloured."""
    c = getattr(v, "controls", None)
    if c is None:
        return
    badge = ""
    if getattr(v.cohort, "simulated", False):
        badge = "<span style='background:#fff3cd;padding:1px 6px;border-left:3px solid #E69F00'><b>SIMULATED</b></span> "
    who = html.escape(str(v.patient_id)) if v.patient_id is not None else "image"
    seq = f" &middot; {html.escape(str(v.sequence))}" if v.sequence else ""
    info = ""
    if v.base is not None:
        bi = v.base.info
        crop = "cropped around the tumour, " if bi.get("cropped") else ""
        down = f"downsampled x{bi['factor']:.1f}, " if bi.get("factor", 1.0) > 1.01 else ""
        info = f" <small>(browser copy: {crop}{down}{'x'.join(map(str, bi['browser_size']))} voxels)</small>"
    c["header"].value = f"<div class='radnb-viewer-header'>{badge}<b>{who}</b>{seq}{info}</div>"
    rows = []
    if v.message:
        rows.append(("error", v.message))
    probs = v.problems
    if probs is not None and v.patient_id is not None and len(probs):
        mine = probs[probs["patient_id"].astype(str) == str(v.patient_id)]
        rows += [(r.severity, f"{r.check}: {r.message}") for r in mine.itertuples()]
    c["message"].value = "".join(
        f"<div class='radnb-message radnb-{html.escape(sev)}' style='color:{_SEVERITY_COLOURS.get(sev, '#333')}'>"
        f"<b>{html.escape(sev)}</b> {html.escape(msg)}</div>"
        for sev, msg in rows
    )
