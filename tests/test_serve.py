"""``edition serve`` as an editor uses it: a real server on a free loopback port,
real file edits on a small edition, a real HTTP client that waits for the
reload event and fetches the new page (issue 5)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edition import pipeline
from edition.config import PACKAGE_TEMPLATES
from edition.model import Link, Passage
from edition.serve import LiveServer, safe_path
from tests.support.ci import missing_tool, require_module
from tests.support.project import make_edition

TIMEOUT = 10.0

FILES = {
    "edition.yaml": "title: Live test\nlanguages: [en]\n",
    "a.txt": "The first text speaks of rivers.\n\nIt has a second paragraph.\n",
    "a.yaml": "title: Text A\nlang: en\n",
    "b.txt": "The second text speaks of mountains.\n",
    "b.yaml": "title: Text B\nlang: en\n",
}


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


def status(live: LiveServer) -> dict:
    return json.loads(get(live.url + "__edition/status")[2])


def wait_reload(live: LiveServer, since: int) -> dict:
    """What a page's long-poll does: wait until the server's epoch passes ``since``."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        data = json.loads(get(f"{live.url}__edition/livereload/{since}?timeout=5")[2])
        if data["epoch"] > since:
            return data
    raise AssertionError(f"no reload event after epoch {since} within {TIMEOUT} s")


def write(path: Path, data: str | bytes) -> None:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


class Terminal:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return make_edition(tmp_path, FILES)


@pytest.fixture
def terminal() -> Terminal:
    return Terminal()


@pytest.fixture
def live(content: Path, terminal: Terminal) -> Iterator[LiveServer]:
    server = LiveServer(content, "127.0.0.1", 0, debounce=0.05, out=terminal, quiet=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")}


def test_edit_reloads_and_shows_new_text(live: LiveServer, content: Path) -> None:
    assert live.url.startswith("http://127.0.0.1:")
    code, headers, page = get(live.url + "texts/a.html")
    assert code == 200 and "rivers" in page
    e0 = status(live)["epoch"]
    write(content / "a.txt", "The first text now speaks of lakes.\n")
    data = wait_reload(live, e0)
    assert data["errors"] == []
    page = get(live.url + "texts/a.html")[2]
    assert "lakes" in page and "rivers" not in page
    # only what the edit touches was rendered: the edited text (and the index)
    assert live.last_report is not None and live.last_report.rendered == ["a"]
    assert live.last_report.changed == [Path("a.txt")]


def test_reload_script_is_injected_when_serving_never_written(live: LiveServer) -> None:
    page = get(live.url + "texts/a.html")[2]
    assert "/__edition/events" in page and page.index("<script>") < page.rindex("</body>")
    on_disk = (live.out_dir / "texts" / "a.html").read_text(encoding="utf-8")
    assert "__edition" not in on_disk
    assert not live.out_dir.resolve().is_relative_to(live.content)


def test_sse_event_stream_announces_reload(live: LiveServer, content: Path) -> None:
    e0 = live.epoch
    got: list[str] = []

    def listen() -> None:
        with urllib.request.urlopen(f"{live.url}__edition/events?epoch={e0}", timeout=TIMEOUT) as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            for raw in r:
                line = raw.decode("utf-8").rstrip("\n")
                got.append(line)
                if line.startswith("data:"):
                    return

    t = threading.Thread(target=listen)
    t.start()
    deadline = time.monotonic() + TIMEOUT
    while not got and time.monotonic() < deadline:  # the stream is open (retry: line)
        time.sleep(0.01)
    write(content / "b.txt", "The second text speaks of valleys.\n")
    t.join(TIMEOUT)
    assert not t.is_alive()
    assert "event: reload" in got
    data = json.loads(next(x for x in got if x.startswith("data:"))[5:])
    assert data["epoch"] > e0
    assert "valleys" in get(live.url + "texts/b.html")[2]


def test_only_pages_that_changed_reload(live: LiveServer, content: Path) -> None:
    """A tab showing text B does not reload when text A is saved; it does when B is, and every tab
    reloads when the overlay changes."""
    e0 = status(live)["epoch"]
    write(content / "a.txt", "The first text now speaks of lakes.\n")
    data = wait_reload(live, e0)  # a client without a path: any build counts
    e1 = data["epoch"]
    b = json.loads(get(f"{live.url}__edition/livereload/{e0}?path=/texts/b.html&timeout=0.3")[2])
    assert b["reload"] is False and b["epoch"] >= e1
    a = json.loads(get(f"{live.url}__edition/livereload/{e0}?path=/texts/a.html&timeout=5")[2])
    assert a["reload"] is True
    home = json.loads(get(f"{live.url}__edition/livereload/{e0}?path=/&timeout=0.3")[2])
    assert home["reload"] is False  # the index shows titles, not text; it did not change
    write(content / "b.txt", b"Broken \xff.\n")
    b = json.loads(get(f"{live.url}__edition/livereload/{e1}?path=/texts/b.html&timeout=5")[2])
    assert b["reload"] is True and b["errors"]
    home = json.loads(get(f"{live.url}__edition/livereload/{e1}?path=/&timeout=5")[2])
    assert home["reload"] is True  # the overlay appears on every page


def test_broken_source_shows_overlay_then_fix_clears_it(
    live: LiveServer, content: Path, terminal: Terminal
) -> None:
    e0 = live.epoch
    write(content / "a.txt", b"The first text speaks of rivers.\n\nBroken \xff byte.\n")
    data = wait_reload(live, e0)
    message = "a.txt:3: error: not UTF-8: byte 0xff at column 8; text skipped (save the file as UTF-8)"
    assert message in data["errors"]
    page = get(live.url + "texts/a.html")[2]
    assert 'id="edition-overlay"' in page and message in page
    assert "rivers" in page  # the last good version stays served
    assert message in terminal.lines  # the terminal prints the same line
    # the other pages carry the overlay too, and the server keeps running
    assert message in get(live.url + "index.html")[2]
    e1 = live.epoch
    write(content / "a.txt", "Fixed text about streams.\n")
    data = wait_reload(live, e1)
    assert data["errors"] == []
    page = get(live.url + "texts/a.html")[2]
    assert "edition-overlay" not in page and "streams" in page
    assert f"fixed: {message}" in terminal.lines


def test_malformed_sidecar_yaml_shows_its_line(live: LiveServer, content: Path) -> None:
    e0 = live.epoch
    write(content / "b.yaml", "title: Text B\nlang: [en\n")
    data = wait_reload(live, e0)
    assert any(line.startswith("b.yaml:") and ": error: malformed YAML" in line for line in data["errors"]), (
        data
    )
    page = get(live.url + "texts/b.html")[2]
    assert "edition-overlay" in page and "mountains" in page
    write(content / "b.yaml", "title: Text B renamed\nlang: en\n")
    data = wait_reload(live, live.epoch)
    assert data["errors"] == []
    page = get(live.url + "texts/b.html")[2]
    assert "Text B renamed" in page and "edition-overlay" not in page
    assert "Text B renamed" in get(live.url + "index.html")[2]


def test_template_edit_rerenders_without_rereading(live: LiveServer, content: Path) -> None:
    assert live.site is not None
    before = {rel: c.text for rel, c in live.site.cache.items()}
    base = (PACKAGE_TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert "</footer>" in base
    e0 = live.epoch
    (content / "templates").mkdir()
    write(content / "templates" / "base.html", base.replace("</footer>", "<p>OWN-TEMPLATE-MARK</p></footer>"))
    wait_reload(live, e0)
    deadline = time.monotonic() + TIMEOUT  # the directory and the file may arrive as two builds
    while "OWN-TEMPLATE-MARK" not in get(live.url + "texts/a.html")[2] and time.monotonic() < deadline:
        wait_reload(live, live.epoch)
    assert "OWN-TEMPLATE-MARK" in get(live.url + "texts/b.html")[2]
    assert live.last_report is not None and live.last_report.kind == "templates"
    after = {rel: c.text for rel, c in live.site.cache.items()}
    assert all(before[rel] is after[rel] for rel in before)  # no source was read again
    assert "OWN-TEMPLATE-MARK" not in (content / "templates" / "base.html").read_text().replace(
        "OWN-TEMPLATE-MARK", ""
    )


def test_template_syntax_error_keeps_last_good_site(live: LiveServer, content: Path) -> None:
    (content / "templates").mkdir()
    e0 = live.epoch
    write(content / "templates" / "base.html", "<html><body>{% if %}</body></html>\n")
    deadline = time.monotonic() + TIMEOUT
    data = wait_reload(live, e0)
    while not data["errors"] and time.monotonic() < deadline:
        data = wait_reload(live, data["epoch"])
    assert any("templates/base.html:1" in line and "template" in line for line in data["errors"]), data
    assert "rivers" in get(live.url + "texts/a.html")[2]
    os.remove(content / "templates" / "base.html")
    data = wait_reload(live, live.epoch)
    while data["errors"] and time.monotonic() < deadline:
        data = wait_reload(live, data["epoch"])
    assert data["errors"] == []


def test_deleted_and_new_source(live: LiveServer, content: Path) -> None:
    e0 = live.epoch
    os.remove(content / "b.txt")
    os.remove(content / "b.yaml")
    wait_reload(live, e0)
    assert get(live.url + "texts/b.html")[0] == 404
    assert "Text B" not in get(live.url + "index.html")[2]
    assert not (live.out_dir / "tei" / "b.xml").exists()
    e1 = live.epoch
    write(content / "c.yaml", "title: Text C\nlang: en\n")
    write(content / "c.txt", "A new text about the sea.\n")
    wait_reload(live, e1)
    deadline = time.monotonic() + TIMEOUT
    while get(live.url + "texts/c.html")[0] != 200 and time.monotonic() < deadline:
        wait_reload(live, live.epoch)
    code, _, page = get(live.url + "texts/c.html")
    assert code == 200 and "the sea" in page and "Text C" in page
    assert "Text C" in get(live.url + "index.html")[2]


def test_editor_temp_files_are_ignored_and_atomic_save_works(live: LiveServer, content: Path) -> None:
    builds = live.builds
    for name in (".a.txt.swp", "a.txt~", ".#a.txt", "4913", "#a.txt#"):
        write(content / name, "scratch\n")
    time.sleep(0.4)  # several debounce periods: nothing may be rebuilt
    assert live.builds == builds
    assert get(live.url + "texts/4913.html")[0] == 404
    # an atomic save: write a temporary file, rename it over the source
    e0 = live.epoch
    tmp = content / ".a.txt.tmp123"
    write(tmp, "Saved atomically: deltas.\n")
    os.replace(tmp, content / "a.txt")
    wait_reload(live, e0)
    assert "deltas" in get(live.url + "texts/a.html")[2]


def test_save_storm_is_debounced(live: LiveServer, content: Path) -> None:
    builds = live.builds
    e0 = live.epoch
    for i in range(30):
        write(content / "a.txt", f"Version {i} of the text.\n")
    wait_reload(live, e0)
    deadline = time.monotonic() + TIMEOUT
    while "Version 29 " not in get(live.url + "texts/a.html")[2] and time.monotonic() < deadline:
        wait_reload(live, live.epoch)
    assert "Version 29 " in get(live.url + "texts/a.html")[2]
    assert live.builds - builds <= 5  # 30 saves, a handful of builds (more only on a loaded machine)


@pytest.mark.parametrize(
    "raw",
    [
        "/../../../../etc/passwd",
        "/texts/../../edition.yaml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E%2Fedition.yaml",
        "/texts/..%2f..%2fedition.yaml",
        "/..%5c..%5cetc%5cpasswd",
        "/texts\\..\\..\\a.txt",
        "/%252e%252e/edition.yaml",
        "/%00",
        "/%ff%fe",
    ],
)
def test_traversal_is_refused(live: LiveServer, raw: str) -> None:
    host, port = live.url.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    conn.request("GET", raw)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status in (400, 404)
    assert b"root:" not in body and b"languages: [en]" not in body and b"rivers" not in body


def test_other_host_names_are_refused_on_loopback(live: LiveServer) -> None:
    """DNS rebinding: a page on evil.example whose name resolves to 127.0.0.1 gets nothing."""
    host, port = live.url.split("//")[1].rstrip("/").split(":")
    for name, expected in (
        (f"evil.example:{port}", 421),
        (f"127.0.0.1:{port}", 200),
        (f"localhost:{port}", 200),
        (f"[::1]:{port}", 200),
    ):
        conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
        conn.putrequest("GET", "/index.html", skip_host=True)
        conn.putheader("Host", name)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == expected, name
        if expected == 421:
            assert b"Live test" not in body


def test_safe_path() -> None:
    assert safe_path("/texts/a.html") == "texts/a.html"
    assert safe_path("/") == ""
    assert safe_path("/texts/") == "texts/"
    assert safe_path("/%E5%85%B3.html") == "关.html"
    for bad in ("/../x", "/a/../../x", "/%2e%2e/x", "/a%2fb", "/a%5cb", "/a\\b", "/.%2e/x", "/%zz/../x"):
        assert safe_path(bad) is None, bad


def test_content_types_and_loopback(live: LiveServer) -> None:
    expected = {
        "index.html": "text/html; charset=utf-8",
        "texts/a.html": "text/html; charset=utf-8",
        "tei/a.xml": "application/xml; charset=utf-8",
        "links.json": "application/json; charset=utf-8",
        "assets/style.css": "text/css; charset=utf-8",
        "sources/a.txt": "text/plain; charset=utf-8",
        "__edition/status": "application/json; charset=utf-8",
    }
    for rel, ctype in expected.items():
        code, headers, _ = get(live.url + rel)
        assert code == 200, rel
        assert headers["Content-Type"] == ctype, rel
    code, headers, page = get(live.url + "texts")  # a directory without index.html: redirected, then 404
    assert code == 404 and headers["Content-Type"] == "text/html; charset=utf-8" and "/__edition/" in page
    assert live.url.startswith("http://127.0.0.1:")


def wait_until(predicate, timeout: float = TIMEOUT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_base_url_path_is_served_as_the_root(tmp_path: Path) -> None:
    content = make_edition(
        tmp_path, {**FILES, "edition.yaml": "title: T\nbase_url: https://example.org/ed/\n"}
    )
    with LiveServer(content, "127.0.0.1", 0, out=lambda s: None, detect_quotations=False) as live:
        assert get(live.url + "ed/assets/style.css")[0] == 200
        assert "rivers" in get(live.url + "ed/texts/a.html")[2]
        assert "rivers" in get(live.url + "texts/a.html")[2]
        assert get(live.url + "ed/../ed/texts/a.html")[0] in (400, 404)


def test_strict_shows_warnings_in_the_overlay(tmp_path: Path) -> None:
    content = make_edition(tmp_path, {**FILES, "b.yaml": "lang: en\n"})
    with LiveServer(content, "127.0.0.1", 0, out=lambda s: None, detect_quotations=False) as live:
        assert status(live)["errors"] == []
    with LiveServer(
        content, "127.0.0.1", 0, out=lambda s: None, detect_quotations=False, strict=True
    ) as live:
        assert status(live)["errors"] == ["b.yaml:1: warning: no 'title': using the file name"]
        assert "edition-overlay" in get(live.url + "texts/b.html")[2]


def test_search_index_is_built_in_the_background_and_kept(live: LiveServer, content: Path) -> None:
    """The search index is built once the editor is idle, survives a template change (which
    renders every page into a new directory) and follows an edit."""
    require_module("pagefind")
    assert live.site is not None
    wait_until(lambda: not live.site.search_due(), timeout=60)  # type: ignore[union-attr]
    assert (live.out_dir / "pagefind" / "pagefind.js").is_file()
    code, headers, _ = get(live.url + "pagefind/pagefind.js")
    assert code == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    e0 = live.epoch
    (content / "templates").mkdir()
    base = (PACKAGE_TEMPLATES / "base.html").read_text(encoding="utf-8")
    write(content / "templates" / "base.html", base.replace("</footer>", "<p>MARK</p></footer>"))
    wait_reload(live, e0)
    wait_until(lambda: "MARK" in get(live.url + "texts/a.html")[2])
    assert (live.out_dir / "pagefind" / "pagefind.js").is_file()  # carried over
    write(content / "a.txt", "The first text now speaks of glaciers.\n")
    wait_until(lambda: live.site.search_due(), timeout=TIMEOUT)  # type: ignore[union-attr]
    wait_until(lambda: not live.site.search_due(), timeout=60)  # type: ignore[union-attr]
    assert (live.out_dir / "pagefind" / "pagefind.js").is_file()
    assert not list(live.out_dir.parent.glob(".search-*"))  # scratch directories are cleaned up


def test_quotation_neighbours_are_rerendered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The edited text and the texts linked to it by quotations are rendered again at once, others
    are not; quotation detection then runs in the background and the texts whose links changed are
    rendered again. Detection is replaced by a tiny fake: texts holding the word 'shared' are linked."""

    def fake_detect(edition) -> None:  # type: ignore[no-untyped-def]
        have = sorted(tid for tid, tx in edition.texts.items() if "shared" in "".join(tx.root.itertext()))
        edition.links = [
            Link(
                f"l{a}-{b}",
                "verbatim",
                1.0,
                Passage(a, "p1", "shared", 2, 8),
                Passage(b, "p1", "shared", 2, 8),
            )
            for a, b in zip(have, have[1:], strict=False)
        ]

    monkeypatch.setattr(pipeline, "ACROSS", pipeline.Ruler([("quotations", fake_detect)]))
    content = make_edition(
        tmp_path,
        {
            **FILES,
            "a.txt": "A shared passage.\n",
            "b.txt": "B shared passage.\n",
            "c.txt": "C alone.\n",
            "c.yaml": "title: Text C\nlang: en\n",
        },
    )
    with LiveServer(content, "127.0.0.1", 0, debounce=0.05, out=lambda s: None, search=False) as live:
        assert live.site is not None
        # the site is up before quotations are detected; the links arrive with a later reload
        wait_until(lambda: live.site.links_exact and live.epoch >= 2)  # type: ignore[union-attr]
        assert [(ln.a.text, ln.b.text) for ln in live.site.links] == [("a", "b")]
        done = live.last_background_report
        assert done is not None and done.kind == "quotations" and done.rendered == ["a", "b"]
        assert "Text B" in get(live.url + "texts/a.html")[2]
        e0 = live.epoch
        write(content / "a.txt", "A shared passage, edited.\n")
        wait_reload(live, e0)
        assert live.last_report is not None
        assert live.last_report.rendered == ["a", "b"]  # the edited text and its quotation neighbour
        wait_until(lambda: live.site.links_exact)  # type: ignore[union-attr]
        e1 = live.epoch
        write(content / "c.txt", "C shared now.\n")
        wait_reload(live, e1)
        assert live.last_report.rendered == ["c"]  # nothing links to c yet
        wait_until(lambda: live.site.links_exact and live.epoch >= e1 + 2)  # type: ignore[union-attr]
        done = live.last_background_report
        assert done is not None and done.kind == "quotations" and done.rendered == ["b", "c"]
        assert "Text B" in get(live.url + "texts/c.html")[2]


def test_links_carried_over_an_edit_are_reanchored_or_dropped(tmp_path: Path) -> None:
    from edition.config import load_config
    from edition.engine import revalidate
    from edition.errors import Diagnostics

    content = make_edition(tmp_path, {**FILES, "a.txt": "Before. The shared words stand here.\n"})
    config = load_config(content, Diagnostics())
    a = pipeline.read_text(config, Path("a.txt"), Diagnostics())
    b = pipeline.read_text(config, Path("b.txt"), Diagnostics())
    assert a is not None and b is not None
    quote = "The shared words"
    start = "Before. The shared words stand here.".index(quote)
    link = Link(
        "q1",
        "verbatim",
        0.9,
        Passage("a", "p1", quote, start, start + len(quote)),
        Passage("b", "p1", "x", 0, 1),
    )
    texts = {"a": a, "b": b}
    assert revalidate([link], texts, {"a"}) == [link]  # unchanged passage: the same link
    (content / "a.txt").write_text("Much longer before. The shared words stand here.\n", encoding="utf-8")
    a2 = pipeline.read_text(config, Path("a.txt"), Diagnostics())
    assert a2 is not None
    (moved,) = revalidate([link], {"a": a2, "b": b}, {"a"})
    assert moved.a.quote == quote and moved.a.start == start + len("Much longer ") and moved.b == link.b
    (content / "a.txt").write_text("The words were rewritten.\n", encoding="utf-8")
    a3 = pipeline.read_text(config, Path("a.txt"), Diagnostics())
    assert a3 is not None
    assert revalidate([link], {"a": a3, "b": b}, {"a"}) == []  # the passage is gone: so is the link
    assert revalidate([link], {"a": a}, set()) == []  # the other text is gone


def test_edition_yaml_change_rebuilds_everything(live: LiveServer, content: Path) -> None:
    e0 = live.epoch
    write(content / "edition.yaml", "title: Renamed edition\nlanguages: [en]\n")
    wait_reload(live, e0)
    assert "Renamed edition" in get(live.url + "index.html")[2]
    assert "Renamed edition" in get(live.url + "texts/b.html")[2]
    assert live.last_report is not None and live.last_report.kind == "full"
    e1 = live.epoch
    write(content / "edition.yaml", "title: [broken\n")
    data = wait_reload(live, e1)
    assert any(line.startswith("edition.yaml:") for line in data["errors"]), data
    assert "Renamed edition" in get(live.url + "index.html")[2]  # the last good site stays


def test_port_in_use_is_reported(content: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from edition.serve import serve

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert serve(content, "127.0.0.1", port, quiet=True) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_in_a_browser_page_follows_edits_and_errors(live: LiveServer, content: Path, browser: Any) -> None:
    """Headless Chromium: the injected script reloads the open page on save, shows the overlay for
    a broken source and removes it once fixed; a tab on another text is not reloaded."""
    context = browser.new_context()
    try:
        page = context.new_page()
        other = context.new_page()
        page.goto(live.url + "texts/a.html")
        other.goto(live.url + "texts/b.html")
        other.evaluate("window.__notReloaded = true")
        assert "rivers" in page.inner_text("main")
        write(content / "a.txt", "The first text now speaks of lakes.\n")
        page.wait_for_function("document.body.innerText.includes('lakes')", timeout=TIMEOUT * 1000)
        write(content / "a.txt", b"The first text speaks of rivers.\n\nBroken \xff byte.\n")
        overlay = page.wait_for_selector("#edition-overlay", timeout=TIMEOUT * 1000)
        assert overlay is not None and "a.txt:3: error: not UTF-8" in overlay.inner_text()
        assert "lakes" in page.inner_text("main")  # the last good page under the overlay
        other.wait_for_selector("#edition-overlay", timeout=TIMEOUT * 1000)  # every tab shows it
        write(content / "a.txt", "Fixed text about streams.\n")
        page.wait_for_selector("#edition-overlay", state="detached", timeout=TIMEOUT * 1000)
        assert "streams" in page.inner_text("main")
        # the overlay reloaded every tab; after that, edits of text A leave the tab on B alone
        other.wait_for_selector("#edition-overlay", state="detached", timeout=TIMEOUT * 1000)
        other.wait_for_load_state()
        other.evaluate("window.__notReloaded = true")
        write(content / "a.txt", "Fixed text about brooks.\n")
        page.wait_for_function("document.body.innerText.includes('brooks')", timeout=TIMEOUT * 1000)
        time.sleep(0.3)
        assert other.evaluate("window.__notReloaded === true")
    finally:
        context.close()


def test_refuses_a_temporary_directory_inside_the_content(
    content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from edition.errors import ConfigError

    inside = content / "tmp"
    inside.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(inside))
    before = snapshot(content)
    with pytest.raises(ConfigError, match="inside the content directory"):
        LiveServer(content, "127.0.0.1", 0, out=lambda s: None).start()
    assert snapshot(content) == before


def test_sample_edition_copy_follows_an_edit(tmp_path: Path) -> None:
    """The repository's sample edition (a copy; content/ itself is never touched)."""
    import shutil
    import stat

    sample = Path(__file__).resolve().parent.parent / "content"
    if not (sample / "trotsky-letter-1927-03-31.txt").is_file():
        missing_tool("the sample edition", "content/ is part of the repository (git checkout -- content)")
    content = tmp_path / "content"
    shutil.copytree(sample, content)
    for p in content.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    with LiveServer(content, "127.0.0.1", 0, debounce=0.05, out=lambda s: None) as live:
        letter = content / "trotsky-letter-1927-03-31.txt"
        text = letter.read_text(encoding="utf-8")
        assert "Dear Comrades" in text
        e0 = live.epoch
        write(letter, text.replace("Dear Comrades", "Dear Friends and Comrades", 1))
        data = wait_reload(live, e0)
        assert not any("trotsky-letter" in line and ": error:" in line for line in data["errors"])
        assert "Dear Friends and Comrades" in get(live.url + "texts/trotsky-letter-1927-03-31.html")[2]
        assert live.last_report is not None and "trotsky-letter-1927-03-31" in live.last_report.rendered


def test_stop_leaves_no_threads_no_temp_dir_and_content_untouched(content: Path) -> None:
    before_threads = set(threading.enumerate())
    before = snapshot(content)
    live = LiveServer(content, "127.0.0.1", 0, debounce=0.05, out=lambda s: None).start()
    tmp = live.out_dir.parent
    # hold an event stream and a long-poll open while stopping
    streams = [urllib.request.urlopen(f"{live.url}__edition/events?epoch={live.epoch}", timeout=TIMEOUT)]
    poller = threading.Thread(target=get, args=(f"{live.url}__edition/livereload/{live.epoch}?timeout=30",))
    poller.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    live.stop()
    poller.join(TIMEOUT)
    assert time.monotonic() - t0 < 5
    for s in streams:
        s.close()
    assert not tmp.exists()
    leftover = [t for t in threading.enumerate() if t not in before_threads and t.is_alive()]
    assert leftover == []
    assert snapshot(content) == before


def _processes_mentioning(needle: str) -> list[str]:
    """Command lines of running processes that contain ``needle`` (forked workers keep the
    server's command line)."""
    found = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (d / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if needle in cmd and state != "Z":
            found.append(f"{d.name}: {cmd}")
    return found


def test_command_line_serve_and_sigint(content: Path, tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1"}
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    with subprocess.Popen(
        [sys.executable, "-m", "edition", "serve", str(content), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            url = None
            deadline = time.monotonic() + TIMEOUT
            lines = []
            assert proc.stderr is not None
            while url is None and time.monotonic() < deadline:
                line = proc.stderr.readline()
                if not line:
                    break
                lines.append(line)
                if " at http://127.0.0.1:" in line:
                    url = line.split(" at ", 1)[1].split()[0]
            assert url, lines
            code, _, page = get(url + "texts/a.html")
            assert code == 200 and "rivers" in page
            assert list(tmpdir.iterdir())  # the site is built in the temporary directory
            t0 = time.monotonic()
            os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
            rest = proc.communicate(timeout=TIMEOUT)[1]
            assert time.monotonic() - t0 < 4, "stopping took too long"
            assert proc.returncode == 0, lines + [rest]
            assert "Traceback" not in rest
            with pytest.raises(ProcessLookupError):  # no process of the server is left (quotation worker)
                os.killpg(proc.pid, 0)
            assert _processes_mentioning(str(content)) == []  # nor the search worker (its own group)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert list(tmpdir.iterdir()) == []
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
