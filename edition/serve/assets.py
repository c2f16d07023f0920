"""What the preview adds to the pages it serves, never to the files on disk: the reload script,
the error overlay; and the content types it answers with."""

from __future__ import annotations

import html
import mimetypes
import posixpath

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


NO_SITE_YET = (
    b"<!DOCTYPE html><html><head><meta charset=utf-8><title>No site yet</title></head><body>"
    b"<h1>The site could not be built yet</h1></body></html>"
)
NOT_FOUND = (
    b"<!DOCTYPE html><html><head><meta charset=utf-8><title>Not found</title></head><body>"
    b'<h1>404 Not found</h1><p><a href="/">Home</a></p></body></html>'
)


def snippet(epoch: int, errors: list[str]) -> str:
    """The overlay (when there are errors) and the reload script of a page served at ``epoch``."""
    return overlay_html(errors) + f"<script>{RELOAD_JS % {'epoch': epoch}}</script>"


__all__ = ["CONTENT_TYPES", "NOT_FOUND", "NO_SITE_YET", "content_type", "inject", "overlay_html", "snippet"]
