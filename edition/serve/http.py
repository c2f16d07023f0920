"""The preview's HTTP side: the site's files (a request waits for a running build), the reload
endpoints, and the checks on every request (loopback names only; paths checked segment by segment).

Endpoints: ``/__edition/events?epoch=N&path=/texts/a.html`` (server-sent events:
``event: reload`` once a build after epoch N changed that page, its stylesheets or
the errors shown; ``event: epoch`` for other builds), ``/__edition/livereload/<N>?path=...``
(long-poll: answers ``{"epoch": E, "reload": true, "errors": [...]}`` once the page must
reload, or ``"reload": false`` after ``timeout`` seconds), ``/__edition/status``
(at once). Without ``path``, every build counts.
"""

from __future__ import annotations

import json
import posixpath
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .assets import NO_SITE_YET, NOT_FOUND, content_type, inject, snippet
from .status import Status

PREFIX = "/__edition/"
PENDING_WAIT = 120.0
"""Seconds a request for a file made in the background (the archival bundle) waits for it."""


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


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins request threads: no stray threads after stop()
    block_on_close = True
    allow_reuse_address = True
    requests: Requests


class Server6(Server):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.0"
    server_version = "edition-serve"
    timeout = 10  # an idle connection cannot hold a thread (and stop()) for long

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.handle(self, head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self.server.requests.handle(self, head=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.requests.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class Requests:
    """Answers the preview's requests from the site in ``out_dir()``."""

    def __init__(
        self,
        status: Status,
        out_dir: Callable[[], Path | None],
        base_url: Callable[[], str],
        host: str,
        log_requests: bool = False,
        pending: Callable[[str], bool] = lambda rel: False,
    ) -> None:
        self.status = status
        self.out_dir = out_dir
        self.base_url = base_url
        self.host = host
        self.log_requests = log_requests
        self.pending = pending
        """Whether a missing site path is being made in the background (the archival bundle,
        ``export/``): its request waits for it rather than getting a 404."""

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

    def handle(self, req: Handler, head: bool) -> None:
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
        epoch = self.status.wait_built()  # no one sees a half-written change
        root = self.out_dir()
        if root is None:
            return self._not_found(req, head, epoch)
        target = root / rel if rel else root
        deadline = time.monotonic() + PENDING_WAIT
        while rel and not target.exists() and self.pending(rel) and time.monotonic() < deadline:
            time.sleep(0.25)  # (asking costs a look at every text: not every 20 ms)
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
        base_url = self.base_url()
        if not base_url:
            return ""
        path = urllib.parse.urlsplit(base_url).path.strip("/")
        return path + "/" if path else ""

    def _snippet(self, epoch: int) -> str:
        return snippet(epoch, self.status.shown_errors)

    def _not_found(self, req: Handler, head: bool, epoch: int) -> None:
        root = self.out_dir()
        if root is None or not root.is_dir():
            body = inject(NO_SITE_YET, self._snippet(epoch))
            return self._send(req, HTTPStatus.SERVICE_UNAVAILABLE, body, "text/html; charset=utf-8", head)
        try:  # the site's own 404 page, as a static host would serve it
            body = (root / "404.html").read_bytes()
        except OSError:
            body = NOT_FOUND
        body = inject(body, self._snippet(epoch))
        return self._send(req, HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", head)

    def _send(self, req: Handler, status: HTTPStatus, body: bytes, ctype: str, head: bool = False) -> None:
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

    def _handle_live(self, req: Handler, rest: str, query: dict[str, list[str]]) -> None:
        jtype = "application/json; charset=utf-8"
        if rest == "status":
            with self.status.cond:
                body = self.status.payload()
            return self._send(req, HTTPStatus.OK, body, jtype)
        if rest.startswith("livereload/"):
            try:
                since = int(rest.split("/", 1)[1])
                timeout = min(float(query.get("timeout", ["30"])[0]), 60.0)
            except ValueError:
                return self._send(req, HTTPStatus.BAD_REQUEST, b"bad epoch\n", "text/plain; charset=utf-8")
            page = self._page_of(query)
            with self.status.cond:
                self.status.cond.wait_for(lambda: self.status.needs_reload(since, page) or self.status.stopping, timeout)
                body = self.status.payload(self.status.needs_reload(since, page))
            return self._send(req, HTTPStatus.OK, body, jtype)
        if rest == "events":
            return self._events(req, query)
        return self._send(req, HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _events(self, req: Handler, query: dict[str, list[str]]) -> None:
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
                with self.status.cond:
                    self.status.cond.wait_for(lambda s=since: self.status.epoch > s or self.status.stopping, timeout=10)  # type: ignore[misc]
                    if self.status.stopping:
                        return
                    epoch = self.status.epoch
                    reload = self.status.needs_reload(since, page)
                    errors = self.status.shown_errors if epoch > since else []
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


def make_server(host: str, port: int, requests: Requests) -> Server:
    server = (Server6 if ":" in host else Server)((host, port), Handler)
    server.requests = requests
    return server


__all__ = ["PREFIX", "Requests", "Server", "make_server", "safe_path"]
