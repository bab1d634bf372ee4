"""TemplateFolder: loading by name, caching, reload on change, safe names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kali.errors import ConfigurationError
from kali.templating import (
    Template,
    TemplateFolder,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)


@pytest.fixture
def folder(tmp_path: Path) -> TemplateFolder:
    (tmp_path / "page.html").write_text("<h1>{title}</h1>\n", "utf-8")
    (tmp_path / "layout.html").write_text("<main>{block body}{end}</main>", "utf-8")
    (tmp_path / "child.html").write_text(
        '{extends "layout"}{block body}{include "parts/part"}{end}', "utf-8"
    )
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "part.html").write_text("part {x}", "utf-8")
    return TemplateFolder(tmp_path)


def touch(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime forward, whatever the filesystem's resolution."""
    stat = path.stat()
    path.write_text(text, "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_loads_name_with_extension(folder: TemplateFolder) -> None:
    template = folder("page")
    assert isinstance(template, Template)
    assert template.render_str(title="<T>") == "<h1>&lt;T&gt;</h1>\n"
    assert template.name == "page.html"


def test_name_with_extension_also_works(folder: TemplateFolder) -> None:
    assert folder("page.html").render_str(title="x") == "<h1>x</h1>\n"


def test_subdirectories_and_composition(folder: TemplateFolder) -> None:
    assert folder("child").render_str(x=1) == "<main>part 1</main>"


def test_configurable_extension(tmp_path: Path) -> None:
    (tmp_path / "mail.txt").write_text("Hi {name}", "utf-8")
    assert TemplateFolder(tmp_path, extension=".txt")("mail").render_str(name="A") == "Hi A"


def test_compiled_template_is_cached(folder: TemplateFolder) -> None:
    assert folder("page") is folder("page")


def test_without_auto_reload_changes_are_ignored(folder: TemplateFolder) -> None:
    first = folder("page")
    touch(folder.path / "page.html", "<h2>{title}</h2>")
    assert folder("page") is first


def test_auto_reload_recompiles_when_the_file_changes(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("v1 {x}", "utf-8")
    folder = TemplateFolder(tmp_path, auto_reload=True)
    first = folder("page")
    assert first.render_str(x=1) == "v1 1"
    assert folder("page") is first  # unchanged: still cached
    touch(tmp_path / "page.html", "v2 {x}")
    second = folder("page")
    assert second is not first
    assert second.render_str(x=1) == "v2 1"


def test_auto_reload_follows_layouts_and_partials(folder: TemplateFolder) -> None:
    folder.auto_reload = True
    assert folder("child").render_str(x=1) == "<main>part 1</main>"
    touch(folder.path / "parts" / "part.html", "PART {x}")
    assert folder("child").render_str(x=1) == "<main>PART 1</main>"
    touch(folder.path / "layout.html", "<div>{block body}{end}</div>")
    assert folder("child").render_str(x=1) == "<div>PART 1</div>"


def test_auto_reload_reports_new_syntax_errors(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("ok", "utf-8")
    folder = TemplateFolder(tmp_path, auto_reload=True)
    folder("page")
    touch(tmp_path / "page.html", "ok\n{for}")
    with pytest.raises(TemplateSyntaxError) as info:
        folder("page")
    assert (info.value.name, info.value.line) == ("page.html", 2)


def test_deleted_file_is_not_found_after_reload(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("ok", "utf-8")
    folder = TemplateFolder(tmp_path, auto_reload=True)
    folder("page")
    (tmp_path / "page.html").unlink()
    with pytest.raises(TemplateNotFound):
        folder("page")


def test_missing_template(folder: TemplateFolder) -> None:
    with pytest.raises(TemplateNotFound, match="'nope'"):
        folder("nope")
    with pytest.raises(LookupError):
        folder("nope")


def test_a_directory_is_not_a_template(folder: TemplateFolder) -> None:
    folder.extension = ""
    with pytest.raises(TemplateNotFound):
        folder("parts")


@pytest.mark.parametrize(
    "name",
    [
        "../secret",
        "parts/../../secret",
        "/etc/passwd",
        "C:/windows",
        "parts\\part",
        "",
        "a//b",
        "./page",
        "nul\0byte",
    ],
)
def test_unsafe_names_are_refused(folder: TemplateFolder, name: str) -> None:
    with pytest.raises(TemplateNotFound):
        folder(name)


def test_unsafe_include_names_are_refused(folder: TemplateFolder) -> None:
    with pytest.raises(TemplateSyntaxError, match=r"cannot include '\.\./x'"):
        folder.from_string('{include "../x"}')


def test_from_string_uses_the_folder(folder: TemplateFolder) -> None:
    template = folder.from_string('{extends "layout"}{block body}inline{end}')
    assert template.render_str() == "<main>inline</main>"


def test_folder_formatters(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text("{x:twice}", "utf-8")
    folder = TemplateFolder(tmp_path)

    @folder.formatter("twice")
    def twice(value: object) -> str:
        return f"{value}{value}"

    assert folder("p").render_str(x="<") == "&lt;&lt;"


def test_registering_a_formatter_drops_compiled_templates(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text("{x:num}", "utf-8")
    folder = TemplateFolder(tmp_path)
    first = folder("p")
    folder.formatters.add("num", lambda v: "N")
    assert folder("p") is not first
    assert folder("p").render_str(x=1) == "N"


def test_lenient_folder(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text("[{missing}]", "utf-8")
    assert TemplateFolder(tmp_path, strict=False)("p").render_str() == "[]"
    with pytest.raises(UndefinedError):
        TemplateFolder(tmp_path)("p")()


def test_clear_and_repr(folder: TemplateFolder) -> None:
    first = folder("page")
    folder.clear()
    assert folder("page") is not first
    assert "TemplateFolder(" in repr(folder)
    assert repr(first) == "<Template 'page.html'>"


def test_a_missing_folder_is_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError) as raised:
        TemplateFolder("templates")
    message = str(raised.value)
    assert f"the folder {tmp_path / 'templates'} does not exist" in message
    assert "relative to the working directory" in message
    assert "TemplateFolder(Path(__file__).parent / 'templates')" in message
    (tmp_path / "page.html").write_text("x")
    with pytest.raises(ConfigurationError, match=r"page\.html is not a directory$"):
        TemplateFolder(tmp_path / "page.html")
