"""Hexo/Jekyll (Liquid) tags for markdown-it: ``{% note info %} ... {% endnote %}``.

Hexo and Jekyll posts carry template tags that no Markdown parser knows. Left
alone they would end up as literal braces in a paragraph, so this module
teaches markdown-it to see them as syntax (the reader turns them into TEI):

* a *block* tag stands alone on its line and has a matching ``{% endNAME %}``
  line: ``hexo_block_open`` / ``hexo_block_close`` tokens around the parsed
  content (or one ``hexo_raw`` token for code-like tags), as mdit-py-plugins'
  container plugin does for ``:::``;
* any other ``{% name args %}`` (a single tag on its own line, or a tag inside a
  paragraph) becomes one ``hexo_tag`` token, block or inline, that the reader
  converts (``{% img %}``, ``{% link %}``...) or reports.

Inside ``{% raw %}`` tags are text (Jekyll: raw turns Liquid off, not
Markdown). Jekyll markup that carries no text is removed before parsing
without moving any line: kramdown attribute lists (``{: .lead}``), and the tag
in a link target (``[x]({% post_url 2010-07-21-post %})`` keeps the path).

Problems (an unclosed block, a stray end tag) are left in the tokens' ``meta``;
the reader reports them with the file's line numbers. Nothing here raises on
odd input.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

# {% name args %}, with Liquid's whitespace-control dashes {%- ... -%}.
TAG = r"\{%-?\s*(?P<name>[A-Za-z_][\w-]*)(?:\s+(?P<args>.*?))?\s*-?%\}"
TAG_LINE = re.compile(rf"^{TAG}\s*$")
TAG_INLINE = re.compile(TAG)
TAG_AT_START = re.compile(rf"^(?P<indent>[ \t]*)(?P<tag>{TAG})[ \t]*(?P<rest>\S.*)$")
END_AT_END = re.compile(r"^(?P<head>.*\S)[ \t]*(?P<tag>\{%-?\s*end(?P<name>[A-Za-z_][\w-]*)\s*-?%\})[ \t]*$")
QUOTE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]?)*")
FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")

ADMONITION_TAGS = frozenset(
    "note alert callout hint tip tips warning info danger success box message admonition details "
    "folding fold collapse spoiler tabs tab subtabs hideToggle hidetoggle panel well notel flink".split()
)
"""Boxes around ordinary content (NexT, Butterfly, Fluid, Icarus themes)."""
QUOTE_TAGS = frozenset("blockquote quote pullquote centerquote cq".split())
CODE_TAGS = frozenset("codeblock code highlight".split())
"""Content taken verbatim (no Markdown inside)."""
TRANSPARENT_TAGS = frozenset("raw verbatim if unless for case tablerow".split())
"""The content is ordinary text; the tags themselves mean nothing in an edition."""
DROPPED_TAGS = frozenset("comment capture".split())
RAW_TAGS = frozenset({"raw", "verbatim"})
"""Their content is Markdown in which tags are text."""
RAW_ENV = "hexo_raw_depth"
RAW_INLINE_ENV = "hexo_raw_inline"
PAIRED_TAGS = ADMONITION_TAGS | QUOTE_TAGS | CODE_TAGS | TRANSPARENT_TAGS | DROPPED_TAGS
"""Tags known to need an end tag (so a missing one is an unclosed block)."""


def parse_tag(s: str) -> tuple[str, str] | None:
    m = TAG_LINE.match(s.strip())
    if not m:
        return None
    return m.group("name"), (m.group("args") or "").strip()


def split_tag_lines(text: str) -> tuple[str, list[int]]:
    """Put block tags written on a content line on lines of their own.

    ``{% note info %} 作者：X {% endnote %}`` on one line (or a content line
    ending with ``{% endnote %}``) becomes three lines, so the block rule sees
    them. Returns the new text and, for each of its lines, the 0-based line of
    the original text it came from (for ``ed:line``). Fenced code is left alone.
    """
    out: list[str] = []
    origin: list[int] = []
    fence: str | None = None
    for i, line in enumerate(re.sub(r"\r\n?", "\n", text).split("\n")):
        f = FENCE.match(line)
        if fence is not None:
            if f and f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence):
                fence = None
            out.append(line)
            origin.append(i)
            continue
        if f:
            fence = f.group(1)
            out.append(line)
            origin.append(i)
            continue
        # keep a quotation's "> " markers on both halves of a split line
        prefix = QUOTE_PREFIX.match(line).group(0)  # type: ignore[union-attr]
        content = line[len(prefix) :]
        pieces = [content]
        m = TAG_AT_START.match(content)
        if m and m.group("name") in PAIRED_TAGS:
            pieces = [m.group("indent") + m.group("tag"), m.group("indent") + m.group("rest")]
        last = pieces[-1]
        e = END_AT_END.match(last)
        if e and e.group("name") in PAIRED_TAGS and not TAG_LINE.match(last.strip()):
            indent = last[: len(last) - len(last.lstrip())]
            pieces[-1:] = [e.group("head"), indent + e.group("tag")]
        pieces = [prefix + x for x in pieces]
        pieces = [_jekyll_inline(x) for x in pieces]
        out.extend(pieces)
        origin.extend([i] * len(pieces))
    return "\n".join(out), origin


KRAMDOWN_IAL = re.compile(r"^[ \t>]*\{:[^}]*\}[ \t]*$")
LINK_TAG = re.compile(
    r"\]\(\s*\{%-?\s*(?:post_url|link|url|relative_url|absolute_url)\s+([^%]*?)\s*-?%\}\s*\)"
)
BASEURL = re.compile(r"\]\(\s*\{\{-?\s*(?:site\.)?(?:baseurl|url)\s*-?\}\}")


def _jekyll_inline(line: str) -> str:
    """Jekyll markup that is not text, removed without moving any line:
    kramdown attribute lists (``{: .lead}``, ``{:toc}``) become blank lines; a
    link target written as a tag (``[x]({% post_url 2010-07-21-post %})``) or
    starting with ``{{ site.baseurl }}`` keeps its path."""
    if KRAMDOWN_IAL.match(line):
        return line[: len(line) - len(line.lstrip(" \t>"))].rstrip()
    if "{%" in line:
        line = LINK_TAG.sub(lambda m: "](" + m.group(1).strip("'\"") + ")", line)
    if "{{" in line:
        line = BASEURL.sub("](", line)
    return line


def _line(state: StateBlock, n: int) -> str:
    return state.src[state.bMarks[n] + state.tShift[n] : state.eMarks[n]]


def _find_end(state: StateBlock, start: int, end: int, name: str) -> int | None:
    """Line of the ``{% endNAME %}`` matching the tag at ``start`` (nesting counted)."""
    depth = 1
    n = start + 1
    while n < end:
        if state.sCount[n] < state.blkIndent and not state.isEmpty(n):
            return None  # the enclosing list item or quotation ended first
        tag = parse_tag(_line(state, n))
        if tag is not None:
            if tag[0] == name:
                depth += 1
            elif tag[0] == "end" + name:
                depth -= 1
                if depth == 0:
                    return n
        n += 1
    return None


def _block_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False  # indented code
    tag = parse_tag(_line(state, start))
    if tag is None or state.env.get(RAW_ENV):
        return False  # inside {% raw %} a tag is text
    if silent:
        return True
    name, args = tag
    close = _find_end(state, start, end, name) if not name.startswith("end") else None
    meta: dict[str, Any] = {"name": name, "args": args}
    if close is None and name in PAIRED_TAGS:
        # Unclosed: guess that the block ends at the next blank line (tag blocks
        # are written as compact groups), and let the reader report it.
        close = start + 1
        while close < end and not state.isEmpty(close) and state.sCount[close] >= state.blkIndent:
            close += 1
        meta["unclosed"] = True
    if close is None:
        tok = state.push("hexo_tag", "", 0)
        tok.map = [start, start + 1]
        tok.meta = meta
        tok.block = True
        tok.content = _line(state, start)
        state.line = start + 1
        return True

    opener = state.push("hexo_block_open", "div", 1)
    opener.map = [start, close + (0 if meta.get("unclosed") else 1)]
    opener.meta = meta
    opener.info = name
    opener.block = True
    if name in CODE_TAGS or name in DROPPED_TAGS:
        raw = state.push("hexo_raw", "", 0)
        raw.map = [start + 1, close]
        raw.content = state.getLines(start + 1, close, state.blkIndent, False)
        raw.block = True
    else:
        old_parent, old_max = state.parentType, state.lineMax
        state.parentType = "hexo"
        state.lineMax = close
        first = len(state.tokens)
        is_raw = name in RAW_TAGS
        if is_raw:
            state.env[RAW_ENV] = state.env.get(RAW_ENV, 0) + 1
        state.md.block.tokenize(state, start + 1, close)
        if is_raw:
            state.env[RAW_ENV] -= 1
            for tok in state.tokens[first:]:
                if tok.type == "inline":
                    tok.meta = {**(tok.meta or {}), "hexo_raw": True}
        state.parentType, state.lineMax = old_parent, old_max
    closer = state.push("hexo_block_close", "div", -1)
    closer.block = True
    state.line = close if meta.get("unclosed") else close + 1
    return True


def _inline_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("{%", state.pos) or state.env.get(RAW_INLINE_ENV):
        return False
    m = TAG_INLINE.match(state.src, state.pos)
    if m is None:
        return False
    if not silent:
        tok = state.push("hexo_tag", "", 0)
        tok.content = m.group(0)
        tok.meta = {
            "name": m.group("name"),
            "args": (m.group("args") or "").strip(),
            "offset": state.src.count("\n", 0, state.pos),
        }
    state.pos = m.end()
    return True


def hexo_plugin(md: MarkdownIt) -> None:
    """Register the block and inline rules (``MarkdownIt().use(hexo_plugin)``)."""
    md.block.ruler.before(
        "fence", "hexo_block", _block_rule, {"alt": ["paragraph", "reference", "blockquote"]}
    )
    # "{" is one of markdown-it's terminator characters, so the text rule stops at it.
    md.inline.ruler.before("text", "hexo_tag", _inline_rule)
    md.core.ruler.after("inline", "hexo_raw", _raw_inline)


def _raw_inline(state: StateCore) -> None:
    """Parse the inline content of ``{% raw %}`` blocks again with tags as plain text
    (Jekyll: raw turns Liquid off, not Markdown)."""
    for tok in state.tokens:
        if tok.type == "inline" and tok.meta and tok.meta.get("hexo_raw"):
            tok.children = []
            state.env[RAW_INLINE_ENV] = True
            try:
                state.md.inline.parse(tok.content, state.md, state.env, tok.children)
            finally:
                state.env.pop(RAW_INLINE_ENV, None)


def parse_args(args: str) -> list[str]:
    """Split tag arguments like Hexo does: on spaces, keeping "quoted strings"."""
    out: list[str] = []
    for m in re.finditer(r'"([^"]*)"|\'([^\']*)\'|(\S+)', args):
        out.append(next(g for g in m.groups() if g is not None))
    return out


URL = re.compile(r"^(?:https?:|ftp:|mailto:|/|\./|\.\./|#)\S*$|^[\w./-]+\.\w{2,5}$")
