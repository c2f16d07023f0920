"""The HTML site of the sample edition, without a browser: every page valid (vnu),
every internal link resolving to a file, the edition-wide files (404, sitemap,
robots.txt, feed, links.json, links page, search index), deterministic output,
and the search form shared by the index and search.js."""

from __future__ import annotations

import filecmp
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree, html

from edition import builder, search
from edition.model import Link, Passage
from tests.conftest import make_edition
from tests.support.browser import format_vnu, run_vnu

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = builder.build(CONTENT, out)
    assert result.out == out, [str(d) for d in result.diagnostics]
    # figures for the note (not timed assertions: CI machines vary)
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / "figures.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data["build_seconds"] = {k: round(v, 2) for k, v in result.timings.items()}
    data["search_records"] = len(search.records(result.edition))
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return out


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def internal_refs(page: Path) -> list[str]:
    """href of links and stylesheets, src of scripts and images (not canonical/OG URLs)."""
    doc = html.parse(str(page))
    refs = [a.get("href") for a in doc.iter("a") if a.get("href") is not None]
    refs += [ln.get("href") for ln in doc.iter("link") if ln.get("rel") in ("stylesheet", "icon", "alternate")]
    refs += [el.get("src") for el in doc.iter("script", "img") if el.get("src")]
    return refs


def test_every_page_is_valid_html(site: Path, vnu: Path) -> None:
    messages = run_vnu(html_pages(site), vnu)
    assert messages == [], format_vnu(messages[:40])


def test_internal_links_are_relative_and_resolve(site: Path) -> None:
    broken = []
    for page in html_pages(site):
        if page.name == "404.html":  # links from the site's own path (served anywhere)
            continue
        ids_cache: dict[Path, set[str]] = {}
        for ref in internal_refs(page):
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            assert not ref.startswith("/"), f"{page.relative_to(site)}: absolute link {ref}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {ref}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids_cache:
                    ids_cache[target] = set(html.parse(str(target)).xpath("//@id"))
                if unquote(parts.fragment) not in ids_cache[target]:
                    broken.append(f"{page.relative_to(site)} -> {ref} (no such id)")
    assert broken == [], "\n".join(broken[:30])


def test_edition_wide_files(site: Path) -> None:
    for rel in ("index.html", "404.html", "search.html", "links.html", "links-by-text.html", "links-by-score.html",
                "robots.txt", "sitemap.xml", "feed.xml", "links.json", "assets/favicon.svg", "assets/style.css",
                "assets/search.js", "search/fold.txt", "pagefind/pagefind.js", "pagefind/pagefind-entry.json"):
        assert (site / rel).is_file(), rel
    robots = (site / "robots.txt").read_text()
    assert "Sitemap: https://example.org/edition/sitemap.xml" in robots


def test_sitemap_lists_every_page_absolute(site: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = etree.parse(str(site / "sitemap.xml")).xpath("//s:loc/text()", namespaces=ns)
    pages = {p.relative_to(site).as_posix() for p in html_pages(site)} - {"404.html"}
    assert {loc.removeprefix("https://example.org/edition/") for loc in locs} == pages
    assert all(loc.startswith("https://example.org/edition/") for loc in locs)


def test_feed_has_one_entry_per_text(site: Path) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = etree.parse(str(site / "feed.xml"))
    titles = feed.xpath("//a:entry/a:title/text()", namespaces=ns)
    data = json.loads((site / "links.json").read_text())
    assert sorted(titles) == sorted(t["title"] for t in data["texts"])
    for updated in feed.xpath("//a:updated/text()", namespaces=ns):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", updated)


def test_404_links_from_the_site_path(site: Path) -> None:
    page = (site / "404.html").read_text()
    assert 'href="/edition/assets/style.css"' in page
    assert 'href="/edition/index.html"' in page


def test_text_pages_have_open_graph_and_canonical(site: Path) -> None:
    page = (site / "texts" / "trotsky-letter-1927-03-31.html").read_text()
    assert '<meta property="og:type" content="article">' in page
    assert '<link rel="canonical" href="https://example.org/edition/texts/trotsky-letter-1927-03-31.html">' in page
    assert '<html lang="en"' in page


def test_links_json_contract(site: Path) -> None:
    data = json.loads((site / "links.json").read_text())
    assert data["version"] == 1
    ids = {t["id"] for t in data["texts"]}
    for t in data["texts"]:
        assert set(t) >= {"id", "source", "title", "lang", "url"}
    across = 0
    for ln in data["links"]:
        assert ln["a"]["text"] in ids and ln["b"]["text"] in ids
        assert ln["direction"] in ("a->b", "b->a", None)
        for side in (ln["a"], ln["b"]):
            # the url opens the passage itself, highlighted: its mark, or the first of
            # its marks when it crosses other markup (one per piece of text)
            page, _, frag = side["url"].partition("#")
            root = html.parse(str(site / page)).getroot()
            el = root.get_element_by_id(frag)
            assert el.tag == "mark" and "quotation" in el.get("class", ""), side
            pieces = root.xpath("//mark[@data-passage=$p]", p=frag)
            across += bool(pieces)
            # not the passage's words: a note's mark and popover, a printed page's number
            for piece in pieces or [el]:
                for extra in piece.xpath(".//*[contains(@class, 'note') or contains(@class, 'pb')]"):
                    if extra.getparent() is not None:
                        extra.drop_tree()
            shown = "".join(piece.text_content() for piece in pieces or [el])
            assert shown == side["quote"], (shown, side)
    assert across  # the sample edition has passages that cross other markup (a correction, a note)


def test_side_by_side_pages_show_both_passages_and_what_differs(site: Path) -> None:
    from edition.quotations.normalize import ocr_equal, tokenize

    data = json.loads((site / "links.json").read_text())
    kinds = set()
    for ln in data["links"]:
        page = html.parse(str(site / "links" / f"{ln['id']}.html")).getroot()
        marks = page.xpath("//main//mark[@class='quotation']")
        assert len(marks) == 2, ln["id"]
        shown = sorted(" ".join(m.text_content().split()) for m in marks)
        assert shown == sorted(" ".join(side["quote"].split()) for side in (ln["a"], ln["b"])), ln["id"]
        differs = page.xpath("//main//mark//span[@class='differs']")
        if ln["kind"] == "translation":
            assert not differs, ln["id"]  # two languages
            continue
        if ln["kind"] == "verbatim":  # the same words, but for a spelling (organisations/organizations)
            runs = [[t.form for t in tokenize(" ".join(d.text_content() for d in m.xpath(".//span[@class='differs']")))]
                    for m in marks]
            assert len(runs[0]) == len(runs[1]) and all(map(ocr_equal, *runs)), (ln["id"], runs)
            continue
        kinds.add(ln["kind"])
        assert differs and page.xpath("//p[@class='legend']"), ln["id"]
        # what is not marked as differing is the same words, in the same order, on both sides
        kept = []
        for m in marks:
            for d in m.xpath(".//span[@class='differs']"):
                d.text, d.tail = " ", (d.tail or "")
                for child in list(d):
                    d.remove(child)
            kept.append([t.form for t in tokenize(m.text_content())])
        assert kept[0] == kept[1], ln["id"]
    assert kinds == {"edited", "elided"}


def test_sample_translation_is_linked_with_exact_ends(site: Path) -> None:
    """Issue 4's sample: seed 001's Chinese quotation of Stalin and its English
    original in seed 002, without the commentator's lead-in ("斯大林驳斥他：“")."""
    data = json.loads((site / "links.json").read_text())
    lang = {t["id"]: t["lang"] for t in data["texts"]}
    tr = [ln for ln in data["links"] if ln["kind"] == "translation"]
    assert len(tr) == 1, tr
    zh, en = sorted((tr[0]["a"], tr[0]["b"]), key=lambda side: not lang[side["text"]].startswith("zh"))
    assert zh["quote"].startswith("使我国社会主义建设依赖") and zh["quote"].endswith("开空车呢？"), zh["quote"]
    assert en["quote"].startswith("For what is implied by making") and en["quote"].endswith("in the West?")


def test_links_page_lists_pairs_in_three_orders(site: Path) -> None:
    data = json.loads((site / "links.json").read_text())
    assert data["links"], "the sample edition's build has quotation links"
    for name in ("links.html", "links-by-text.html", "links-by-score.html"):
        doc = html.parse(str(site / name))
        rows = doc.xpath("//table[@class='pairs']/tbody/tr")
        assert rows
        assert sum(int(r.xpath("string(td[3])")) for r in rows) == len(data["links"])
        assert doc.xpath("//svg[@class='network']") or doc.xpath("//*[local-name()='svg']")
    counts = [int(r.xpath("string(td[3])")) for r in html.parse(str(site / "links.html")).xpath("//table[@class='pairs']/tbody/tr")]
    assert counts == sorted(counts, reverse=True)


def test_text_page_weight_before_text(site: Path) -> None:
    """Issue 6 target: a text page weighs under 100 KB before its text (HTML up to the
    text body, plus the stylesheet; no script, no web font)."""
    css = (site / "assets" / "style.css").stat().st_size
    for page in [site / "texts" / "trotsky-letter-1927-03-31.html", site / "texts" / "stalin-works-9" / "w05.html"]:
        raw = page.read_bytes()
        head = raw[: raw.index(b'<div class="text-body">')]
        assert b"<script" not in raw
        assert len(head) + css < 100_000, (page.name, len(head), css)


def test_two_builds_are_byte_identical(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    builder.build(CONTENT, again)
    cmp = filecmp.dircmp(site, again)
    differ: list[str] = []

    def walk(c: filecmp.dircmp[str], prefix: str = "") -> None:
        differ.extend(prefix + n for n in c.left_only + c.right_only)
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        differ.extend(prefix + n for n in mismatch + errors)
        for name, sub in sorted(c.subdirs.items()):
            walk(sub, prefix + name + "/")

    walk(cmp)
    # the small text files that differ, both versions (seen once: pagefind-entry.json alone)
    shown = {n: ((site / n).read_text(errors="replace")[:600], (again / n).read_text(errors="replace")[:600])
             for n in differ if n.endswith((".json", ".txt")) and (site / n).is_file() and (again / n).is_file()}
    assert differ == [], shown


# -- search form: what the index holds and what search.js sends ---------------------------


def test_search_form_bigrams_and_folding() -> None:
    assert search.search_form("无产阶级专政") == "无产 产阶 阶级 级专 专政 政"
    assert search.search_form("無產階級專政") == search.search_form("无产阶级专政")
    assert search.search_form("the Ｐｅｏｐｌｅ's 革命") == "the People's 革命 命"
    assert search.search_form("政") == "政"


def test_search_js_builds_the_same_form() -> None:
    """search.js and search.py must agree: same ranges, bigrams and last character."""
    js = (ROOT / "templates" / "static" / "search.js").read_text()
    assert r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}" in js
    assert search.CJK.pattern.startswith(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff")


def test_chinese_passage_inside_an_english_text_is_indexed(tmp_path: Path) -> None:
    root = make_edition(tmp_path, {
        "edition.yaml": "title: T\nlanguages: [en]\nquotations: {enabled: false}\n",
        "a.txt": "A Title\n\nThe slogan was 不断革命 and nothing else was said about it.\n",
        "a.yaml": "title: A\nlang: en\nauthor: X\n",
    })
    edition = builder.load(root)
    recs = search.records(edition)
    para = [r for r in recs if "slogan" in r.text]
    assert para and "不断 断革 革命 命" in para[0].content
    assert para[0].url.startswith("texts/a.html#")
    assert para[0].filters["language"] == ["English"]


def test_records_carry_page_note_and_quotation(tmp_path: Path) -> None:
    root = make_edition(tmp_path, {
        "edition.yaml": "title: T\nlanguages: [en]\nquotations: {enabled: false}\n",
        "a.txt": "A Title\n\nFirst paragraph of the text, long enough to be a paragraph.\n\nSecond paragraph.\n",
        "a.yaml": "title: A\nlang: en\nauthor: X\n",
    })
    edition = builder.load(root)
    text = edition.texts["a"]
    ps = text.root.findall(".//{http://www.tei-c.org/ns/1.0}p")
    body_ps = [p for p in ps if p.getparent().tag.endswith("div") or p.getparent().tag.endswith("body")]
    pb = etree.Element("{http://www.tei-c.org/ns/1.0}pb", n="17")
    body_ps[0].addprevious(pb)
    xid = body_ps[1].get("{http://www.w3.org/XML/1998/namespace}id")
    edition.links = [Link("l1", "verbatim", 0.9, Passage("a", xid, "Second paragraph."), Passage("a", xid, "Second"))]
    recs = {r.text: r for r in search.records(edition)}
    first = recs["First paragraph of the text, long enough to be a paragraph."]
    assert first.meta["page"] == "17"
    assert "quotation" in recs["Second paragraph."].filters["kind"]


def test_edition_without_base_url(tmp_path: Path) -> None:
    """No base_url: no sitemap (it needs absolute URLs), robots.txt without it, a feed
    with relative links and urn ids, permalinks in citations relative to the site."""
    root = make_edition(tmp_path, {
        "edition.yaml": "title: Small\nlanguages: [zh-Hans]\nquotations: {enabled: false}\n",
        "a.txt": "标题\n\n第一段文字，无产阶级专政。\n\n第二段文字。\n",
        "a.yaml": "title: 甲\nlang: zh-Hans\nauthor: 某人\ndate: 1906\n",
    })
    out = tmp_path / "out"
    result = builder.build(root, out)
    assert result.out == out
    assert not (out / "sitemap.xml").exists()
    assert (out / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    feed = etree.parse(str(out / "feed.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.xpath("//a:entry/a:link/@href", namespaces=ns) == ["texts/a.html"]
    assert feed.xpath("//a:entry/a:id/text()", namespaces=ns)[0].startswith("urn:edition:")
    page = (out / "texts" / "a.html").read_text()
    assert '<html lang="zh-Hans"' in page
    assert "texts/a.html#p" in page  # the citation's permalink, site-relative
    assert (out / "404.html").read_text().count('href="/assets/style.css"') == 1


def test_an_index_whose_entry_names_missing_metadata_is_incomplete(tmp_path: Path) -> None:
    bundle = tmp_path / "pagefind"
    bundle.mkdir()
    assert not search._complete(bundle)  # no entry file
    (bundle / "pagefind-entry.json").write_text('{"languages": {"en": {"hash": "en_0123456789"}}}')
    assert not search._complete(bundle)  # the metadata it names is not there
    (bundle / "pagefind.en_0123456789.pf_meta").write_bytes(b"\x1f\x8b meta")
    assert search._complete(bundle)
