"""What the preview's threads share, under one :class:`threading.Condition`: the paths changed
and not yet built, whether a build runs, the epoch (finished builds that changed what is
served), which site paths each epoch changed, and the overlay's lines."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

HISTORY = 500
"""Epochs whose changed paths are remembered (an older page reloads whatever changed)."""


def wait_until(done: Callable[[], bool], timeout: float) -> bool:
    """Poll ``done`` every 20 ms until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Status:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.pending: set[Path] = set()
        """Changed paths not yet built (the watcher's callback only adds to this)."""
        self.event_count = 0
        self.building = False
        self.stopping = False
        self.epoch = 0
        self.changes: dict[int, frozenset[str] | None] = {}
        """Epoch -> site paths whose bytes changed in that build (None: every page must reload)."""
        self.shown_errors: list[str] = []
        """The overlay's lines, set by the builder thread after each build (request threads read
        this list, never the builder's state, which may be changing)."""

    def notify(self, paths: Iterable[Path]) -> None:
        """Record changed paths and wake the builder."""
        with self.cond:
            self.pending.update(paths)
            self.event_count += 1
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def wait_for_epoch(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until the epoch is at least ``n``; False on timeout."""
        with self.cond:
            return self.cond.wait_for(lambda: self.epoch >= n or self.stopping, timeout) and self.epoch >= n

    def wait_built(self, timeout: float = 30.0) -> int:
        """Wait for a running (or about to run) build: no one sees a half-written change. The epoch."""
        with self.cond:
            self.cond.wait_for(lambda: not (self.building or self.pending) or self.stopping, timeout=timeout)
            return self.epoch

    def bump(self, changed: frozenset[str] | None) -> None:
        """A build changed what is served (call with the condition held)."""
        self.epoch += 1
        self.changes[self.epoch] = changed
        self.changes.pop(self.epoch - HISTORY, None)

    def needs_reload(self, since: int, page: str | None) -> bool:
        """Whether a page shown at epoch ``since`` must reload now (call with the condition held).

        Only pages whose file changed reload (an edit of one text does not reload every open tab);
        every page reloads when the list of errors changed (the overlay), a stylesheet or script
        changed, or the history does not reach back to ``since``. ``page`` None: any change."""
        if self.epoch <= since:
            return False
        if page is None:
            return True
        for e in range(since + 1, self.epoch + 1):
            if e not in self.changes:
                return True
            changed = self.changes[e]
            if changed is None or page in changed:
                return True
            if any(c.startswith("assets/") or c.endswith((".css", ".js")) for c in changed):
                return True
        return False

    def payload(self, reload: bool = True) -> bytes:
        """``{"epoch", "reload", "errors"}`` (call with the condition held)."""
        return json.dumps({"epoch": self.epoch, "reload": reload, "errors": self.shown_errors}).encode("utf-8")


__all__ = ["Status"]
