"""Viewer backends: NiiVue (default), matplotlib slices, and the optional itkwidgets."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np

from radnb.widgets import _viewer_data as vd

__all__ = ["ItkwidgetsBackend", "NiivueBackend", "SlicesBackend", "make_backend"]


def make_backend(name: str, viewer: Any):
    """The backend object for ``name`` ("niivue", "slices" or "itkwidgets")."""
    backends = {"niivue": NiivueBackend, "slices": SlicesBackend, "itkwidgets": ItkwidgetsBackend}
    if name not in backends:
        raise ValueError(f"backend must be one of {sorted(backends)}, not {name!r}")
    return backends[name](viewer)


class NiivueBackend:
    """ipyniivue 2.4.x: one NiiVue canvas, one ``Volume`` per layer (NIfTI bytes).

    Volumes are cached per layer, so switching sequence only swaps the bottom
    volume; the browser keeps the others (and the sequences seen before).
    """

    _ST = {"axial": "AXIAL", "coronal": "CORONAL", "sagittal": "SAGITTAL",
           "multiplanar": "MULTIPLANAR", "render": "RENDER"}  # fmt: skip

    def __init__(self, viewer: Any) -> None:
        from radnb.errors import require

        ipn = require("ipyniivue", "jupyter", "the NiiVue viewer")
        self.v = viewer
        self._ipn = ipn
        self.nv = ipn.NiiVue(
            height=viewer.height,
            slice_type=getattr(ipn.SliceType, self._ST[viewer.slice_type]),
            is_colorbar=False,
            show_3d_crosshair=True,
            back_color=(0.0, 0.0, 0.0, 1.0),
        )
        self.widget = self.nv
        self._vols: dict[int, Any] = {}
        self.nv.on_location_change(self._on_location)
        self.nv.observe(self._on_attached, names="_canvas_attached")

    def _on_attached(self, change) -> None:
        # ipyniivue 2.4.4 ignores a volumes update that reaches the browser after the
        # model but before its canvas exists, leaving "loading ..." (seen when a cell
        # sets volumes right after creating the viewer). Push them again once attached;
        # The image's bytes are already in the browser; the small overlays are sent
        # again as new volumes (a re-added label volume loses its colour table).
        if change["new"] and self.v.base is not None:
            self.replace_base()

    def _volume(self, layer):
        vol = self._vols.get(id(layer))
        if vol is not None:
            return vol
        data = vd.nifti_bytes(layer.browser)
        self.v.bytes_sent += len(data)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", layer.name)
        kws: dict[str, Any] = {}
        if layer.kind in ("image", "map"):
            kws = {"colormap": layer.colormap}
            if layer.window is not None:
                kws.update(cal_min=float(layer.window[0]), cal_max=float(layer.window[1]))
        vol = self._ipn.Volume(data=data, name=f"{safe}.nii.gz", opacity=layer.opacity, **kws)
        if layer.kind in ("mask", "labels"):
            vol.set_colormap_label(
                vd.label_colormap(layer.labels or {1: layer.name}, layer.colours)
            )
        self._vols[id(layer)] = vol
        return vol

    def _stack(self) -> list:
        if self.v.base is None:
            return []
        return [self._volume(self.v.base)] + [self._volume(x) for x in self.v.layers.values()]

    @property
    def volumes(self) -> list:
        return list(self.nv.volumes)

    def load(self) -> None:
        self._vols = {}
        self.nv.volumes = self._stack()

    def replace_base(self) -> None:
        # ipyniivue 2.4.4 removes the old bottom volume and then reorders; an overlay kept
        # across the switch becomes the background for a moment and the canvas can stay at
        # "loading ..." or lose its colour table (seen with a habitat map over PET -> MR).
        # So: clear, and send the overlays as new (small, cropped) volumes; the images of
        # other sequences are already in the browser and are not sent again.
        for layer in self.v.layers.values():
            self._vols.pop(id(layer), None)
        self.nv.volumes = []
        self.nv.volumes = self._stack()

    def add_layer(self, layer) -> None:
        self.nv.volumes = self._stack()

    def remove_layer(self, layer) -> None:
        self._vols.pop(id(layer), None)
        self.nv.volumes = self._stack()

    def update_layer(self, layer) -> None:
        vol = self._vols.get(id(layer))
        if vol is None:
            return
        vol.opacity = float(layer.opacity)
        if layer.kind in ("image", "map"):
            vol.colormap = layer.colormap
            if layer.window is not None:
                vol.cal_min, vol.cal_max = float(layer.window[0]), float(layer.window[1])

    def set_slice_type(self, slice_type: str) -> None:
        self.nv.set_slice_type(getattr(self._ipn.SliceType, self._ST[slice_type]))

    def move_crosshair(self, point) -> None:
        if self.v.base is not None:
            self.nv.scene.crosshair_pos = vd.ras_frac(self.v.base.browser, point)

    def clear(self) -> None:
        self._vols = {}
        self.nv.volumes = []

    def _on_location(self, data: dict) -> None:
        mm = data.get("mm") if isinstance(data, dict) else None
        if mm is not None and len(mm) >= 3:
            self.v._from_browser(mm)

    def close(self) -> None:
        self.nv.close()


class SlicesBackend:
    """ipywidgets + matplotlib: a PNG of the current slice(s) and a slice slider.

    Works wherever ipywidgets work (and its last image stays in static exports).
    Multiplanar shows axial, coronal and sagittal side by side; there is no 3D
    render.
    """

    def __init__(self, viewer: Any) -> None:
        import ipywidgets as w

        self.v = viewer
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.slider = w.IntSlider(description="slice", min=0, max=0, continuous_update=False)
        self.widget = w.VBox([self.slider, self.image])
        self.widget.add_class("radnb-slices")
        self.renders = 0
        self._quiet = False
        self.slider.observe(self._on_slider, names="value")

    def _axis_view(self) -> str:
        st = self.v.slice_type
        return st if st in ("axial", "coronal", "sagittal") else "axial"

    def _on_slider(self, change) -> None:
        if self._quiet or self.v.base is None:
            return
        vox = list(vd._index_of(self.v.base.image, self.v._point) or (0, 0, 0))
        vox[{"sagittal": 0, "coronal": 1, "axial": 2}[self._axis_view()]] = int(change["new"])
        self.v.go_to(voxel=vox)

    def render(self) -> None:
        """Draw the current slice(s) into the PNG."""
        from matplotlib.figure import Figure

        v = self.v
        if v.base is None:
            self.image.value = b""
            return
        views = (
            ["axial", "coronal", "sagittal"]
            if v.slice_type in ("multiplanar", "render")
            else [v.slice_type]
        )
        vox = vd._index_of(v.base.image, v._point) or tuple(s // 2 for s in v.base.image.GetSize())
        fig = Figure(figsize=(3.6 * len(views), 3.8), constrained_layout=True)
        for ax, view in zip(fig.subplots(1, len(views), squeeze=False)[0], views):
            v.snapshot(
                view=view,
                ax=ax,
                index=int(vox[::-1][{"axial": 0, "coronal": 1, "sagittal": 2}[view]]),
            )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        self.image.value = buf.getvalue()
        self.renders += 1
        axis = {"sagittal": 0, "coronal": 1, "axial": 2}[self._axis_view()]
        self._quiet = True
        try:
            self.slider.max = int(v.base.image.GetSize()[axis]) - 1
            self.slider.value = int(vox[axis])
        finally:
            self._quiet = False

    load = replace_base = render

    def add_layer(self, layer) -> None:
        self.render()

    remove_layer = update_layer = add_layer

    def set_slice_type(self, slice_type: str) -> None:
        self.render()

    def move_crosshair(self, point) -> None:
        self.render()

    def clear(self) -> None:
        self.image.value = b""

    def close(self) -> None:
        self.widget.close()


class ItkwidgetsBackend:
    """itkwidgets (optional; not installed by default, never in CI).

    itkwidgets 1.0a55 loads its viewer from CDNs at run time, so it needs
    internet (offline it renders nothing and can block later cells); it needs
    ``ngff-zarr<0.33`` and takes numpy arrays, not SimpleITK images. Install with
    ``pip install 'radnb[itkwidgets]'``. Crosshair read-out and links are not
    available here.
    """

    def __init__(self, viewer: Any) -> None:
        import ipywidgets as w

        from radnb.errors import require

        self._itk = require("itkwidgets", "itkwidgets", "the itkwidgets backend (needs internet)")
        self.v = viewer
        self.widget = w.Output()

    def load(self) -> None:
        import SimpleITK as sitk
        from IPython.display import display

        v = self.v
        self.widget.clear_output()
        if v.base is None:
            return
        kws = {"image": np.ascontiguousarray(sitk.GetArrayFromImage(v.base.browser))}
        if "mask" in v.layers:
            kws["label_image"] = sitk.GetArrayFromImage(v.layers["mask"].browser)
        with self.widget:
            display(self._itk.view(**kws))

    replace_base = load

    def add_layer(self, layer) -> None:
        self.load()

    remove_layer = update_layer = add_layer

    def set_slice_type(self, slice_type: str) -> None:
        pass

    def move_crosshair(self, point) -> None:
        pass

    def clear(self) -> None:
        self.widget.clear_output()

    def close(self) -> None:
        self.widget.close()
