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
