"""The Markdown reader: fixture cases (markdown-it-py format), the seed 001
repost collection, odd and bad input, and validity against tei_all."""

from __future__ import annotations

import re
from copy import deepcopy
from pathlib import Path

import pytest
from lxml import etree

from edition.errors import Diagnostics
from edition.model import TextMeta
from edition.sources import reader_for, split_front_matter
from edition.sources.base import ReadResult, SourceFile
from edition.sources.markdown import MarkdownReader
from edition.tei import ED_LINE, ED_NS, NS, TEI_NS, XML_LANG, indent_blocks, text_content
from tests.support.ci import missing_tool
from tests.support.fixtures import read_fixture_file

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "markdown"
CASES = read_fixture_file(FIXTURES / "md_to_tei.txt")
REPO = HERE.parent
SEED_CANDIDATES = [
    REPO / "content" / "trotskyism-commentaries.md",
]


def source(text: str, name: str = "a.md", lang: str = "zh") -> SourceFile:
    """A Markdown source with front matter split off (``load_source`` needs a whole Config)."""
    _fm, body_line = split_front_matter(text)
    return SourceFile(
        rel=Path(name),
        path=Path("/nonexistent") / name,
        text=text,
        meta=TextMeta(title="t", lang=lang),
        body_line=body_line,
    )


def read(text: str, name: str = "a.md", lang: str = "zh") -> tuple[ReadResult, Diagnostics]:
    diags = Diagnostics()
    result = MarkdownReader().read(source(text, name, lang), diags)
    return result, diags


def body_of(result: ReadResult) -> etree._Element:
    body = result.text.find(f"{{{TEI_NS}}}body")
    assert body is not None
    return body


def to_fixture(body: etree._Element) -> str:
    """The body as the fixture files show it: pretty, no namespace declarations,
    ``ed:`` attributes kept except ``ed:line`` (tested on its own)."""
    body = deepcopy(body)
    for el in body.iter():
        el.attrib.pop(ED_LINE, None)
    wrapper = etree.Element("wrapper", nsmap={None: TEI_NS, "ed": ED_NS})
    wrapper.append(body)
    etree.cleanup_namespaces(wrapper, top_nsmap={None: TEI_NS, "ed": ED_NS})
    indent_blocks(body)
    s = etree.tostring(body, encoding="unicode")
    return re.sub(r' xmlns(:\w+)?="[^"]*"', "", s) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case):
    # lang "und": the cases mix scripts freely, and xml:lang is tested on its own
    result, _ = read(case.input, lang="und")
    assert to_fixture(body_of(result)) == case.expected


def test_registered():
    assert reader_for(None, ".md") is MarkdownReader
    assert reader_for(None, ".markdown") is MarkdownReader
    assert reader_for("markdown", ".txt") is MarkdownReader


# --- seed 001: three reposted articles ------------------------------------------


@pytest.fixture(scope="module")
def seed():
    path = next((p for p in SEED_CANDIDATES if p.is_file()), None)
    if path is None:
        missing_tool("seed 001 (content/trotskyism-commentaries.md)", "content/ is part of the repository (git checkout -- content)")
    text = path.read_text(encoding="utf-8")
    diags = Diagnostics()
    result = MarkdownReader().read(source(text, path.name), diags)
    return result, diags


def heads(div: etree._Element) -> list[str]:
    return [text_content(d.find("tei:head", NS)) for d in div.findall("tei:div", NS)]


def test_seed_articles(seed):
    result, diags = seed
    body = body_of(result)
    articles = body.findall("tei:div", NS)
    assert [a.get("type") for a in articles] == ["article"] * 3
    assert [text_content(a.find("tei:head", NS)) for a in articles] == [
        "批判托派的胡说八道",
        "人民内部矛盾还是敌我矛盾：斯大林主义和托洛茨基主义的分歧",
        "对托派及其他机会主义者的斗争",
    ]
    assert [a.findtext("tei:byline/tei:docAuthor", namespaces=NS) for a in articles] == [
        "暴躁皮皮",
        "米宁",
        "印共（毛）",
    ]
    assert [a.find("tei:bibl[@type='source']/tei:ref", NS).get("target") for a in articles] == [
        "https://zhuanlan.zhihu.com/p/425112851",
        "https://mapleshade20.github.io/books/renwu/",
        "https://mapleshade20.github.io/books/jiaocheng/",
    ]
    # each article is its own note scope
    assert len({a.get(f"{{{ED_NS}}}scope") for a in articles}) == 3
    assert [a.get(ED_LINE) for a in articles] == ["11", "106", "223"]
    assert [a.find("tei:byline", NS).get(ED_LINE) for a in articles] == ["14", "109", "226"]
    assert not [d for d in diags if d.level >= 1]


def test_seed_subheadings(seed):
    result, _ = seed
    a1, a2, a3 = body_of(result).findall("tei:div", NS)
    assert [h[:2] for h in heads(a1)] == ["一、", "二、", "三、", "四、", "五、"]
    assert [h[:2] for h in heads(a2)] == ["一、", "二、", "三、"]
    first = a2.find("tei:div", NS)
    assert [h[:3] for h in heads(first)] == ["1.1", "1.2", "1.3"]
    assert heads(a3) == []
    assert a3.findall("tei:p", NS)[2].text.startswith("1）")


def test_seed_quotations(seed):
    result, _ = seed
    quotes = body_of(result).findall(".//tei:quote", NS)
    assert [q.get(ED_LINE) for q in quotes] == ["139", "167", "211"]
    assert [len(q.findall("tei:p", NS)) for q in quotes] == [6, 2, 4]
    assert quotes[1].find("tei:p", NS).text.startswith("“第十九个问题")


def test_seed_no_tags_and_lines(seed):
    result, _ = seed
    xml = etree.tostring(result.text, encoding="unicode")
    xml += "".join(etree.tostring(e, encoding="unicode") for e in result.encoding + result.source_desc)
    assert "{%" not in xml and "%}" not in xml
    for el in body_of(result).iter(
        *(f"{{{TEI_NS}}}{n}" for n in ("p", "head", "div", "quote", "byline", "bibl"))
    ):
        assert el.get(ED_LINE), etree.tostring(el, encoding="unicode")[:80]
    p = body_of(result).find(".//tei:p", NS)
    assert p.get(ED_LINE) == "18" and p.text.startswith("网上看到一篇")


def test_seed_source_desc(seed):
    result, _ = seed
    bibls = result.source_desc
    assert len(bibls) == 3
    assert [b.findtext("tei:author", namespaces=NS) for b in bibls] == ["暴躁皮皮", "米宁", "印共（毛）"]
    assert bibls[0].findtext("tei:title", namespaces=NS) == "批判托派的胡说八道"
    assert bibls[2].find("tei:ref", NS).get("target") == "https://mapleshade20.github.io/books/jiaocheng/"


# --- bad and odd input ------------------------------------------------------------


def test_unclosed_tag_block_warns_with_line():
    text = "---\ntitle: x\n---\n\n# A\n\n{% note info %}\n作者：甲\n\n正文。\n"
    result, diags = read(text, "posts/x.md")
    msgs = [str(d) for d in diags]
    assert any(m.startswith("posts/x.md:7: warning:") and "not closed" in m for m in msgs), msgs
    xml = etree.tostring(result.text, encoding="unicode")
    assert "{%" not in xml
    assert body_of(result).findtext(".//tei:docAuthor", namespaces=NS) == "甲"
    assert "正文。" in xml


def test_unknown_tags_warn_and_vanish():
    text = (
        "Intro {% fa fa-star %} text.\n\n{% include foo.html %}\n\n{% endnote %}\n\n"
        "{% mytag x %}\ninner\n{% endmytag %}\n"
    )
    result, diags = read(text)
    msgs = [str(d) for d in diags]
    assert any(m.startswith("a.md:1: warning:") and "fa" in m for m in msgs), msgs
    assert any(m.startswith("a.md:3: warning:") and "include" in m for m in msgs), msgs
    assert any(m.startswith("a.md:5: warning:") and "endnote" in m for m in msgs), msgs
    assert any(m.startswith("a.md:7: warning:") and "mytag" in m for m in msgs), msgs
    xml = etree.tostring(result.text, encoding="unicode")
    assert "{%" not in xml and "%}" not in xml
    assert "inner" in xml


def test_raw_html_is_text_with_warning():
    result, diags = read(
        "<div class=x>\nhi\n</div>\n\na <video src=x>b</video> <sup>2</sup> <a href='u'>c</a>\n"
    )
    msgs = [str(d) for d in diags]
    assert any(m.startswith("a.md:1: warning:") and "HTML" in m for m in msgs), msgs
    assert any(m.startswith("a.md:5: warning:") for m in msgs), msgs
    xml = etree.tostring(result.text, encoding="unicode")
    assert "&lt;div class=x&gt;" in xml and "&lt;video src=x&gt;" in xml
    assert '<hi rend="sup">2</hi> <ref target="u">c</ref>' in xml


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("The history of the Fourth International.", "zh", "en"),
        ("Trotskyist Faction - Fourth International", "zh-Hans", "und-Latn"),
        ("托派 Trotskyist Faction - Fourth International", "zh", None),
        ("Lenin", "zh", None),
        ("中国共产党的历史。", "en", "zh"),
        ("マルクス主義の歴史。", "en", "ja"),
        ("The word 中国 in English.", "en", None),
        ("中国共产党的历史。", "und", None),
    ],
)
def test_other_script(text, lang, expected):
    from edition.sources.markdown import other_script

    assert other_script(text, lang.split("-")[0]) == expected


def test_block_in_other_script_gets_lang():
    result, _ = read("中文段落。\n\nThe history of the Fourth International is long.\n")
    assert [p.get(XML_LANG) for p in body_of(result)] == [None, "en"]


FATAL = [
    "",
    "\n\n\n",
    "# \n",
    "> > > deep\n> > > > deeper\n",
    "{% note %}",
    "{% note %}\n{% note %}\n{% endnote %}\n",
    "{%",
    "%}",
    "{% %}",
    "[^1]\n\n[^1]: [^1]\n",
    "[^a]: a note defined first\nText with [^a] here, which continues the note.\n",
    "[^]: x\n",
    "x\x00y\x01z\x0b\ufffe\n",
    "<!--\n",
    "| a |\n|---|\n| <b> |\n",
    "![](<>)\n\n[x]()\n",
    "* * *\n- - -\n___\n",
    "```\nunclosed fence\n",
    "# a\n### c\n## b\n# d\n###### f\n",
    "> — only attribution\n",
    "{% blockquote %}\n{% endblockquote %}\n",
    "{% codeblock lang:py %}\nx = '{% not a tag %}'\n{% endcodeblock %}\n",
    "作者：\n",
    "- 作者：甲\n- 来源：乙\n",
    "\ud800 lone surrogate? no: python str can hold it\n",
]


@pytest.mark.parametrize("text", FATAL, ids=[f"fatal-{i}" for i in range(len(FATAL))])
def test_never_raises(text):
    result, diags = read(text)
    body = body_of(result)
    assert len(body), "the body is never empty (TEI requires content)"
    assert not [d for d in diags if d.code == "reader-failed"], [str(d) for d in diags]
    etree.tostring(result.text)  # serialisable


@pytest.mark.parametrize("text", FATAL, ids=[f"fatal-{i}" for i in range(len(FATAL))])
def test_every_text_step_takes_it(text, tmp_path):
    """The per-text steps after the reader (notes, ids) never raise either."""
    from edition import pipeline
    from edition.config import Config
    from edition.errors import Diagnostics

    (tmp_path / "x.md").write_text(f"---\ntitle: X\nlang: en\n---\n{text}", encoding="utf-8", errors="surrogatepass")
    diags = Diagnostics()
    pipeline.read_text(Config(content_dir=tmp_path, title="t"), Path("x.md"), diags)
    assert not [d for d in diags if d.code == "reader-failed"], [str(d) for d in diags]


def test_a_note_running_on_over_its_own_marker_is_said(tmp_path):
    from edition import pipeline
    from edition.config import Config
    from edition.errors import Diagnostics

    (tmp_path / "x.md").write_text("---\ntitle: X\nlang: en\n---\n[^a]: the note\nText with [^a] here.\n")
    diags = Diagnostics()
    text = pipeline.read_text(Config(content_dir=tmp_path, title="t"), Path("x.md"), diags)
    assert text is not None
    assert [str(d) for d in diags if d.code == "note-self"] == [
        "x.md:5: warning: note marker a stands inside its own note's text (in Markdown, a line right after a"
        " note's definition continues the note: leave a blank line); both are kept where they stand"]


# --- validity -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rng(tei_schema):
    """tei_all from the project's own fetch (conftest: a failure in CI when missing)."""
    return tei_schema


def _document(result: ReadResult) -> etree._Element:
    from edition.tei import E, strip_private

    text = deepcopy(result.text)
    header = E.teiHeader(
        E.fileDesc(
            E.titleStmt(E.title("t")),
            E.publicationStmt(E.p("p")),
            E.sourceDesc(E.bibl("s"), *[deepcopy(b) for b in result.source_desc]),
        )
    )
    if result.encoding:
        header.append(E.encodingDesc(*[deepcopy(e) for e in result.encoding]))
    root = E.TEI(header, text)
    return strip_private(root)


def test_all_output_is_valid_tei(rng, seed):
    inputs = (
        [("seed", seed[0])]
        + [(c.id, read(c.input, lang="und")[0]) for c in CASES]
        + [(f"fatal-{i}", read(x)[0]) for i, x in enumerate(FATAL)]
    )
    bad = []
    for name, result in inputs:
        doc = _document(result)
        if not rng.validate(doc):
            bad.append(f"{name}: {rng.error_log.last_error}")
    assert not bad, "\n".join(bad)


BLOCKS = "div head p quote cit list item table row cell eg milestone byline docDate note".split()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_block_has_its_line(case):
    result, _ = read(case.input, lang="und")
    nlines = case.input.count("\n")
    for el in body_of(result).iter(*(f"{{{TEI_NS}}}{n}" for n in BLOCKS)):
        line = el.get(ED_LINE)
        assert line and 1 <= int(line) <= max(nlines, 1), etree.tostring(el, encoding="unicode")[:80]


def test_lines_count_from_the_file_start():
    text = "---\ntitle: x\nlang: en\n---\n\n# Head\n\npara\none\n\n> q\n\n- a\n- b\n"
    result, _ = read(text)
    body = body_of(result)
    assert body.get(ED_LINE) == "5"
    div = body.find("tei:div", NS)
    assert div.get(ED_LINE) == "6" and div.find("tei:head", NS).get(ED_LINE) == "6"
    assert div.find("tei:p", NS).get(ED_LINE) == "8"
    assert div.find("tei:quote", NS).get(ED_LINE) == "11"
    assert [i.get(ED_LINE) for i in div.iterfind("tei:list/tei:item", NS)] == ["13", "14"]


def test_crlf_and_split_tag_lines_keep_file_lines():
    text = "# T\r\n\r\n{% note info %} 作者：甲\r\n转载自：[乙](https://example.org) {% endnote %}\r\n\r\ntext\r\n"
    result, diags = read(text)
    body = body_of(result)
    assert body.find(".//tei:byline", NS).get(ED_LINE) == "3"
    assert body.find(".//tei:bibl", NS).get(ED_LINE) == "4"
    assert body.find(".//tei:p", NS).get(ED_LINE) == "6"
    assert not list(diags)


def test_single_repost_at_body_top_goes_to_source_desc():
    result, _ = read("{% note info %}\n作者：甲\n来源：https://example.org/a\n{% endnote %}\n\n正文\n")
    (bibl,) = result.source_desc
    assert bibl.findtext("tei:title", namespaces=NS) == "t"
    assert bibl.findtext("tei:author", namespaces=NS) == "甲"
    assert bibl.find("tei:ref", NS).get("target") == "https://example.org/a"


def test_by_the_way_is_not_a_byline():
    result, _ = read("# T\n\nBy the way it works\n", lang="en")
    assert body_of(result).find(".//tei:byline", NS) is None


PIECES = [
    "# ", "## ", "> ", ">", "- ", "1. ", "    ", "\n", "\n\n", "*", "**", "`", "```", "~~", "[", "]", "(", ")",
    "![", "[^1]", "[^1]: ", "^[", "{% note info %}", "{% endnote %}", "{% blockquote A, B http://x %}",
    "{% endblockquote %}", "{% raw %}", "{% img a.png %}", "{% x %}", "{%", "%}", "作者：甲",
    "转载自：[知乎](http://z)", "By Ann", "— Mao", "<b>", "</b>", "<div>", "<!--", "<br>", "| a | b |\n|---|---|\n",
    "***", "text", "中文", "http://x.org/a", "\x00", "\\", "  \n", "<a href='%zz[x]'>", "</a>", "\t", "\r",
    "{% note info %}\n", "\n{% endnote %}\n", "\n  - ", "\n> > ", "\n\n# B\n\n{% note %}\nBy Ann Lee\n{% endnote %}\n",
]  # fmt: skip


def test_random_input_gives_valid_tei(rng):
    """markdown-it-py's fatal.md idea, randomised with a fixed seed: never raise, always valid."""
    import random

    rand = random.Random(20261122)
    bad = []
    for _ in range(300):
        text = "".join(rand.choice(PIECES) for _ in range(rand.randint(0, 40)))
        result, diags = read(text)
        if any(d.code == "reader-failed" for d in diags) or not rng.validate(_document(result)):
            bad.append(repr(text))
    assert not bad, "\n".join(bad[:5])


@pytest.mark.parametrize(
    "text",
    [
        "# T\n\n原文："
        + "子曰：学而时习之，不亦说乎？有朋自远方来，不亦乐乎？人不知而不愠，不亦君子乎？" * 2
        + "\n",
        "# T\n\n日期：不详\n",
        "# T\n\n作者：这是一个很长的句子，显然不是作者的名字而是一段正文的开头。\n",
    ],
    ids=["quotation", "no-date", "sentence"],
)
def test_ordinary_text_is_not_attribution(text):
    result, _ = read(text)
    body = body_of(result)
    assert body.find(".//tei:byline", NS) is None and body.find(".//tei:bibl", NS) is None
    assert body.find(".//tei:docDate", NS) is None and body.find(".//tei:div", NS).get("type") is None


def test_editorial_decl_says_what_was_converted(seed):
    result, _ = seed
    (decl,) = result.encoding
    said = " ".join(decl.itertext())
    assert "3 Hexo/Jekyll tag block(s)" in said and "3 reposted article(s)" in said
    result, _ = read("plain *text*\n")
    assert result.encoding == []
