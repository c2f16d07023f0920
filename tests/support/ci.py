"""Skip a test whose tool or file is missing on a developer's machine; fail it in CI.

A CI run (``CI=true``; ``.ci/run`` sets it too) that silently skipped its browser, schema
or sample-edition tests would prove nothing, so every skip for something missing goes
through :func:`missing_tool` (issue 20). ``pytest.skip``, ``skipif`` and ``importorskip``
are not used for missing things anywhere else in tests/.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

SETUP_HINT = "run `bash scripts/test-setup.sh`"


def in_ci() -> bool:
    """True when the CI environment variable says so (CI=true, as CI sets it)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def missing_tool(what: str, hint: str = SETUP_HINT) -> NoReturn:
    """Skip the test for a missing tool; in CI, fail it instead."""
    message = f"{what} is missing: {hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing test tool is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def require_module(name: str, hint: str = "pip install -e '.[test]'") -> ModuleType:
    """``pytest.importorskip`` that fails in CI."""
    try:
        return importlib.import_module(name)
    except ImportError:
        missing_tool(f"the Python package {name!r}", hint)


def bench_corpora() -> tuple[list, list]:
    """The benchmark's verse-aligned corpora (KJV, CUV), or a missing-tool skip (a failure in CI)."""
    try:
        from bench.quotations.corpora import cuv, kjv
    except ImportError as exc:  # pragma: no cover - the bench extras are test dependencies
        missing_tool(f"the benchmark's packages ({exc})")
    if not kjv() or not cuv():
        missing_tool("the benchmark corpora (KJV, CUV)")
    return kjv(), cuv()
