"""The build as a user runs it: `edition build`, its exit codes, messages and output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from edition.cli import main
from edition.tei import NS
from tests.support.project import make_edition

REPO = Path(__file__).resolve().parent.parent
SIMPLE = {
    "edition.yaml": "title: Test Edition\nlanguages: [en]\n",
    "a.txt": "A Title Line\n\nThe first paragraph of the text, which is long enough to be a paragraph.\n",
    "a.yaml": "title: Text A\nauthor: Someone\nlang: en\ndate: 1927-03-31\n",
}


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edition", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def build(tmp_path: Path, files: dict[str, str | bytes], *extra: str) -> tuple[int, str, Path]:
    content = make_edition(tmp_path, files)
    out = tmp_path / "site"
    proc = run("build", content, "-o", out, "--no-search", *extra)
    return proc.returncode, proc.stderr, out


def test_build_writes_site_tei_and_sources(tmp_path: Path) -> None:
    code, err, out = build(tmp_path, SIMPLE)
    assert code == 0, err
    assert "built 1 text(s)" in err
    for rel in ("index.html", "texts/a.html", "tei/a.xml", "sources/a.txt", "sources/a.yaml", "links.json"):
        assert (out / rel).is_file(), rel
    assert (out / "sources/a.txt").read_bytes() == (tmp_path / "content/a.txt").read_bytes()
    page = lxml.html.parse(str(out / "texts/a.html")).getroot()
    assert page.get("lang") == "en"
    assert "Text A" in page.findtext(".//h1")
    assert "../tei/a.xml" in page.xpath("//a/@href")


def test_no_edition_yaml_and_only_title_lang_sidecar(tmp_path: Path) -> None:
    code, err, out = build(
        tmp_path, {"b.txt": "Just one paragraph of text.\n", "b.yaml": "title: B\nlang: en\n"}
    )
    assert code == 0, err
    assert "content" in (out / "index.html").read_text()  # the directory's name is the edition's title


def test_python_build_py_is_the_same_command(tmp_path: Path) -> None:
    content = make_edition(tmp_path, SIMPLE)
    proc = subprocess.run(
        [sys.executable, "build.py", str(content), "-o", str(tmp_path / "o"), "--no-search", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o/tei/a.xml").is_file()


def test_help_explains_every_option() -> None:
    proc = run("build", "--help")
    assert proc.returncode == 0
    for opt in ("-o OUT", "--strict", "--quiet", "--verbose", "content"):
        assert opt in proc.stdout
    assert "Exit codes" in run("--help").stdout


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert run("build", tmp_path / "missing").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("build", "--no-such-option").returncode == 2


def test_not_utf8_reports_line_and_builds_the_others(tmp_path: Path) -> None:
    files = dict(SIMPLE)
    files["bad.txt"] = "first line\nsecond line \xe9\n".encode("latin-1")
    files["bad.yaml"] = "title: Bad\nlang: en\n"
    code, err, out = build(tmp_path, files)
    assert code == 1
    assert "bad.txt:2: error: not UTF-8: byte 0xe9 at column 13; text skipped" in err
    assert not out.exists()  # errors: no site; see test_failed_build_keeps_previous_site


def test_errors_do_not_hide_other_errors(tmp_path: Path) -> None:
    files = {
        "fm.md": "---\ntitle: [unclosed\nlang: en\n---\n\nBody.\n",
        "side.txt": "Text.\n",
        "side.yaml": "title: Side\nlang: en\n  bad: indent\n",
        "empty.txt": "",
        "empty.yaml": "title: Empty\nlang: en\n",
        "weird.xyz": "What is this?\n",
        "forced.txt": "Text.\n",
        "forced.yaml": "title: F\nlang: en\nformat: docx\n",
        "dup.txt": "Text of dup.\n",
        "dup.yaml": "id: same\ntitle: D1\nlang: en\n",
        "dup2.txt": "Text of dup2.\n",
        "dup2.yaml": "id: same\ntitle: D2\nlang: en\n",
    }
    code, err, _ = build(tmp_path, files)
    assert code == 1
    lines = err.splitlines()
    assert any(x.startswith("fm.md:3: error: malformed YAML") for x in lines), err
    assert any(x.startswith("side.yaml:3: error: malformed YAML") for x in lines), err
    assert "empty.txt:1: error: empty source: nothing to publish" in lines
    assert any(x.startswith("weird.xyz: error: unknown format for suffix '.xyz'") for x in lines), err
    assert any(x.startswith("forced.yaml:3: error: unknown format 'docx'") for x in lines), err
    assert (
        "dup2.txt: error: duplicate text id 'same' (also used by dup.txt); set a different 'id' in its metadata; text skipped"
        in lines
    )


def test_warnings_with_strict_fail(tmp_path: Path) -> None:
    files = {"a.txt": "一 标题\n\n正文①。\n", "a.yaml": "title: A\nlang: zh\n"}
    code, err, out = build(tmp_path, files)
    assert code == 0, err
    assert "a.txt:3: warning: note marker ① has no body in '一 标题'; the mark is kept in the text" in err
    code, err, _ = build(tmp_path, files, "--strict")
    assert code == 1
    assert "build failed: 0 error(s), 1 warning(s); warnings (--strict)" in err


def test_missing_metadata_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    code, err, _ = build(tmp_path, {"x.txt": "Text.\n"})
    assert code == 0
    assert "x.txt: warning: no 'title': using the file name" in err
    assert "x.txt: warning: no 'lang': assuming 'und' (undetermined)" in err


def test_bad_metadata_values(tmp_path: Path) -> None:
    code, err, _ = build(
        tmp_path, {"x.txt": "Text.\n", "x.yaml": "title: X\nlang: english!\ndate: March 1927\ntitel: typo\n"}
    )
    assert code == 1
    assert "x.yaml:2: error: 'english!' is not a BCP 47 language tag (e.g. en, zh-Hans)" in err
    assert "x.yaml:3: error: date 'March 1927' is not ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD)" in err
    assert "x.yaml:4: warning: unknown metadata key 'titel'. Did you mean 'title'?" in err


def test_values_of_the_wrong_shape_are_located_errors(tmp_path: Path) -> None:
    files = {
        "edition.yaml": "title: [One, Two]\nlanguages: [en]\neditors: {name: X}\nbase_url: example.org/ed\n",
        "x.txt": "Text.\n",
        # YAML reads 2027-13-45 as a date and fails on it: it stays a string here, and is reported
        "x.yaml": "title: {x: 1}\nauthor: [Someone, {a: 2}]\ndate: 2027-13-45\nlang: en\nid: [a]\n",
        "y.md": "---\ntitle: Y\nlang: en\ndate: 1927-02-30\nid: ../Y Letters\n---\nBody text.\n",
        "z.md": "---\ntitle: Z\nlang: en\nThe body, but the front matter was never closed.\n",
    }
    code, err, _ = build(tmp_path, files)
    assert code == 1 and "Traceback" not in err, err
    assert "edition.yaml:1: error: 'title' must be one value, not a list; it is left out" in err
    assert "edition.yaml:3: error: 'editors' must be one value or a list of values, not a mapping; it is left out" in err
    assert "edition.yaml:4: error: base_url must be an absolute http(s) address, like https://example.org/edition/," \
           " not 'example.org/ed'; it is left out (links stay relative)" in err
    assert "x.yaml:1: error: 'title' must be one value, not a mapping; using the file name" in err
    assert "x.yaml:2: error: 'author' must be one value or a list of values, not a mapping; it is left out" in err
    assert "x.yaml:3: error: date '2027-13-45' is not ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD)" in err
    assert "x.yaml:5: error: 'id' must be one value, not a list; it is left out" in err
    assert "y.md:4: error: date '1927-02-30' is not ISO 8601" in err
    assert "y.md:5: warning: id '../Y Letters' is not an id as URLs need it (lowercase letters, digits, '-' and" \
           " '_'); using 'y-letters'" in err
    assert "z.md:1: warning: front matter opened by '---' is never closed by another '---' line;" in err
    assert "x.yaml:1: warning: no 'title'" not in err  # the error said what is used instead


def test_edition_yaml_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    code, err, _ = build(tmp_path, {**SIMPLE, "edition.yaml": b"title: T\nsubtitle: \xe9t\xe9\n"})
    assert code == 1
    assert "edition.yaml:2: error: not UTF-8: byte 0xe9 at column 11 (save the file as UTF-8)" in err


def test_bad_quotation_settings_are_located_errors(tmp_path: Path) -> None:
    config = ("title: T\nquotations:\n  min_words: twelve\n  threshold: 1.5\n  enabled: \"no\"\n"
              "  min_char: 10\n  matcher: usee\n  exact_pairs: lots\n")
    code, err, _ = build(tmp_path, {**SIMPLE, "edition.yaml": config})
    assert code == 1 and "Traceback" not in err, err
    assert "edition.yaml:3: error: quotations.min_words must be a whole number of words, 1 or more, not 'twelve';" \
           " using 12" in err
    assert "edition.yaml:4: error: quotations.threshold must be a number between 0 and 1, not 1.5; using 0.5" in err
    assert "edition.yaml:5: error: quotations.enabled must be true or false, not 'no'; using true" in err
    assert "edition.yaml:6: warning: unknown key 'min_char' in 'quotations'. Did you mean 'min_chars'?" in err
    assert "edition.yaml:7: error: unknown cross-lingual matcher 'usee'" in err
    assert "edition.yaml:8: error: quotations.exact_pairs must be a number of sentence pairs, 0 or more" in err
    assert "built 1 text(s)" not in err  # errors fail the build: nothing is replaced
    code, err, _ = build(tmp_path / "ok", {**SIMPLE, "edition.yaml": "title: T\nquotations:\n  threshold: 1\n"
                                                                       "  min_words: 8\n  enabled: false\n  exact_pairs: 1.5e9\n"})
    assert code == 0, err


def test_metadata_without_a_source_is_a_warning(tmp_path: Path) -> None:
    files = {**SIMPLE, "b.yaml": "title: B\nlang: en\n", "sub/ab.yaml": "title: AB\n", "sub/a.txt": "Text.\n",
             # a source left out on purpose: its sidecar is no mistake
             "edition.yaml": "title: T\nlanguages: [en]\nexclude: ['skip.txt']\n", "skip.txt": "Draft.\n",
             "skip.yaml": "title: Draft\n"}
    code, err, _ = build(tmp_path, files)
    assert code == 0, err
    assert "\nb.yaml:1: warning: metadata file without a source: no 'b.*' next to it, so this metadata applies" \
           " to nothing.\n" in "\n" + err
    assert "sub/ab.yaml:1: warning: metadata file without a source: no 'ab.*' next to it, so this metadata" \
           " applies to nothing. Did you mean 'a'?" in err
    assert "a.yaml" not in err and "edition.yaml" not in err and "skip" not in err  # each has its source
    code, err, _ = build(tmp_path / "strict", files, "--strict")
    assert code == 1


def test_links_between_sources_go_to_their_pages(tmp_path: Path) -> None:
    files = {
        **SIMPLE,
        "notes/readme.txt": "Not a source.\n",
        "sub/b.md": "---\ntitle: B\nlang: en\n---\nSee [the letter](../a.txt), [its first paragraph](../a.txt#p1),"
                    " [myself](b.md), [a missing one](nope.md), [the web](https://example.org/a.txt) and"
                    " [a file](../notes/readme.txt).\n",
    }
    code, err, out = build(tmp_path, files)
    assert code == 0, err
    page = lxml.html.parse(str(out / "texts/sub-b.html")).getroot()  # sub/b.md: id sub-b
    hrefs = {a.text_content(): a.get("href") for a in page.xpath("//main//p//a[not(@class)]")}
    assert hrefs["the letter"] == "a.html"
    assert hrefs["its first paragraph"] == "a.html#p1"
    assert hrefs["myself"] == "sub-b.html"
    # what names no text stays as written (edition check reports the ones that are broken)
    assert hrefs["a missing one"] == "nope.md"
    assert hrefs["the web"] == "https://example.org/a.txt"
    assert hrefs["a file"] == "../notes/readme.txt"
    # the TEI keeps the link as the source wrote it
    tei = etree.parse(str(out / "tei/sub-b.xml"))
    assert "../a.txt#p1" in tei.xpath("//tei:ref/@target", namespaces=NS)


def test_failed_build_keeps_previous_site(tmp_path: Path) -> None:
    content = make_edition(tmp_path, SIMPLE)
    out = tmp_path / "site"
    assert run("build", content, "-o", out, "--no-search").returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (content / "a.yaml").write_text("title: [broken\n")
    proc = run("build", content, "-o", out, "--no-search")
    assert proc.returncode == 1
    assert "the previous site at" in proc.stderr
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no temporary leftovers


def test_template_error_keeps_previous_site_and_names_the_line(tmp_path: Path) -> None:
    files = dict(SIMPLE)
    content = make_edition(tmp_path, files)
    out = tmp_path / "site"
    assert run("build", content, "-o", out, "--no-search").returncode == 0
    (content / "templates").mkdir()
    (content / "templates/index.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n{{ 1 + }}\n{% endblock %}\n"
    )
    proc = run("build", content, "-o", out, "--no-search")
    assert proc.returncode == 1
    assert "templates/index.html:3: error: template syntax error" in proc.stderr
    assert "Test Edition" in (out / "index.html").read_text()
    # an error while rendering: the same path, relative to the content directory
    (content / "templates/index.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n{{ nothing.x }}\n{% endblock %}\n"
    )
    proc = run("build", content, "-o", out, "--no-search")
    assert proc.returncode == 1
    assert "\ntemplates/index.html:3: error: template error in index.html: 'nothing' is undefined" in "\n" + proc.stderr
    assert "build failed: 1 error(s)" in proc.stderr and "the previous site at" in proc.stderr
    assert "Test Edition" in (out / "index.html").read_text()


def test_never_writes_inside_content(tmp_path: Path) -> None:
    content = make_edition(tmp_path, SIMPLE)
    before = sorted(p.relative_to(content) for p in content.rglob("*"))
    for bad in (content / "_site", content, tmp_path):
        proc = run("build", content, "-o", bad, "--no-search")
        assert proc.returncode == 1, bad
        assert "output directory" in proc.stderr
    assert sorted(p.relative_to(content) for p in content.rglob("*")) == before


def test_editor_temp_files_are_not_sources(tmp_path: Path) -> None:
    files = dict(SIMPLE)
    files.update({".a.txt.swp": b"\x00\x01", "a.txt~": "backup", ".#a.txt": "lock", "4913": ""})
    code, err, _ = build(tmp_path, files)
    assert code == 0, err
    assert "swp" not in err and "~" not in err


def test_main_in_process_returns_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = make_edition(tmp_path, SIMPLE)
    assert main(["build", str(content), "-o", str(tmp_path / "s"), "--no-search", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_tei_of_each_text_is_valid_and_ids_are_stable(tmp_path: Path, tei_schema) -> None:  # type: ignore[no-untyped-def]
    files = dict(SIMPLE)
    files["c.txt"] = "一 标题\n\n正文①，更多的文字。\n\n①注。——编者注\n"
    files["c.yaml"] = "title: C\nlang: zh-Hans\nauthor: [甲, 乙]\ninferred: {author: signed notes}\n"
    code, err, out = build(tmp_path, files)
    assert code == 0, err
    first = {p.name: p.read_bytes() for p in (out / "tei").iterdir()}
    for name, data in first.items():
        doc = etree.fromstring(data)
        assert tei_schema.validate(doc), (name, tei_schema.error_log)
    code, _, out = build(tmp_path, files)
    assert {p.name: p.read_bytes() for p in (out / "tei").iterdir()} == first
    doc = etree.fromstring(first["c.xml"])
    assert doc.xpath("//tei:author/@cert", namespaces=NS) == ["medium", "medium"]
    assert doc.xpath("//tei:note[@type='editorial']/@xml:id", namespaces=NS) == ["n1"]
    assert doc.xpath("//tei:idno[@type='path']/text()", namespaces=NS) == ["c.txt"]
    assert not doc.xpath("//@*[namespace-uri()='urn:x-edition:ns:1']")
