"""The book reader on volumes it was not built against (issue 20).

Three fixture volumes in the sample volume's line model (double-spaced lines,
``" "`` paragraph lines, page breaks, filler pages) that share none of its
words:

- a naturalist's lectures: notes under ``Annotations`` after each lecture (one
  heading at the top of a page), the last lecture's notes with no heading;
  subtitles and a series of headings (``The First Trial``...);
- a legal treatise: notes at the end of the volume under ``Authorities``, the
  numbering restarting under each chapter's title; page breaks six empty lines
  long; slips repaired on the volume's own evidence;
- travel letters: notes under ``Remarks``, footnotes marked ``*`` and ``†``
  printed at the foot of their page, one cutting a sentence that goes on over
  the page.

Each is read through the real reader, as ``format: book`` would: every note must
stand at its marker, every page break must be there once, in order, and the
works must carry their titles. The ``.txt`` files are generated from the
``.src`` files by ``python tests/fixtures/books/make_fixtures.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from lxml import etree

from edition.tei import NS, XML_ID, t, text_content

from .test_sources_book import FIXTURES, _letters_kept, book_schema, expand, read, validate

__all__ = ["book_schema"]  # the schema fixture, shared with test_sources_book

VOLUMES = {
    "lectures": {
        "works": [
            ("w01", "preface", ["Advertisement"]),
            (
                "w02",
                "article",
                ["The Tides of a Rocky Coast", "A Lecture Read at the Philosophical Institute"],
            ),
            ("w03", "article", ["On Hedgerow Mosses", "A Lecture Read at the Working Men's Hall"]),
            ("w04", "article", ["Of Sand and Shingle", "A Lecture Read at the Philosophical Institute"]),
        ],
        "notes": [
            ("w02", "1", "wall.", "The comparison with a wall"),
            ("w02", "2", "observers.", "See the papers of the Marine Society for 1842, pp. 114-19."),
            ("w02", "3", "reported;", "The travellers were two pastors"),
            ("w03", "1", "ground.", "The hazels were those"),
            ("w03", "2", "table.", "The experiment was shown"),
            ("w04", "1", "October.", "The boulder lay"),  # notes with no heading at all
        ],
        "warnings": [],
    },
    "treatise": {
        "works": [
            ("w01", "preface", ["Introductory"]),
            ("w02", "article", ["Of the Nature of Riparian Rights"]),
            ("w03", "article", ["Of the Diversion of Streams"]),
            ("w04", "article", ["Of Mills and Weirs"]),
            ("w05", "article", ["Of Remedies at Law and in Equity"]),
        ],
        "notes": [
            ("w02", "1", "him.", "Mason v. Hill"),
            ("w02", "2", "Brent", "Aldous v. Brent, reported in the Exchequer for 1848, p. 207."),
            ("w02", "3", "40-44", "Hale's treatise"),
            ("w03", "1", "owner.", "Sampson v. Hoddinott"),
            ("w03", "2", "time;", "Roberts v. Gwyrfai"),
            ("w05", "1", "continuing.", "The rule in equity"),
        ],
        # a treatise's chapters carry no dates: the reader says so, and nothing else
        "warnings": [
            f"books/treatise.txt:{line}: warning: no date found for {wid} '{title}'"
            for line, wid, title in [
                (29, "w02", "Of the Nature of Riparian Rights"),
                (66, "w03", "Of the Diversion of Streams"),
                (94, "w04", "Of Mills and Weirs"),
                (116, "w05", "Of Remedies at Law and in Equity"),
            ]
        ],
    },
    "letters": {
        "works": [
            ("w01", "preface", ["To the Reader"]),
            ("w02", "letter", ["From the River Town"]),
            ("w03", "letter", ["From the Lighthouse"]),
        ],
        "notes": [
            ("w02", "1", "night.", "The baker's shop"),
            ("w02", "*", "boatmen", "They were Lipovans"),
            ("w02", "2", "Ilie,", "Ilie guided the party"),
            ("w03", "1", "moment.", "The flock was counted"),
            ("w03", "†", "mother,", "Our mother kept"),
            ("w03", "*", "eggs,", "Gulls' eggs"),
        ],
        "warnings": [],
    },
}


@pytest.fixture(scope="module", params=sorted(VOLUMES))
def vol(request: pytest.FixtureRequest) -> tuple[str, etree._Element, list[str], Any]:
    name = request.param
    root, warnings, result = read((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"), f"books/{name}.txt")
    return name, root, warnings, result


def _works(root: etree._Element) -> list[etree._Element]:
    return [d for d in root.iter(t("div")) if d.get(XML_ID)]


def test_works_found_with_their_titles(vol: Any) -> None:
    name, root, _, _ = vol
    got = [
        (d.get(XML_ID), d.get("type"), [text_content(h) for h in d.findall("tei:head", NS)])
        for d in _works(root)
    ]
    assert got == VOLUMES[name]["works"]


def test_every_note_at_its_marker(vol: Any) -> None:
    name, root, _, _ = vol
    got = []
    for note in root.find("tei:body", NS).iter(t("note")):
        owner = next(a for a in note.iterancestors() if a.get(XML_ID))
        prev = note.getprevious()
        before = ((prev.tail if prev is not None else note.getparent().text) or "").split()
        body = text_content(note, ())
        got.append((owner.get(XML_ID), note.get("n"), before[-1] if before else "", body))
    expected = VOLUMES[name]["notes"]
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for (*_, body), (*_, start) in zip(got, expected, strict=True):
        assert body.startswith(start), body
    # nothing is left in the notes divisions: every body found its marker
    assert [n.get("n") for n in root.find("tei:back", NS).iter(t("note"))] == []


def test_every_page_break_once_in_order(vol: Any) -> None:
    name, root, _, _ = vol
    src = (FIXTURES / f"{name}.src").read_text(encoding="utf-8")
    breaks = sum(1 for ln in src.splitlines() if ln.startswith("==="))
    # the first page is the title page; each break opens the next one
    assert [int(pb.get("n")) for pb in root.iter(t("pb"))] == list(range(2, breaks + 2))


def test_warnings_are_the_volume_defects_only(vol: Any) -> None:
    name, _, warnings, _ = vol
    assert warnings == VOLUMES[name]["warnings"]


def test_no_letter_of_the_source_is_lost(vol: Any) -> None:
    name, root, _, _ = vol
    source = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    assert Counter(_letters_kept(root)) == Counter(ch for ch in source if ch.isalpha())


def test_valid_tei(vol: Any, book_schema: etree.RelaxNG) -> None:
    _, root, _, result = vol
    validate(root, book_schema, result)


def test_fixtures_share_no_words_of_the_old_rules() -> None:
    """The words the reader once keyed on (issue 20) are absent from these volumes,
    so passing here proves the rules read the volume, not a word list."""
    old = ["Notes", "Reply", "Report", "Speech", "Theses", "Talk", "Greetings", "Question", "Vol", "Letter"]
    for name in VOLUMES:
        text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
        assert not [w for w in old if re.search(rf"\b{w}\b", text)], name


def test_slips_repaired_on_the_volume_s_own_evidence() -> None:
    """A stop inside a word the volume prints whole, a Roman numeral ending in
    ``1`` whose ``I`` form the volume prints, a comma after an abbreviation the
    volume prints with its point: none of these words is the sample's."""
    root, _, _ = read((FIXTURES / "treatise.txt").read_text(encoding="utf-8"), "books/treatise.txt")
    assert [(c[0].text, c[1].text, c[1].get("type")) for c in root.iter(t("choice"))] == [
        ("mil.lers", "millers", "punctuation"),
        ("XI1", "XII", "ocr"),
        ("Pt, ", "Pt. ", "punctuation"),
    ]


def test_series_headings_by_recurrence() -> None:
    root, _, _ = read((FIXTURES / "lectures.txt").read_text(encoding="utf-8"), "books/lectures.txt")
    w04 = next(d for d in _works(root) if d.get(XML_ID) == "w04")
    assert [
        (d.get("type"), d.get("n"), text_content(d.find("tei:head", NS))) for d in w04.findall("tei:div", NS)
    ] == [
        ("trial", "1", "The First Trial"),
        ("trial", "2", "The Second Trial"),
        ("trial", "3", "The Third Trial"),
    ]


SKETCHES_FRONT = ["Grey, O.", "¶", "Sketches", "¶", "1902", "===", "Foreword", "A short foreword.", "~~~4"]
"""The front of the small volumes the tests below make: author, title, year, a foreword."""


def test_end_notes_restarting_without_sub_headings(book_schema: etree.RelaxNG) -> None:
    """Notes at the end of the volume whose numbering starts again at 1 with no
    heading between: the runs go to the works whose markers they match, and a
    work without markers is skipped."""
    full = "A line of ordinary prose long enough to count as a full line of this small volume, here"
    text = expand(
        "\n".join(
            [
                *SKETCHES_FRONT,
                "Among the Fens",
                "June 1, 1902",
                "¶",
                full + " and there.1 Then " + full + ".2",
                "~~~4",
                "A Quiet Harbour",
                "June 9, 1902",
                "¶",
                full + ", and nothing more.",
                "~~~4",
                "Over the Downs",
                "July 2, 1902",
                "¶",
                full + " at last.1",
                "~~~4",
                "Sources",
                "1. The fens were drained in 1850.",
                "¶",
                "2. A diary of the journey.",
                "¶",
                "1. The downs above the village.",
            ]
        )
        + "\n"
    )
    root, warnings, result = read(text, "v.txt")
    assert warnings == []
    validate(root, book_schema, result)
    placed = [
        (next(a for a in n.iterancestors() if a.get(XML_ID)).get(XML_ID), n.get("n"))
        for n in root.iter(t("note"))
    ]
    assert placed == [("w02", "1"), ("w02", "2"), ("w04", "1")]
    back = root.find("tei:back", NS)
    assert [text_content(h) for h in back.iter(t("head"))] == ["Sources"]


def test_page_breaks_counted_from_the_volume_s_blank_line_model() -> None:
    """Three empty lines are a page break in the sample volume, six in the
    treatise; a run of eleven there is a blank page (two breaks), not three."""
    from edition.sources.book_layout import breaks_in, page_gap, split_lines

    three = expand("a\nb\nc\nd\n===\ne\nf\ng\n===\nh\n")
    six = expand("a\nb\nc\n===6\nd\ne\nf\n===6\ng\nh\ni\n===11\nj\n")
    assert page_gap(three) == (1, 3) and page_gap(six) == (1, 6)
    assert [breaks_in(n, 1, 6) for n in (1, 2, 3, 5, 6, 7, 11)] == [0, 0, 0, 0, 1, 1, 2]
    assert [ln.page for b in split_lines(six).blocks for ln in b.lines] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 5]


def test_last_work_of_numbered_points_is_not_taken_for_notes() -> None:
    """A last work made of numbered points, right under its title, has the shape
    of a notes section; no marker in the text points to them, so it stays a work."""
    full = "A line of ordinary prose long enough to count as a full line of this small volume, here"
    text = expand(
        "\n".join(
            [
                *SKETCHES_FRONT,
                "Among the Fens",
                "¶",
                *[full + "," for _ in range(8)],
                full + " and there.",
                "~~~4",
                "Rules for Walkers",
                "¶",
                "1. Carry water.",
                "¶",
                "2. Close every gate.",
            ]
        )
        + "\n"
    )
    root, _, _ = read(text, "v.txt")
    assert [text_content(d.find("tei:head", NS)) for d in _works(root)] == [
        "Foreword",
        "Among the Fens",
        "Rules for Walkers",
    ]
    assert list(root.iter(t("note"))) == [] and root.find("tei:back", NS) is None
