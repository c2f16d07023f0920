"""Attach notes at their markers (per text, after reading).

Readers mark what they see and leave the pairing here, so every format shares
one mechanism:

* a marker in the text is ``<ref type="noteref" n="①" ed:state="marker">``;
* a body is ``<note n="①" ed:state="body">`` where the source printed it.

Markers and bodies pair by ``@n``, in order, within a *scope*: the value of
``ed:scope`` on the element or its nearest ancestor (numbering restarts per
chapter or per work). A paired body replaces its marker. A marker without a
body, or a body without a marker, is a warning; the text is kept.

Attribution (editor's or author's note) is read from the body's suffix
(``——编者注``, ``—Ed.``, ``——托洛茨基注``, ``—J. St.``) unless the reader set it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from lxml import etree

from .errors import Diagnostics, Location
from .model import Text
from .tei import ED_NS, line_of, t, text_content, unset

ED_SCOPE = f"{{{ED_NS}}}scope"
ED_STATE = f"{{{ED_NS}}}state"


@dataclass(frozen=True, slots=True)
class Attribution:
    type: str
    """``editorial``, ``authorial`` or ``translator``."""
    resp: str
    """Pointer to the responsible party in the header (``#source-editor``, ``#author``)."""
    label: str
    """The signature as printed (``编者注``, ``Ed.``, ``J. St.``)."""


_EDITOR = re.compile(r"(?:——|—|–|--|-)\s*(编者注|編者注|编者|编注|Ed\.?|Editor\.?|Editors\.?)\s*[)）]?\s*$")
_TRANSLATOR = re.compile(r"(?:——|—|–|--)\s*(译者注|譯者注|译注|校者注|Trans\.?|Tr\.)\s*$")
_AUTHOR_ZH = re.compile(r"——\s*([\u4e00-\u9fff·]{1,10})注\s*$")
_AUTHOR_EN = re.compile(r"(?:—|–|--)\s*((?:[A-Z][a-z]{0,3}\.\s*){1,3}(?:[A-Z][a-z]+\.?)?)\s*[)）]?\s*$")


def attribution(text: str) -> Attribution | None:
    """Who signed a note body, from its printed suffix; None when unsigned."""
    s = text.rstrip()
    if m := _EDITOR.search(s):
        return Attribution("editorial", "#source-editor", m.group(1))
    if m := _TRANSLATOR.search(s):
        return Attribution("translator", "#translator", m.group(1))
    if m := _AUTHOR_ZH.search(s):
        return Attribution("authorial", "#author", m.group(1) + "注")
    if m := _AUTHOR_EN.search(s):
        return Attribution("authorial", "#author", m.group(1).strip())
    return None


def scope_of(el: etree._Element) -> str:
    at: etree._Element | None = el
    while at is not None:
        v = at.get(ED_SCOPE)
        if v is not None:
            return v
        at = at.getparent()
    return ""


def attach(text: Text, diags: Diagnostics) -> None:
    """Pair the markers and bodies of one text and move each body to its marker."""
    root = text.root
    markers: dict[tuple[str, str], list[etree._Element]] = defaultdict(list)
    bodies: dict[tuple[str, str], list[etree._Element]] = defaultdict(list)
    for el in root.iter(t("ref"), t("note")):
        state = el.get(ED_STATE)
        if el.tag == t("ref") and state == "marker":
            markers[(scope_of(el), el.get("n", ""))].append(el)
        elif el.tag == t("note") and state == "body":
            bodies[(scope_of(el), el.get("n", ""))].append(el)

    for key in sorted(set(markers) | set(bodies), key=lambda k: (k[0], k[1])):
        ms, bs = markers.get(key, []), bodies.get(key, [])
        for marker, body in zip(ms, bs, strict=False):
            if any(up is body for up in marker.iterancestors()):
                # the body ran on over its own marker (Markdown: text on the line right
                # after a note's definition continues the note): nothing to move it to
                unset(marker, ED_STATE)
                unset(body, ED_STATE)
                body.set("place", body.get("place") or "end")
                diags.warning(
                    Location(text.source, line_of(marker)),
                    f"note marker {key[1]} stands inside its own note's text{_where(marker)} (in Markdown, a line"
                    " right after a note's definition continues the note: leave a blank line); both are kept"
                    " where they stand",
                    "note-self",
                )
                continue
            _move(body, marker)
        for marker in ms[len(bs) :]:
            unset(marker, ED_STATE)
            diags.warning(
                Location(text.source, line_of(marker)),
                f"note marker {key[1]} has no body{_where(marker)}; the mark is kept in the text",
                "note-no-body",
            )
        for body in bs[len(ms) :]:
            unset(body, ED_STATE)
            body.set("place", body.get("place") or "end")
            diags.warning(
                Location(text.source, line_of(body)),
                f"note body {key[1]} has no marker in the text{_where(body)}; kept where it stands",
                "note-no-marker",
            )
    for body in root.iter(t("note")):
        _attribute(body)


def _where(el: etree._Element) -> str:
    """`` in chapter '三 经济发展…'`` for messages."""
    div = el.getparent()
    while div is not None and div.tag != t("div"):
        div = div.getparent()
    if div is None:
        return ""
    head = div.find(t("head"))
    if head is None:
        return ""
    title = " ".join(text_content(head).split())
    return f" in '{title[:40]}'"


def _move(body: etree._Element, marker: etree._Element) -> None:
    unset(body, ED_STATE)
    unset(body, ED_SCOPE)
    body.set("place", body.get("place") or "foot")
    if body.get("n") is None:
        body.set("n", marker.get("n", ""))
    # keep the tail of the body where it stood (it belongs to the old parent)
    old_parent = body.getparent()
    if body.tail and old_parent is not None:
        prev = body.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + body.tail
        else:
            old_parent.text = (old_parent.text or "") + body.tail
    body.tail = marker.tail
    marker.addnext(body)
    body.tail = marker.tail
    marker.getparent().remove(marker)  # type: ignore[union-attr]


def _attribute(note: etree._Element) -> None:
    if note.get("type") and note.get("resp"):
        return
    a = attribution(text_content(note, skip=()))
    if a is None:
        return
    note.set("type", note.get("type") or a.type)
    note.set("resp", note.get("resp") or a.resp)
