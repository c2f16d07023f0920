"""``edition check`` as an editor runs it: exact ``path:line: level: message`` lines,
JSON for tools, exit status, nothing written to the content directory (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edition.check import broken_links, check
from edition.cli import main
from edition.config import PACKAGE_TEMPLATES
from tests.support.ci import missing_tool
from tests.support.project import make_edition

CLEAN = {
    "edition.yaml": "title: Check test\nlanguages: [en]\n",
    "a.txt": "The first text speaks of rivers.\n",
    "a.yaml": "title: Text A\nlang: en\n",
}


def lines(diags) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(d) for d in diags]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")}


def test_clean_edition_has_nothing_to_report(tmp_path: Path) -> None:
    content = make_edition(tmp_path, CLEAN)
    before = snapshot(content)
    diags = check(content, schema=False)
    assert [d for d in lines(diags) if ": info: " not in d] == []
    assert snapshot(content) == before  # nothing written in the content directory


def test_metadata_problems_with_locations(tmp_path: Path) -> None:
    content = make_edition(
        tmp_path,
        {
            **CLEAN,
            "b.txt": "Second text.\n",
            "b.yaml": "lang: en\nauthr: Someone\n",
            "c.txt": "Third text.\n",
            "c.yaml": "title: C\nlang: [en\n",
            "d.txt": "Fourth text.\n",
            "d.yaml": "title: D\nlang: english!\ndate: March 1927\n",
            "orphan.yaml": "title: Nobody\n",
        },
    )
    out = lines(check(content, schema=False))
    assert "b.yaml:1: warning: no 'title': using the file name" in out
    assert "b.yaml:2: warning: unknown metadata key 'authr'. Did you mean 'author'?" in out
    assert any(x.startswith("c.yaml:3: error: malformed YAML") for x in out), out
    assert "d.yaml:2: error: 'english!' is not a BCP 47 language tag (e.g. en, zh-Hans)" in out
    assert "d.yaml:3: error: date 'March 1927' is not ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD)" in out
    assert any(x.startswith("orphan.yaml:1: warning: metadata file without a source") for x in out), out


def test_notes_without_bodies_or_markers(tmp_path: Path) -> None:
    content = make_edition(
        tmp_path,
        {
            **CLEAN,
            "n.txt": "正文有一个注①，还有一个注②。\n\n①第一个注的内容。——编者注\n\n③没有标记的注。——编者注\n",
            "n.yaml": "title: 注\nlang: zh\n",
        },
    )
    out = lines(check(content, schema=False))
    assert any(x.startswith("n.txt:1: warning: note marker ② has no body") for x in out), out
    assert any(x.startswith("n.txt:5: warning: note body ③ has no marker in the text") for x in out), out


def test_invalid_utf8_is_an_error_with_line(tmp_path: Path) -> None:
    content = make_edition(
        tmp_path, {**CLEAN, "bad.txt": b"line one\nline \xe9two\n", "bad.yaml": "title: B\nlang: en\n"}
    )
    out = lines(check(content, schema=False))
    assert "bad.txt:2: error: not UTF-8: byte 0xe9 at column 6; text skipped (save the file as UTF-8)" in out


def test_plain_text_that_looks_like_an_extracted_book(tmp_path: Path) -> None:
    lines = []
    for i in range(30):
        lines += [f"Line {i} of the extracted page text goes on here", ""]
        if i % 10 == 9:
            lines += [" ", "", "", ""]  # a page break as PDF extraction leaves it
    content = make_edition(
        tmp_path, {**CLEAN, "book.txt": "\n".join(lines) + "\n", "book.yaml": "title: B\nlang: en\n"}
    )
    out = [str(d) for d in check(content, schema=False)]
    assert (
        "book.txt:1: warning: looks like text extracted from a PDF book (double-spaced lines, page breaks); "
        "set 'format: book'" in out
    ), out


def test_broken_internal_links_in_rendered_site(tmp_path: Path) -> None:
    base = (PACKAGE_TEMPLATES / "base.html").read_text(encoding="utf-8")
    own = base.replace(
        "</footer>",
        '<p><a href="{{ root }}missing.html">missing</a> <a href="{{ root }}index.html#nowhere">anchor</a> '
        '<a href="https://example.org/x">external</a> <a href="#main">fine</a></p></footer>',
    )
    content = make_edition(tmp_path, {**CLEAN, "templates/base.html": own})
    before = snapshot(content)
    out = lines(check(content, schema=False))
    broken = [x for x in out if "broken link" in x]
    assert all(x.startswith("site/") and "comes from a template" in x for x in broken), broken
    assert any("missing.html'" in x for x in broken), broken
    assert any("no such file in the site" in x for x in broken), broken
    assert any("no element with id 'nowhere' on that page" in x for x in broken), broken
    assert not any("example.org" in x or "'#main'" in x for x in broken), broken
    # one line per broken target, not one per page
    assert len(broken) == 2, broken
    assert snapshot(content) == before


def test_broken_link_in_a_text_points_at_its_source_line(tmp_path: Path) -> None:
    content = make_edition(
        tmp_path,
        {
            **CLEAN,
            "m.md": "# Title\n\nFirst paragraph.\n\nSee [there](#nowhere) and [other](other.html).\n",
            "m.yaml": "title: M\nlang: en\n",
        },
    )
    broken = [str(d) for d in check(content, schema=False) if d.code == "broken-link"]
    assert len(broken) == 2, broken
    assert all(x.startswith("m.md:5: warning: broken link '") for x in broken), broken
    assert any("no element with id 'nowhere' on that page" in x for x in broken)
    assert any("'other.html' on texts/m.html:" in x and "no such file in the site" in x for x in broken)


def test_template_errors_are_located_in_the_edition(tmp_path: Path) -> None:
    content = make_edition(
        tmp_path,
        {
            **CLEAN,
            "templates/text.html": "{% extends 'base.html' %}{% block main %}{{ nothing.x }}{% endblock %}\n",
        },
    )
    out = [str(d) for d in check(content, schema=False)]
    assert "templates/text.html:1: error: template error in text.html: 'nothing' is undefined" in out, out


def test_broken_links_function(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "texts").mkdir(parents=True)
    (site / "index.html").write_text(
        '<html><body><a href="texts/a.html#p1">ok</a> <a href="texts/a.html#p9">bad id</a>'
        '<a href="/ed/texts/a.html">abs ok</a> <a href="/other/x.html">outside</a>'
        '<img src="img/none.png"><a href="mailto:x@example.org">m</a></body></html>',
        encoding="utf-8",
    )
    (site / "texts" / "a.html").write_text(
        '<html><body><p id="p1">x <a href="../index.html">up</a>'
        '<a href="../../x.html">climb</a></p></body></html>',
        encoding="utf-8",
    )
    found = {(b.page, b.href, b.reason.split(" (")[0]) for b in broken_links(site, "https://example.org/ed/")}
    assert found == {
        ("index.html", "texts/a.html#p9", "no element with id 'p9' on that page"),
        ("index.html", "/other/x.html", "points outside the site"),
        ("index.html", "img/none.png", "no such file in the site"),
        ("texts/a.html", "../../x.html", "points outside the site"),
    }


def test_cli_text_json_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warn = make_edition(tmp_path, {**CLEAN, "b.txt": "Second.\n", "b.yaml": "lang: en\n"}, name="warn")
    assert main(["check", str(warn), "--no-schema"]) == 0
    out = capsys.readouterr()
    assert "b.yaml:1: warning: no 'title': using the file name" in out.out.splitlines()
    assert "0 error(s), 1 warning(s)" in out.err
    assert main(["check", str(warn), "--no-schema", "--strict"]) == 1
    capsys.readouterr()
    err = make_edition(tmp_path, {**CLEAN, "c.txt": "C.\n", "c.yaml": "title: C\nlang: [en\n"}, name="err")
    assert main(["check", str(err), "--no-schema", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 1
    (d,) = [d for d in data["diagnostics"] if d["level"] == "error"]
    assert (
        d["path"] == "c.yaml"
        and d["line"] == 3
        and d["code"] == "yaml"
        and d["message"].startswith("malformed YAML")
    )


def test_sample_edition_defects_are_located() -> None:
    """The sample edition: every message carries a path, and a line where the problem has one."""
    content = Path(__file__).resolve().parent.parent / "content"
    if not content.is_dir():
        missing_tool("the sample edition", "content/ is part of the repository (git checkout -- content)")
    before = snapshot(content)
    diags = check(content, schema=False)
    for d in diags:
        assert str(d.location.path) and not Path(str(d.location.path)).is_absolute(), d
    assert snapshot(content) == before


def test_tei_validation_runs_when_schema_present(tmp_path: Path, tei_schema: object) -> None:
    content = make_edition(tmp_path, CLEAN)
    out = lines(check(content, schema=True))
    assert not any("tei-invalid" in x or "not valid tei_all" in x for x in out), out


ODD_READER = '''"""A reader plugin whose TEI is not valid: a line with '~' gets an element TEI does not have."""
from edition.sources import register_reader
from edition.sources.base import Reader, ReadResult
from edition.tei import E, set_line


class OddReader(Reader):
    name = "odd"
    extensions = (".odd",)

    def read(self, src, diags):
        div = E.div()
        for n, line in enumerate(src.body.splitlines(), src.body_line):
            if line.strip():
                p = E.p(line.replace("~", ""))
                set_line(p, n)
                if "~" in line:
                    p.append(E.lantern())
                div.append(p)
        return ReadResult(text=E.text(E.body(div)))


register_reader(OddReader)
'''


def test_check_reports_invalid_tei_at_the_source_line(tmp_path: Path, tei_schema_path: Path) -> None:
    """`edition check`, run as a command with a reader plugin whose output is not tei_all
    (issue 20): the error names the source file and the line the invalid element came from."""
    import os
    import subprocess
    import sys

    content = make_edition(tmp_path, {
        "edition.yaml": "title: Lamps\nlanguages: [en]\n",
        "harbour.odd": "The harbour lights are lit at dusk.\n\nA keeper trims each wick by hand~\n",
        "harbour.yaml": "title: Harbour Lights\nlang: en\n",
    })  # fmt: skip
    (tmp_path / "odd_reader.py").write_text(ODD_READER, encoding="utf-8")
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(repo)])}
    run = "import sys, odd_reader; from edition.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", run, "check", str(content)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ": error: " in ln]
    assert errors, proc.stdout + proc.stderr
    assert all(ln.startswith("harbour.odd:3: error: generated TEI (tei/harbour.xml:") for ln in errors), errors
    assert any("is not valid tei_all:" in ln and "lantern" in ln for ln in errors), errors
