"""A release install builds an edition (issue 20).

The wheel is built from a copy of the repository (so no ``build/`` or ``*.egg-info`` lands in
the clone) as ``pip install .`` would build it, installed into a fresh virtual environment,
and ``edition build`` runs there from another directory on a copy of the sample edition.
The fresh environment sees the running interpreter's site-packages through a ``.pth`` file
of plain paths: the dependencies import from there, but the ``.pth`` hooks there (the
editable install of this clone) are not run, so ``edition`` can only come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, timeout: float = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _copy_source(dest: Path) -> Path:
    """What the wheel is built from: the project file, the README it names, the package and templates."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("edition", "templates"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    return dest


def _fresh_venv(path: Path) -> Path:
    """A virtual environment without pip or this clone, that imports the current
    environment's packages (the tool's dependencies and pip) after its own."""
    venv.create(path, with_pip=False)
    python = path / "bin" / "python"
    purelib = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], path).strip()
    )
    outer = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    (purelib / "_outer_site.pth").write_text(
        "".join(f"{p}\n" for p in outer if Path(p).is_dir()), encoding="utf-8"
    )
    return python


def test_wheel_ships_templates_and_builds_from_another_directory(tmp_path: Path) -> None:
    src = _copy_source(tmp_path / "src")
    dist = tmp_path / "dist"
    # build isolation, as `pip install .` does: the build backend comes from the package index
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--disable-pip-version-check",
            "-w",
            str(dist),
            str(src),
        ],
        tmp_path,
    )
    (wheel,) = dist.glob("edition-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {
        f"edition/templates/{p.relative_to(REPO / 'templates').as_posix()}"
        for p in (REPO / "templates").rglob("*")
        if p.is_file()
    }
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "edition").rglob("*.py")}
    assert "edition/templates/static/style.css" in templates
    assert templates - names == set(), "templates missing from the wheel"
    assert modules - names == set(), "modules missing from the wheel (list the package in pyproject.toml)"

    python = _fresh_venv(tmp_path / "venv")
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            "--disable-pip-version-check",
            str(wheel),
        ],
        tmp_path,
    )
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(REPO / "content", elsewhere / "my-edition")
    where = _run(
        [str(python), "-c", "import edition.config as c; print(c.__file__); print(c.PACKAGE_TEMPLATES)"],
        elsewhere,
    ).split()
    assert all(Path(p).is_relative_to(tmp_path / "venv") for p in where), where

    _run([str(tmp_path / "venv" / "bin" / "edition"), "build", "my-edition", "-o", "public", "-q"], elsewhere)
    public = elsewhere / "public"
    sources = [p.stem for p in (elsewhere / "my-edition").iterdir() if p.suffix in (".txt", ".md")]
    assert (public / "index.html").is_file() and (public / "assets" / "style.css").is_file()
    assert sorted(p.stem for p in (public / "tei").glob("*.xml")) == sorted(sources)
    assert (public / "pagefind" / "pagefind.js").is_file()
    assert (public / "links.json").is_file()
