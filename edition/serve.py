"""``edition serve``: build into a temporary directory, serve it, rebuild on change, reload open pages.

Modelled on ``mkdocs/livereload/__init__.py`` (docs/STYLE.md section 6):

* the watchdog callback only records the changed paths and notifies a
  :class:`threading.Condition`; the build runs in the builder thread;
* debounce: after the first event, wait until no event came for ``debounce``
  seconds (save storms, editors' atomic renames), then build once;
* the site is built into a temporary directory (never inside the content
  directory) by :class:`edition.incremental.IncrementalSite`, which rebuilds only
  what a change touches and keeps the last good pages when a source breaks;
* ``epoch`` counts finished builds; it is bumped after every build that changed
  what is served (new pages, or a new list of errors for the overlay), so open
  pages reload and show the current state;
* the reload script and the error overlay are inserted before ``</body>`` when a
  page is served, never written to disk;
* a page request waits while a build is running, so no one sees a half-written
  change; paths are checked segment by segment and against the output directory
  (``/../``, ``%2e%2e``, encoded slashes and backslashes are refused);
* binds 127.0.0.1 unless told otherwise;
* slow work runs in a forked process once the editor has been idle for
  ``detect_delay`` seconds, and is cancelled by the next save: quotation
  detection over every text (until then, links are carried over the edit and
  re-anchored), then the search index; pages whose links changed reload.

Endpoints: ``/__edition/events?epoch=N&path=/texts/a.html`` (server-sent events:
``event: reload`` once a build after epoch N changed that page, its stylesheets or
the errors shown; ``event: epoch`` for other builds), ``/__edition/livereload/<N>?path=...``
(long-poll: answers ``{"epoch": E, "reload": true, "errors": [...]}`` once the page must
reload, or ``"reload": false`` after ``timeout`` seconds), ``/__edition/status``
(at once). Without ``path``, every build counts.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import posixpath
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import engine
from .builder import check_out_dir
from .config import PACKAGE_TEMPLATES
from .engine import BuildState, Report
from .errors import EditionError, Level
from .workers import BackgroundJob

PREFIX = "/__edition/"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
    ".yml": "text/plain; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
}

RELOAD_JS = """(function () {
  var epoch = %(epoch)d;
  var path = encodeURIComponent(window.location.pathname);
  function reload() { window.location.reload(); }
  if (window.EventSource) {
    var es = new EventSource("/__edition/events?epoch=" + epoch + "&path=" + path);
    es.addEventListener("reload", function () { es.close(); reload(); });
    return;
  }
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/__edition/livereload/" + epoch + "?path=" + path);
    xhr.onload = function () {
      var data = JSON.parse(xhr.responseText);
      if (data.reload) { reload(); } else { epoch = data.epoch; poll(); }
    };
    xhr.onerror = function () { setTimeout(poll, 1000); };
    xhr.send();
  }
  poll();
})();"""

OVERLAY_CSS = (
    "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;margin:0;"
    "padding:1em 1.25em;background:#2b0b0b;color:#fff;font:14px/1.45 ui-monospace,monospace;"
    "border-top:4px solid #e5484d;box-shadow:0 -4px 24px rgba(0,0,0,.4)"
)


def content_type(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed.endswith(("+xml", "/xml", "/json", "/javascript")):
        guessed += "; charset=utf-8"
    return guessed


def safe_path(raw: str) -> str | None:
    """The site-relative POSIX path for a request path, or None when it must be refused.

    Refused: encoded slashes or backslashes (``%2f``, ``%5c``), backslashes, NUL,
    invalid percent-encoding, and any ``..`` segment (also ``%2e%2e``): a request
    names a file under the output or nothing."""
    lowered = raw.lower()
    if "%2f" in lowered or "%5c" in lowered or "\\" in raw or "%00" in lowered:
        return None
    try:
        path = urllib.parse.unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in path or "\\" in path:
        return None
    segments = path.split("/")
    if any(s in ("..", ".") for s in segments):
        return None
    # the STYLE way as a second guard: normpath from the root can never climb above it
    norm = posixpath.normpath("/" + path)
    if norm.startswith("/.."):
        return None
    rel = norm.lstrip("/")
    if path.endswith("/") and rel:
        rel += "/"
    return rel


def inject(body: bytes, snippet: str) -> bytes:
    """Insert ``snippet`` before the last ``</body>`` (or at the end)."""
    data = snippet.encode("utf-8")
    idx = body.lower().rfind(b"</body>")
    if idx < 0:
        return body + data
    return body[:idx] + data + body[idx:]


def overlay_html(lines: list[str]) -> str:
    if not lines:
        return ""
    items = "\n".join(html.escape(line) for line in lines)
    return (
        f'<div id="edition-overlay" role="alert" aria-live="assertive" style="{OVERLAY_CSS}">'
        '<button type="button" onclick="this.parentNode.remove()" aria-label="Hide" '
        'style="float:right;background:none;border:1px solid #fff;color:#fff;cursor:pointer">&#x2715;</button>'
        '<strong style="color:#ff9592">edition serve: the last good version of the site is shown.</strong>'
        f'<pre style="margin:.5em 0 0;white-space:pre-wrap">{items}</pre></div>'
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins request threads: no stray threads after stop()
    block_on_close = True
    allow_reuse_address = True
    live: LiveServer


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "edition-serve"
    timeout = 10  # an idle connection cannot hold a thread (and stop()) for long

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.live.handle(self, head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self.server.live.handle(self, head=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.live.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


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
        self._print = out or (lambda s: print(s, file=sys.stderr, flush=True))
        self._cond = threading.Condition()
        self._pending: set[Path] = set()
        self._event_count = 0
        self._building = False
        self._stopping = False
        self._epoch = 0
        self._changes: dict[int, frozenset[str] | None] = {}
        """Epoch -> site paths whose bytes changed in that build (None: every page must reload)."""
        self.builds = 0
        """Number of rebuilds caused by changed files after the first build (tests check debouncing
        with it); background work (quotations, search index) does not count."""
        self.last_report: Report | None = None
        """The last build caused by changed files (what the editor's save did)."""
        self.last_background_report: Report | None = None
        """The last result of background work applied to the site (``quotations``, ``search``)."""
        self.shown_errors: list[str] = []
        """The overlay's lines, set by the builder thread after each build (request threads read
        this list, never the builder's state, which may be changing)."""
        self.watch = watch
        """Watch the files (False: only :meth:`notify` reports changes; tests that need to know
        when a change was taken in)."""
        self.detect_quotations = detect_quotations
        self.build_search = search
        """Build the search index in a background process when the editor is idle."""
        self._search_failed: object = None
        self.detect_delay = detect_delay
        """Seconds without a change before quotations are detected again (detection is costly: a
        burst of saves should not restart it each time)."""
        self._last_build = 0.0
        """Detect quotations in a background process after each change (else links are only carried over)."""
        self._tmp: Path | None = None
        self.site: BuildState | None = None
        self._httpd: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._observer: Any = None
        self._job: BackgroundJob | None = None
        """The background job running now (set by the builder thread)."""

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
        with self._cond:
            return self._epoch

    @property
    def out_dir(self) -> Path:
        assert self.site is not None
        return self.site.out

    def wait_for_epoch(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until the epoch is at least ``n``; False on timeout."""
        with self._cond:
            return (
                self._cond.wait_for(lambda: self._epoch >= n or self._stopping, timeout) and self._epoch >= n
            )

    def settled(self) -> bool:
        """No change waiting, no build running, no background work running or due."""
        with self._cond:
            if self._pending or self._building or self._job is not None or self.site is None:
                return False
        site = self.site
        if self.detect_quotations and site.detection_due():
            return False
        return not (self.build_search and site.search_due() and self._search_failed != site.search_key())

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until :meth:`settled` (False on timeout): what tests compare with ``edition build``."""
        deadline = time.monotonic() + timeout
        while not self.settled():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def error_lines(self) -> list[str]:
        """What the overlay and the terminal show: ``path:line: level: message``."""
        if self.site is None:
            return []
        least = Level.WARNING if self.strict else Level.ERROR
        lines = [str(d) for d in self.site.diagnostics() if d.level >= least]
        if self.site.last_error:
            lines.append(f"build failed: {self.site.last_error.splitlines()[0]}")
        return lines

    def start(self) -> LiveServer:
        # e.g. TMPDIR inside the content directory: refuse before writing anything there
        check_out_dir(self.content, Path(tempfile.gettempdir()) / "edition-serve")
        self._tmp = Path(tempfile.mkdtemp(prefix="edition-serve-"))
        try:
            self.site = BuildState(self.content, self._tmp / "site")
            # quotations are detected in the background once the site is up (they can take seconds)
            report = engine.run(self.site, detect=False)
            self.shown_errors = self.error_lines()
            self._log_report(report, first=True)
            self._epoch = 1
            server_class = _Server6 if ":" in self.host else _Server
            self._httpd = server_class((self.host, self.port), _Handler)
            self._httpd.live = self
            if self.watch:
                self._start_observer()
            self._spawn(self._httpd.serve_forever, "edition-http", 0.1)
            self._spawn(self._build_loop, "edition-builder")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
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
        with self._cond:
            self._pending.update(paths)
            self._event_count += 1
            self._cond.notify_all()

    # -- threads -----------------------------------------------------------------
    def _spawn(self, target: Callable[..., Any], name: str, *args: Any) -> None:
        t = threading.Thread(target=target, name=name, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def _start_observer(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        live = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                if event.is_directory and event.event_type == "modified":
                    return
                paths = [Path(os.fsdecode(event.src_path))]
                dest = getattr(event, "dest_path", "")
                if dest:
                    paths.append(Path(os.fsdecode(dest)))
                assert live.site is not None
                relevant = [p for p in paths if live.site.relevant(p)]
                if relevant:
                    live.notify(*relevant)

        observer = Observer()
        handler = Handler()
        observer.schedule(handler, str(self.content), recursive=True)
        if not PACKAGE_TEMPLATES.resolve().is_relative_to(self.content) and PACKAGE_TEMPLATES.is_dir():
            observer.schedule(handler, str(PACKAGE_TEMPLATES), recursive=True)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def _build_loop(self) -> None:
        assert self.site is not None
        site = self.site
        job: BackgroundJob | None = None
        try:
            while True:
                due_in: float | None = None  # seconds until background work may start
                if job is None:
                    job, due_in = self._start_background()
                self._job = job
                with self._cond:
                    while not (self._pending or self._stopping or (job is not None and job.ready())):
                        if due_in is not None:
                            # wake up when the editor has been idle long enough to detect quotations
                            if not self._cond.wait(timeout=due_in) and not self._pending:
                                break
                            continue
                        self._cond.wait(timeout=0.05 if job is not None else None)
                    if not (self._pending or self._stopping or (job is not None and job.ready())):
                        continue
                    if self._stopping:
                        return
                    if self._pending:
                        # debounce: wait until changes stop for `debounce` seconds
                        while True:
                            n = self._event_count
                            self._cond.wait(timeout=self.debounce)
                            if self._stopping:
                                return
                            if self._event_count == n:
                                break
                        paths, self._pending = self._pending, set()
                        self._building = True
                    else:
                        paths = None
                if paths is not None:
                    if job is not None:
                        # the texts it saw are changing: stop it, start again after this build
                        job.cancel()
                        job = None
                    self._run(lambda p=paths: engine.run(site, p, detect=False))  # type: ignore[misc]
                elif job is not None:
                    finished, job = job, None
                    try:
                        result = finished.result()
                    except RuntimeError as exc:
                        if finished.kind == "search":
                            self._print(f"the search index could not be built: {exc}")
                            self._search_failed = site.search_key()
                            if finished.scratch is not None:
                                shutil.rmtree(finished.scratch, ignore_errors=True)
                        else:
                            self._print(
                                f"quotation detection failed: {exc}; the preview keeps the links it had"
                            )
                            site.links_exact = True  # do not retry until the next edit
                        continue
                    seconds = time.perf_counter() - finished.started
                    with self._cond:
                        self._building = True
                    if finished.kind == "search":
                        for line in result or []:
                            if not self.quiet:
                                self._print(line)
                        scratch = finished.scratch
                        assert scratch is not None
                        self._run(lambda f=finished, sc=scratch: engine.apply_search(site, f.key, sc))  # type: ignore[misc]
                        done = self.last_background_report
                        if not self.quiet and done is not None and done.kind == "search":
                            self._print(f"search index updated in {seconds:.1f} s")
                    else:
                        self._run(
                            lambda f=finished, ls=result: engine.apply_links(site, f.key, ls),  # type: ignore[misc]
                            detect_seconds=seconds,
                        )
        finally:
            if job is not None:
                job.cancel()

    def _start_background(self) -> tuple[BackgroundJob | None, float | None]:
        """Start the next background job if the editor has been idle long enough: quotation
        detection first (the search index shows quotations), then the search index.
        Returns (job, None) or (None, seconds to wait before trying again)."""
        assert self.site is not None
        site = self.site
        wanted = None
        if self.detect_quotations and site.detection_due():
            wanted = "quotations"
        elif self.build_search and site.search_due() and self._search_failed != site.search_key():
            wanted = "search"
        if wanted is None:
            return None, None
        due_in = self.detect_delay - (time.monotonic() - self._last_build)
        if due_in > 0:
            return None, due_in
        try:
            return (engine.start_detection(site) if wanted == "quotations" else engine.start_search(site)), None
        except Exception as exc:  # e.g. no fork on this platform: the preview goes on without it
            self._print(f"cannot run {wanted} in the background: {exc}")
            if wanted == "quotations":
                site.links_exact = True
            else:
                self.build_search = False
            return None, None

    def _run(self, build: Callable[[], Report], detect_seconds: float | None = None) -> None:
        assert self.site is not None
        before = self.error_lines()
        try:
            report = build()
        except Exception as exc:  # a bug in the builder must not kill the preview
            import traceback

            self.site.last_error = f"{type(exc).__name__}: {exc}"
            report = Report("texts", ok=False, error=self.site.last_error + "\n" + traceback.format_exc())
        after = self.error_lines()
        self._last_build = time.monotonic()
        with self._cond:
            self.shown_errors = after
            self._building = False
            if report.kind != "none" or before != after:
                self._epoch += 1
                if report.kind in ("texts", "templates", "full"):
                    self.builds += 1
                ok = report.ok and before == after
                self._changes[self._epoch] = frozenset(self.site.last_changed) if ok else None
                self._changes.pop(self._epoch - 500, None)
            if report.kind in ("texts", "templates", "full"):
                self.last_report = report
            elif report.kind != "none":
                self.last_background_report = report
            self._cond.notify_all()
        if report.kind != "none":
            if detect_seconds is not None and not self.quiet:
                self._print(f"quotations detected in {detect_seconds:.1f} s")
            self._log_report(report)

    def _log_report(self, report: Report, first: bool = False) -> None:
        assert self.site is not None
        for d in report.new_diagnostics:
            if d.level >= Level.ERROR or (not self.quiet and d.level >= Level.WARNING):
                self._print(str(d))
        for d in report.fixed:
            self._print(f"fixed: {d}")
        if not report.ok:
            self._print(f"build failed, still serving the last good site: {report.error}")
            return
        if self.quiet:
            return
        ms = report.seconds * 1000
        if first:
            n = len(self.site.edition.texts) if self.site.edition else 0
            self._print(f"built {n} text(s) in {ms:.0f} ms")
        elif report.kind == "search":
            return
        elif report.kind == "quotations":
            self._print(
                f"quotation links updated: {len(self.site.links)} link(s); "
                f"{len(report.rendered)} text(s) rendered in {ms:.0f} ms"
            )
        else:
            what = ", ".join(str(p) for p in report.changed) or report.kind
            self._print(
                f"rebuilt ({report.kind}: {what}; {len(report.rendered)} text(s) rendered) in {ms:.0f} ms"
            )
        errs = [d for d in self.site.errors()]
        if errs and not first:
            self._print(f"{len(errs)} error(s) remain; the overlay shows them in the browser")

    # -- HTTP ----------------------------------------------------------------------
    LOOPBACK = ("127.0.0.1", "localhost", "::1")

    def host_allowed(self, header: str | None) -> bool:
        """On loopback, only requests addressed to a loopback name: a web page elsewhere cannot
        read the preview through DNS rebinding (a name of theirs resolving to 127.0.0.1)."""
        if self.host not in self.LOOPBACK:
            return True  # the user chose to serve other machines
        if not header:
            return True  # HTTP/1.0 clients may omit it
        name = header.strip().lower()
        if name.startswith("["):
            name = name[1 : name.find("]")] if "]" in name else name
        else:
            name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
        return name in self.LOOPBACK or name.endswith(".localhost")

    def handle(self, req: _Handler, head: bool) -> None:
        if not self.host_allowed(req.headers.get("Host")):
            return self._send(
                req,
                HTTPStatus.MISDIRECTED_REQUEST,
                b"this preview answers on loopback names only\n",
                "text/plain; charset=utf-8",
                head,
            )
        raw = req.path.split("?", 1)[0].split("#", 1)[0]
        query = urllib.parse.parse_qs(req.path.split("?", 1)[1]) if "?" in req.path else {}
        if raw.startswith(PREFIX):
            return self._handle_live(req, raw[len(PREFIX) :], query)
        rel = safe_path(raw)
        if rel is None:
            return self._send(
                req, HTTPStatus.BAD_REQUEST, b"bad request\n", "text/plain; charset=utf-8", head
            )
        # pages that link from the root of the published site (the 404 page: /edition/assets/...)
        # work in the preview too: the base_url's path is served as the root
        base = self._base_path()
        if base and (rel + "/").startswith(base):
            rel = rel[len(base) :]
        # wait for a running (or about to run) build: no one sees a half-written change
        with self._cond:
            self._cond.wait_for(lambda: not (self._building or self._pending) or self._stopping, timeout=30)
            epoch = self._epoch
        assert self.site is not None
        root = self.site.out
        target = root / rel if rel else root
        try:
            resolved = target.resolve()
            if not resolved.is_relative_to(root.resolve()):
                return self._not_found(req, head, epoch)
        except (OSError, RuntimeError):
            return self._not_found(req, head, epoch)
        if resolved.is_dir():
            if rel and not rel.endswith("/"):
                req.send_response(HTTPStatus.MOVED_PERMANENTLY)
                req.send_header("Location", "/" + urllib.parse.quote(rel) + "/")
                req.send_header("Content-Length", "0")
                req.end_headers()
                return None
            resolved = resolved / "index.html"
        try:
            body = resolved.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return self._not_found(req, head, epoch)
        ctype = content_type(resolved.name)
        if ctype.startswith("text/html"):
            body = inject(body, self._snippet(epoch))
        return self._send(req, HTTPStatus.OK, body, ctype, head)

    def _base_path(self) -> str:
        """``edition/`` for ``base_url: https://example.org/edition/``; '' for none or ``/``."""
        config = self.site.config if self.site is not None else None
        if config is None or not config.base_url:
            return ""
        path = urllib.parse.urlsplit(config.base_url).path.strip("/")
        return path + "/" if path else ""

    def _snippet(self, epoch: int) -> str:
        return overlay_html(self.shown_errors) + f"<script>{RELOAD_JS % {'epoch': epoch}}</script>"

    def _not_found(self, req: _Handler, head: bool, epoch: int) -> None:
        if not (self.site and self.site.out.is_dir()):
            body = (
                b"<!DOCTYPE html><html><head><meta charset=utf-8><title>No site yet</title></head><body>"
                b"<h1>The site could not be built yet</h1></body></html>"
            )
            body = inject(body, self._snippet(epoch))
            return self._send(req, HTTPStatus.SERVICE_UNAVAILABLE, body, "text/html; charset=utf-8", head)
        try:  # the site's own 404 page, as a static host would serve it
            body = (self.site.out / "404.html").read_bytes()
        except OSError:
            body = (
                b"<!DOCTYPE html><html><head><meta charset=utf-8><title>Not found</title></head><body>"
                b'<h1>404 Not found</h1><p><a href="/">Home</a></p></body></html>'
            )
        body = inject(body, self._snippet(epoch))
        return self._send(req, HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", head)

    def _send(self, req: _Handler, status: HTTPStatus, body: bytes, ctype: str, head: bool = False) -> None:
        try:
            req.send_response(status)
            req.send_header("Content-Type", ctype)
            req.send_header("Content-Length", str(len(body)))
            req.send_header("Cache-Control", "no-store")
            req.send_header("X-Content-Type-Options", "nosniff")
            req.end_headers()
            if not head:
                req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _status(self, reload: bool = True) -> bytes:
        return json.dumps({"epoch": self._epoch, "reload": reload, "errors": self.shown_errors}).encode(
            "utf-8"
        )

    def needs_reload(self, since: int, page: str | None) -> bool:
        """Whether a page shown at epoch ``since`` must reload now (call with the condition held).

        Only pages whose file changed reload (an edit of one text does not reload every open tab);
        every page reloads when the list of errors changed (the overlay), a stylesheet or script
        changed, or the history does not reach back to ``since``. ``page`` None: any change."""
        if self._epoch <= since:
            return False
        if page is None:
            return True
        for e in range(since + 1, self._epoch + 1):
            if e not in self._changes:
                return True
            changed = self._changes[e]
            if changed is None or page in changed:
                return True
            if any(c.startswith("assets/") or c.endswith((".css", ".js")) for c in changed):
                return True
        return False

    @staticmethod
    def _page_of(query: dict[str, list[str]]) -> str | None:
        """The site path of the page a client shows (``/`` -> ``index.html``)."""
        raw = query.get("path", [None])[0]
        if raw is None:
            return None
        rel = safe_path(raw if raw.startswith("/") else "/" + raw)
        if rel is None:
            return None
        return rel + "index.html" if rel == "" or rel.endswith("/") else rel

    def _handle_live(self, req: _Handler, rest: str, query: dict[str, list[str]]) -> None:
        jtype = "application/json; charset=utf-8"
        if rest == "status":
            with self._cond:
                body = self._status()
            return self._send(req, HTTPStatus.OK, body, jtype)
        if rest.startswith("livereload/"):
            try:
                since = int(rest.split("/", 1)[1])
                timeout = min(float(query.get("timeout", ["30"])[0]), 60.0)
            except ValueError:
                return self._send(req, HTTPStatus.BAD_REQUEST, b"bad epoch\n", "text/plain; charset=utf-8")
            page = self._page_of(query)
            with self._cond:
                self._cond.wait_for(lambda: self.needs_reload(since, page) or self._stopping, timeout)
                body = self._status(self.needs_reload(since, page))
            return self._send(req, HTTPStatus.OK, body, jtype)
        if rest == "events":
            return self._events(req, query)
        return self._send(req, HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _events(self, req: _Handler, query: dict[str, list[str]]) -> None:
        """Server-sent events: ``event: reload`` once the epoch passes the client's."""
        try:
            since = int(query.get("epoch", ["0"])[0])
        except ValueError:
            since = 0
        page = self._page_of(query)
        try:
            req.send_response(HTTPStatus.OK)
            req.send_header("Content-Type", "text/event-stream; charset=utf-8")
            req.send_header("Cache-Control", "no-store")
            req.end_headers()
            req.wfile.write(b"retry: 1000\n\n")
            req.wfile.flush()
            while True:
                with self._cond:
                    self._cond.wait_for(lambda s=since: self._epoch > s or self._stopping, timeout=10)  # type: ignore[misc]
                    if self._stopping:
                        return
                    epoch = self._epoch
                    reload = self.needs_reload(since, page)
                    errors = self.shown_errors if epoch > since else []
                if epoch > since:
                    data = json.dumps({"epoch": epoch, "errors": errors})
                    # "epoch": something changed, not this page (the client need not reload)
                    kind = "reload" if reload else "epoch"
                    req.wfile.write(f"event: {kind}\nid: {epoch}\ndata: {data}\n\n".encode())
                    req.wfile.flush()
                    since = epoch
                else:
                    req.wfile.write(b": keep-alive\n\n")
                    req.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            return


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


__all__ = ["LiveServer", "serve", "safe_path", "content_type", "inject"]
