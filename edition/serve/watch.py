"""The preview's builder: the watcher reports changed paths, the builder thread runs the engine
on them (debounced), then starts the slow work in the background once the editor is idle.

Modelled on ``mkdocs/livereload/__init__.py`` (docs/STYLE.md section 6): the watchdog callback
only records the changed paths and notifies the :class:`~.status.Status` condition; after the
first event the builder waits until no event came for ``debounce`` seconds (save storms,
editors' atomic renames), then builds once. Slow work runs in a forked process once the editor
has been idle for ``detect_delay`` seconds, and is cancelled by the next save: quotation
detection over every text (until then, links are carried over the edit and re-anchored), then
the search index; pages whose links changed reload.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .. import engine
from ..config import PACKAGE_TEMPLATES
from ..engine import BuildState, Report
from ..errors import Level
from ..workers import BackgroundJob
from .status import Status, wait_until


def start_observer(content: Path, relevant: Callable[[Path], bool], notify: Callable[[Iterable[Path]], None]) -> Any:
    """A running watchdog observer of the content directory and the package's templates that
    reports the relevant changed paths (editors' temporary files are not)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            if event.is_directory and event.event_type == "modified":
                return
            paths = [Path(os.fsdecode(event.src_path))]
            dest = getattr(event, "dest_path", "")
            if dest:
                paths.append(Path(os.fsdecode(dest)))
            wanted = [p for p in paths if relevant(p)]
            if wanted:
                notify(wanted)

    observer = Observer()
    handler = Handler()
    observer.schedule(handler, str(content), recursive=True)
    if not PACKAGE_TEMPLATES.resolve().is_relative_to(content) and PACKAGE_TEMPLATES.is_dir():
        observer.schedule(handler, str(PACKAGE_TEMPLATES), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


class Builder:
    """Runs the engine over the kept state of one site as changes come (in the builder thread)."""

    def __init__(
        self,
        site: BuildState,
        status: Status,
        out: Callable[[str], None],
        *,
        quiet: bool,
        strict: bool,
        debounce: float,
        detect_quotations: bool,
        detect_delay: float,
        search: bool,
    ) -> None:
        self.site = site
        self.status = status
        self.print = out
        self.quiet = quiet
        self.strict = strict
        self.debounce = debounce
        self.detect_quotations = detect_quotations
        """Detect quotations in a background process after each change (else links are only carried over)."""
        self.detect_delay = detect_delay
        """Seconds without a change before quotations are detected again (detection is costly: a
        burst of saves should not restart it each time)."""
        self.build_search = search
        """Build the search index in a background process when the editor is idle."""
        self.search_failed: object = None
        self.bundle_failed: object = None
        """The bundle key whose bundle could not be made (not tried again for the same texts)."""
        self.last_build = 0.0
        self.job: BackgroundJob | None = None
        """The background job running now."""
        self.builds = 0
        """Number of rebuilds caused by changed files after the first build (tests check debouncing
        with it); background work (quotations, search index) does not count."""
        self.last_report: Report | None = None
        """The last build caused by changed files (what the editor's save did)."""
        self.last_background_report: Report | None = None
        """The last result of background work applied to the site (``quotations``, ``search``)."""

    def first_build(self) -> None:
        # quotations are detected in the background once the site is up (they can take seconds)
        report = engine.run(self.site, detect=False)
        self.status.shown_errors = self.error_lines()
        self._log_report(report, first=True)
        self.status.epoch = 1

    def settled(self) -> bool:
        """No change waiting, no build running, no background work running or due."""
        with self.status.cond:
            if self.status.pending or self.status.building or self.job is not None or self.site is None:
                return False
        site = self.site
        if self.detect_quotations and site.detection_due():
            return False
        if self.bundle_wanted():
            return False
        return not (self.build_search and site.search_due() and self.search_failed != site.search_key())

    def bundle_wanted(self) -> bool:
        """The archival bundle is out of date (and did not fail for these texts): it will be made."""
        return self.site.bundle_due() and self.bundle_failed != self.site.bundle_key()

    def bundle_pending(self) -> bool:
        """A request for ``export/`` should wait: the bundle is being made, or will be."""
        with self.status.cond:
            if self.status.stopping:
                return False
        try:
            return self.bundle_wanted() or (self.job is not None and self.job.kind == "bundle")
        except RuntimeError:  # the builder thread changed the texts while this one looked: ask again
            return True

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until :meth:`settled` (False on timeout): what tests compare with ``edition build``."""
        return wait_until(self.settled, timeout)

    def error_lines(self) -> list[str]:
        """What the overlay and the terminal show: ``path:line: level: message``."""
        if self.site is None:
            return []
        least = Level.WARNING if self.strict else Level.ERROR
        lines = [str(d) for d in self.site.diagnostics() if d.level >= least]
        if self.site.last_error:
            lines.append(f"build failed: {self.site.last_error.splitlines()[0]}")
        return lines

    def loop(self) -> None:
        assert self.site is not None
        site = self.site
        job: BackgroundJob | None = None
        try:
            while True:
                due_in: float | None = None  # seconds until background work may start
                if job is None:
                    job, due_in = self._start_background()
                self.job = job
                with self.status.cond:
                    while not (self.status.pending or self.status.stopping or (job is not None and job.ready())):
                        if due_in is not None:
                            # wake up when the editor has been idle long enough to detect quotations
                            if not self.status.cond.wait(timeout=due_in) and not self.status.pending:
                                break
                            continue
                        self.status.cond.wait(timeout=0.05 if job is not None else None)
                    if not (self.status.pending or self.status.stopping or (job is not None and job.ready())):
                        continue
                    if self.status.stopping:
                        return
                    if self.status.pending:
                        # debounce: wait until changes stop for `debounce` seconds
                        while True:
                            n = self.status.event_count
                            self.status.cond.wait(timeout=self.debounce)
                            if self.status.stopping:
                                return
                            if self.status.event_count == n:
                                break
                        paths, self.status.pending = self.status.pending, set()
                        self.status.building = True
                    else:
                        paths = None
                if paths is not None:
                    if job is not None:
                        # the texts it saw are changing: stop it, start again after this build
                        job.cancel()
                        job = None
                    self._run(lambda p=paths: engine.run(site, p, detect=False))  # type: ignore[misc]
                elif job is not None:
                    finished, job = job, None
                    try:
                        result = finished.result()
                    except RuntimeError as exc:
                        if finished.kind in ("search", "bundle"):
                            if finished.kind == "search":
                                self.print(f"the search index could not be built: {exc}")
                                self.search_failed = site.search_key()
                            else:
                                self.print(f"the archival bundle could not be made: {exc}")
                                self.bundle_failed = site.bundle_key()
                            if finished.scratch is not None:
                                shutil.rmtree(finished.scratch, ignore_errors=True)
                        else:
                            self.print(
                                f"quotation detection failed: {exc}; the preview keeps the links it had"
                            )
                            site.links_exact = True  # do not retry until the next edit
                        continue
                    seconds = time.perf_counter() - finished.started
                    with self.status.cond:
                        self.status.building = True
                    if finished.kind == "search":
                        for line in result or []:
                            if not self.quiet:
                                self.print(line)
                        scratch = finished.scratch
                        assert scratch is not None
                        self._run(lambda f=finished, sc=scratch: engine.apply_search(site, f.key, sc))  # type: ignore[misc]
                        done = self.last_background_report
                        if not self.quiet and done is not None and done.kind == "search":
                            self.print(f"search index updated in {seconds:.1f} s")
                    elif finished.kind == "bundle":
                        scratch = finished.scratch
                        assert scratch is not None
                        self._run(lambda f=finished, sc=scratch, n=result: engine.apply_bundle(site, f.key, sc, n))  # type: ignore[misc]
                        done = self.last_background_report
                        if not self.quiet and done is not None and done.kind == "bundle":
                            self.print(f"archival bundle export/ made in {seconds:.1f} s")
                    else:
                        self._run(
                            lambda f=finished, ls=result: engine.apply_links(site, f.key, ls),  # type: ignore[misc]
                            detect_seconds=seconds,
                        )
        finally:
            if job is not None:
                job.cancel()

    def _start_background(self) -> tuple[BackgroundJob | None, float | None]:
        """Start the next background job if the editor has been idle long enough: quotation
        detection first (the search index and the bundle show quotations), then the search
        index, then the archival bundle.
        Returns (job, None) or (None, seconds to wait before trying again)."""
        assert self.site is not None
        site = self.site
        wanted = None
        if self.detect_quotations and site.detection_due():
            wanted = "quotations"
        elif self.build_search and site.search_due() and self.search_failed != site.search_key():
            wanted = "search"
        elif self.bundle_wanted():
            wanted = "bundle"
        if wanted is None:
            return None, None
        due_in = self.detect_delay - (time.monotonic() - self.last_build)
        if due_in > 0:
            return None, due_in
        try:
            start = {"quotations": engine.start_detection, "search": engine.start_search, "bundle": engine.start_bundle}
            return start[wanted](site), None
        except Exception as exc:  # e.g. no fork on this platform: the preview goes on without it
            self.print(f"cannot run {wanted} in the background: {exc}")
            if wanted == "quotations":
                site.links_exact = True
            elif wanted == "search":
                self.build_search = False
            else:
                self.bundle_failed = site.bundle_key()
            return None, None

    def _run(self, build: Callable[[], Report], detect_seconds: float | None = None) -> None:
        assert self.site is not None
        before = self.error_lines()
        try:
            report = build()
        except Exception as exc:  # a bug in the builder must not kill the preview
            import traceback

            self.site.last_error = f"{type(exc).__name__}: {exc}"
            report = Report("texts", ok=False, error=self.site.last_error + "\n" + traceback.format_exc())
        after = self.error_lines()
        self.last_build = time.monotonic()
        with self.status.cond:
            self.status.shown_errors = after
            self.status.building = False
            if report.kind != "none" or before != after:
                if report.kind in ("texts", "templates", "full"):
                    self.builds += 1
                ok = report.ok and before == after
                self.status.bump(frozenset(self.site.last_changed) if ok else None)
            if report.kind in ("texts", "templates", "full"):
                self.last_report = report
            elif report.kind != "none":
                self.last_background_report = report
            self.status.cond.notify_all()
        if report.kind != "none":
            if detect_seconds is not None and not self.quiet:
                self.print(f"quotations detected in {detect_seconds:.1f} s")
            self._log_report(report)

    def _log_report(self, report: Report, first: bool = False) -> None:
        assert self.site is not None
        for d in report.new_diagnostics:
            if d.level >= Level.ERROR or (not self.quiet and d.level >= Level.WARNING):
                self.print(str(d))
        for d in report.fixed:
            self.print(f"fixed: {d}")
        if not report.ok:
            self.print(f"build failed, still serving the last good site: {report.error}")
            return
        if self.quiet:
            return
        ms = report.seconds * 1000
        if first:
            n = len(self.site.edition.texts) if self.site.edition else 0
            self.print(f"built {n} text(s) in {ms:.0f} ms")
        elif report.kind in ("search", "bundle"):
            return
        elif report.kind == "quotations":
            self.print(
                f"quotation links updated: {len(self.site.links)} link(s); "
                f"{len(report.rendered)} text(s) rendered in {ms:.0f} ms"
            )
        else:
            what = ", ".join(str(p) for p in report.changed) or report.kind
            self.print(
                f"rebuilt ({report.kind}: {what}; {len(report.rendered)} text(s) rendered) in {ms:.0f} ms"
            )
        errs = [d for d in self.site.errors()]
        if errs and not first:
            self.print(f"{len(errs)} error(s) remain; the overlay shows them in the browser")


__all__ = ["Builder", "start_observer"]
