"""Whole-edition goldens: each tests/projects/<case>/ is built and its TEI files
(and links.json) compared with tests/goldens/<case>/.

Regenerate with ``python -m pytest tests/test_goldens.py --update-goldens`` and review
the diff (``git diff tests/goldens``) before committing it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edition.builder import build

HERE = Path(__file__).parent
PROJECTS = sorted(p.name for p in (HERE / "projects").iterdir() if p.is_dir())


def outputs(site: Path) -> dict[str, bytes]:
    files = {f"tei/{p.name}": p.read_bytes() for p in sorted((site / "tei").iterdir())}
    files["links.json"] = (site / "links.json").read_bytes()
    return files


@pytest.mark.parametrize("case", PROJECTS)
def test_golden(case: str, tmp_path: Path, update_goldens: bool, tei_schema) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    result = build(HERE / "projects" / case, tmp_path / "site", search=False)
    assert result.out is not None, [str(d) for d in result.diagnostics]
    got = outputs(result.out)
    for name, data in got.items():
        if name.endswith(".xml"):
            assert tei_schema.validate(etree.fromstring(data)), (name, str(tei_schema.error_log))
    golden = HERE / "goldens" / case
    if update_goldens:
        shutil.rmtree(golden, ignore_errors=True)
        for name, data in got.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(data)
        pytest.skip("goldens updated; review `git diff tests/goldens`")
    expected = {str(p.relative_to(golden)): p.read_bytes() for p in sorted(golden.rglob("*")) if p.is_file()}
    assert sorted(got) == sorted(expected)
    for name in got:
        assert got[name].decode() == expected[name].decode(), name
