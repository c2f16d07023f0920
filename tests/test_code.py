"""The code's own checks, as a contributor runs them: ruff (lint) and mypy
(strict types, configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    r = _run("ruff", "check", "edition", "tests", "bench", "build.py")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_finds_nothing() -> None:
    r = _run("mypy", "edition")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout
