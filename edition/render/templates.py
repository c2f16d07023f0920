"""The Jinja environment and the typed context every page template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import jinja2
from markupsafe import Markup

from ..config import Config
from ..errors import Diagnostics, EditionError, Location


class NavItem(TypedDict):
    title: str
    url: str


class TocEntry(TypedDict):
    title: str
    url: str
    level: int


class NoteView(TypedDict):
    id: str
    mark: str
    kind: str
    label: str
    html: Markup


class BundleView(TypedDict):
    """The archival bundle a page links to (issue 22); every URL relative to the page."""

    url: str
    """The zip (``export/edition-bundle.zip``)."""
    report_url: str
    """Its TEI validation report beside it (``export/validation.json``)."""
    size: str
    """The zip's size for people (``1.2 MB``); "" where it is not shown (only the index shows it)."""


class PageContext(TypedDict, total=False):
    """What a page template may use (documented in the README)."""

    site_title: str
    site_subtitle: str | None
    base_url: str
    root: str
    """Relative prefix from this page to the site root (``""``, ``"../"``...)."""
    lang: str
    title: str
    description: str
    canonical: str
    breadcrumbs: list[NavItem]
    prev: NavItem | None
    next: NavItem | None
    toc: list[TocEntry]
    content: Markup
    notes: list[NoteView]
    meta: Any
    """The text's :class:`~edition.model.TextMeta` (text pages)."""
    text_id: str
    tei_url: str
    source_url: str
    texts: list[Any]
    works: list[Any]
    bundle: BundleView | None
    """The archival bundle, when the site holds one (the footer and the index link to it)."""
    extra: dict[str, Any]


def make_env(config: Config) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(p) for p in config.template_dirs])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(("html", "xml", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def template_location(exc: jinja2.TemplateError, config: Config) -> Location:
    name = getattr(exc, "filename", None) or getattr(exc, "name", None) or "templates"
    return Location(_in_content(name, config), getattr(exc, "lineno", None))


def _in_content(name: str, config: Config) -> Path:
    """A template's path relative to the content directory when it is the
    edition's own (the package's own templates keep their full path)."""
    path = Path(name)
    try:
        return path.resolve().relative_to(config.content_dir)
    except ValueError:
        return path


def render_page(env: jinja2.Environment, name: str, ctx: PageContext, config: Config, diags: Diagnostics) -> str:
    """Render one template; a template error is reported with its location and stops the build."""
    try:
        return env.get_template(name).render(**ctx)
    except jinja2.TemplateSyntaxError as exc:
        loc = template_location(exc, config)
        diags.error(loc, f"template syntax error: {exc.message}", "template")
        raise EditionError(f"template syntax error: {exc.message}", loc) from exc
    except jinja2.TemplateError as exc:
        tb_line = _template_line(exc)
        loc = Location(_in_content(tb_line[0], config), tb_line[1]) if tb_line else Location(f"templates/{name}")
        diags.error(loc, f"template error in {name}: {exc}", "template")
        raise EditionError(f"template error in {name}: {exc}", loc) from exc


def _template_line(exc: BaseException) -> tuple[str, int] | None:
    """The template file and line from a Jinja traceback (Jinja rewrites frames)."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        fname = tb.tb_frame.f_code.co_filename
        if fname.endswith((".html", ".xml", ".svg", ".txt")):
            found = (fname, tb.tb_lineno)
        tb = tb.tb_next
    return found
