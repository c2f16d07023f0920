"""``edition check``: everything the build would report, without writing a site."""

from __future__ import annotations

from pathlib import Path

from .builder import load
from .errors import Diagnostics, Location
from .sources import load_source
from .sources.plaintext import PlainReader
from .export import tei_files


def check(content: Path, schema: bool = True) -> Diagnostics:
    diags = Diagnostics()
    edition = load(content, diags)
    # a plain text that has the shape of a PDF-extracted book
    for text in edition.texts.values():
        if (text.meta.format or "") in ("", "plain") and text.path is not None and text.source.suffix in PlainReader.extensions:
            loaded = load_source(edition.config, text.source, Diagnostics())
            if loaded is not None:
                hint = PlainReader().sniff(loaded.src)
                if hint:
                    diags.warning(Location(text.source, 1), hint, "looks-like-book")
    if schema:
        _validate(edition, diags)
    return diags


def _validate(edition, diags: Diagnostics) -> None:  # type: ignore[no-untyped-def]
    try:
        from . import schema as schema_mod
    except ImportError:
        return
    path = schema_mod.schema_path()
    if path is None:
        diags.info(Location("edition.yaml"), "TEI schema not found; run 'python -m edition.schema fetch' to validate", "schema-missing")
        return
    rng = schema_mod.validator()
    from lxml import etree

    for rel, data in tei_files(edition).items():
        doc = etree.fromstring(data)
        if not rng.validate(doc):
            text = edition.texts[Path(rel).stem]
            for err in list(rng.error_log)[:20]:
                diags.error(Location(text.source), f"generated TEI ({rel}:{err.line}) is not valid tei_all: {err.message}", "tei-invalid")
