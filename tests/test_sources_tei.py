"""The `tei` reader (format: tei, or a .xml file): TEI P5 documents encoded elsewhere as sources.

External TEI (tests/fixtures/tei/README.md says where each file comes from):

* acdh-thun-nostitz-an-thun-1860-01-04.xml: real project output, byte for byte from the PyPI
  package acdh-tei-pyutils 2.4.0 (a letter of the ACDH's Thun-Hohenstein correspondence edition);
* tei-lite-letter.xml: written after the TEI Lite documentation (choice/sic+corr, abbr+expan,
  pb/@n, note place="foot", profileDesc/creation, langUsage);
* cbeta-heart-sutra-zh.xml: written after CBETA's published XML P5 conventions (cb: elements,
  lb/pb with @ed, app/lem/rdg, xml:lang="zh-Hant").
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from edition.cli import main
from edition.tei import NS
from tests.support.project import make_edition

FIXTURES = Path(__file__).parent / "fixtures" / "tei"
ACDH = "acdh-thun-nostitz-an-thun-1860-01-04.xml"
LITE = "tei-lite-letter.xml"
CBETA = "cbeta-heart-sutra-zh.xml"
CB = "http://www.cbeta.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def test_the_acdh_file_is_the_packages_byte_for_byte() -> None:
    data = (FIXTURES / ACDH).read_bytes()
    assert hashlib.sha256(data).hexdigest() == "69254864fcb5f6aeac5fa1955f16197bb8a66da369918e42d67b5e9dd584e925"


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An edition of the three external documents, built by the real command."""
    import io
    from contextlib import redirect_stderr

    tmp = tmp_path_factory.mktemp("external")
    content = tmp / "content"
    content.mkdir()
    for name in (ACDH, LITE, CBETA):
        shutil.copy(FIXTURES / name, content / name)
    (content / "edition.yaml").write_text("title: External TEI\nlanguages: [de, en, zh-Hant]\n", encoding="utf-8")
    err = io.StringIO()
    with redirect_stderr(err):
        code = main(["build", str(content), "-o", str(tmp / "site"), "--no-search"])
    assert code == 0, err.getvalue()
    return tmp / "site", err.getvalue()


def tei(site: Path, name: str) -> etree._Element:
    return etree.parse(str(site / "tei" / name)).getroot()


def test_header_metadata_becomes_the_texts_metadata(external: tuple[Path, str]) -> None:
    site, _ = external
    lite = tei(site, LITE)
    assert lite.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert lite.findtext(".//tei:titleStmt/tei:title[@type='main']", namespaces=NS) == (
        "Letter of March 31, 1927: a TEI Lite transcription")
    assert lite.findtext(".//tei:titleStmt/tei:author", namespaces=NS) == "Leon Trotsky"
    assert lite.find(".//tei:bibl[@type='original']/tei:date", NS).get("when") == "1927-03-31"
    assert lite.findtext(".//tei:publicationStmt/tei:availability/tei:licence", namespaces=NS) == "CC0 1.0"
    acdh = tei(site, ACDH)
    assert acdh.findtext(".//tei:titleStmt/tei:title[@type='main']", namespaces=NS) == (
        "Albert Nostitz an Leo Thun Prag, 4. Jänner 1860")
    assert acdh.find(".//tei:bibl[@type='original']/tei:date", NS).get("when") == "1860-01-04"  # correspAction's @when-iso
    cbeta = tei(site, CBETA)
    assert cbeta.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hant"
    assert cbeta.findtext(".//tei:titleStmt/tei:title[@type='main']", namespaces=NS) == "大正新脩大藏經"
    assert cbeta.findtext(".//tei:titleStmt/tei:author", namespaces=NS) == "唐 玄奘譯"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Albert Nostitz an Leo Thun" in index and "大正新脩大藏經" in index


def test_the_text_is_kept_as_encoded(external: tuple[Path, str]) -> None:
    site, _ = external
    lite = tei(site, LITE)
    assert [pb.get("n") for pb in lite.iterfind(".//tei:pb", NS)] == ["1", "2"]
    choice = lite.findall(".//tei:choice", NS)
    assert [(c.findtext("tei:sic", namespaces=NS), c.findtext("tei:corr", namespaces=NS)) for c in choice][0] == (
        "decisve", "decisive")
    assert choice[1].findtext("tei:abbr", namespaces=NS) == "C.P."
    assert choice[1].findtext("tei:expan", namespaces=NS) == "Communist Party"
    note = lite.find(".//tei:p/tei:note", NS)
    assert (note.get("place"), note.get("n"), note.text) == ("foot", "1", "Written while the Shanghai workers held the city.")
    assert lite.findtext(".//tei:closer/tei:signed", namespaces=NS) == "L. Trotsky"
    acdh = tei(site, ACDH)
    assert acdh.find(".//tei:text//tei:note", NS).get(XML_ID) == "note_1"  # the source's ids are kept
    assert [rs.text for rs in acdh.iterfind(".//tei:text//tei:rs", NS)][:2] == ["Prag", "Broschüre"]
    assert acdh.findtext(".//tei:text//tei:unclear", namespaces=NS) == "Buchhandel"
    cbeta = tei(site, CBETA)
    juan = cbeta.findall(f".//{{{CB}}}juan", NS)  # another project's own elements stay as they are
    assert [j.get("fun") for j in juan] == ["open", "close"]
    assert cbeta.find(".//tei:pb", NS).get(XML_ID) == "T08.0251.0848c"
    assert [lb.get("n") for lb in cbeta.iterfind(".//tei:lb", NS)][:2] == ["0848c05", "0848c06"]
    app = cbeta.find(".//tei:app", NS)
    assert (app.findtext("tei:lem", namespaces=NS), app.findtext("tei:rdg", namespaces=NS)) == ("顛倒", "一切顛倒")
    page = (site / "texts" / "tei-lite-letter.html").read_text(encoding="utf-8")
    assert "decisive" in page and "Written while the Shanghai workers held the city." in page


def test_the_rest_of_the_header_is_carried_over(external: tuple[Path, str]) -> None:
    site, _ = external
    acdh = tei(site, ACDH)
    full = acdh.find(".//tei:sourceDesc/tei:biblFull", NS)  # the source's own fileDesc
    assert full.findtext(".//tei:msIdentifier/tei:idno", namespaces=NS) == "A3 XXI D545"
    assert full.findtext("tei:titleStmt/tei:title[@type='s']", namespaces=NS) == (
        "Digitale Edition der Korrespondenz von Leo von Thun-Hohenstein")
    assert acdh.find(".//tei:profileDesc/tei:correspDesc", NS) is not None
    assert acdh.findtext(".//tei:revisionDesc//tei:item", namespaces=NS) == "approved by Mazohl"
    lite = tei(site, LITE)
    assert lite.find(".//tei:encodingDesc/tei:editorialDecl/tei:correction", NS) is not None
    assert lite.find(".//tei:profileDesc/tei:creation/tei:date", NS).get("when") == "1927-03-31"
    assert lite.find(".//tei:revisionDesc/tei:change", NS).get("who") == "#enc"
    assert lite.find(".//tei:biblFull//tei:name", NS).get(XML_ID) == "enc"  # what @who points at
    cbeta = tei(site, CBETA)
    assert [w.get(XML_ID) for w in cbeta.iterfind(".//tei:listWit/tei:witness", NS)] == ["wit1", "wit2"]


def test_what_is_not_kept_is_reported(external: tuple[Path, str]) -> None:
    _, err = external
    lines = err.splitlines()
    assert (f"{ACDH}:81: warning: <back> outside <text> is not carried over (the tei reader keeps the header"
            " and the text)") in lines
    assert f"{ACDH}: warning: no 'lang': assuming 'und' (undetermined)" in lines


def test_root_attributes_not_carried_over_are_an_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = make_edition(tmp_path, {"edition.yaml": "title: T\n", ACDH: (FIXTURES / ACDH).read_bytes()})
    main(["check", str(content), "--no-schema", "-v"])
    assert (f"{ACDH}:2: info: attributes of <TEI> not carried over (the document gets a new root): xml:base,"
            " xml:id, prev, next") in capsys.readouterr().out.splitlines()


def test_the_exported_tei_is_valid_but_for_other_namespaces(external: tuple[Path, str], tei_schema) -> None:  # type: ignore[no-untyped-def]
    site, _ = external
    for name in (ACDH, LITE):
        assert tei_schema.validate(tei(site, name)), (name, str(tei_schema.error_log)[:2000])
    report = json.loads((site / "export" / "validation.json").read_text(encoding="utf-8"))
    by_path = {f["path"]: f for f in report["files"]}
    assert by_path[f"tei/{LITE}"]["valid"] is True and by_path[f"tei/{ACDH}"]["valid"] is True
    errors = by_path[f"tei/{CBETA}"]["errors"]
    assert by_path[f"tei/{CBETA}"]["valid"] is False
    assert errors[0]["message"] == "Did not expect element juan there"
    line = (site / "tei" / CBETA).read_text(encoding="utf-8").splitlines()[errors[0]["line"] - 1]
    assert "<cb:juan" in line


def test_external_tei_round_trips(external: tuple[Path, str], tmp_path: Path) -> None:
    """export -> import -> export of an edition made of TEI from elsewhere: the same TEI."""
    from tests.test_export import assert_same_tei, entries, reimport

    site, _ = external
    first = tmp_path / "first.zip"
    shutil.copy(site / "export" / "edition-bundle.zip", first)
    content = reimport(first, tmp_path / "again")
    assert main(["export", str(content), "-o", str(tmp_path / "again.zip"), "-q"]) == 0
    assert_same_tei(entries(first), entries(tmp_path / "again.zip"))


GOOD = "The first paragraph of the text, which is long enough to be a paragraph of its own.\n"


def check(tmp_path: Path, files: dict[str, str | bytes], capsys: pytest.CaptureFixture[str]) -> list[str]:
    content = make_edition(tmp_path, {"edition.yaml": "title: T\n", "good.txt": GOOD,
                                      "good.yaml": "title: Good\nlang: en\n", **files})
    main(["check", str(content), "--no-schema"])
    return capsys.readouterr().out.splitlines()


def doc(body: str, header: str = "<title>T</title>", lang: str = ' xml:lang="en"') -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<TEI xmlns="http://www.tei-c.org/ns/1.0"{lang}>\n'
            f"<teiHeader><fileDesc><titleStmt>{header}</titleStmt><publicationStmt><p/></publicationStmt>"
            "<sourceDesc><p/></sourceDesc></fileDesc></teiHeader>\n"
            f"<text><body>\n{body}\n</body></text>\n</TEI>\n")


def test_malformed_xml_is_an_error_at_its_line_and_the_rest_goes_on(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = doc("<p>one</p>\n<p>two <hi>open</p>\n<p>three</p>")
    out = check(tmp_path, {"bad.xml": bad}, capsys)
    errors = [x for x in out if ": error: " in x]
    assert errors and all(x.startswith("bad.xml:") for x in errors)
    assert errors[0] == "bad.xml:6: error: not well-formed XML: Opening and ending tag mismatch: hi line 6 and p"
    assert not any(x.startswith("good.txt") for x in out)


def test_what_is_not_a_tei_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = ('<teiCorpus xmlns="http://www.tei-c.org/ns/1.0">\n<teiHeader/>\n'
              + doc("<p>x</p>").split("\n", 1)[1] + "</teiCorpus>\n")
    out = check(tmp_path, {"corpus.xml": corpus, "feed.xml": "<rss>\n<channel/>\n</rss>\n",
                           "notext.xml": doc("<p>x</p>").replace("<text><body>", "<!--").replace("</body></text>", "-->")},
                capsys)
    assert ("corpus.xml:1: error: a teiCorpus holds several documents: the tei reader reads one TEI document per"
            " file (an export's corpus.xml is not a source; its tei/*.xml are)") in out
    assert "feed.xml:1: error: not a TEI document: the root element is <rss>, not <TEI>; nothing is read from it" in out
    assert "notext.xml:2: error: no <text> in this TEI document: nothing to publish" in out


def test_tei_without_namespace_is_read_as_tei_p5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p4 = ('<?xml version="1.0"?>\n<TEI.2 xml:lang="en">\n<teiHeader><fileDesc><titleStmt><title>Old</title>'
          "</titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>\n"
          f"<text><body><p>{GOOD.strip()}</p></body></text>\n</TEI.2>\n")
    content = make_edition(tmp_path, {"edition.yaml": "title: T\n", "old.xml": p4})
    assert main(["build", str(content), "-o", str(tmp_path / "site"), "--no-search"]) == 0
    assert ("old.xml:2: warning: <TEI.2> is not in the TEI namespace (http://www.tei-c.org/ns/1.0): read as TEI P5,"
            " its elements moved into that namespace") in capsys.readouterr().err.splitlines()
    out = etree.parse(str(tmp_path / "site" / "tei" / "old.xml")).getroot()
    assert out.findtext(".//tei:titleStmt/tei:title", namespaces=NS) == "Old"
    assert out.findtext(".//tei:body/tei:p", namespaces=NS) == GOOD.strip()


def test_a_sidecar_wins_over_the_header(tmp_path: Path) -> None:
    content = make_edition(tmp_path, {
        "edition.yaml": "title: T\n",
        "a.xml": doc(f"<p>{GOOD.strip()}</p>", "<title>Header title</title><author>Header Author</author>"),
        "a.yaml": "title: Sidecar title\ndate: 1927\n",
    })
    assert main(["build", str(content), "-o", str(tmp_path / "site"), "--no-search", "-q"]) == 0
    out = etree.parse(str(tmp_path / "site" / "tei" / "a.xml")).getroot()
    assert out.findtext(".//tei:titleStmt/tei:title", namespaces=NS) == "Sidecar title"
    assert out.findtext(".//tei:titleStmt/tei:author", namespaces=NS) == "Header Author"
    assert out.find(".//tei:bibl[@type='original']/tei:date", NS).get("when") == "1927"


def test_format_tei_reads_a_file_of_another_suffix(tmp_path: Path) -> None:
    content = make_edition(tmp_path, {
        "edition.yaml": "title: T\n",
        "a.tei": doc(f"<p>{GOOD.strip()}</p>", "<title>From the header</title>"),
        "a.yaml": "format: tei\n",
    })
    assert main(["build", str(content), "-o", str(tmp_path / "site"), "--no-search", "-q"]) == 0
    out = etree.parse(str(tmp_path / "site" / "tei" / "a.xml")).getroot()
    assert out.findtext(".//tei:titleStmt/tei:title", namespaces=NS) == "From the header"
    assert "with the 'tei' reader" in out.findtext(".//tei:bibl[@type='source-file']/tei:note", namespaces=NS)


def test_no_entity_from_outside_the_document_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edition.sources.tei import parse

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    xxe = doc(f"<p>{GOOD.strip()} &x; and &y;.</p>").replace(
        "<TEI ", f'<!DOCTYPE TEI [<!ENTITY x SYSTEM "file://{secret}"><!ENTITY y "inside">]>\n<TEI ')
    out = check(tmp_path, {"a.xml": xxe}, capsys)
    assert [x for x in out if ": error: " in x] == ["a.xml:6: error: not well-formed XML: Entity 'x' not defined"]
    root = parse(xxe.encode(), recover=True)
    assert root is not None
    assert "SECRET" not in etree.tostring(root, encoding="unicode")
