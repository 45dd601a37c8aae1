"""Real-browser test harness: JupyterLab on 127.0.0.1 + Debian's Chromium via Playwright.

Used by ``tests/browser/conftest.py``; the pieces are plain functions and small
classes so other browser tests (the step widgets, the wizard) reuse them:

- :class:`LabServer`: JupyterLab on 127.0.0.1, a random free port and a random
  token, every Jupyter folder (config, data, runtime, settings, workspaces) in a
  temporary directory, news and update checks switched off;
- :func:`launch_chromium`: ``/usr/bin/chromium`` (apt package ``chromium``) with
  a fresh profile and the offline flags; never ``playwright install``;
- :class:`Offline`: routes every request and websocket; anything that is not
  loopback is aborted and recorded, so a test asserts that none was attempted;
- :class:`NotebookPage`: open a notebook, accept the kernel dialog, dismiss the
  news pop-up, run all cells, wait on *output areas* (never on cell sources, which
  contain the same text), take screenshots into :data:`SCREENSHOT_DIR`.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("RADNB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _screenshot_dir() -> Path:
    env = os.environ.get("RADNB_SCREENSHOTS")
    if env:
        path = Path(env)
    else:  # outside the checkout, so no screenshot is ever committed
        path = Path(tempfile.gettempdir()) / f"radnb-browser-{time.strftime('%Y%m%d-%H%M%S')}"
    return path  # created by the first screenshot


#: Longest wait for all cells to run, ms (``$RADNB_BROWSER_TIMEOUT`` in seconds; default 600).
TIMEOUT_MS = 1000 * float(os.environ.get("RADNB_BROWSER_TIMEOUT", "600"))
#: Where screenshots go (``$RADNB_SCREENSHOTS`` or a fresh folder under the system temp).
SCREENSHOT_DIR = _screenshot_dir()
#: Paths of the screenshots taken in this run (printed at the end of the pytest run).
SCREENSHOTS: list[Path] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab serving ``root`` on 127.0.0.1 with a random port and token."""

    def __init__(self, root: Path, *, env: dict | None = None, timeout: float = 90.0) -> None:
        self.root = Path(root)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.home = Path(tempfile.mkdtemp(prefix="radnb-lab-"))
        settings = self.home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        # render every cell (JupyterLab 4 otherwise skips off-screen outputs, and a WebGL
        # canvas created off-screen may stay at "loading ...")
        nb_settings = self.home / "settings" / "@jupyterlab" / "notebook-extension"
        nb_settings.mkdir(parents=True)
        (nb_settings / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"})
        )
        full_env = dict(os.environ)
        full_env.pop("MPLBACKEND", None)  # the kernel's inline backend must show figures
        full_env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            JUPYTER_PLATFORM_DIRS="1",
            JUPYTER_NO_CONFIG="1",
            PYTHONUNBUFFERED="1",
        )
        full_env.update(env or {})
        self.log = open(self.home / "lab.log", "w")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=",
            "--ServerApp.open_browser=False",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI runners
            cmd.append("--allow-root")
        self.proc = subprocess.Popen(cmd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait(timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; log:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not start in {timeout} s; log:\n{self.read_log()}")

    def read_log(self) -> str:
        self.log.flush()
        return (self.home / "lab.log").read_text(errors="replace")[-5000:]

    def notebook_url(self, relpath: str) -> str:
        return f"{self.url}/lab/tree/{relpath}?token={self.token}&reset"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class Offline:
    """Abort and record every request that is not to a loopback address."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.allowed = 0

    @staticmethod
    def is_local(url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
            return True
        return (parsed.hostname or "") in LOOPBACK

    def install(self, context) -> None:
        def on_route(route):
            url = route.request.url
            if self.is_local(url):
                self.allowed += 1
                route.continue_()
            else:
                self.blocked.append(url)
                route.abort("blockedbyclient")

        def on_ws(ws):
            if self.is_local(ws.url):
                ws.connect_to_server()
            else:
                self.blocked.append(ws.url)
                ws.close()

        context.route("**/*", on_route)
        context.route_web_socket("**/*", on_ws)

    def check(self) -> None:
        assert not self.blocked, f"the page tried to reach outside hosts: {self.blocked[:20]}"


def launch_chromium(playwright, *, viewport=(1400, 1000)):
    """A Chromium context with a fresh profile, headless, offline flags."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium); "
            "never `playwright install`, which downloads a browser"
        )
    profile = tempfile.mkdtemp(prefix="radnb-chromium-")
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": viewport[0], "height": viewport[1]},
        service_workers="block",
    )


class NotebookPage:
    """One JupyterLab notebook tab driven like a user would."""

    def __init__(self, page, lab: LabServer) -> None:
        self.page = page
        self.lab = lab
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))

    def open(self, relpath: str, *, timeout: float = 60_000) -> NotebookPage:
        self.page.goto(self.lab.notebook_url(relpath), timeout=timeout)
        self.page.wait_for_selector(".jp-Notebook", timeout=timeout)
        self.handle_dialogs()
        self.page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar", timeout=timeout)
        return self

    def handle_dialogs(self) -> None:
        """Accept a 'Select Kernel' dialog and dismiss the news pop-up, if shown."""
        page = self.page
        for _ in range(2):
            dialog = page.locator(".jp-Dialog")
            try:
                dialog.first.wait_for(timeout=3000)
            except Exception:
                break
            accept = dialog.locator(".jp-Dialog-button.jp-mod-accept")
            if accept.count():
                accept.first.click()
            else:
                page.keyboard.press("Escape")
        news = page.locator(".jp-Notification-Toast-info button:has-text('No')")
        if news.count():
            news.first.click()

    def wait_kernel_idle(self, timeout: float = 180_000) -> None:
        self.page.wait_for_function(
            "() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            " return s && s.getAttribute('data-status') === 'idle'; }",
            timeout=timeout,
        )

    def run_all(self, *, timeout: float = TIMEOUT_MS) -> None:
        """Run all cells (Run menu) and wait until no cell is queued or running."""
        page = self.page
        self.wait_kernel_idle()
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item[data-command='runmenu:run-all']").first.click()
        try:
            self._wait_all_run(timeout)
        except Exception as exc:
            prompts = page.locator(".jp-InputArea-prompt").all_inner_texts()
            shot = self.screenshot("run_all_timeout")
            raise AssertionError(
                f"cells still queued or running after {timeout / 1000:.0f} s "
                f"(prompts {prompts}); see {shot}"
            ) from exc

    def _wait_all_run(self, timeout: float) -> None:
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-InputArea-prompt')]"
            ".every(p => !p.textContent.includes('*')) &&"
            " [...document.querySelectorAll('.jp-InputArea-prompt')]"
            ".some(p => /\\[\\d+\\]/.test(p.textContent))",
            timeout=timeout,
            polling=500,
        )

    def output(self, text: str, *, timeout: float = 60_000):
        """The output area that shows ``text`` (waits for it)."""
        loc = self.page.locator(".jp-OutputArea-output", has_text=text).first
        loc.wait_for(timeout=timeout)
        return loc

    def errors(self) -> list[str]:
        """Texts of error outputs (tracebacks) in the notebook."""
        return self.page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
        ).all_inner_texts()

    def screenshot(self, name: str, target=None) -> Path:
        """Save a PNG of the page (or of a locator) under :data:`SCREENSHOT_DIR`."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        (target or self.page).screenshot(path=str(path))
        SCREENSHOTS.append(path)
        print(f"screenshot: {path}")
        return path


def canvas_stats(png_bytes: bytes) -> dict:
    """Fraction of non-black pixels and distinct colours of a canvas screenshot."""
    import io

    import numpy as np
    from PIL import Image

    arr = np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB")).astype(int)
    lit = arr.sum(axis=2) > 30
    colours = len({tuple(c) for c in arr.reshape(-1, 3)[:: max(1, arr.size // 30000)]})
    return {"lit": float(lit.mean()), "colours": colours, "array": arr}
