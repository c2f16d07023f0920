"""``edition serve``: build into a temporary directory, serve it, rebuild on change, reload open pages.

Modelled on ``mkdocs/livereload/__init__.py`` (docs/STYLE.md section 6). Three parts:

* :mod:`.watch`: the watchdog observer and the builder thread, which runs the build engine
  (:func:`edition.engine.run`) on what changed and the slow work (quotations, search index) in
  the background; it keeps the last good pages when a source breaks;
* :mod:`.http`: the HTTP server (binds 127.0.0.1 unless told otherwise): a page request waits
  while a build is running; paths are checked segment by segment and against the output
  directory (``/../``, ``%2e%2e``, encoded slashes and backslashes are refused);
* :mod:`.assets`: the reload script and the error overlay, inserted before ``</body>`` when a
  page is served, never written to disk.

``epoch`` (:mod:`.status`) counts finished builds; it is bumped after every build that changed
what is served (new pages, or a new list of errors for the overlay), so open pages reload.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..builder import check_out_dir
from ..engine import BuildState, Report
from ..errors import EditionError
from .assets import content_type, inject
from .http import Requests, Server, make_server, safe_path
from .status import Status, wait_until
from .watch import Builder, start_observer


class LiveServer:
    """A running preview: builder thread, watchdog observer, HTTP server.

    ``start()`` builds once, then serves and watches; ``stop()`` stops every
    thread and removes the temporary directory. Usable as a context manager."""

    def __init__(
        self,
        content: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        quiet: bool = True,
        strict: bool = False,
        debounce: float = 0.1,
        out: Callable[[str], None] | None = None,
        log_requests: bool = False,
        detect_quotations: bool = True,
        detect_delay: float = 1.0,
        search: bool = True,
        watch: bool = True,
    ) -> None:
        self.content = Path(content).resolve()
        self.host = host
        self.port = port
        self.quiet = quiet
        self.strict = strict
        self.debounce = debounce
        self.log_requests = log_requests
        self.print = out or (lambda s: print(s, file=sys.stderr, flush=True))
        self.status = Status()
        self.watch = watch
        """Watch the files (False: only :meth:`notify` reports changes; tests that need to know
        when a change was taken in)."""
        self.detect_delay = detect_delay
        self.search = search
        self._detect_quotations = detect_quotations
        self.site: BuildState | None = None
        self.builder: Builder | None = None
        self._tmp: Path | None = None
        self._httpd: Server | None = None
        self._threads: list[threading.Thread] = []
        self._observer: Any = None

    # -- public ----------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() first"
        addr = self._httpd.server_address
        raw, port = addr[0], addr[1]
        host = raw.decode() if isinstance(raw, bytes) else str(raw)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    @property
    def epoch(self) -> int:
        with self.status.cond:
            return self.status.epoch

    @property
    def out_dir(self) -> Path:
        assert self.site is not None
        return self.site.out

    def _built(self) -> Builder:
        assert self.builder is not None, "start() first"
        return self.builder

    @property
    def builds(self) -> int:
        return self._built().builds

    @property
    def last_report(self) -> Report | None:
        return self._built().last_report

    @property
    def last_background_report(self) -> Report | None:
        return self._built().last_background_report

    @property
    def detect_quotations(self) -> bool:
        """Detect quotations in the background after each change (else links are only carried over)."""
        return self.builder.detect_quotations if self.builder is not None else self._detect_quotations

    @detect_quotations.setter
    def detect_quotations(self, value: bool) -> None:
        self._detect_quotations = value
        if self.builder is not None:
            self.builder.detect_quotations = value

    def wait_for_epoch(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until the epoch is at least ``n``; False on timeout."""
        return self.status.wait_for_epoch(n, timeout)

    def settled(self) -> bool:
        """No change waiting, no build running, no background work running or due."""
        return self.builder is not None and self.builder.settled()

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until :meth:`settled` (False on timeout): what tests compare with ``edition build``."""
        return wait_until(self.settled, timeout)

    def error_lines(self) -> list[str]:
        """What the overlay and the terminal show: ``path:line: level: message``."""
        return self.builder.error_lines() if self.builder is not None else []

    def start(self) -> LiveServer:
        # e.g. TMPDIR inside the content directory: refuse before writing anything there
        check_out_dir(self.content, Path(tempfile.gettempdir()) / "edition-serve")
        self._tmp = Path(tempfile.mkdtemp(prefix="edition-serve-"))
        try:
            # the archival bundle export/, which `edition build` writes and every page links, is
            # made in the background (edition.engine.background.start_bundle says why)
            self.site = BuildState(self.content, self._tmp / "site", background_bundle=True)
            self.builder = Builder(
                self.site,
                self.status,
                self.print,
                quiet=self.quiet,
                strict=self.strict,
                debounce=self.debounce,
                detect_quotations=self._detect_quotations,
                detect_delay=self.detect_delay,
                search=self.search,
            )
            self.builder.first_build()
            site, builder = self.site, self.builder
            requests = Requests(
                self.status,
                lambda: site.out,
                lambda: site.config.base_url if site.config is not None else "",
                self.host,
                self.log_requests,
                lambda rel: rel.startswith("export/") and builder.bundle_pending(),
            )
            self._httpd = make_server(self.host, self.port, requests)
            if self.watch:
                self._observer = start_observer(self.content, site.relevant, self.status.notify)
            self._spawn(self._httpd.serve_forever, "edition-http", 0.1)
            self._spawn(self.builder.loop, "edition-builder")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.status.stop()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(5)
            except Exception:  # pragma: no cover - stopping anyway
                pass
            self._observer = None
        if self._httpd is not None:
            if any(t.name == "edition-http" and t.is_alive() for t in self._threads):
                self._httpd.shutdown()
            self._httpd.server_close()  # joins request threads
        for t in self._threads:
            t.join(10)
        self._threads = []
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def notify(self, *paths: Path) -> None:
        """Record changed paths and wake the builder (what the watchdog callback does)."""
        self.status.notify(paths)

    def _spawn(self, target: Callable[..., Any], name: str, *args: Any) -> None:
        t = threading.Thread(target=target, name=name, args=args, daemon=True)
        t.start()
        self._threads.append(t)


def serve(
    content: Path | str,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    strict: bool = False,
    quiet: bool = False,
) -> int:
    """Run the preview until Ctrl-C (SIGINT) or SIGTERM; 0 on a clean stop."""
    live = LiveServer(content, host, port, quiet=quiet, strict=strict)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            live.start()
        except OSError as exc:
            print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        except EditionError as exc:
            print(exc, file=sys.stderr)
            return 1
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(f"warning: serving on {host}: other machines can reach this preview", file=sys.stderr)
        print(f"Serving {live.content} at {live.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        if open_browser:
            import webbrowser

            webbrowser.open(live.url)
        while not stop.wait(0.5):
            pass
        if not quiet:
            print("stopping", file=sys.stderr, flush=True)
        return 0
    finally:
        live.stop()
        for s, h in old.items():
            signal.signal(s, h)


__all__ = ["LiveServer", "content_type", "inject", "safe_path", "serve"]
