"""``edition serve`` writes the site ``edition build`` writes, byte for byte (issue 21).

Once serve has settled (the edit taken in, quotations detected again in the background), the
files it serves are compared with a fresh ``edition build`` of the same sources: the sample
edition as it is, then a small edition with quotations through a sequence of edits (edit a
text, add one, delete one, change a template, change ``edition.yaml``). Set aside: the search
index (both are built without it: Pagefind's output is not byte-stable across runs). The
archival bundle ``export/`` (issue 22), which the preview makes in the background once the
editor is idle, is compared too: the index shows its size.
"""

from __future__ import annotations

import difflib
import shutil
import stat
import time
from pathlib import Path

from edition.builder import build
from edition.config import PACKAGE_TEMPLATES
from edition.serve import LiveServer
from tests.support.ci import missing_tool
from tests.support.project import make_edition

REPO = Path(__file__).resolve().parent.parent
SETTLE = 600.0  # seconds: the sample edition's quotation detection takes about a minute

QUOTING = {
    "edition.yaml": "title: Serve equals build\nlanguages: [en]\n",
    "original.txt": (
        "On the Question of the Peasantry\n\n"
        "The alliance of the working class with the peasantry is the foundation of our policy, and "
        "whoever undermines it undermines the revolution itself, whatever slogans he may hide behind.\n\n"
        "A second paragraph talks about something else entirely, the weather in the spring and the "
        "price of grain at the markets of the southern provinces.\n"
    ),
    "original.yaml": "title: The Original\nlang: en\ndate: '1925'\n",
    "reply.txt": (
        "A Reply\n\n"
        'Our critic forgets what was written two years ago: "the alliance of the working class with '
        "the peasantry is the foundation of our policy, and whoever undermines it undermines the "
        'revolution itself." We hold to that.\n'
    ),
    "reply.yaml": "title: A Reply\nlang: en\ndate: '1927'\n",
    "notes.md": "# Notes on the grain question\n\nThe price of grain at the markets was low.\n",
}


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of a site by its POSIX path, without the search index."""
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel.split("/")[0] not in ("pagefind", "search"):
            out[rel] = p.read_bytes()
    return out


def served_files(live: LiveServer) -> dict[str, bytes]:
    """The site once serve has settled and stayed so (the watcher may report a save after
    :meth:`LiveServer.notify` did: a second, late run must not be read half-way)."""
    for _ in range(20):
        assert live.settle(SETTLE), "serve did not settle"
        epoch = live.epoch
        time.sleep(0.3)
        if live.settled() and live.epoch == epoch:
            files = files_of(live.out_dir)
            if live.settled() and live.epoch == epoch:
                return files
    raise AssertionError("serve kept rebuilding")


def assert_same_site(live: LiveServer, content: Path, tmp: Path, step: str) -> None:
    served = served_files(live)
    out = tmp / f"build-{step}"
    result = build(content, out, search=False)
    assert result.out is not None, [str(d) for d in result.diagnostics]
    built = files_of(out)
    state = (live.last_report, live.last_background_report, live.error_lines())
    assert sorted(served) == sorted(built), (step, state)
    differ = [rel for rel in built if built[rel] != served[rel]]
    if differ:
        first = differ[0]
        lines = difflib.unified_diff(
            built[first].decode("utf-8", "replace").splitlines(),
            served[first].decode("utf-8", "replace").splitlines(),
            f"build/{first}",
            f"serve/{first}",
            lineterm="",
        )
        diff = "\n".join(list(lines)[:40])
        raise AssertionError(f"{step}: serve's files differ from build's: {differ[:10]}\n{diff}")


def preview(content: Path) -> LiveServer:
    """A preview (started by ``with``) that learns of changes from the test alone: with the
    watcher, a late event for a save already taken in would start a run while the test reads."""
    return LiveServer(
        content,
        "127.0.0.1",
        0,
        debounce=0.02,
        out=lambda s: None,
        search=False,
        detect_delay=0.0,
        watch=False,
    )


def save(live: LiveServer, files: dict[Path, str | None]) -> None:
    """Write (or, for None, delete) files and wait for serve to take them in."""
    since = live.epoch
    for path, data in files.items():
        if data is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data, encoding="utf-8")
    live.notify(*files)  # as the watcher would
    assert live.wait_for_epoch(since + 1, 30)


def test_sample_edition(tmp_path: Path) -> None:
    sample = REPO / "content"
    if not (sample / "edition.yaml").is_file():
        missing_tool("the sample edition", "content/ is part of the repository (git checkout -- content)")
    content = tmp_path / "content"
    shutil.copytree(sample, content)
    for p in content.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    with preview(content) as live:
        assert_same_site(live, content, tmp_path, "sample")


def test_a_sequence_of_edits(tmp_path: Path) -> None:
    content = make_edition(tmp_path, QUOTING)
    with preview(content) as live:
        assert_same_site(live, content, tmp_path, "first")
        reply = content / "reply.txt"
        save(
            live,
            {reply: reply.read_text(encoding="utf-8").replace("We hold to that.", "We hold to it still.")},
        )
        assert_same_site(live, content, tmp_path, "edit")
        third = (
            'A Third Text\n\nAs was said: "whoever undermines it undermines the revolution itself,'
            ' whatever slogans he may hide behind." So it stands.\n'
        )
        save(
            live,
            {
                content / "third.txt": third,
                content / "third.yaml": "title: A Third Text\nlang: en\ndate: '1926'\n",
            },
        )
        assert_same_site(live, content, tmp_path, "add")
        save(live, {content / "notes.md": None})
        assert_same_site(live, content, tmp_path, "delete")
        base = (PACKAGE_TEMPLATES / "base.html").read_text(encoding="utf-8")
        save(live, {content / "templates" / "base.html": base.replace("</footer>", "<p>MARK</p></footer>")})
        assert_same_site(live, content, tmp_path, "template")
        assert b"MARK" in (live.out_dir / "index.html").read_bytes()
        config = "title: Serve equals build, renamed\nlanguages: [en]\nbase_url: https://example.org/ed/\n"
        save(live, {content / "edition.yaml": config})
        assert_same_site(live, content, tmp_path, "config")
        save(live, {reply: reply.read_text(encoding="utf-8").replace("still", "yet")})
        assert_same_site(live, content, tmp_path, "edit-with-sitemap")
