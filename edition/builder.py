"""``edition build``: one run of the build engine (:mod:`edition.engine`) over a fresh state.

The site is written into a temporary directory beside ``out`` and swapped into place only when
the build succeeded: a failed build leaves the previous site as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import engine
from .distributed import connect
from .engine.render import render_all
from .engine.run import Progress
from .errors import ConfigError, Diagnostics, EditionError, Location
from .model import Edition


@dataclass(slots=True)
class BuildResult:
    edition: Edition
    out: Path | None
    """Where the site is (None when nothing was written)."""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def diagnostics(self) -> Diagnostics:
        return self.edition.diagnostics


def check_out_dir(content: Path, out: Path) -> None:
    """Refuse an output directory that is or contains the content, or lies inside it."""
    c, o = content.resolve(), out.resolve()
    if o == c or c.is_relative_to(o):
        raise ConfigError(f"output directory '{out}' contains the content directory; choose another (-o)")
    if o.is_relative_to(c):
        raise ConfigError(f"output directory '{out}' is inside the content directory '{content}'; the tool never writes there")


def load(content: Path, progress: Progress | None = None) -> Edition:
    """Phase 1 and 2 without writing anything (``edition check`` uses this)."""
    state = engine.BuildState(Path(content), Path(content) / ".unused", keep_phase1=False)
    report = engine.run(state, write=False, progress=progress)
    if report.exception is not None:
        raise report.exception
    assert state.edition is not None
    return state.edition


def render_site(edition: Edition, out: Path, search: bool = True) -> None:
    """Write every file of ``edition``'s site into ``out`` (``edition check`` renders to a temporary directory)."""
    sink = engine.DirectorySink(out)
    try:
        render_all(edition, sink)
        if search:
            from . import search as search_index

            search_index.index(edition, sink.path)
        sink.commit()
    except BaseException:
        sink.discard()
        raise


def build(content: Path, out: Path, *, strict: bool = False, search: bool = True,
          progress: Progress | None = None, validate: bool = True, scheduler: str | None = None) -> BuildResult:
    """Build the site into ``out``; the old ``out`` is replaced only on success.
    ``scheduler``: a Dask cluster to read and search on (:mod:`.distributed`)."""
    content = Path(content)
    out = Path(out)
    check_out_dir(content, out)
    state = engine.BuildState(content, out, keep_phase1=False)
    with connect(scheduler):
        report = engine.run(state, strict=strict, search=search, bundle=True, validate=validate, progress=progress)
    exc = report.exception
    if exc is not None and (state.edition is None or not isinstance(exc, EditionError)):
        raise exc  # edition.yaml is unusable (nothing was read), or a bug: its traceback is shown
    if isinstance(exc, EditionError):
        # a template error stops the rendering: reported with everything else
        # collected so far, as a failed build (the last good site stays)
        assert state.edition is not None
        diags = state.edition.diagnostics
        if not diags.errors:  # raised in a worker process, whose record is lost
            diags.error(exc.location or Location("templates"), str(exc.args[0]), "template")
        return BuildResult(state.edition, None)
    assert state.edition is not None
    t = report.timings
    timings = {"read+resolve": t.get("read", 0.0) + t.get("across", 0.0)}
    if not report.ok:
        return BuildResult(state.edition, None, timings)
    timings.update({k: v for k, v in t.items() if k in ("render", "search", "export")})
    timings["total"] = report.seconds
    return BuildResult(state.edition, out, timings)


replace_dir = engine.replace_dir

__all__ = ["BuildResult", "EditionError", "build", "check_out_dir", "load", "render_site", "replace_dir"]
