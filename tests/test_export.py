"""`edition export`: the archival bundle (issue 22), as a user runs it, on the sample edition;
and the site's links to the copy ``edition build`` (and the preview) write into ``export/``.

Round trip: the bundle's tei/*.xml and sources/edition.yaml, read back as the sources of a
new edition (the `tei` reader), exported again, give the same TEI. "The same" is: the
canonical XML (C14N 2.0) of each text's document is identical once the two places where a
header names the file it was converted from are left out of both sides:

* ``sourceDesc/bibl[@type='source-file']`` (the file's path, its sha256, the reader used)
* the first ``encodingDesc/projectDesc`` ("Converted from <file> by edition ...").

Those two must differ (the second export was made from ``<id>.xml`` by the ``tei``
reader); everything else, the text, its ids, notes, quotation segs and links, the rest of
the header, is identical.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree, html

from edition import __version__
from edition.cli import main
from edition.serve import LiveServer
from edition.site import human_size
from edition.tei import NS
from tests.support.project import make_edition

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
ROOT = "edition-bundle/"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edition", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=600,
    )


def entries(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        return {i.filename.removeprefix(ROOT): zf.read(i) for i in zf.infolist()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample edition exported twice, by the real command."""
    d = tmp_path_factory.mktemp("export")
    zips = d / "first.zip", d / "second.zip"
    for z in zips:
        proc = run("export", CONTENT, "-o", z)
        assert proc.returncode == 0, proc.stderr
    assert f"exported 5 text(s) into {zips[1]}" in proc.stderr
    return zips


def test_second_export_is_byte_identical(sample: tuple[Path, Path]) -> None:
    first, second = sample
    assert first.read_bytes() == second.read_bytes()


def test_zip_entries_sorted_with_fixed_time_and_mode(sample: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(sample[0]) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert all(n.startswith(ROOT) for n in names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    files = set(entries(sample[0]))
    for name in ("corpus.xml", "links.json", "manifest.json", "validation.json", "validation.html", "README.txt",
                 "sources/edition.yaml", "sources/stalin-works-9.txt", "sources/stalin-works-9.yaml",
                 "tei/stalin-works-9.xml", "tei/trotskyism-commentaries.xml"):
        assert name in files, name


def test_manifest_lists_every_file_with_its_sha256(sample: tuple[Path, Path]) -> None:
    files = entries(sample[0])
    manifest = json.loads(files["manifest.json"])
    assert manifest["tool"] == {"name": "edition", "version": __version__}
    listed = {f["path"]: f for f in manifest["files"]}
    assert sorted(listed) == sorted(n for n in files if n != "manifest.json")
    for name, f in listed.items():
        assert f["sha256"] == hashlib.sha256(files[name]).hexdigest(), name
        assert f["size"] == len(files[name]), name


def test_sources_byte_for_byte(sample: tuple[Path, Path]) -> None:
    files = entries(sample[0])
    sources = {n.removeprefix("sources/"): b for n, b in files.items() if n.startswith("sources/")}
    on_disk = {p.name: p.read_bytes() for p in CONTENT.iterdir() if p.is_file()}
    assert sources == on_disk


def test_validation_report_checks_every_tei_file_against_tei_all(sample: tuple[Path, Path], tei_schema) -> None:  # type: ignore[no-untyped-def]
    files = entries(sample[0])
    report = json.loads(files["validation.json"])
    assert report["schema"].startswith("tei_all.rng (TEI P5 4.3.0), sha256 ")
    assert report["valid"] is True
    tei = sorted(n for n in files if n.startswith("tei/"))
    assert [f["path"] for f in report["files"]] == ["corpus.xml", *tei]
    assert all(f["valid"] is True and f["errors"] == [] for f in report["files"])
    # the report is right: the files are valid (checked here without the tool's code)
    for name in ["corpus.xml", *tei]:
        assert tei_schema.validate(etree.fromstring(files[name])), (name, str(tei_schema.error_log)[:2000])
    page = etree.fromstring(files["validation.html"], etree.HTMLParser())
    rows = page.xpath("//tbody/tr")
    assert [r.xpath("string(td[1])") for r in rows] == ["corpus.xml", *tei]
    assert {r.xpath("string(td[2])") for r in rows} == {"valid"}


def test_corpus_holds_the_shared_header_every_text_and_the_links(sample: tuple[Path, Path]) -> None:
    files = entries(sample[0])
    corpus = etree.fromstring(files["corpus.xml"])
    assert etree.QName(corpus).localname == "teiCorpus"
    header = corpus.find("tei:teiHeader", NS)
    assert header.findtext("tei:fileDesc/tei:titleStmt/tei:title", namespaces=NS) == (
        "Permanent Revolution and Socialism in One Country")
    assert header.findtext("tei:fileDesc/tei:titleStmt/tei:editor", namespaces=NS) == "The edition project"
    assert header.findtext(".//tei:availability/tei:licence", namespaces=NS).startswith("CC BY 4.0")
    decisions = header.xpath(".//tei:editorialDecl[@xml:id='build-decisions']", namespaces=NS)[0]
    assert "urn:x-edition:ns:1" in "".join(decisions.itertext())
    assert ("trotsky-results-and-prospects-zh.txt:13: warning: note marker ① has no body in '三 经济发展与无产阶级专政';"
            " the mark is kept in the text") in [i.text for i in decisions.iterfind(".//tei:item", NS)]
    texts = corpus.findall("tei:TEI", NS)
    assert [x.get("{http://www.w3.org/XML/1998/namespace}id") for x in texts] == sorted(
        n.removeprefix("tei/").removesuffix(".xml") for n in files if n.startswith("tei/"))
    links = json.loads(files["links.json"])["links"]
    corpus_links = corpus.findall("tei:standOff/tei:linkGrp/tei:link", NS)
    assert len(corpus_links) == len(links) > 0
    # every pointer of a corpus link names an element of the corpus
    ids = set(corpus.xpath("//@xml:id"))
    for link in corpus_links:
        assert all(tok.startswith("#") and tok[1:] in ids for tok in link.get("target").split()), link.get("target")


def provenance_free(data: bytes) -> str:
    """C14N of a TEI document without the two places that name the file it was converted from."""
    root = etree.fromstring(data)
    for el in root.xpath("tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl[@type='source-file']"
                         " | tei:teiHeader/tei:encodingDesc/tei:projectDesc[1]", namespaces=NS):
        el.getparent().remove(el)
    return etree.canonicalize(etree.tostring(root, encoding="unicode"))


def reimport(bundle: Path, into: Path) -> Path:
    """What an archivist does: the bundle's TEI files and edition.yaml as a new content directory."""
    files = entries(bundle)
    into.mkdir(parents=True)
    for name, data in files.items():
        if name.startswith("tei/") or name == "sources/edition.yaml":
            (into / Path(name).name).write_bytes(data)
    return into


def assert_same_tei(first: dict[str, bytes], again: dict[str, bytes]) -> None:
    tei = sorted(n for n in first if n.startswith("tei/"))
    assert sorted(n for n in again if n.startswith("tei/")) == tei
    for name in tei:
        assert provenance_free(again[name]) == provenance_free(first[name]), name
        source_file = etree.fromstring(again[name]).find(
            "tei:teiHeader/tei:fileDesc/tei:sourceDesc/tei:bibl[@type='source-file']", NS)
        assert source_file.findtext("tei:idno[@type='path']", namespaces=NS) == name.removeprefix("tei/")
        assert "with the 'tei' reader" in source_file.findtext("tei:note", namespaces=NS)


def test_round_trip_export_import_export_gives_the_same_tei(sample: tuple[Path, Path], tmp_path: Path) -> None:
    content = reimport(sample[0], tmp_path / "reimported")
    again = tmp_path / "again.zip"
    proc = run("export", content, "-o", again)
    assert proc.returncode == 0, proc.stderr
    first, second = entries(sample[0]), entries(again)
    assert_same_tei(first, second)
    # the quotation links are found again, the same ones
    a, b = json.loads(first["links.json"]), json.loads(second["links.json"])
    assert a["links"] == b["links"]
    assert [{**x, "source": ""} for x in a["texts"]] == [{**x, "source": ""} for x in b["texts"]]


SMALL = {
    "edition.yaml": "title: Small\nlanguages: [en]\n",
    "a.txt": "The first paragraph of the text, which is long enough to be a paragraph of its own.\n",
    "a.yaml": "title: Text A\nauthor: Someone\nlang: en\ndate: 1927-03-31\n",
}


def test_build_writes_the_same_bundle_into_out_export(tmp_path: Path) -> None:
    content = make_edition(tmp_path, SMALL)
    assert main(["build", str(content), "-o", str(tmp_path / "site"), "--no-search", "-q"]) == 0
    assert main(["export", str(content), "-o", str(tmp_path / "b.zip"), "-q"]) == 0
    export_dir = tmp_path / "site" / "export"
    assert (export_dir / "edition-bundle.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    files = entries(tmp_path / "b.zip")
    for name in ("validation.json", "manifest.json"):
        assert (export_dir / name).read_bytes() == files[name]


def test_without_a_schema_the_report_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EDITION_TEI_SCHEMA", str(tmp_path / "missing.rng"))
    content = make_edition(tmp_path, SMALL)
    assert main(["export", str(content), "-o", str(tmp_path / "b.zip")]) == 0
    report = json.loads(entries(tmp_path / "b.zip")["validation.json"])
    assert report["schema"] is None and report["valid"] is None
    assert [f["valid"] for f in report["files"]] == [None, None]
    assert "(not validated: no TEI schema" in capsys.readouterr().err


def test_invalid_tei_is_reported_per_file_with_its_line(tmp_path: Path, tei_schema,  # type: ignore[no-untyped-def]
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = ('<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="en">\n'
           "<teiHeader><fileDesc><titleStmt><title>Bad</title></titleStmt><publicationStmt><p/></publicationStmt>"
           "<sourceDesc><p/></sourceDesc></fileDesc></teiHeader>\n<text><body>\n<p>Fine.</p>\n"
           '<p>Not <x:thing xmlns:x="urn:example">TEI</x:thing>.</p>\n</body></text>\n</TEI>\n')
    content = make_edition(tmp_path, {**SMALL, "b.xml": bad})
    out = tmp_path / "b.zip"
    assert main(["export", str(content), "-o", str(out)]) == 0
    assert main(["export", str(content), "-o", str(out), "--strict", "-q"]) == 1
    files = entries(out)
    report = json.loads(files["validation.json"])
    by_path = {f["path"]: f for f in report["files"]}
    assert report["valid"] is False and by_path["tei/a.xml"]["valid"] is True
    errors = by_path["tei/b.xml"]["errors"]
    assert by_path["tei/b.xml"]["valid"] is False and errors
    line = errors[0]["line"]
    assert "x:thing" in files["tei/b.xml"].decode().splitlines()[line - 1] or "urn:example" in \
        files["tei/b.xml"].decode().splitlines()[line - 1]
    err = capsys.readouterr().err
    assert f"b.xml: warning: exported TEI (tei/b.xml:{line}) is not valid tei_all: " in err
    assert f"tei/b.xml:{line}" in files["validation.html"].decode()


def test_export_refuses_to_write_inside_the_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = make_edition(tmp_path, SMALL)
    assert main(["export", str(content), "-o", str(content / "b.zip")]) == 1
    assert "inside the content directory" in capsys.readouterr().err
    assert not (content / "b.zip").exists()


def test_export_with_content_errors_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = make_edition(tmp_path, {**SMALL, "bad.txt": b"caf\xe9\n"})
    assert main(["export", str(content), "-o", str(tmp_path / "b.zip")]) == 1
    err = capsys.readouterr().err
    assert "bad.txt:1: error: not UTF-8" in err and "nothing was written" in err
    assert not (tmp_path / "b.zip").exists()


def test_unzipped_bundle_keeps_to_its_folder(sample: tuple[Path, Path], tmp_path: Path) -> None:
    shutil.unpack_archive(sample[0], tmp_path, "zip")
    assert [p.name for p in tmp_path.iterdir()] == ["edition-bundle"]


def test_build_no_validate_says_so_in_the_report(tmp_path: Path) -> None:
    content = make_edition(tmp_path, SMALL)
    assert main(["build", str(content), "-o", str(tmp_path / "site"), "--no-search", "--no-validate", "-q"]) == 0
    report = json.loads((tmp_path / "site" / "export" / "validation.json").read_text(encoding="utf-8"))
    assert report["note"] == "not validated (--no-validate)" and report["valid"] is None


def bundle_links(page: Path) -> list[str]:
    """The hrefs of a page's links to the bundle (parsed with lxml)."""
    doc = html.parse(str(page))
    return [a.get("href") for a in doc.iter("a") if (a.get("href") or "").endswith("edition-bundle.zip")]


def test_the_site_links_the_bundle_with_its_size(tmp_path: Path) -> None:
    """Issue 22: archivists find the bundle from the list of texts (with the zip's size) and
    from every page's footer; the links are relative (any base URL, file://, the preview)."""
    config = "title: Small\nlanguages: [en]\nbase_url: https://example.org/sub/path/\n"
    content = make_edition(tmp_path, {**SMALL, "edition.yaml": config})
    site = tmp_path / "site"
    assert main(["build", str(content), "-o", str(site), "--no-search", "--no-validate", "-q"]) == 0
    zip_path = site / "export" / "edition-bundle.zip"
    assert zipfile.is_zipfile(zip_path)
    for page in (site / "index.html", site / "texts" / "a.html", site / "links.html"):
        hrefs = bundle_links(page)
        assert hrefs, f"{page.name} does not link the bundle"
        for href in hrefs:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc and not href.startswith("/"), href
            assert (page.parent / href).resolve() == zip_path.resolve(), href
    index = html.parse(str(site / "index.html"))
    section = index.getroot().get_element_by_id("download")
    assert section is not None
    assert f"zip, {human_size(zip_path.stat().st_size)}" in section.text_content()
    report = [a.get("href") for a in section.iter("a") if a.get("href", "").endswith("validation.json")]
    assert report == ["export/validation.json"] and (site / report[0]).is_file()
    text = html.parse(str(site / "texts" / "a.html"))  # the text's own TEI, as before
    assert [a.get("href") for a in text.iter("a") if a.text == "TEI P5"] == ["../tei/a.xml"]


def test_no_bundle_no_link(tmp_path: Path) -> None:
    """A site written without the bundle (``edition check`` renders one) shows no dead link."""
    from edition.builder import load, render_site

    content = make_edition(tmp_path, SMALL)
    site = tmp_path / "site"
    render_site(load(content), site, search=False)
    assert not (site / "export").exists()
    for page in site.rglob("*.html"):
        assert bundle_links(page) == [], page.name
        assert b"export/" not in page.read_bytes(), page.name


def test_the_preview_serves_the_bundle_it_links(tmp_path: Path) -> None:
    """``edition serve`` makes the bundle in the background; a request for it waits until it
    is there (and the preview's settled site equals the build's: test_serve_equals_build)."""
    content = make_edition(tmp_path, SMALL)
    with LiveServer(content, search=False, detect_delay=0.0, out=lambda s: None) as live:
        assert set(bundle_links(live.out_dir / "index.html")) == {"export/edition-bundle.zip"}
        with urllib.request.urlopen(live.url + "export/edition-bundle.zip", timeout=300) as resp:
            assert resp.status == 200
            data = resp.read()
        assert zipfile.is_zipfile(io.BytesIO(data))
        assert live.settle(300)
        index = html.parse(str(live.out_dir / "index.html")).getroot().get_element_by_id("download", None)
        assert index is not None and f"zip, {human_size(len(data))}" in index.text_content()
