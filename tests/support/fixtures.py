"""Case files in markdown-it-py's fixture format: a title line, then ``.``,
the input, ``.``, the expected output, ``.`` (see tests/fixtures/*/*.txt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    title: str
    line: int
    input: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.line}-{self.title}"


def read_fixture_file(path: Path) -> list[Case]:
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    i = 0
    while i < len(lines):
        if lines[i] == "." and i > 0 and lines[i - 1].strip():
            title, start = lines[i - 1].strip(), i
            j = i + 1
            inp: list[str] = []
            while lines[j] != ".":
                inp.append(lines[j])
                j += 1
            k = j + 1
            exp: list[str] = []
            while lines[k] != ".":
                exp.append(lines[k])
                k += 1
            cases.append(Case(title, start, "\n".join(inp) + "\n", "\n".join(exp) + "\n"))
            i = k + 1
        else:
            i += 1
    return cases
