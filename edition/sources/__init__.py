"""Source discovery, metadata and the registry of readers.

``READERS`` maps a format name to its reader class, in one place. A new source
format is one module with a :class:`~edition.sources.base.Reader` subclass and
one line here (or :func:`register_reader` from a plugin).
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config import (
    CONFIG_NAME,
    Config,
    as_list,
    drop_misshapen,
    load_yaml,
    normalise_lang,
    valid_lang,
    yaml_line_map,
)
from ..errors import Diagnostics, Location, did_you_mean
from ..model import TextMeta
from .base import Reader, ReadResult, SourceFile

__all__ = [
    "READERS",
    "Reader",
    "ReadResult",
    "SourceFile",
    "discover",
    "load_source",
    "reader_for",
    "register_reader",
]

# Built-in readers by format name, imported on first use ("module:Class").
_BUILTIN: dict[str, str] = {
    "plain": "edition.sources.plaintext:PlainReader",
    "markdown": "edition.sources.markdown:MarkdownReader",
    "book": "edition.sources.book:BookReader",
    "tei": "edition.sources.tei:TEIReader",
}
READERS: dict[str, type[Reader]] = {}


def register_reader(cls: type[Reader]) -> type[Reader]:
    READERS[cls.name] = cls
    return cls


def _load_builtin(name: str) -> type[Reader] | None:
    if name in READERS:
        return READERS[name]
    spec = _BUILTIN.get(name)
    if spec is None:
        return None
    mod, cls = spec.split(":")
    try:
        reader = getattr(importlib.import_module(mod), cls)
    except (ImportError, AttributeError):
        return None
    READERS[name] = reader
    return reader  # type: ignore[no-any-return]


def formats() -> list[str]:
    return sorted(set(_BUILTIN) | set(READERS))


def reader_for(fmt: str | None, suffix: str) -> type[Reader] | None:
    """The reader for a forced ``format`` or, failing that, the file suffix."""
    if fmt:
        return _load_builtin(fmt)
    for name in formats():
        r = _load_builtin(name)
        if r is not None and suffix.lower() in r.extensions:
            return r
    return None


# Files an editor's tools leave behind; never sources (see issue 5: .swp, ~, .#file).
_IGNORED = ("*.swp", "*.swx", "*.swo", "*~", ".#*", "#*#", "*.tmp", "4913", ".DS_Store")
_SKIP_DIRS = {"templates", "notes", "static", "assets", "_site"}
META_SUFFIXES = (".yaml", ".yml")


def is_ignored(rel: Path, config: Config | None = None) -> bool:
    name = rel.name
    if name.startswith(".") or any(fnmatch.fnmatch(name, p) for p in _IGNORED):
        return True
    if any(part.startswith(".") or part.startswith("_") for part in rel.parts[:-1]):
        return True
    if rel.parts and rel.parts[0] in _SKIP_DIRS and len(rel.parts) > 1:
        return True
    if config is not None and any(fnmatch.fnmatch(str(rel), p) for p in config.exclude):
        return True
    return False


def discover(config: Config, diags: Diagnostics) -> list[Path]:
    """Source files of the edition (relative paths, sorted). Sidecars,
    ``edition.yaml``, templates and editors' temporary files are skipped."""
    root = config.content_dir
    out: list[Path] = []
    sidecars: list[Path] = []
    stems: set[Path] = set()  # of every file but metadata, excluded ones too (their sidecar is no mistake)
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root)
        meta = rel.suffix.lower() in META_SUFFIXES
        if not meta:
            stems.add(rel.with_suffix(""))
        if is_ignored(rel, config):
            continue
        if meta:
            if rel != Path(CONFIG_NAME):
                sidecars.append(rel)
            continue
        out.append(rel)
    # a sidecar whose source is missing is most often a misspelt name: its
    # metadata would silently go unused
    for side in sidecars:
        if side.with_suffix("") not in stems:
            near = did_you_mean(side.stem, sorted({s.name for s in stems if s.parent == side.parent}))
            diags.warning(
                Location(side, 1),
                f"metadata file without a source: no '{side.stem}.*' next to it, so"
                f" this metadata applies to nothing.{near}",
                "meta-orphan",
            )
    return out


# --- metadata --------------------------------------------------------------

META_KEYS = {
    "id": "stable id of the text, used in URLs (default: the file name without suffix)",
    "title": "title of the text",
    "author": "author, or a list of authors",
    "editor": "editor(s) of the source edition",
    "date": "date of the text (ISO 8601: 1927, 1927-03, 1927-03-31)",
    "lang": "language (BCP 47: en, zh, zh-Hans)",
    "source": "where the text comes from (bibliographic line or URL)",
    "license": "licence of the source text",
    "format": "reader to use: " + ", ".join(sorted(_BUILTIN)),
    "inferred": "mapping of key -> why the editor inferred its value",
    "description": "a sentence about the text",
    "tags": "keywords",
    "categories": "keywords (Hexo/Jekyll front matter)",
}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def split_front_matter(text: str) -> tuple[str | None, int]:
    """(YAML text or None, 1-based line where the body starts)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None, 1
    return m.group(1), text[: m.end()].count("\n") + 1


def slugify(stem: str) -> str:
    s = re.sub(r"[^\w\-]+", "-", stem.strip().lower(), flags=re.ASCII).strip("-")
    return s or "text"


def iso_date(value: Any) -> str | None:
    """ISO form of a YAML date/datetime/string; None if not a date."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and 0 < value < 10000:
        return f"{value:04d}"
    s = str(value).strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[ T]\d", s)
    if m:
        s = m.group(1)
    if not _DATE_RE.match(s):
        return None
    try:  # a real day of a real month (``1927-13-45`` is not)
        dt.date.fromisoformat((s + "-01-01")[:10] if len(s) < 10 else s)
    except ValueError:
        return None
    return s


def build_meta(
    data: dict[str, Any], rel: Path, meta_rel: Path, lines: dict[str, int], diags: Diagnostics
) -> TextMeta:
    """Validate a metadata mapping into :class:`TextMeta`; problems are diagnostics."""

    def loc(key: str) -> Location:
        return Location(meta_rel, lines.get(key))

    for key in data:
        if str(key) not in META_KEYS:
            diags.warning(
                loc(str(key)), f"unknown metadata key '{key}'.{did_you_mean(str(key), META_KEYS)}", "meta-key"
            )
    # a value of the wrong shape is reported and dropped here, in the caller's
    # mapping too (``id`` is read from it after)
    dropped = drop_misshapen(
        data,
        ("title", "lang", "date", "source", "license", "description", "format", "id"),
        ("author", "editor", "tags", "categories"),
        loc,
        diags,
        "meta-invalid",
        {"title": "using the file name", "lang": "assuming 'und'"},
    )
    title = data.get("title")
    if not title and "title" not in dropped:
        diags.warning(
            Location(meta_rel, 1 if meta_rel != rel else None),
            "no 'title': using the file name",
            "meta-missing",
        )
    title = title or rel.stem
    lang = str(data.get("lang") or "")
    if not lang and "lang" in dropped:
        lang = "und"
    elif not lang:
        diags.warning(
            Location(meta_rel, 1 if meta_rel != rel else None),
            "no 'lang': assuming 'und' (undetermined)",
            "meta-missing",
        )
        lang = "und"
    elif not valid_lang(lang):
        diags.error(loc("lang"), f"'{lang}' is not a BCP 47 language tag (e.g. en, zh-Hans)", "meta-invalid")
        lang = "und"
    else:
        lang = normalise_lang(lang)
    date = None
    if data.get("date") is not None:
        date = iso_date(data["date"])
        if date is None:
            diags.error(
                loc("date"),
                f"date '{data['date']}' is not ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD)",
                "meta-invalid",
            )
    inferred = data.get("inferred") or {}
    if not isinstance(inferred, dict):
        diags.error(loc("inferred"), "'inferred' must map keys to reasons", "meta-invalid")
        inferred = {}
    fmt = data.get("format")
    if fmt is not None and str(fmt) not in formats():
        diags.error(
            loc("format"),
            f"unknown format '{fmt}'; known: {', '.join(formats())}.{did_you_mean(str(fmt), formats())}",
            "format",
        )
    authors = as_list(data.get("author"))
    # Hexo writes several authors as one string "a | b | c".
    if len(authors) == 1 and " | " in authors[0]:
        authors = [a.strip() for a in authors[0].split("|") if a.strip()]
    return TextMeta(
        title=str(title).strip(),
        lang=lang,
        authors=authors,
        editors=as_list(data.get("editor")),
        date=date,
        source=str(data["source"]).strip() if data.get("source") else None,
        license=str(data["license"]).strip() if data.get("license") else None,
        format=str(fmt) if fmt else None,
        inferred={str(k): str(v) for k, v in inferred.items()},
        description=str(data["description"]).strip() if data.get("description") else None,
        tags=as_list(data.get("tags")) + as_list(data.get("categories")),
        meta_path=meta_rel,
        meta_line=lines,
    )


@dataclass(slots=True)
class Loaded:
    """A source decoded with its metadata, ready for its reader."""

    id: str
    src: SourceFile
    reader: type[Reader]
    digest: str


def decode(raw: bytes, rel: Path, diags: Diagnostics) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - raw.rfind(b"\n", 0, exc.start)
        diags.error(
            Location(rel, line),
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {col}; text skipped (save the file as UTF-8)",
            "encoding",
        )
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def load_source(config: Config, rel: Path, diags: Diagnostics) -> Loaded | None:
    """Read one source and its metadata; None (with a diagnostic) if it cannot be read."""
    path = config.content_dir / rel
    try:
        raw = path.read_bytes()
    except OSError as exc:
        diags.error(Location(rel), f"cannot read: {exc.strerror}", "io")
        return None
    h = hashlib.sha256(raw)
    text = decode(raw, rel, diags)
    if text is None:
        return None
    data: dict[str, Any] = {}
    lines: dict[str, int] = {}
    meta_rel = rel
    # a format that states its own metadata (a TEI header): front matter and sidecar win over it
    own = reader_for(_sidecar_format(path), rel.suffix)
    if own is not None:
        data, lines = own.embedded_meta(text)
    fm, body_line = split_front_matter(text)
    if fm is None and text.split("\n", 1)[0].rstrip() == "---":
        diags.warning(
            Location(rel, 1),
            "front matter opened by '---' is never closed by another '---' line;"
            " the whole file is read as text",
            "front-matter",
        )
    if fm is not None:
        parsed = load_yaml(path, fm, diags, rel, line_offset=1)
        if parsed is not None:
            data.update(parsed)
            lines.update({k: v + 1 for k, v in yaml_line_map(fm).items()})
    for suffix in META_SUFFIXES:
        side = path.with_suffix(suffix)
        if side.exists():
            meta_rel = rel.with_suffix(suffix)
            side_bytes = side.read_bytes()
            h.update(side_bytes)
            side_text = decode(side_bytes, meta_rel, diags)
            if side_text is None:
                break
            parsed = load_yaml(side, side_text, diags, meta_rel)
            if parsed is not None:
                # the sidecar completes the front matter; where both give a key, the sidecar wins
                data.update(parsed)
                lines = yaml_line_map(side_text)
            break
    meta = build_meta(data, rel, meta_rel, lines, diags)
    if not "".join(text.splitlines(keepends=True)[body_line - 1 :]).strip():
        diags.error(Location(rel, 1), "empty source: nothing to publish", "empty")
        return None
    reader = reader_for(meta.format, rel.suffix)
    if reader is None:
        if meta.format in _BUILTIN:
            diags.error(
                Location(rel), f"the '{meta.format}' reader could not be loaded; text skipped", "format"
            )
        elif meta.format is None:
            diags.error(
                Location(rel),
                f"unknown format for suffix '{rel.suffix or '(none)'}'; set 'format' in {rel.with_suffix('.yaml')} ({', '.join(formats())})",
                "format",
            )
        return None
    given = data.get("id")
    text_id = slugify(str(given or rel.with_suffix("").as_posix().replace("/", "-")))
    if given and str(given) != text_id:
        diags.warning(
            Location(meta_rel, lines.get("id")),
            f"id '{given}' is not an id as URLs need it (lowercase"
            f" letters, digits, '-' and '_'); using '{text_id}'",
            "meta-invalid",
        )
    src = SourceFile(rel=rel, path=path, text=text, meta=meta, body_line=body_line)
    return Loaded(id=text_id, src=src, reader=reader, digest=h.hexdigest())


def _sidecar_format(path: Path) -> str | None:
    """``format`` of a source's sidecar, read before the source's own metadata (best effort)."""
    for suffix in META_SUFFIXES:
        side = path.with_suffix(suffix)
        if side.is_file():
            try:
                # every scalar a string: a value YAML cannot convert (date: 2027-13-45) is for build_meta to report
                data = yaml.load(side.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return None
            fmt = data.get("format") if isinstance(data, dict) else None
            return str(fmt) if isinstance(fmt, str) else None
    return None


def book_sniff(text: str) -> str | None:
    """A hint when a plain-text file has the shape of a PDF-extracted book."""
    try:
        from .book import looks_like_book
    except ImportError:  # the book reader is optional
        return None
    if looks_like_book(text):
        return (
            "looks like text extracted from a PDF book (double-spaced lines, page breaks); set 'format: book'"
        )
    return None
