"""TEI -> HTML rules, one small case per construct (tests/fixtures/render/tei_to_html.txt,
markdown-it-py's fixture format: title, ``.``, TEI, ``.``, HTML, ``.``).

The TEI is read inside a ``<div>`` in the TEI namespace and its first child rendered.
A title containing ``[cite]`` renders with "cite this passage" on (permalinks under
https://example.org/t.html); ``[quotes]`` gives the element ``p1`` one quotation entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from edition.render.html import CiteInfo, QuoteEntry, RenderContext, render
from tests.support.fixtures import Case, read_fixture_file

FIXTURES = Path(__file__).parent / "fixtures" / "render" / "tei_to_html.txt"
TEI_NS = "http://www.tei-c.org/ns/1.0"


def render_case(case: Case) -> str:
    wrapper = etree.fromstring(f'<div xmlns="{TEI_NS}">{case.input.strip()}</div>')
    ctx = RenderContext("t", "en", lambda tid, xid: f"{tid}.html#{xid}", rel=lambda u: "../" + u)
    if "[cite]" in case.title:
        ctx.cite = CiteInfo("A. Author, “A Text” (1927)", "https://example.org/t.html")
    if "[quotes]" in case.title:
        ctx.quotes = {"p1": [QuoteEntry("quoted in", "Other", "the words", "zh-Hans", "translation", 0.875,
                                        "texts/o.html#s1", "links/l1.html")]}
    out = "".join(str(render(c, ctx)) for c in wrapper)
    return out + "\n"


@pytest.mark.parametrize("case", read_fixture_file(FIXTURES), ids=lambda c: c.id)
def test_render(case: Case) -> None:
    assert render_case(case) == case.expected
