"""The sample edition in content/, built as a user builds it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from edition.builder import BuildResult, build
from edition.tei import NS, XML_ID

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    result = build(CONTENT, tmp_path_factory.mktemp("sample") / "site", search=False)
    assert result.out is not None, [str(d) for d in result.diagnostics]
    return result


def tei(sample: BuildResult, text_id: str) -> etree._Element:
    assert sample.out is not None
    return etree.parse(str(sample.out / "tei" / f"{text_id}.xml")).getroot()


def messages(sample: BuildResult, source: str) -> list[str]:
    return [str(d) for d in sample.diagnostics if str(d.location.path) == source]


def test_every_source_becomes_a_valid_tei_document(sample: BuildResult, tei_schema) -> None:  # type: ignore[no-untyped-def]
    assert sample.diagnostics.errors == 0
    sources = sorted(p.name for p in CONTENT.iterdir() if p.suffix in (".txt", ".md"))
    assert sorted(t.source.name for t in sample.edition.texts.values()) == sources
    for tid in sample.edition.texts:
        doc = tei(sample, tid)
        assert tei_schema.validate(doc), (tid, str(tei_schema.error_log)[:2000])


def test_sources_are_copied_byte_for_byte(sample: BuildResult) -> None:
    assert sample.out is not None
    for text in sample.edition.texts.values():
        assert (sample.out / "sources" / text.source).read_bytes() == (CONTENT / text.source).read_bytes()


def test_trotsky_notes_at_their_markers_with_attribution(sample: BuildResult) -> None:
    doc = tei(sample, "trotsky-results-and-prospects-zh")
    notes = doc.xpath("//tei:body//tei:note", namespaces=NS)
    assert [(n.get("n"), n.get("type")) for n in notes] == [
        ("①", "editorial"),
        ("①", "authorial"),
        ("②", "authorial"),
        ("③", "authorial"),
        ("①", "authorial"),
        ("②", "editorial"),
        ("③", "editorial"),
        ("①", "authorial"),
    ]
    assert all(n.getparent().tag == f"{{{NS['tei']}}}p" for n in notes)  # at the marker, inside the paragraph
    # the three-paragraph body of chapter 五's note ①
    assert len(notes[4].findall("tei:p", NS)) == 3
    heads = [h.xpath("string(.)") for h in doc.xpath("//tei:body/tei:div/tei:head", namespaces=NS)]
    assert heads == [
        "三 经济发展与无产阶级专政",
        "四 革命、资产阶级和无产阶级",
        "五 无产阶级和农民",
        "六 无产阶级专政的方法和目的",
    ]
    assert messages(sample, "trotsky-results-and-prospects-zh.txt") == [
        "trotsky-results-and-prospects-zh.txt:13: warning: note marker ① has no body in "
        "'三 经济发展与无产阶级专政'; the mark is kept in the text"
    ]
    assert "stray '^'" in "".join(doc.xpath("//tei:editorialDecl//text()", namespaces=NS))


def test_sep_block_quotation_and_its_reference(sample: BuildResult) -> None:
    doc = tei(sample, "sep-socialism-in-one-country")
    quotes = doc.xpath("//tei:quote[tei:p]", namespaces=NS)
    assert len(quotes) == 1 and len(quotes[0].findall("tei:p", NS)) == 3
    lead = quotes[0].getprevious()
    assert "".join(lead.itertext()).endswith("As Trotsky wrote:")
    note = quotes[0].findall("tei:p", NS)[-1].find("tei:note", NS)
    assert note is not None and note.get("n") == "[1]" and note.get("type") == "reference"
    assert "Leon Trotsky on China" in "".join(note.itertext())
    title = doc.xpath("//tei:titlePage//tei:titlePart/text()", namespaces=NS)
    assert title == [
        "Socialist Equality Party (United States)",
        "The Historical and International Foundations of the Socialist Equality Party (United States)",
    ]


def test_letter_parts(sample: BuildResult) -> None:
    doc = tei(sample, "trotsky-letter-1927-03-31")
    assert doc.xpath("//tei:opener/tei:dateline/tei:date/@when", namespaces=NS) == ["1927-03-31"]
    assert doc.xpath("//tei:opener/tei:salute/text()", namespaces=NS) == ["Dear Comrades:"]
    assert doc.xpath("//tei:closer/tei:signed/text()", namespaces=NS) == ["L. Trotsky"]
    assert doc.xpath("//tei:list/tei:item/@n", namespaces=NS) == [str(i) for i in range(1, 10)]
    assert messages(sample, "trotsky-letter-1927-03-31.txt") == [
        "trotsky-letter-1927-03-31.txt:9: warning: numbered point 2 ends without final punctuation "
        "('…d peasants' deputies'): possibly truncated"
    ]


def test_inferred_metadata_is_marked(sample: BuildResult) -> None:
    doc = tei(sample, "trotsky-results-and-prospects-zh")
    assert doc.xpath("//tei:titleStmt/tei:author/@cert", namespaces=NS) == ["medium"]
    inferred = doc.xpath("//tei:sourceDesc//tei:note[@type='inferred']/text()", namespaces=NS)
    assert [x.split(":")[0] for x in inferred] == ["author", "date", "title"]


def test_commentaries_one_division_per_article(sample: BuildResult) -> None:
    doc = tei(sample, "trotskyism-commentaries")
    arts = doc.xpath("//tei:body/tei:div[@type='article']", namespaces=NS)
    assert len(arts) == 3
    text = etree.tostring(doc, encoding="unicode")
    assert "{%" not in text and "%}" not in text
    authors = [a.xpath("string(.//tei:docAuthor)", namespaces=NS) for a in arts]
    assert authors == ["暴躁皮皮", "米宁", "印共（毛）"]


def test_stalin_volume_has_its_works(sample: BuildResult) -> None:
    doc = tei(sample, "stalin-works-9")
    works = [
        d for d in doc.xpath("//tei:body//tei:div", namespaces=NS) if (d.get(XML_ID) or "").startswith("w")
    ]
    assert len(works) == 23
    assert doc.find("tei:text/tei:front", NS) is not None and doc.find("tei:text/tei:back", NS) is not None
    assert len(doc.xpath("//tei:pb", namespaces=NS)) > 150


def test_ids_are_unique_and_every_paragraph_has_one(sample: BuildResult) -> None:
    for tid in sample.edition.texts:
        doc = tei(sample, tid)
        ids = doc.xpath("//@xml:id")
        assert len(ids) == len(set(ids)), tid
        assert not doc.xpath(
            "//tei:text//tei:p[not(@xml:id)] | //tei:text//tei:div[not(@xml:id)]", namespaces=NS
        ), tid
