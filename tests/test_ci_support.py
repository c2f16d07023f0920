"""A test that needs something missing skips on a developer's machine and fails in CI (issue 20)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ci

TESTS = Path(__file__).resolve().parent
ALLOWED = {("test_goldens.py", "skip")}
"""Skips that are not for something missing: ``--update-goldens`` rewrote the goldens."""


def test_missing_tool_skips_outside_ci_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="vnu.jar is missing: run"):
        ci.missing_tool("vnu.jar")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: a missing test tool is a failure"):
        ci.missing_tool("vnu.jar")
    with pytest.raises(pytest.fail.Exception, match="'no_such_module_here' is missing"):
        ci.require_module("no_such_module_here")
    assert ci.require_module("lxml").__name__ == "lxml"


def _skips(path: Path) -> list[tuple[str, str, int]]:
    """Calls of ``pytest.skip``/``importorskip`` and ``skip``/``skipif`` marks in one test file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("skip", "skipif", "importorskip"):
            base = node.value
            name = (
                base.id
                if isinstance(base, ast.Name)
                else base.attr
                if isinstance(base, ast.Attribute)
                else ""
            )
            if name in ("pytest", "mark"):
                found.append((path.name, node.attr, node.lineno))
    return found


def test_no_test_skips_for_something_missing_but_through_missing_tool() -> None:
    files = [
        p for p in sorted(TESTS.rglob("*.py")) if p != TESTS / "support" / "ci.py" and p != Path(__file__)
    ]
    found = [f for p in files for f in _skips(p) if f[:2] not in ALLOWED]
    assert found == [], "use tests.support.ci.missing_tool / require_module: they fail in CI"
