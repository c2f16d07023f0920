"""Shared fixtures and options.

External tools (the TEI schema, Chromium, Java + vnu.jar, axe-core) are installed by
``bash scripts/test-setup.sh``. A test that needs one that is missing is skipped on a
developer's machine, with the command to run, but FAILS in CI (``CI=true``): a CI run
that silently skipped its browser or schema tests would prove nothing.

Fixtures: ``tei_schema`` (compiled tei_all, once per session), ``tei_schema_path``,
``chromium_path``, ``java_path``, ``vnu``, ``axe_js``, ``browser`` (one headless
Chromium per session), ``page`` (a fresh context and page per test), ``update_goldens``.
Helpers: :func:`make_edition` (``from tests.conftest import make_edition`` or
``from tests.support.project import make_edition``), ``tests.support.browser``;
:func:`missing_tool` and :func:`require_module` (``tests.support.ci``) are the only ways a test
skips for something missing (a failure in CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edition import schema
from tests.support import browser as browser_support
from tests.support.ci import SETUP_HINT, in_ci, missing_tool, require_module
from tests.support.project import make_edition

__all__ = ["make_edition", "in_ci", "missing_tool", "require_module"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the expected output files in tests/goldens/ instead of comparing against them",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def tei_schema_path() -> Path:
    path = schema.schema_path()
    if path is None:
        missing_tool("the TEI schema (tei_all.rng)", f"{SETUP_HINT} or `python -m edition.schema fetch`")
    return path


@pytest.fixture(scope="session")
def tei_schema(tei_schema_path: Path) -> Any:
    """The compiled tei_all ``lxml.etree.RelaxNG``. Compiling takes 6-9 s, so it is done
    once per session; :func:`edition.schema.validate` reuses the same compiled schema."""
    return schema.validator()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    path = browser_support.find_chromium()
    if path is None:
        missing_tool("Chromium (/usr/bin/chromium)", f"{SETUP_HINT} (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def java_path() -> Path:
    path = browser_support.find_java()
    if path is None:
        missing_tool("a Java runtime (for vnu.jar)", f"{SETUP_HINT} (apt-get install default-jre-headless)")
    return path


@pytest.fixture(scope="session")
def vnu(java_path: Path) -> Path:
    """Path to vnu.jar (the Nu HTML Checker); use with ``tests.support.browser.run_vnu``."""
    if not browser_support.VNU_JAR.is_file():
        missing_tool(f"vnu.jar ({browser_support.VNU_JAR})")
    return browser_support.VNU_JAR


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """Path to axe.min.js; use with ``tests.support.browser.run_axe``."""
    if not browser_support.AXE_JS.is_file():
        missing_tool(f"axe-core ({browser_support.AXE_JS})")
    return browser_support.AXE_JS


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    """One headless Chromium (``playwright.sync_api.Browser``) for the whole session."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing_tool("the playwright Python package", "pip install -e '.[test]'")
    with browser_support.launch_browser(chromium_path) as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page per test, so no state leaks between tests."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
