"""The TEI schema: found, compiles, accepts a minimal document, rejects a bad one with a line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from edition import schema
from edition.tei import E

MINIMAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt><title>A minimal text</title></titleStmt>
      <publicationStmt><p>Unpublished.</p></publicationStmt>
      <sourceDesc><p>Born digital.</p></sourceDesc>
    </fileDesc>
  </teiHeader>
  <text>
    <body>
      <p xml:id="p1">He said <quote>something</quote>.<note place="foot">A note.</note></p>
      <p><ref type="quote" target="other.xml#p3">elsewhere</ref></p>
    </body>
  </text>
</TEI>
"""

# Line 11: <bogus/> is not a TEI element; line 3: an empty teiHeader lacks fileDesc.
INVALID = b"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader/>
  <text>
    <body>
      <p>fine</p>
      <p>
        also fine
      </p>
      <div>
        <bogus/>
      </div>
    </body>
  </text>
</TEI>
"""


def test_schema_is_found(tei_schema_path: Path) -> None:
    assert tei_schema_path.is_file()
    assert tei_schema_path == schema.schema_path()
    head = tei_schema_path.read_bytes()[:2000]
    assert b"http://relaxng.org/ns/structure/1.0" in head


def test_schema_compiles_once(tei_schema: etree.RelaxNG) -> None:
    assert isinstance(tei_schema, etree.RelaxNG)
    assert schema.validator() is tei_schema


def test_valid_document_has_no_errors(tei_schema: etree.RelaxNG) -> None:
    doc = etree.fromstring(MINIMAL)
    assert schema.validate(doc) == []


def test_invalid_document_is_rejected_with_line_numbers(tei_schema: etree.RelaxNG) -> None:
    doc = etree.fromstring(INVALID)
    messages = schema.validate(doc, source="bad.xml")
    assert messages, "an empty teiHeader and a <bogus> element must not validate"
    assert any(m.startswith("bad.xml:11: ") and "bogus" in m for m in messages), messages
    assert any(m.startswith("bad.xml:3: ") for m in messages), messages


def test_parsed_file_is_named_by_its_path(tei_schema: etree.RelaxNG, tmp_path: Path) -> None:
    f = tmp_path / "bad.xml"
    f.write_bytes(INVALID)
    messages = schema.validate(etree.parse(str(f)))
    assert any(m.startswith(f"{f}:11: ") for m in messages), messages


def test_tree_built_in_memory_names_the_element_path(tei_schema: etree.RelaxNG) -> None:
    built = E.TEI(E.teiHeader(), E.text(E.body(E.bogus())))  # no source lines
    found = schema.problems(built)
    assert found and all(line is None and "(at /" in msg for line, msg in found), found


def test_env_var_wins_and_missing_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nope.rng"
    monkeypatch.setenv(schema.ENV_VAR, str(missing))
    assert schema.schema_path() is None
    with pytest.raises(schema.SchemaError, match="nope.rng"):
        schema.validator()


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(schema.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert schema.cached_path() == tmp_path / "edition" / "tei_all.rng"
    assert schema.schema_path() is None


def test_cli_path_prints_the_schema(tei_schema_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "edition.schema", "path"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == str(tei_schema_path)
