"""The App API under ``mypy --strict``: correct snippets pass, misuse fails with
the expected message. Each ``# E: text`` comment in ``snippets/bad_*.py`` says that
mypy must report an error containing ``text`` on that line, and every error must be
expected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

HERE = Path(__file__).parent / "snippets"
ROOT = Path(__file__).resolve().parents[2]
_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], list[str]]:
    cache = tmp_path_factory.mktemp("mypy-cache")
    files = sorted(str(p) for p in HERE.glob("*.py"))
    stdout, stderr, _status = mypy_api.run(
        [
            "--strict",
            "--no-error-summary",
            "--show-absolute-path",
            "--hide-error-context",
            "--cache-dir",
            str(cache),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *files,
        ]
    )
    assert not stderr, stderr
    found: dict[tuple[str, int], list[str]] = {}
    for line in stdout.splitlines():
        match = _ERROR.match(line)
        if match:
            key = (Path(match["file"]).name, int(match["line"]))
            found.setdefault(key, []).append(match["message"])
    return found


def expectations(path: Path) -> dict[int, str]:
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "# E: " in line:
            expected[number] = line.split("# E: ", 1)[1].strip()
    return expected


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("ok_*.py")))
def test_correct_code_passes(name: str, errors: dict[tuple[str, int], list[str]]) -> None:
    mine = {key: value for key, value in errors.items() if key[0] == name}
    assert mine == {}


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("bad_*.py")))
def test_misuse_fails_as_expected(name: str, errors: dict[tuple[str, int], list[str]]) -> None:
    expected = expectations(HERE / name)
    assert expected, "a bad_ snippet needs # E: comments"
    mine = {line: messages for (file, line), messages in errors.items() if file == name}
    for line, text in expected.items():
        assert any(text in message for message in mine.get(line, [])), (line, text, mine)
    unexpected = {line: msgs for line, msgs in mine.items() if line not in expected}
    assert unexpected == {}


def test_docs_say_mypy_checks_only_the_verb_methods_of_resources() -> None:
    # bad_handlers.py has an action (get_edit) with a wrong signature and no # E: comment:
    # mypy does not flag it, and the routing docs must not claim otherwise.
    text = " ".join((ROOT / "docs" / "routing.md").read_text().split())
    assert "lets mypy check each method" not in text
    assert "Actions such as `get_edit` are not checked by mypy" in text
