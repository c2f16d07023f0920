"""Write small editions for tests."""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def make_edition(tmp_path: Path, files: dict[str, str | bytes], name: str = "content") -> Path:
    """Write ``files`` (relative POSIX path -> text or bytes) under ``tmp_path/name``
    and return that content directory, ready for ``edition build``.

    Text is written as UTF-8 exactly as given (no dedent, ``\\n`` line ends); bytes
    as they are, e.g. for a file that is not UTF-8. Example::

        root = make_edition(tmp_path, {"edition.yaml": "title: T\\n", "a.md": "# A\\n\\nText.\\n"})
    """
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts:
            raise ValueError(f"make_edition: {rel!r} must be a relative path inside the edition")
        target = root.joinpath(*p.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="\n")
    return root
