"""Locations, diagnostics and the errors the tool raises.

Every problem found in a source is recorded in :class:`Diagnostics` with a
:class:`Location` and the build goes on; the caller decides once, at the end,
whether the build failed (``--strict`` turns warnings into failure).
Message shape: ``path:line: level: message`` (as Sphinx and GCC print them).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: a path (relative to the content directory when
    possible) and an optional 1-based line."""

    path: Path | str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


class Level(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: Level
    location: Location
    message: str
    code: str = ""
    """Short machine-readable kind, e.g. ``note-unmatched`` (used by ``--format json``)."""

    def __str__(self) -> str:
        return f"{self.location}: {self.level}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "path": str(self.location.path),
            "line": self.location.line,
            "level": str(self.level),
            "code": self.code,
            "message": self.message,
        }


@dataclass(slots=True)
class Diagnostics:
    """Collected diagnostics of one build; thread-safe append."""

    items: list[Diagnostic] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, level: Level, location: Location, message: str, code: str = "") -> Diagnostic:
        d = Diagnostic(level, location, message, code)
        with self._lock:
            self.items.append(d)
        return d

    def error(self, location: Location, message: str, code: str = "") -> Diagnostic:
        return self.add(Level.ERROR, location, message, code)

    def warning(self, location: Location, message: str, code: str = "") -> Diagnostic:
        return self.add(Level.WARNING, location, message, code)

    def info(self, location: Location, message: str, code: str = "") -> Diagnostic:
        return self.add(Level.INFO, location, message, code)

    def extend(self, other: Iterable[Diagnostic]) -> None:
        with self._lock:
            self.items.extend(other)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(
            self.items, key=lambda d: (str(d.location.path), d.location.line or 0, -d.level, d.message)
        )

    def count(self, level: Level) -> int:
        return sum(1 for d in self.items if d.level == level)

    @property
    def errors(self) -> int:
        return self.count(Level.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Level.WARNING)

    def failed(self, strict: bool = False) -> bool:
        return self.errors > 0 or (strict and self.warnings > 0)

    def for_path(self, path: Path | str) -> list[Diagnostic]:
        return [d for d in self.items if str(d.location.path) == str(path)]


class EditionError(Exception):
    """An expected problem that stops the command: printed as one line, exit 1."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.location = location

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{self.location}: error: {msg}" if self.location else f"error: {msg}"


class ConfigError(EditionError):
    """edition.yaml or a command-line value is wrong."""


class SourceError(EditionError):
    """A source cannot be read at all (the build skips it and goes on)."""


class PluginError(EditionError):
    """A plugin raised; carries the plugin's name."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` or an empty string (as mkdocs does with difflib)."""
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def relative_location(d: Diagnostic, content: Path) -> Diagnostic:
    """The diagnostic with its path relative to the content directory when it lies inside
    (a template error names the template by its absolute path)."""
    path = Path(str(d.location.path))
    if path.is_absolute():
        try:
            rel = path.resolve().relative_to(content.resolve())
        except (ValueError, OSError):
            return d
        return dataclasses.replace(d, location=Location(rel, d.location.line))
    return d
