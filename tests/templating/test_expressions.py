"""Expressions inside tags: a safe subset of Python, parsed with ast."""

from __future__ import annotations

import pytest

from kali.templating import Template, TemplateSyntaxError


def render(text: str, **context: object) -> str:
    return Template(text).render_str(**context)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a + b", "5"),
        ("a * b - 1", "5"),
        ("b / a", "1.5"),
        ("b // a", "1"),
        ("b % a", "1"),
        ("str(-a)", "-2"),
        ("a < b", "True"),
        ("a == 2 and b == 3", "True"),
        ("a > b or b > a", "True"),
        ("not a", "False"),
        ("a > 1 >= a - 1", "True"),
        ("a in [1, 2]", "True"),
        ("a not in (1, 2)", "False"),
        ("a is None", "False"),
        ("a and 'yes' if a else 'no'", "yes"),
        ("len(xs)", "3"),
        ("max(xs)", "3"),
        ("sum(xs)", "6"),
        ("sorted(xs, reverse=True)[0]", "3"),
        ("xs[1:][0]", "2"),
        ("xs[::-1][0]", "3"),
        ("dict(k=a)['k']", "2"),
        ("str(a) + 'x'", "2x"),
        ("f(a, b=b)", "2-3"),
        ("d.get('missing', 'default')", "default"),
        ("None", ""),
        ("True", "True"),
        ("float(1.5e3)", "1500.0"),
    ],
)
def test_expressions(expression: str, expected: str) -> None:
    out = render(
        "{" + expression + "}",
        a=2,
        b=3,
        xs=[1, 2, 3],
        f=lambda x, b: f"{x}-{b}",
        d={},
    )
    assert out == expected


def test_context_names_shadow_safe_builtins() -> None:
    assert render("{len}", len="mine") == "mine"


def test_builtins_outside_the_safe_list_are_undefined() -> None:
    from kali.templating import UndefinedError

    with pytest.raises(UndefinedError, match="'open'"):
        Template("{open('x')}")()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{x._secret}", "attributes starting with '_'"),
        ("{x.__class__}", "attributes starting with '_'"),
        ("{_x}", "names starting with '_'"),
        ("{len([a for a in b])}", "a comprehension is not allowed"),
        ("{f(a := 1)}", "':=' is not allowed"),
        ("{f(*a)}", r"'\*' unpacking is not allowed"),
        ("{f(**a)}", r"'\*\*' unpacking is not allowed"),
        ("{a ** b}", r"'\*\*' is not allowed"),
        ("{f'x'}", "an f-string is not allowed"),
        ("{x.}", "invalid expression"),
        ("{a b}", "invalid expression"),
        ("{greeting.format(user)}", "attribute 'format' is not allowed"),
        ('{str.format("{0.display.__globals__}", user)}', "attribute 'format' is not allowed"),
        ("{s.format_map(d)}", "attribute 'format_map' is not allowed"),
        ("{if s.format(1)}{end}", "attribute 'format' is not allowed"),
        ("{for a in s.format_map(d)}{end}", "attribute 'format_map' is not allowed"),
    ],
)
def test_unsafe_or_invalid_expressions_are_compile_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        Template(text)


def test_error_column_points_into_the_expression() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        Template("ab {x.y._z}")
    assert info.value.line == 1
    assert info.value.column == 5


class _User:
    name = "Ann"

    def display(self) -> str:
        return self.name


SECRET_KEY = "s3cr3t"


def test_str_format_cannot_reach_attributes_or_globals() -> None:
    # str.format follows '{0.attr}' in its text, past the '_' rule: refused at compile time,
    # with the column of the attribute and a pointer to specs and formatters.
    with pytest.raises(TemplateSyntaxError) as info:
        Template('{str.format("{0.display.__globals__[SECRET_KEY]}", user)}')
    assert info.value.column == 6
    assert "{x:.2f}" in info.value.message and "{x:num}" in info.value.message
    with pytest.raises(TemplateSyntaxError, match="'format'"):
        Template("{greeting.format(user)}")


def test_no_safe_builtin_reads_attributes_by_name() -> None:
    from kali.templating.runtime import SAFE_BUILTINS

    assert not {"getattr", "vars", "type", "format", "eval", "exec", "open"} & set(SAFE_BUILTINS)
