"""Keep active content out of what sources bring: raw HTML and link targets.

One allow-list, applied by nh3 (the Python binding of the Rust sanitiser
ammonia, which parses HTML as a browser does), never by regexes over markup:

* :func:`is_safe_url` - a link or image target may be ``http``, ``https``,
  ``mailto``, ``ftp``, relative or a fragment; ``javascript:``, ``vbscript:``,
  ``data:`` and any other scheme are refused, however written (case, entities,
  tabs or newlines inside the scheme, percent-encoding, leading control
  characters).
* :func:`clean_html` - a fragment of HTML without scripts, frames, objects,
  forms, ``style``, event handlers (``on*``) and unsafe URLs, together with the
  list of what was left out, so that the reader can say so with the source line.

The Markdown reader applies both when it reads (the TEI carries no active
content), and the HTML renderer checks every ``href``/``src`` it writes again
(defence in depth: TEI may come from elsewhere). Issue 21; the vectors tested
are in ``tests/test_sanitize.py``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import lxml.html
import nh3

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})
"""URL schemes a link or an image of an edition may use (relative URLs are kept too)."""

URL_ATTRIBUTES = frozenset({"href", "src", "cite", "poster", "action", "formaction", "background", "data"})

DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "noembed", "noframes", "xmp"})
"""Elements left out together with their content (code, not text for a reader)."""

TAGS = (
    frozenset(nh3.ALLOWED_TAGS | {"font", "video", "audio", "source", "track", "picture"})
    - DROPPED_WITH_CONTENT
)
"""Elements kept: ammonia's default set of inert formatting and structure, plus
media that cannot run code once their URLs are checked. Not in it, hence left
out: ``script``, ``style``, ``iframe``, ``object``, ``embed``, ``applet``,
``form``, ``input``, ``button``, ``base``, ``meta``, ``link``, ``svg``, ``math``..."""

STRUCTURE = frozenset({"html", "head", "body"})
"""The document's frame: nh3 removes these tags (a fragment has none) and all their attributes."""
GENERIC_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "align", "width", "height", "name"})
ATTRIBUTES: dict[str, set[str]] = {
    tag: set(GENERIC_ATTRIBUTES) | set(nh3.ALLOWED_ATTRIBUTES.get(tag, set())) for tag in TAGS
}
ATTRIBUTES["a"] |= {"href"}
ATTRIBUTES["img"] |= {"src", "alt"}
ATTRIBUTES["video"] |= {"src", "poster", "controls"}
ATTRIBUTES["audio"] |= {"src", "controls"}
ATTRIBUTES["source"] |= {"src", "type"}
ATTRIBUTES["track"] |= {"src", "kind", "srclang", "label"}
ATTRIBUTES["font"] |= {"color", "size", "face"}
ATTRIBUTES["details"] |= {"open"}
"""Attributes kept, per element: no ``style``, no event handler (``on*``)."""


@dataclass(frozen=True, slots=True)
class Cleaned:
    html: str
    """The fragment as it was when nothing had to go; else nh3's clean version."""
    dropped: tuple[str, ...]
    """What was left out, for a message: ``<script>``, ``onerror="alert(1)"``..."""


def _nh3_clean(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ATTRIBUTES,
        url_schemes=set(SAFE_SCHEMES),
        link_rel=None,
        strip_comments=False,
    )


def _scheme_allowed(url: str) -> bool:
    """Whether nh3 keeps ``url`` as a link target (ammonia parses it as the WHATWG
    URL standard does: tabs and newlines removed, leading controls trimmed)."""
    cleaned = nh3.clean(
        f'<a href="{html.escape(url, quote=True)}"></a>',
        tags={"a"},
        attributes={"a": {"href"}},
        url_schemes=set(SAFE_SCHEMES),
        link_rel=None,
    )
    el = lxml.html.fragment_fromstring(cleaned)
    return el.get("href") is not None


@lru_cache(maxsize=4096)
def is_safe_url(url: str) -> bool:
    """True for a link or image target that can run nothing when followed.

    The URL is also judged after HTML entities and percent-escapes are decoded
    (``jav&#x09;ascript:``, ``jav%0Aascript:``): a target that is only harmless
    because another program happens not to decode it is refused as well."""
    url = url.strip()
    if not url or url.startswith("#"):
        return True
    if url.isprintable() and url.lower().startswith(("https://", "http://")) and url.isascii():
        return True  # the common case, without a round trip through the sanitiser
    candidates = {url, html.unescape(url), unquote(url), unquote(html.unescape(url))}
    return all(_scheme_allowed(u) for u in candidates)


def _describe(name: str, value: str) -> str:
    value = " ".join(value.split())
    if len(value) > 40:
        value = value[:39] + "…"
    return f'{name}="{value}"'


def dropped_items(fragment: str) -> list[str]:
    """What the allow-list leaves out of ``fragment``, in document order: elements
    not allowed (``<iframe>``), and attributes not allowed or carrying an unsafe URL
    on the elements kept (``onerror="…"``, ``href="javascript:…"``).

    The fragment is read as a whole document, so that attributes written on
    ``<html>``/``<body>`` tags (``<body onload>``) are seen too; when lxml cannot
    read it at all, that is itself reported, and nh3's version is used."""
    if not fragment.strip():
        return []
    try:
        root = lxml.html.document_fromstring(fragment)
    except Exception:  # noqa: BLE001 - lxml raises ParserError, ValueError, even AssertionError
        try:  # no document in it: an end tag, a comment
            root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        except Exception:  # noqa: BLE001
            return ["markup that could not be read"]
    out: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # a comment or a processing instruction
        tag = el.tag.lower()
        if tag in STRUCTURE or el is root:  # added by the parser, or written: only their attributes count
            out.extend(_describe(str(name), str(value)) for name, value in el.attrib.items())
            continue
        if tag not in TAGS:
            out.append(f"<{tag}>" + (" with its content" if tag in DROPPED_WITH_CONTENT else ""))
            continue
        allowed = ATTRIBUTES.get(tag, set())
        for name, value in el.attrib.items():
            name = str(name).lower()
            if name not in allowed or (name in URL_ATTRIBUTES and not is_safe_url(str(value))):
                out.append(_describe(name, str(value)))
    return list(dict.fromkeys(out))


def clean_html(fragment: str) -> Cleaned:
    """``fragment`` without active content: unchanged (byte for byte) when the
    allow-list leaves nothing out, so harmless HTML keeps the form its author gave it;
    else nh3's clean version."""
    dropped = dropped_items(fragment)
    if not dropped:
        return Cleaned(fragment, ())
    return Cleaned(_nh3_clean(fragment), tuple(dropped))
