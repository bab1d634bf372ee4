"""The App API and the route plugin under ``mypy --strict``: correct snippets pass,
misuse fails with the expected message. Each ``# E: text`` comment in
``snippets/bad_*.py`` says that mypy must report an error containing ``text`` on
that line, and every error must be expected; ``# N: text`` asks for a note (after
the error's comment: ``# E: ...  # N: ...``). mypy runs once (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, SNIPPETS, Run, docs_example


def expectations(path: Path, marker: str = "# E: ") -> dict[int, str]:
    """``{line: text}`` for each comment ``# E: text`` (an error) or ``# N: text`` (a note)."""
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            expected[number] = line.split(marker, 1)[1].split("  # ", 1)[0].strip()
    return expected


@pytest.mark.parametrize("name", sorted(p.name for p in SNIPPETS.glob("ok_*.py")))
def test_correct_code_passes(name: str, mypy_run: Run) -> None:
    assert mypy_run.errors_in(name) == {}


@pytest.mark.parametrize("name", sorted(p.name for p in SNIPPETS.glob("bad_*.py")))
def test_misuse_fails_as_expected(name: str, mypy_run: Run) -> None:
    expected = expectations(SNIPPETS / name)
    assert expected, "a bad_ snippet needs # E: comments"
    mine = mypy_run.errors_in(name)
    for line, text in expected.items():
        assert any(text in message for message in mine.get(line, [])), (line, text, mine)
    unexpected = {line: msgs for line, msgs in mine.items() if line not in expected}
    assert unexpected == {}
    for line, text in expectations(SNIPPETS / name, "# N: ").items():
        notes = [n.text for n in mypy_run.at(name, line, "note")]
        assert any(text in note for note in notes), (line, text, notes)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_examples_pass_with_the_plugin(name: str, mypy_run: Run) -> None:
    assert [m for m in mypy_run.messages if m.file == name] == []


def test_every_plugin_error_has_a_fix(mypy_run: Run) -> None:
    for message in mypy_run.messages:
        if message.code in ("kali-route", "kali-url") and message.severity == "error":
            notes = mypy_run.at(message.file, message.line, "note")
            assert any(n.text.startswith("fix: ") for n in notes), message


def test_docs_show_the_plugins_output(mypy_run: Run) -> None:
    # docs/routing.md shows a mistake and what mypy says: the output must be the real one.
    _program, shown = docs_example()
    assert shown, "the docs show no output"
    actual = [
        line.split("/")[-1] for line in mypy_run.stdout.splitlines() if "/docs/app.py:" in line
    ]
    assert actual == shown


def test_docs_say_mypy_checks_only_the_verb_methods_of_resources() -> None:
    # bad_handlers.py has an action (get_edit) with a wrong signature and no # E: comment:
    # mypy does not flag it, and the routing docs must not claim otherwise.
    text = " ".join((ROOT / "docs" / "routing.md").read_text().split())
    assert "lets mypy check each method" not in text
    assert "Actions such as `get_edit` are not checked by mypy" in text
