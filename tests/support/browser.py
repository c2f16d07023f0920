"""Browser-side test tools: Debian's Chromium through Playwright, a static file
server on loopback, the Nu HTML Checker (vnu.jar) and axe-core.

Everything here is installed by ``scripts/test-setup.sh``; the fixtures in
``tests/conftest.py`` find the paths and skip (or, in CI, fail) when a tool is
missing. Use these helpers directly when a test needs more than a fixture::

    with serve_dir(site) as base, launch_browser(chromium_path) as browser:
        page = browser.new_page()
        page.goto(base + "index.html")
        assert run_axe(page, axe_js, impacts={"serious", "critical"}) == []
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach Google's hosts, which the
    # closed network of CI refuses, many connections at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> Path | None:
    """``$EDITION_CHROMIUM``, else Debian's ``/usr/bin/chromium``, else ``chromium`` on PATH."""
    env = os.environ.get("EDITION_CHROMIUM")
    candidates = [env] if env else ["/usr/bin/chromium", shutil.which("chromium")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return Path(c)
    return None


def find_java() -> Path | None:
    java = shutil.which("java")
    return Path(java) if java else None


@contextmanager
def launch_browser(executable: Path | str | None = None, **kwargs: Any) -> Iterator[Any]:
    """A headless Chromium ``playwright.sync_api.Browser``, closed on exit.

    Playwright's own browser download cannot work here, so it drives the
    system Chromium (``executable``, default :func:`find_chromium`)."""
    from playwright.sync_api import sync_playwright

    exe = executable or find_chromium()
    if exe is None:
        raise FileNotFoundError("no Chromium: run `bash scripts/test-setup.sh` (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(exe), args=CHROMIUM_FLAGS, headless=True, **kwargs)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve_dir(path: Path | str) -> Iterator[str]:
    """Serve ``path`` on 127.0.0.1 at a free port in a thread; yields the base URL
    (ending in ``/``). The server is shut down and its socket closed on exit."""
    handler = functools.partial(_QuietHandler, directory=str(path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"serve_dir:{path}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_vnu(
    paths: Iterable[Path | str], jar: Path | str = VNU_JAR, *, errors_only: bool = True
) -> list[dict[str, Any]]:
    """Check HTML files with the Nu HTML Checker; returns its messages (empty = valid).

    Each message is vnu's JSON: ``type``, ``url``, ``lastLine``, ``message``, ...
    One JVM for all files (starting one costs about 2 s)."""
    files = [str(p) for p in paths]
    if not files:
        return []
    java = find_java()
    if java is None:
        raise FileNotFoundError("no java: run `bash scripts/test-setup.sh` (installs default-jre-headless)")
    cmd = [str(java), "-jar", str(jar), "--format", "json", "--exit-zero-always"]
    if errors_only:
        cmd.append("--errors-only")
    proc = subprocess.run(cmd + files, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    # vnu writes its JSON report to stderr.
    report = proc.stderr.strip() or proc.stdout.strip()
    try:
        data = json.loads(report)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"vnu exited {proc.returncode} without a JSON report:\n{report[-2000:]}") from exc
    messages: list[dict[str, Any]] = data.get("messages", [])
    return messages


def format_vnu(messages: Iterable[dict[str, Any]]) -> str:
    """vnu messages as ``file:line: type: message`` lines, for assertion output."""
    lines = []
    for m in messages:
        where = f"{str(m.get('url', '?')).removeprefix('file:')}:{m.get('lastLine', '?')}"
        lines.append(f"{where}: {m.get('type')}: {m.get('message')}")
    return "\n".join(lines)


def run_axe(
    page: Any,
    axe_js: Path | str = AXE_JS,
    *,
    impacts: Iterable[str] | None = None,
    options: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Inject axe-core into a Playwright ``page`` and return its violations.

    ``impacts`` keeps only those impacts (e.g. ``{"serious", "critical"}``);
    ``options`` goes to ``axe.run`` (e.g. ``{"runOnly": ["wcag2a", "wcag2aa"]}``)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    opts = {"resultTypes": ["violations"], **(options or {})}
    script = "async (opts) => (await axe.run(document, opts)).violations"
    violations: list[dict[str, Any]] = page.evaluate(script, opts)
    if impacts is not None:
        keep = set(impacts)
        violations = [v for v in violations if v.get("impact") in keep]
    return violations


def format_axe(violations: Iterable[dict[str, Any]]) -> str:
    """axe violations as ``impact id: help (selectors)`` lines, for assertion output."""
    lines = []
    for v in violations:
        targets = ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        lines.append(f"{v.get('impact')} {v.get('id')}: {v.get('help')} ({targets})")
    return "\n".join(lines)
