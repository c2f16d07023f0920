"""The browser tooling works: Debian Chromium through Playwright, vnu.jar, axe-core.

The site tests reuse the same fixtures and ``tests.support.browser`` helpers; if
this file fails, look here first rather than at the site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import format_axe, format_vnu, run_axe, run_vnu, serve_dir

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Smoke test edition</title>
</head>
<body>
<header><p><a href="index.html">Smoke test edition</a></p></header>
<main>
<h1>A text</h1>
<p>He said <q>something</q>.<sup><a href="#n1" id="r1">1</a></sup></p>
</main>
<footer><ol><li id="n1">A note. <a href="#r1">Back</a></li></ol></footer>
</body>
</html>
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    return tmp_path


def test_chromium_renders_served_page(site: Path, page: Any) -> None:
    with serve_dir(site) as base:
        assert base.startswith("http://127.0.0.1:")
        response = page.goto(base + "index.html")
        assert response is not None and response.status == 200
        assert page.title() == "Smoke test edition"
        assert page.locator("h1").inner_text() == "A text"


def test_vnu_accepts_valid_html(site: Path, vnu: Path) -> None:
    messages = run_vnu([site / "index.html"], vnu)
    assert messages == [], format_vnu(messages)


def test_vnu_reports_invalid_html(tmp_path: Path, vnu: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(PAGE.replace("<h1>A text</h1>", "<h1>A <span>text</h1>"), encoding="utf-8")
    messages = run_vnu([bad], vnu)
    assert messages, "vnu must report the unclosed <span>"
    assert all(m["type"] == "error" for m in messages)
    assert "bad.html:" in format_vnu(messages)


def test_axe_finds_no_serious_violations(site: Path, page: Any, axe_js: Path) -> None:
    with serve_dir(site) as base:
        page.goto(base + "index.html")
        violations = run_axe(page, axe_js, impacts={"serious", "critical"})
    assert violations == [], format_axe(violations)


def test_axe_reports_a_real_violation(tmp_path: Path, page: Any, axe_js: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE.replace('<html lang="en">', "<html>"), encoding="utf-8")
    with serve_dir(tmp_path) as base:
        page.goto(base + "index.html")
        ids = {v["id"] for v in run_axe(page, axe_js)}
    assert "html-has-lang" in ids
