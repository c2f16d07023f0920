"""TEI element -> HTML, one rule per element name (after markdown-it-py's
``RendererHTML.rules``). Unknown elements fall back to :func:`default`, which
keeps their text in a ``span`` with the TEI name as class. Add or replace a
rule with :func:`add_rule` (from a plugin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree
from markupsafe import Markup, escape

from ..sanitize import is_safe_url
from ..tei import XML_ID, XML_LANG, local

Rule = Callable[[etree._Element, "RenderContext"], Markup]


@dataclass(slots=True)
class NoteEntry:
    id: str
    mark: str
    kind: str
    html: Markup


@dataclass(slots=True)
class QuoteEntry:
    """One "quotes" / "quoted in" item shown beside a passage."""

    relation: str
    """``quotes``, ``quoted in`` or ``shared with``."""
    title: str
    excerpt: str
    lang: str
    kind: str
    score: float
    url: str
    """Site-relative URL of the other passage (made relative to the page by ``RenderContext.rel``)."""
    compare: str = ""
    """Site-relative URL of the side-by-side page of this link."""


@dataclass(slots=True)
class CiteInfo:
    """What "cite this passage" needs to know about the page being rendered."""

    citation: str
    """The formatted citation up to the place (``Author, “Title” (1927)``)."""
    page_url: str
    """Absolute URL of the page when the edition has a ``base_url``, else its site-relative path."""


@dataclass(slots=True)
class RenderContext:
    text_id: str
    lang: str
    url_for: Callable[[str, str], str]
    """(text id, xml:id) -> relative URL from the current page."""
    notes: list[NoteEntry] = field(default_factory=list)
    quotes: dict[str, list[QuoteEntry]] = field(default_factory=dict)
    """Quotation entries by xml:id of the element they are shown after."""
    depth: int = 1
    """Heading level of the current division's head."""
    page_numbers: bool = True
    rel: Callable[[str], str] = str
    """Site-relative URL -> URL relative to the current page."""
    cite: CiteInfo | None = None
    """Set to give every paragraph a "cite this passage" block."""
    page: str = ""
    """Number of the printed page the renderer is on (the last ``pb`` seen)."""
    ids: bool = True
    """False while rendering the popover copy of a note: its ids belong to the notes list."""
    skip: list[etree._Element] = field(default_factory=list)
    """Elements not to render where they stand (a work's head shown as the page's h1)."""
    source_link: Callable[[str], str | None] = lambda target: None
    """A link as its source wrote it (``other.md#p3``, ``../letters/x.txt``) -> the
    URL of that source's page from the current page, or None if it names no text."""
    passages: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """The anchors that open or close a quotation passage marked across other
    markup (``standOff/spanGrp[@type='quotation']/span``): anchor id -> (the
    passage's id, whether it opens)."""
    open_passages: list[str] = field(default_factory=list)
    """Such passages open where the renderer is: its text is highlighted piece
    by piece, each piece a ``mark``, the first one with the passage's id."""
    shown: set[str] = field(default_factory=set)
    """Passages whose first piece was rendered."""


NOTE_LABELS = {
    "editorial": ("Editor's note", "编者注"),
    "authorial": ("Author's note", "作者注"),
    "translator": ("Translator's note", "译者注"),
    "reference": ("Reference", "出处"),
}


def note_label(kind: str, lang: str) -> str:
    en, zh = NOTE_LABELS.get(kind, ("Note", "注"))
    return zh if lang.startswith("zh") else en


def attrs(el: etree._Element, ctx: RenderContext, cls: str = "", **extra: str | None) -> Markup:
    out = []
    xid = el.get(XML_ID) if ctx.ids else None
    if xid:
        out.append(f' id="{escape(xid)}"')
    lang = el.get(XML_LANG)
    if lang and lang != ctx.lang:
        out.append(f' lang="{escape(lang)}"')
    if cls:
        out.append(f' class="{escape(cls)}"')
    for k, v in extra.items():
        if v is not None:
            out.append(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"')
    return Markup("".join(out))


def children(el: etree._Element, ctx: RenderContext) -> Markup:
    """Render ``el``'s text, children and their tails."""
    parts: list[str] = [text_piece(el.text, ctx)]
    for c in el:
        if isinstance(c.tag, str) and not any(c is s for s in ctx.skip):
            parts.append(render(c, ctx))
        parts.append(text_piece(c.tail, ctx))
    return Markup("".join(parts))


def text_piece(s: str | None, ctx: RenderContext) -> str:
    """A string of the text, escaped; inside a passage marked by anchors
    (:attr:`RenderContext.open_passages`), highlighted as a ``seg`` passage is."""
    out = str(escape(s or ""))
    if not out or not ctx.open_passages:
        return out
    for pid in reversed(ctx.open_passages):
        first = ctx.ids and pid not in ctx.shown
        if first:
            ctx.shown.add(pid)
        ident = f' id="{escape(pid)}"' if first else ""
        out = f'<mark class="quotation"{ident} data-passage="{escape(pid)}">{out}</mark>'
    return out


def r_anchor(el: etree._Element, ctx: RenderContext) -> Markup:
    """A point in the text; the start or end of a passage marked by anchors opens
    or closes its highlighting (:func:`text_piece`)."""
    hit = ctx.passages.get(el.get(XML_ID) or "")
    if hit is not None:
        pid, opens = hit
        if opens:
            ctx.open_passages.append(pid)
        elif pid in ctx.open_passages:
            ctx.open_passages.remove(pid)
    return Markup(f'<span{attrs(el, ctx, "anchor")}></span>')


def render(el: etree._Element, ctx: RenderContext) -> Markup:
    return RULES.get(local(el), default)(el, ctx)


def default(el: etree._Element, ctx: RenderContext) -> Markup:
    return Markup(f"<span{attrs(el, ctx, 'tei-' + local(el))}>{children(el, ctx)}</span>")


def permalink(el: etree._Element, ctx: RenderContext | None = None) -> Markup:
    xid = el.get(XML_ID)
    if not xid or (ctx is not None and not ctx.ids):
        return Markup("")
    label = "本段链接" if ctx is not None and ctx.lang.startswith("zh") else "Permalink to this paragraph"
    return Markup(f'<a class="permalink" href="#{escape(xid)}" aria-label="{label}">¶</a>')


def after(el: etree._Element, ctx: RenderContext) -> Markup:
    """Quotation panel shown after a block, if it holds linked passages."""
    xid = el.get(XML_ID)
    entries = ctx.quotes.get(xid or "", [])
    if not entries:
        return Markup("")
    items = []
    for q in entries:
        excerpt = " ".join(q.excerpt.split())
        if len(excerpt) > 160:
            excerpt = excerpt[:159].rstrip() + "…"
        compare = (f' · <a class="q-compare" href="{escape(ctx.rel(q.compare))}">side by side</a>' if q.compare else "")
        items.append(
            f'<li class="q-{escape(q.kind)}"><span class="q-rel">{escape(q.relation)}</span> '
            f'<a href="{escape(ctx.rel(q.url))}" lang="{escape(q.lang)}">{escape(q.title)}</a>: '
            f'<q lang="{escape(q.lang)}">{escape(excerpt)}</q> '
            f'<span class="q-kind">{escape(q.kind)}</span> <span class="q-score">{q.score:.2f}</span>{compare}</li>'
        )
    return Markup(f'<aside class="quote-links" aria-label="Quotations"><ul>{"".join(items)}</ul></aside>')


def cite_block(el: etree._Element, ctx: RenderContext, start_page: str) -> Markup:
    """ "Cite this passage" without script: a ``details`` after the paragraph with its
    permalink, the printed page and a formatted citation."""
    xid = el.get(XML_ID)
    if ctx.cite is None or not xid:
        return Markup("")
    pages = start_page if start_page == ctx.page or not start_page else f"{start_page}–{ctx.page}"
    url = f"{ctx.cite.page_url}#{xid}"
    where = (f"p{'p' if '–' in pages else ''}. {pages}, " if pages else "") + f"§ {xid}"
    zh = ctx.lang.startswith("zh")
    return Markup(
        f'<details class="cite"><summary><span class="visually-hidden">{"引用此段" if zh else "Cite this passage"}'
        f'</span><span aria-hidden="true">{"引" if zh else "cite"}</span></summary><div class="cite-body">'
        f'<p>{escape(ctx.cite.citation)}, {escape(where)}. <a href="#{escape(xid)}">{escape(url)}</a></p>'
        + (f'<p class="cite-page">{"原书页码" if zh else "Printed page"}: {escape(pages)}</p>' if pages else "")
        + "</div></details>"
    )


def block(tag: str, cls: str = "") -> Rule:
    def rule(el: etree._Element, ctx: RenderContext) -> Markup:
        return Markup(f"<{tag}{attrs(el, ctx, cls)}>{children(el, ctx)}</{tag}>")

    return rule


def r_p(el: etree._Element, ctx: RenderContext) -> Markup:
    start_page = ctx.page
    inner = children(el, ctx)
    parent = el.getparent()
    if parent is not None and local(parent) == "note":
        return Markup(f'<span class="np">{inner}</span>')
    cite = cite_block(el, ctx, start_page)
    para = Markup(f"<p{attrs(el, ctx)}>{inner}{permalink(el, ctx)}</p>")
    if cite:
        para = Markup(f'<div class="block">{para}{cite}</div>')
    return Markup(f"{para}{after(el, ctx)}")


def r_div(el: etree._Element, ctx: RenderContext) -> Markup:
    cls = "div" + (f" div-{el.get('type')}" if el.get("type") else "")
    ctx.depth += 1
    try:
        inner = children(el, ctx)
    finally:
        ctx.depth -= 1
    return Markup(f"<section{attrs(el, ctx, cls)}>{inner}</section>")


def r_head(el: etree._Element, ctx: RenderContext) -> Markup:
    parent = el.getparent()
    if parent is not None and local(parent) in ("list", "table", "figure", "lg"):
        return Markup(f'<span class="caption">{children(el, ctx)}</span>')
    level = min(max(ctx.depth, 2), 6)
    return Markup(f"<h{level}{attrs(el, ctx)}>{children(el, ctx)}{permalink(el, ctx)}</h{level}>")


def r_note(el: etree._Element, ctx: RenderContext) -> Markup:
    """A note at its marker: the printed mark opens a popover (no script needed,
    the Popover API); the same note is listed at the end with a back-link."""
    xid = el.get(XML_ID) or f"note{len(ctx.notes) + 1}"
    kind = el.get("type") or "note"
    mark = el.get("n") or str(len(ctx.notes) + 1)
    # a note is not part of a passage around its marker (not reading text)
    around, ctx.open_passages = ctx.open_passages, []
    try:
        body = children(el, ctx)
        label = note_label(kind, ctx.lang)
        ctx.notes.append(NoteEntry(xid, mark, kind, body))
        # the popover shows the same note again: a copy without ids (they stay in the notes list)
        keep, ids = len(ctx.notes), ctx.ids
        ctx.ids = False
        try:
            pop_body = children(el, ctx)
        finally:
            ctx.ids = ids
            del ctx.notes[keep:]
    finally:
        ctx.open_passages = around
    if el.get("place") == "inline":
        return Markup(f'<span class="note-inline note-{escape(kind)}" id="{escape(xid)}">{body}</span>')
    parent = el.getparent()
    if el.get("place") == "end" and parent is not None and local(parent) == "div":
        # a body whose marker is lost: shown where it stands, announced as such, and
        # not in the notes list (it has no marker to link back to)
        del ctx.notes[keep - 1:]
        return Markup(
            f'<aside class="note-orphan note-{escape(kind)}" id="{escape(xid)}"><span class="note-mark">{escape(mark)}</span> '
            f'<span class="note-label">{escape(label)}</span> {body}</aside>'
        )
    # The button is the marker (the popover's invoker, hence its anchor in CSS); the
    # link is the same marker for browsers without the Popover API (CSS shows one of them).
    close = "关闭" if ctx.lang.startswith("zh") else "Close"
    return Markup(
        f'<a class="noteref note-{escape(kind)}" id="{escape(xid)}-a" href="#{escape(xid)}" role="doc-noteref">'
        f'<span class="visually-hidden">{escape(label)} </span>{escape(mark)}</a>'
        f'<button type="button" class="note-toggle note-{escape(kind)}" id="{escape(xid)}-ref" popovertarget="{escape(xid)}-pop">'
        f'<span class="visually-hidden">{escape(label)} </span>{escape(mark)}</button>'
        f'<span class="note-pop note-{escape(kind)}" id="{escape(xid)}-pop" popover="auto">'
        f'<span class="note-head"><span class="note-label">{escape(label)} {escape(mark)}</span>'
        f'<button type="button" class="note-close" popovertarget="{escape(xid)}-pop" popovertargetaction="hide">'
        f'<span aria-hidden="true">×</span><span class="visually-hidden">{close}</span></button></span> {pop_body}'
        f' <a class="note-more" href="#{escape(xid)}">{"见文末注释" if ctx.lang.startswith("zh") else "in the notes"}</a></span>'
    )


def r_ref(el: etree._Element, ctx: RenderContext) -> Markup:
    target = el.get("target")
    if el.get("type") == "noteref" or not target:
        return Markup(f'<sup class="mark-unresolved" title="note mark without a note">{children(el, ctx)}</sup>')
    href = target
    if target.startswith("#"):
        href = ctx.url_for(ctx.text_id, target[1:])
    else:  # a link to another source of the edition goes to its page (as MkDocs does with .md links)
        href = ctx.source_link(target) or target
    if not is_safe_url(href):
        # defence in depth (issue 21): readers drop such targets, but TEI may come from elsewhere
        return Markup(f'<span{attrs(el, ctx, "ref")}>{children(el, ctx)}</span>')
    return Markup(f'<a href="{escape(href)}">{children(el, ctx)}</a>')


def r_hi(el: etree._Element, ctx: RenderContext) -> Markup:
    rend = el.get("rend") or "italic"
    tag = {"bold": "strong", "italic": "em", "sup": "sup", "sub": "sub", "strike": "s", "underline": "u"}.get(rend, "em")
    return Markup(f"<{tag}{attrs(el, ctx)}>{children(el, ctx)}</{tag}>")


def r_quote(el: etree._Element, ctx: RenderContext) -> Markup:
    if any(local(c) in ("p", "lg", "list") for c in el):
        return Markup(f"<blockquote{attrs(el, ctx)}>{children(el, ctx)}</blockquote>{after(el, ctx)}")
    return Markup(f"<q{attrs(el, ctx)}>{children(el, ctx)}</q>")


def r_cit(el: etree._Element, ctx: RenderContext) -> Markup:
    if any(local(c) == "quote" and any(local(g) == "p" for g in c) for c in el):
        return Markup(f'<figure{attrs(el, ctx, "cit")}>{children(el, ctx)}</figure>')
    return Markup(f'<span{attrs(el, ctx, "cit")}>{children(el, ctx)}</span>')


def r_bibl(el: etree._Element, ctx: RenderContext) -> Markup:
    parent = el.getparent()
    if parent is not None and local(parent) in ("div", "body", "front", "back"):
        return Markup(f'<p{attrs(el, ctx, "bibl bibl-" + (el.get("type") or "plain"))}><cite>{children(el, ctx)}</cite></p>')
    return Markup(f"<cite{attrs(el, ctx)}>{children(el, ctx)}</cite>")


def r_list(el: etree._Element, ctx: RenderContext) -> Markup:
    """``ul``/``ol``; a list of ``label``/``item`` pairs is a ``dl``. Its ``head`` goes before it."""
    caption = Markup("")
    parts: list[str] = []
    glossary = any(local(c) == "label" for c in el if isinstance(c.tag, str))
    for c in el:
        if not isinstance(c.tag, str):
            continue
        name = local(c)
        if name == "head":
            caption += Markup(f'<p class="list-head">{children(c, ctx)}</p>')
        elif glossary and name == "label":
            parts.append(f"<dt{attrs(c, ctx)}>{children(c, ctx)}</dt>")
        elif glossary and name == "item":
            parts.append(f"<dd{attrs(c, ctx)}>{children(c, ctx)}{permalink(c, ctx)}{after(c, ctx)}</dd>")
        elif name in ("item", "list"):
            parts.append(render(c, ctx) if name == "item" else f"<li>{render(c, ctx)}</li>")
        else:  # anything else inside a list is kept, inside an item of its own
            parts.append(f'<li class="list-extra">{render(c, ctx)}</li>')
    tag = "dl" if glossary else ("ol" if el.get("type") == "ordered" or el.get("rend") == "numbered" else "ul")
    return Markup(f"{caption}<{tag}{attrs(el, ctx)}>{''.join(parts)}</{tag}>")


def r_item(el: etree._Element, ctx: RenderContext) -> Markup:
    n = el.get("n")
    value = f' value="{escape(n)}"' if n and n.isdigit() else ""
    return Markup(f"<li{attrs(el, ctx)}{value}>{children(el, ctx)}{permalink(el, ctx)}{after(el, ctx)}</li>")


def r_pb(el: etree._Element, ctx: RenderContext) -> Markup:
    n = el.get("n") or ""
    if n:
        ctx.page = n
    xid = el.get(XML_ID) or f"page-{n}"
    if not ctx.ids:
        return Markup(f'<span class="pb" data-page="{escape(n)}">p. {escape(n)}</span>')
    return Markup(
        f'<span class="pb" id="{escape(xid)}" data-page="{escape(n)}">'
        f'<a href="#{escape(xid)}"><span class="visually-hidden">printed page </span>p. {escape(n)}</a></span>'
    )


def r_choice(el: etree._Element, ctx: RenderContext) -> Markup:
    corr = el.find("{*}corr") if el.find("{*}corr") is not None else el.find("{*}reg")
    sic = el.find("{*}sic") if el.find("{*}sic") is not None else el.find("{*}orig")
    if corr is None:
        return children(el, ctx)
    original = " ".join("".join(str(x) for x in sic.itertext()).split()) if sic is not None else ""
    return Markup(
        f'<span class="corr" title="source reads: {escape(original)}" data-sic="{escape(original)}">{children(corr, ctx)}</span>'
    )


def r_seg(el: etree._Element, ctx: RenderContext) -> Markup:
    if el.get("type") == "quotation":
        return Markup(f'<mark{attrs(el, ctx, "quotation")}>{children(el, ctx)}</mark>')
    return Markup(f"<span{attrs(el, ctx, 'seg')}>{children(el, ctx)}</span>")


def r_date(el: etree._Element, ctx: RenderContext) -> Markup:
    when = el.get("when")
    if not when:  # <time> without @datetime must hold a valid date itself
        return Markup(f"<span{attrs(el, ctx, 'date')}>{children(el, ctx)}</span>")
    return Markup(f"<time{attrs(el, ctx, datetime=when)}>{children(el, ctx)}</time>")


def r_milestone(el: etree._Element, ctx: RenderContext) -> Markup:
    return Markup('<hr class="milestone">')


def r_lb(el: etree._Element, ctx: RenderContext) -> Markup:
    return Markup("<br>")


def r_stage(el: etree._Element, ctx: RenderContext) -> Markup:
    parent = el.getparent()
    if parent is not None and local(parent) in ("div", "body", "sp"):
        return Markup(f'<p{attrs(el, ctx, "stage")}>{children(el, ctx)}</p>')
    return Markup(f'<span{attrs(el, ctx, "stage")}>{children(el, ctx)}</span>')


def r_titlepage(el: etree._Element, ctx: RenderContext) -> Markup:
    return Markup(f'<header{attrs(el, ctx, "title-page")}>{children(el, ctx)}</header>')


def r_titlepart(el: etree._Element, ctx: RenderContext) -> Markup:
    return Markup(f'<p{attrs(el, ctx, "title-part title-" + (el.get("type") or "main"))}>{children(el, ctx)}</p>')


def r_graphic(el: etree._Element, ctx: RenderContext) -> Markup:
    url = el.get("url") or ""
    if not is_safe_url(url):  # as in r_ref: never a javascript: or data: source
        return Markup("")
    return Markup(f'<img src="{escape(url)}" alt="">')


def r_gap(el: etree._Element, ctx: RenderContext) -> Markup:
    return Markup('<span class="gap" title="omitted">[…]</span>')


def container(tag: str, cls: str) -> Rule:
    def rule(el: etree._Element, ctx: RenderContext) -> Markup:
        return Markup(f'<{tag}{attrs(el, ctx, cls)}>{children(el, ctx)}</{tag}>')

    return rule


def r_text_only(el: etree._Element, ctx: RenderContext) -> Markup:
    return children(el, ctx)


RULES: dict[str, Rule] = {
    "p": r_p,
    "ab": r_p,
    "div": r_div,
    "head": r_head,
    "note": r_note,
    "ref": r_ref,
    "ptr": r_ref,
    "hi": r_hi,
    "emph": block("em"),
    "foreign": block("i", "foreign"),
    "title": block("cite"),
    "quote": r_quote,
    "q": block("q"),
    "said": block("q"),
    "cit": r_cit,
    "bibl": r_bibl,
    "list": r_list,
    "item": r_item,
    "label": block("span", "label"),
    "pb": r_pb,
    "lb": r_lb,
    "choice": r_choice,
    "seg": r_seg,
    "date": r_date,
    "milestone": r_milestone,
    "stage": r_stage,
    "opener": container("div", "opener"),
    "closer": container("div", "closer"),
    "dateline": container("p", "dateline"),
    "salute": container("p", "salute"),
    "signed": container("p", "signed"),
    "byline": container("p", "byline"),
    "docAuthor": block("span", "author"),
    "docDate": container("p", "docdate"),
    "trailer": container("p", "trailer"),
    "titlePage": r_titlepage,
    "docTitle": r_text_only,
    "titlePart": r_titlepart,
    "front": container("div", "front"),
    "body": r_text_only,
    "text": r_text_only,
    "back": container("div", "back"),
    "code": block("code"),
    "table": block("table"),
    "row": block("tr"),
    "cell": block("td"),
    "figure": container("figure", "figure"),
    "graphic": r_graphic,
    "gap": r_gap,
    "lg": container("div", "lg"),
    "l": container("span", "l"),
    "floatingText": container("div", "floating"),
    "anchor": r_anchor,
}


def add_rule(name: str, rule: Rule) -> None:
    RULES[name] = rule
