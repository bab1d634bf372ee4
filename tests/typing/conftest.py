"""One mypy run (with the kali plugin, as pyproject.toml configures it) for every typing test.

mypy is run once per session, through its API, over the snippets, the
examples, the shared route table and the routing docs' example; each test
reads the messages it is about. ``KALI_MYPY_DEBUG=1`` makes the plugin raise
instead of giving up quietly, so an internal error fails the tests.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import route_table

mypy_api = pytest.importorskip("mypy.api")

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SNIPPETS = HERE / "snippets"
DOCS = ROOT / "docs" / "routing.md"
_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): (?P<severity>error|note): (?P<text>.*?)"
    r"(?:  \[(?P<code>[a-z-]+)\])?$"
)


@dataclass(frozen=True)
class Message:
    """One line of mypy's output."""

    file: str  # the file's name, without its directory
    line: int
    severity: str  # "error" or "note"
    text: str
    code: str | None


@dataclass
class Run:
    """mypy's output, and where the table's cases were declared."""

    stdout: str
    messages: list[Message]
    table_lines: dict[int, int]

    def at(self, file: str, line: int, severity: str = "error") -> list[Message]:
        return [m for m in self.messages if (m.file, m.line, m.severity) == (file, line, severity)]

    def errors_in(self, file: str) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for m in self.messages:
            if m.file == file and m.severity == "error":
                found.setdefault(m.line, []).append(m.text)
        return found


def docs_example() -> tuple[str, list[str]]:
    """The program and the mypy output shown in docs/routing.md ("Checking routes with mypy")."""
    text = DOCS.read_text()
    section = text.split("## Checking routes with mypy", 1)[1].split("\n## ", 1)[0]
    program = section.split("```python\n", 1)[1].split("```", 1)[0]
    console = section.split("```console\n", 1)[1].split("```", 1)[0]
    output = [line for line in console.splitlines() if not line.startswith("$")]
    return program, output


def mypy_command(files: list[Path], cache: Path) -> list[str]:
    return [
        "--strict",
        "--no-error-summary",
        "--show-absolute-path",
        "--hide-error-context",
        "--show-error-codes",
        "--cache-dir",
        str(cache),
        "--config-file",
        str(ROOT / "pyproject.toml"),
        *map(str, files),
    ]


def parse(stdout: str) -> list[Message]:
    messages = []
    for line in stdout.splitlines():
        match = _LINE.match(line)
        if match:
            messages.append(
                Message(
                    Path(match["file"]).name,
                    int(match["line"]),
                    match["severity"],
                    match["text"],
                    match["code"],
                )
            )
    return messages


@pytest.fixture(scope="session")
def mypy_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    work = tmp_path_factory.mktemp("typing")
    table, lines = route_table.plugin_module()
    (work / "table").mkdir()
    (work / "table" / "route_table_cases.py").write_text(table)
    (work / "docs").mkdir()
    (work / "docs" / "app.py").write_text(docs_example()[0])
    files = [
        *sorted(SNIPPETS.glob("*.py")),
        *sorted((ROOT / "examples").glob("*.py")),
        work / "table" / "route_table_cases.py",
        work / "docs" / "app.py",
    ]
    previous = os.environ.get("KALI_MYPY_DEBUG")
    os.environ["KALI_MYPY_DEBUG"] = "1"
    try:
        stdout, stderr, _status = mypy_api.run(mypy_command(files, work / "cache"))
    finally:
        if previous is None:
            del os.environ["KALI_MYPY_DEBUG"]
        else:
            os.environ["KALI_MYPY_DEBUG"] = previous
    assert not stderr, stderr
    assert "INTERNAL ERROR" not in stdout, stdout
    return Run(stdout, parse(stdout), lines)
