"""Command line: ``edition build | check | export | serve``.

Exit codes: 0 success; 1 content errors (or warnings with ``--strict``);
2 usage error (bad option, missing directory); 3 internal error (a bug: the
traceback is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import ConfigError, Diagnostics, EditionError, Level

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "content",
        nargs="?",
        default="content",
        type=Path,
        help="content directory holding the sources and edition.yaml (default: content/)",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1 if there are any)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    g.add_argument(
        "-v", "--verbose", action="store_true", help="also print informational messages and timings"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edition",
        description="Publish an annotated digital edition: sources -> TEI P5 -> static HTML site.",
        epilog="Exit codes: 0 built/clean, 1 content errors (or warnings with --strict), 2 usage error, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"edition {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    b = sub.add_parser(
        "build",
        help="build the site and the TEI files",
        description="Read every source of CONTENT, attach notes, link quotations, and write the site "
        "(HTML, TEI in OUT/tei/, links.json) to OUT. OUT is replaced only when the build succeeds.",
    )
    _common(b)
    b.add_argument("-o", "--out", type=Path, default=Path("_site"), help="output directory (default: _site/)")
    b.add_argument("--no-search", action="store_true", help="skip building the search index")
    b.add_argument("--scheduler", metavar="local|local:N|tcp://HOST:PORT",
                   help="read and search on a Dask cluster (pip install 'edition[dask]'; README, 'Scale-out')")
    b.add_argument("--no-validate", action="store_true",
                   help="skip TEI validation of the bundle in OUT/export/ (compiling tei_all takes 6-9 s)")

    c = sub.add_parser(
        "check",
        help="report problems without writing anything",
        description="Everything the build would report, plus TEI validation against tei_all when the "
        "schema is available; nothing is written.",
    )
    _common(c)
    c.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    c.add_argument("--no-schema", action="store_true", help="skip TEI validation")

    x = sub.add_parser(
        "export",
        help="write the archival bundle: TEI corpus, sources, links, validation report",
        description="Read CONTENT as build does and write one zip: a teiCorpus with the shared header, each "
        "text's TEI, links.json, the sources byte for byte, a validation report (tei_all) in JSON and HTML, and "
        "a manifest with every file's sha256. Unchanged content gives the same bytes.",
    )
    _common(x)
    x.add_argument("-o", "--out", type=Path, default=Path("edition-bundle.zip"),
                   help="the zip to write (default: edition-bundle.zip)")
    x.add_argument("--no-validate", action="store_true", help="skip TEI validation (the report says so)")

    s = sub.add_parser(
        "serve",
        help="build, serve on localhost and rebuild on change",
        description="Build into a temporary directory, serve it, watch the content and templates, "
        "rebuild on change and reload open pages.",
    )
    _common(s)
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    s.add_argument("--open", action="store_true", help="open the site in a browser")
    return parser


def print_diagnostics(diags: Diagnostics, quiet: bool, verbose: bool, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    least = Level.ERROR if quiet else (Level.INFO if verbose else Level.WARNING)
    for d in diags:
        if d.level >= least:
            print(d, file=out)


def _progress(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """A rich progress bar when stderr is a terminal (and not in CI); else nothing."""
    if args.quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, i: int, n: int) -> None:
        if stage not in tasks:
            tasks[stage] = prog.add_task(stage, total=n)
        prog.update(tasks[stage], completed=i)

    return prog, update


def cmd_build(args: argparse.Namespace) -> int:
    from .builder import build

    prog, update = _progress(args)
    if prog:
        prog.start()
    try:
        result = build(args.content, args.out, strict=args.strict, search=not args.no_search, progress=update,
                       scheduler=args.scheduler, validate=not args.no_validate)
    finally:
        if prog:
            prog.stop()
    diags = result.diagnostics
    print_diagnostics(diags, args.quiet, args.verbose)
    n = len(result.edition.texts)
    if result.out is None:
        why = "errors" if diags.errors else "warnings (--strict)"
        print(
            f"build failed: {diags.errors} error(s), {diags.warnings} warning(s); {why}; "
            f"the previous site at {args.out} was left as it was",
            file=sys.stderr,
        )
        return EXIT_CONTENT
    if not args.quiet:
        total = result.timings.get("total", 0.0)
        print(
            f"built {n} text(s), {len(result.edition.links)} quotation link(s) into {args.out} in {total:.2f} s "
            f"({diags.errors} error(s), {diags.warnings} warning(s))",
            file=sys.stderr,
        )
    if args.verbose:
        from .report import summary

        for line in summary(result.edition):
            print(line, file=sys.stderr)
        for k, v in result.timings.items():
            print(f"  {k}: {v:.3f} s", file=sys.stderr)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check

    diags = check(args.content, schema=not args.no_schema)
    if args.format == "json":
        data = {
            "errors": diags.errors,
            "warnings": diags.warnings,
            "diagnostics": [d.as_json() for d in diags],
        }
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        print_diagnostics(diags, args.quiet, args.verbose, sys.stdout)
        print(f"{diags.errors} error(s), {diags.warnings} warning(s)", file=sys.stderr)
    return EXIT_CONTENT if diags.failed(args.strict) else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(
        args.content,
        host=args.host,
        port=args.port,
        open_browser=args.open,
        strict=args.strict,
        quiet=args.quiet,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from .builder import load
    from .export import export, invalid_messages

    content, out = Path(args.content), Path(args.out)
    if out.resolve().is_relative_to(content.resolve()):
        raise ConfigError(f"'{out}' is inside the content directory '{content}'; the tool never writes there")
    result = export(load(content), out, strict=args.strict, validate=not args.no_validate)
    diags = result.edition.diagnostics
    print_diagnostics(diags, args.quiet, args.verbose)
    if result.out is None or result.report is None:
        print(f"export failed: {diags.errors} error(s), {diags.warnings} warning(s); nothing was written",
              file=sys.stderr)
        return EXIT_CONTENT
    for src, message in invalid_messages(result.report, result.edition):
        print(f"{src}: warning: {message}", file=sys.stderr)
    report = result.report
    if not args.quiet:
        checked = report.note if report.schema is None else (
            f"{len(report.files) - len(report.invalid)} of {len(report.files)} XML file(s) valid against tei_all")
        print(f"exported {len(result.edition.texts)} text(s) into {result.out} ({checked})", file=sys.stderr)
    return EXIT_CONTENT if args.strict and report.invalid else EXIT_OK


COMMANDS = {"build": cmd_build, "check": cmd_check, "export": cmd_export, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    if not args.content.is_dir():
        parser.error(f"content directory '{args.content}' does not exist")
    try:
        return COMMANDS[args.command](args)
    except EditionError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
