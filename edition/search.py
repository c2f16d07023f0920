"""Full-text search index (Pagefind, driven from Python at build time); see issue 6.

Why custom records and not Pagefind's own HTML crawl:

- Pagefind indexes Chinese as whole clauses with the standard binary; the extended
  binary segments it into dictionary words, but only on pages whose ``<html lang>``
  is Chinese, puts ``zh`` and ``zh-cn`` in separate indexes (a search page reads one
  language's index), and a substring that crosses two dictionary words
  (``阶级专``) or one character is not found.
- So every passage (paragraph, list item, heading, note) becomes one record whose
  content is a *search form* we tokenise ourselves: Latin words as they are, every run
  of CJK characters folded to simplified forms (OpenCC's character table) and written
  as overlapping character bigrams plus the run's last character. ``search.js`` turns a
  query into the same form, so a word, any substring of two or more characters, a
  single character (prefix match on the last term) and the traditional or simplified
  spelling all find the passage, whatever the language of the page around it.
- All records share one index (labelled ``en``, so English words are stemmed); the
  language of a passage is a filter, not an index.
- Each record's URL is the passage's permalink (``texts/a.html#p12``), so a result
  opens at the paragraph. Its meta holds the passage as written, from which
  ``search.js`` builds the highlighted excerpt.

Filters: ``text``, ``author``, ``language``, ``kind`` (``text``, ``heading``, ``note``,
``quotation``). Not Pagefind's own filters: Pagefind 1.5 writes its filter files in a
different order on every run (a hash map), and two builds must be byte-identical
(issue 6). Each filter value is a token in the record's content instead
(``zqfk002``: kind, value 2, fixed width so that a prefix match cannot reach
``zqfk0021``); ``search/filters.json`` lists the values, their tokens and counts, and
search.js adds the chosen tokens to the query (one value per filter).
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from .config import base_lang
from .errors import Diagnostics, Location
from .model import Edition, Text
from .tei import XML_ID, XML_LANG, local, t, text_content

BLOCKS = frozenset({"p", "ab", "item", "head", "l", "trailer", "byline", "dateline", "salute", "signed",
                    "docDate", "titlePart", "stage"})
"""Elements whose reading text is one search record (the innermost ones only)."""

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
FILTERS_FILE = "search/filters.json"
FOLD_FILE = "search/fold.txt"
"""Traditional->simplified character pairs for search.js (``級级專专...``)."""

LANG_NAMES = {"en": "English", "zh": "中文 Chinese", "ru": "Русский Russian", "de": "Deutsch German",
              "fr": "Français French", "ja": "日本語 Japanese"}
MAX_TEXT = 4000
"""Characters of a passage kept for the excerpt (a longer block is cut there)."""


@dataclass(slots=True)
class Record:
    url: str
    """Site-relative permalink of the passage (``texts/a.html#p3``)."""
    text: str
    """The passage as it reads."""
    meta: dict[str, str]
    filters: dict[str, list[str]]

    tokens: list[str] = field(default_factory=list)
    """Filter tokens (see the module docstring), added by :func:`filter_tokens`."""

    @property
    def content(self) -> str:
        return " ".join([*self.tokens, search_form(self.text)])


@dataclass(slots=True)
class SearchStats:
    records: int = 0
    seconds: float = 0.0
    files: int = 0
    bytes: int = 0
    languages: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """Traditional -> simplified, one character to one character (OpenCC ``t2s``).

    A character table, not OpenCC's phrase conversion: search.js must fold a query
    exactly as the index was folded, and one-to-one keeps excerpt offsets aligned."""
    try:
        import opencc
    except ImportError:  # search still works, without traditional/simplified folding
        return {}
    chars = [chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC keeps the separators
        return {}
    return {ord(a): b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


def fold(s: str) -> str:
    """NFKC (full-width Latin and digits to half-width), then simplified characters."""
    return unicodedata.normalize("NFKC", s).translate(fold_table())


def cjk_terms(run: str) -> list[str]:
    """Overlapping bigrams of a CJK run and its last character (``无产阶`` -> 无产 产阶 阶)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def search_form(s: str) -> str:
    """What Pagefind indexes for a passage (search.js builds queries the same way)."""
    folded = fold(s)
    out: list[str] = []
    pos = 0
    for m in CJK.finditer(folded):
        out.append(folded[pos : m.start()])
        out.append(" " + " ".join(cjk_terms(m.group())) + " ")
        pos = m.end()
    out.append(folded[pos:])
    return " ".join("".join(out).split())


def lang_name(tag: str) -> str:
    base = base_lang(tag)
    return LANG_NAMES.get(base, base)


def _lang_of(el: etree._Element, default: str) -> str:
    for e in [el, *el.iterancestors()]:
        lang = e.get(XML_LANG)
        if lang:
            return lang
    return default


def _has_block_inside(el: etree._Element) -> bool:
    return any(isinstance(d.tag, str) and local(d) in BLOCKS for d in el.iterdescendants())


def _inside(el: etree._Element, name: str) -> bool:
    return any(local(a) == name for a in el.iterancestors())


def text_records(text: Text, anchor_url: dict[str, str], page_titles: dict[str, str],
                 linked: set[str]) -> list[Record]:
    """Records of one text, in document order.

    ``anchor_url``: xml:id -> site-relative URL of the page showing it;
    ``page_titles``: page URL -> title of the work shown there (volumes);
    ``linked``: xml:ids that hold a quotation passage (kind ``quotation``)."""
    root = text.root.find(t("text"))
    if root is None:
        return []
    meta = text.meta
    base_filters = {"text": [meta.title]}
    if meta.authors:
        base_filters["author"] = sorted(meta.authors)
    out: list[Record] = []
    page_n = ""
    heads: dict[int, str] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = local(el)
        if name == "pb":
            page_n = el.get("n") or page_n
            continue
        is_note = name == "note" and el.get("type") != "inferred"
        if not is_note and (name not in BLOCKS or _has_block_inside(el) or _inside(el, "note")):
            continue
        holder = next((e for e in [el, *el.iterancestors()] if e.get(XML_ID)), None)
        xid = holder.get(XML_ID) if holder is not None else None
        if xid is None or xid not in anchor_url:
            continue
        body = " ".join((text_content(el, skip=()) if is_note else text_content(el)).split())
        if not body:
            continue
        page_url = anchor_url[xid]
        lang = _lang_of(el, meta.lang)
        kinds = ["note"] if is_note else ["heading" if name == "head" else "text"]
        if xid in linked or any(d.get(XML_ID) in linked or (local(d) == "seg" and d.get("type") == "quotation")
                                for d in el.iterdescendants() if isinstance(d.tag, str)):
            kinds.append("quotation")
        rec_meta = {"title": meta.title, "text": body[:MAX_TEXT], "lang": lang}
        section = _section_of(el, heads)
        if section and name != "head":
            rec_meta["section"] = section
        work = page_titles.get(page_url)
        if work:
            rec_meta["work"] = work
        if page_n:
            rec_meta["page"] = page_n
        if is_note:
            rec_meta["note"] = el.get("n") or ""
        filters = dict(base_filters)
        filters["language"] = [lang_name(lang)]
        filters["kind"] = kinds
        if kinds != ["text"]:
            rec_meta["kind"] = ", ".join(k for k in kinds if k != "text")
        out.append(Record(f"{page_url}#{xid}", body, rec_meta, filters))
    return out


def _section_of(el: etree._Element, cache: dict[int, str]) -> str:
    """Title of the innermost division holding ``el`` (shown with a result)."""
    for a in el.iterancestors(t("div")):
        key = id(a)
        if key not in cache:
            head = a.find(t("head"))
            cache[key] = " ".join(text_content(head).split()) if head is not None else ""
        if cache[key]:
            return cache[key]
    return ""


def records(edition: Edition) -> list[Record]:
    from .site import plan

    sp = plan(edition)
    linked = {p.anchor for ln in edition.links for p in (ln.a, ln.b)}
    out: list[Record] = []
    for tid in sorted(edition.texts):
        pages = sp.pages[tid]
        titles = {p.url: p.title for p in pages[1:]}
        out.extend(text_records(edition.texts[tid], sp.anchor_page.get(tid, {}), titles, linked))
    return out


FILTER_GROUPS = (("text", "Text"), ("author", "Author"), ("language", "Language"), ("kind", "Kind"))


def filter_tokens(recs: list[Record]) -> dict[str, object]:
    """Give every record its filter tokens; return what ``search/filters.json`` holds."""
    groups = []
    for name, label in FILTER_GROUPS:
        counts: dict[str, int] = {}
        for r in recs:
            for v in r.filters.get(name, []):
                counts[v] = counts.get(v, 0) + 1
        values = sorted(counts)
        token = {v: f"zqf{name[0]}{i:03d}" for i, v in enumerate(values)}
        for r in recs:
            r.tokens.extend(token[v] for v in r.filters.get(name, []))
        if values:
            groups.append({"name": name, "label": label,
                           "values": [{"value": v, "token": token[v], "count": counts[v]} for v in values]})
    return {"version": 1, "groups": groups}


def fold_pairs() -> str:
    return "".join(chr(k) + v for k, v in sorted(fold_table().items()))


class PagefindClient:
    """The Pagefind service (``pagefind_extended --service``), spoken to directly.

    The ``pagefind`` package's asyncio client polls for every answer after a
    0.1 s sleep, so one record costs 0.1 s (9 s for the 86 passages of three
    sample texts, minutes for a volume). This client speaks the same protocol
    (base64 JSON messages ended by a comma, ``pagefind/service/__init__.py``)
    and reads each answer as soon as it is written."""

    def __init__(self, binary: Path) -> None:
        import subprocess

        self.proc = subprocess.Popen([str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.message_id = 0
        self.buffer = b""

    def send(self, payload: dict[str, object]) -> dict[str, object]:
        return self.send_many([payload])[0]

    def send_many(self, payloads: list[dict[str, object]]) -> list[dict[str, object]]:
        """Send every message, then collect the answers (a thread writes while this one
        reads, so neither pipe fills up). Pipelined: one round trip per message would
        cost about 5 ms each."""
        import base64
        import json
        import threading

        assert self.proc.stdin is not None and self.proc.stdout is not None
        first = self.message_id + 1
        messages = []
        for p in payloads:
            self.message_id += 1
            msg = {"message_id": self.message_id, "payload": p}
            messages.append(base64.b64encode(json.dumps(msg).encode("utf-8")) + b",")
        stdin = self.proc.stdin

        def write() -> None:
            try:
                for m in messages:
                    stdin.write(m)
                stdin.flush()
            except BrokenPipeError:  # the service died: the reader reports it
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers: dict[int, dict[str, object]] = {}
        while len(answers) < len(payloads):
            while b"," not in self.buffer:
                chunk = self.proc.stdout.read1(1 << 16)  # type: ignore[attr-defined]
                if not chunk:
                    raise RuntimeError("the pagefind service stopped")
                self.buffer += chunk
            raw, _, self.buffer = self.buffer.partition(b",")
            resp = json.loads(base64.b64decode(raw))
            if resp is None:
                continue
            answer: dict[str, object] = resp["payload"]
            if answer.get("type") == "Error":
                raise RuntimeError(f"pagefind: {answer.get('message')}")
            mid = resp.get("message_id")
            if isinstance(mid, int) and mid >= first:
                answers[mid] = answer
        writer.join()
        return [answers[i] for i in range(first, self.message_id + 1)]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except Exception:  # pragma: no cover
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def _write_index(recs: list[Record], out: Path) -> None:
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None:
        raise FileNotFoundError("no pagefind binary: pip install 'pagefind[extended]'")
    client = PagefindClient(binary)
    try:
        index_id = client.send({"type": "NewIndex", "config": None})["index_id"]
        client.send_many([{"type": "AddRecord", "index_id": index_id, "url": r.url, "content": r.content,
                           "language": "en", "meta": r.meta, "filters": None, "sort": None} for r in recs])
        client.send({"type": "WriteFiles", "index_id": index_id, "output_path": str(out / "pagefind")})
    finally:
        client.close()


def _complete(bundle: Path) -> bool:
    """Whether the index has its entry file and, for every language it names,
    the metadata file the browser loads first (``pagefind.<hash>.pf_meta``)."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        languages = entry["languages"].values()
        return all((bundle / f"pagefind.{lang['hash']}.pf_meta").stat().st_size > 0 for lang in languages)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


UNUSED_BUNDLE_FILES = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
                       "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js")
"""Pagefind's own UIs: the site has its own small one (templates/static/search.js)."""


def index(edition: Edition, out: Path, diags: Diagnostics | None = None) -> SearchStats:
    """Write ``out/pagefind/`` (the index) and ``out/search/fold.txt``."""
    import time

    diags = diags or edition.diagnostics
    t0 = time.perf_counter()
    stats = SearchStats()
    recs = records(edition)
    stats.records = len(recs)
    for r in recs:
        stats.languages[r.meta["lang"]] = stats.languages.get(r.meta["lang"], 0) + 1
    try:
        import pagefind.index  # noqa: F401
    except ImportError:
        diags.warning(Location(Path("edition.yaml")), "the 'pagefind' package is not installed: the site has no search "
                      "index (pip install 'pagefind[extended]')", "search")
        return stats
    fold_path = out / FOLD_FILE
    fold_path.parent.mkdir(parents=True, exist_ok=True)
    fold_path.write_text(fold_pairs(), encoding="utf-8")
    filters = filter_tokens(recs)
    (out / FILTERS_FILE).write_text(json.dumps(filters, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    try:
        for _attempt in range(2):
            _write_index(recs, out)
            # seen in CI runs (not reproduced; cause not found): an index without its entry
            # file, and one whose metadata the browser could not load
            if _complete(out / "pagefind"):
                break
        else:
            raise RuntimeError("pagefind wrote an incomplete index (twice): no entry file, or no metadata for it")
    except (OSError, RuntimeError) as exc:  # no binary, or the service failed: a site without search
        shutil.rmtree(out / "pagefind", ignore_errors=True)
        diags.warning(Location(Path("edition.yaml")), f"the search index could not be built: {exc}", "search")
        return stats
    bundle = out / "pagefind"
    for name in UNUSED_BUNDLE_FILES:
        (bundle / name).unlink(missing_ok=True)
    shutil.rmtree(bundle / "playground", ignore_errors=True)
    for f in bundle.rglob("*"):
        if f.is_file():
            stats.files += 1
            stats.bytes += f.stat().st_size
    stats.seconds = time.perf_counter() - t0
    return stats
