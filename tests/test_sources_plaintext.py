"""The plain-text reader, case by case (tests/fixtures/plaintext/txt_to_tei.txt).

Each case's expected output is the TEI ``<body>`` (and ``<front>`` when there is
one) after notes are attached and ids assigned, with private attributes removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from edition import ids, notes
from edition.config import Config
from edition.errors import Diagnostics
from edition.header import make_document
from edition.model import Text, TextMeta
from edition.sources.base import SourceFile
from edition.sources.plaintext import PlainReader
from edition.tei import indent_blocks, strip_private, t
from tests.support.fixtures import read_fixture_file

FIXTURES = Path(__file__).parent / "fixtures" / "plaintext" / "txt_to_tei.txt"
CASES = read_fixture_file(FIXTURES)


def read_plain(source: str, lang: str = "en", name: str = "a.txt") -> tuple[Text, Diagnostics]:
    diags = Diagnostics()
    meta = TextMeta(title="T", lang=lang)
    src = SourceFile(rel=Path(name), path=Path(name), text=source, meta=meta)
    result = PlainReader().read(src, diags)
    tree = make_document(
        "a", name, "plain", "0", meta, Config(content_dir=Path(".").resolve(), title="E"), result
    )
    text = Text(id="a", source=Path(name), meta=meta, tree=tree)
    notes.attach(text, diags)
    ids.assign(text, diags)
    return text, diags


def body_xml(text: Text) -> str:
    out = []
    root = strip_private(text.root.find(t("text")))
    for part in root:
        indent_blocks(part)
        s = etree.tostring(part, encoding="unicode").replace(' xmlns="http://www.tei-c.org/ns/1.0"', "")
        out.append(s.rstrip())
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plaintext_fixture(case) -> None:  # type: ignore[no-untyped-def]
    lang = "zh-Hans" if any("\u4e00" <= ch <= "\u9fff" for ch in case.input) else "en"
    text, diags = read_plain(case.input, lang)
    expected, _, messages = case.expected.partition("--- diagnostics\n")
    assert body_xml(text) == expected
    assert "".join(f"{d}\n" for d in diags) == messages


def test_fixture_file_has_cases() -> None:
    assert len(CASES) >= 10


# --- hard-wrapped blocks among one-line paragraphs (issue 20) ----------------------------------

ONE_LINE_PARAGRAPHS = [
    "Keepers of bees in the upland valleys move their hives twice a year, once in spring when the orchards"
    " flower and once in late summer when the heather opens on the moors, and each move is made at night"
    " while the colonies are quiet.",
    "An irritable colony is usually a hungry one or a queenless one, and no amount of smoke will calm it for"
    " more than a few minutes; the cure is to find the cause, which often takes a patient inspection of every"
    " frame.",
    "Honey taken in early summer is pale and mild, while the late harvest from the heather is dark, thick and"
    " strong, and it must be pressed from the comb rather than spun out.",
    "Most keepers mark each hive with a painted sign, so that a neighbour who finds a stray box on the"
    " hillside can tell whose it is.",
]
WRAPPED = (  # as pasted from a PDF: about 60 characters a line, one word cut at a line end
    "A strong colony in a good season can gather more nectar than\n"
    "its combs will hold, and the keeper who fails to add boxes in\n"
    "time will find the workers crowding the entrance, idle and ir-\n"
    "ritable, long before the swarm settles in a hollow tree nearby.\n"
)
PASSAGE = (
    "A strong colony in a good season can gather more nectar than its combs will hold, and the keeper who"
    " fails to add boxes in time will find the workers crowding the entrance, idle and irritable, long before"
    " the swarm settles in a hollow tree nearby"
)


def almanac() -> str:
    first, *rest = ONE_LINE_PARAGRAPHS
    return "\n\n".join([first, WRAPPED.rstrip("\n"), *rest]) + "\n"


def test_line_end_hyphens_are_declared_in_the_header() -> None:
    text, diags = read_plain(almanac() + "\nThe hives stand in a row along a well-\nkept hedge.\n")
    assert [str(d) for d in diags] == []
    assert PASSAGE + "." in [p.text for p in text.root.iter(t("p"))]
    (hyph,) = text.root.iter(t("hyphenation"))
    assert hyph.get("eol") == "some"
    assert "".join(hyph.itertext()) == (
        "Hard-wrapped lines joined into paragraphs; 1 word(s) cut by a hyphen at a line end joined where the"
        " text has the joined form elsewhere, 1 line-end hyphen(s) kept as printed."
    )
    assert "a well-kept hedge." in "".join(text.root.itertext())


def test_quotation_over_a_hard_wrapped_block_is_found_whole(tmp_path: Path) -> None:
    """End to end: one text quotes a passage that the other hard-wrapped, with a hyphenated
    line end; the link's passages are the whole quotation on both sides."""
    from edition import builder
    from tests.support.project import make_edition

    content = make_edition(tmp_path, {
        "edition.yaml": "title: Bees\nlanguages: [en]\n",
        "almanac.txt": almanac(),
        "almanac.yaml": "title: An Almanac for Beekeepers\nauthor: R. Hives\ndate: 1890\nlang: en\n",
        "letter.txt": "Dear Margaret,\n\nYour uncle lost two swarms in June, and he blames the weather, but the"
                      f' old almanac told him plainly: "{PASSAGE}." He never reads it.\n\nWith love from the farm,\n',
        "letter.yaml": "title: A Letter from the Farm\nauthor: J. Field\ndate: 1902\nlang: en\n",
    })  # fmt: skip
    edition = builder.load(content)
    assert [str(d) for d in edition.diagnostics] == []
    (link,) = edition.links
    sides = {link.a.text: link.a, link.b.text: link.b}
    assert sides["almanac"].quote == PASSAGE and sides["letter"].quote == PASSAGE
    assert (sides["almanac"].anchor, sides["almanac"].start) == ("p2", 0)
    assert link.direction == ("a->b" if link.a.text == "letter" else "b->a")  # the letter quotes


def test_odd_blocks_among_one_line_paragraphs_do_not_break_the_reader() -> None:
    odd = ["x" * 230, "\u00a0\n\u00a0\nab-\n-\n~", "-\nb-\nc", "。\n「\n一-\n二"]
    text, _ = read_plain("\n\n".join(odd) + "\n")
    assert "".join(text.root.find(t("text")).itertext()).count("x") == 230


def test_a_full_line_ending_a_sentence_wraps_where_the_file_mostly_wraps() -> None:
    two = "The lamp was trimmed and filled before the light went down.\nNobody climbed the stairs that night.\n"
    wrapped = (
        "The keeper's log records each ship that passed, the state of\n"
        "the sea and the hour the lamp was lit, in a hand that grows\n"
        "smaller as the winters go by.\n"
    )
    long_line = " ".join(["A note on the copy kept in the harbour office:"] + ["ledger"] * 30) + "."
    mostly_wrapped, _ = read_plain(f"{long_line}\n\n{two}\n{wrapped}")
    paras = [p.text for p in mostly_wrapped.root.find(t("text")).iter(t("p"))]
    assert two.replace("\n", " ").strip() in paras and len(paras) == 3
    one_line = "\n\n".join([long_line] * 4 + [two])
    mostly_one_line, _ = read_plain(one_line)
    assert [p.text for p in mostly_one_line.root.find(t("text")).iter(t("p"))][-2:] == two.strip().split("\n")
