"""Lexer: template source → tokens carrying their line and column.

A tag opens with `{` immediately followed by a letter, `_`, `#` (comment) or `.` and a
letter (`{.raw}`). Any other `{` is literal text, so CSS and JavaScript with a space after the
brace pass through untouched. `{{` and `}}` are literal braces. Inside a tag, brackets and
string literals are skipped over, so `{row['}']}` and `{f({'a': 1})}` are one tag each.

After tokenizing, a line that holds nothing but block tags (`{for}`, `{if}`, `{else}`,
`{end}`, `{block}`, `{extends}`, `{include}`...) and comments, apart from whitespace,
is removed with its newline, so block tags on their own line leave no blank line behind.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .errors import TemplateSyntaxError

__all__ = ["BLOCK_KEYWORDS", "Token", "tokenize"]

BLOCK_KEYWORDS = ("for", "if", "elif", "else", "end", "block", "extends", "include")
"""Words that open a block tag when followed by a space (`else` and `end` stand alone)."""
_ALONE = ("else", "end")

_START = re.compile(r"\{\{|\}\}|\{(?=[A-Za-z_#]|\.[A-Za-z_])")
_BLOCK = re.compile(
    rf"(?:{'|'.join(w for w in BLOCK_KEYWORDS if w not in _ALONE)})\s|(?:{'|'.join(_ALONE)})\s*\Z"
)
_CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(slots=True)
class Token:
    """One piece of a template.

    `kind` is `"text"` (`value` is the literal text, braces already unescaped), `"tag"`
    (an output tag; `value` is what is between the braces), `"block"` (a block tag) or
    `"comment"`. `line`/`col` are 1-based and locate the first character (the `{` of a
    tag). `colon` is the index in `value` of the first `:` outside brackets and strings,
    or -1: it separates an output tag's expression from its formatter.
    """

    kind: str
    value: str
    line: int
    col: int
    end_line: int
    colon: int = -1


class _Source:
    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def fail(self, message: str, index: int) -> TemplateSyntaxError:
        line, col = self.where(index)
        return TemplateSyntaxError(message, self.name, line, col, self.line_text(line))


def _scan_tag(src: _Source, start: int) -> tuple[int, int]:
    """Find the `}` closing the tag whose `{` is at `start`; return (its index, colon)."""
    text = src.text
    stack: list[str] = []
    colon = -1
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "}" and not stack:
            return i, colon
        if c == "\n":
            break
        if c in "([{":
            stack.append(c)
        elif c in ")]}":
            if stack and stack[-1] == _CLOSERS[c]:
                stack.pop()
        elif c == "'" or c == '"':
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            if j >= n or text[j] != c:
                raise src.fail("unterminated string in tag", i)
            i = j
        elif c == ":" and not stack and colon < 0:
            colon = i - start - 1
        i += 1
    raise src.fail(
        "unclosed tag: a tag must end with '}' on the line where it starts "
        "(to write a literal brace use '{{', or put a space after it)",
        start,
    )


def tokenize(text: str, name: str = "<string>") -> list[Token]:
    """Split `text` into tokens; raise [`TemplateSyntaxError`][kali.templating.TemplateSyntaxError]
    on an unclosed tag."""
    src = _Source(text, name)
    tokens: list[Token] = []
    pending: list[str] = []
    pending_at = 0
    pos = 0

    def flush(upto: int) -> None:
        if pending:
            line, col = src.where(pending_at)
            end_line, _ = src.where(upto)
            tokens.append(Token("text", "".join(pending), line, col, end_line))
            pending.clear()

    search = _START.search
    # A search from the end of each token (not one finditer over the whole text): a '}}'
    # right after a tag or a comment is then seen as the escape it is.
    while (m := search(text, pos)) is not None:
        begin = m.start()
        if begin > pos:
            if not pending:
                pending_at = pos
            pending.append(text[pos:begin])
        opener = m.group()
        if opener in ("{{", "}}"):
            if not pending:
                pending_at = begin
            pending.append(opener[0])
            pos = m.end()
            continue
        flush(begin)
        line, col = src.where(begin)
        if text.startswith("{#", begin):
            end = text.find("#}", begin + 2)
            if end < 0:
                raise src.fail("unclosed comment: '{#' without '#}'", begin)
            end_line, _ = src.where(end)
            tokens.append(Token("comment", text[begin + 2 : end], line, col, end_line))
            pos = end + 2
            continue
        end, colon = _scan_tag(src, begin)
        body = text[begin + 1 : end]
        kind = "block" if _BLOCK.match(body) else "tag"
        tokens.append(Token(kind, body, line, col, line, colon))
        pos = end + 1
    if pos < len(text):
        if not pending:
            pending_at = pos
        pending.append(text[pos:])
    flush(len(text))
    _strip_standalone(tokens)
    return [t for t in tokens if t.kind != "text" or t.value]


def _is_blank(token: Token) -> bool:
    return token.kind == "text" and not token.value.strip(" \t\r") and "\n" not in token.value


def _strip_standalone(tokens: list[Token]) -> None:
    """Remove the whitespace and newline around block tags that stand alone on their line."""
    n = len(tokens)
    cut_left: set[int] = set()  # text tokens losing what follows their last newline
    cut_right: set[int] = set()  # text tokens losing up to and including their first newline
    blank: set[int] = set()  # whitespace between tags on the same line
    i = 0
    while i < n:
        if tokens[i].kind not in ("block", "comment"):
            i += 1
            continue
        # A run of block tags and comments separated by blanks only.
        j = i
        inner: list[int] = []
        while j + 1 < n:
            if tokens[j + 1].kind in ("block", "comment"):
                j += 1
            elif (
                _is_blank(tokens[j + 1])
                and j + 2 < n
                and tokens[j + 2].kind
                in (
                    "block",
                    "comment",
                )
            ):
                inner.append(j + 1)
                j += 2
            else:
                break
        left = tokens[i - 1] if i > 0 else None
        right = tokens[j + 1] if j + 1 < n else None
        if left is None:
            left_ok = True
        elif left.kind != "text":
            left_ok = False
        else:
            tail = left.value.rpartition("\n")
            left_ok = not tail[2].strip(" \t\r") and (bool(tail[1]) or i - 1 == 0)
        if right is None:
            right_ok = True
        elif right.kind != "text":
            right_ok = False
        else:
            head = right.value.partition("\n")
            right_ok = not head[0].strip(" \t\r") and (bool(head[1]) or j + 1 == n - 1)
        if left_ok and right_ok:
            if left is not None:
                cut_left.add(i - 1)
            if right is not None:
                cut_right.add(j + 1)
            blank.update(inner)
        i = j + 1
    for k in blank:
        tokens[k].value = ""
    for k in cut_left | cut_right:
        value = tokens[k].value
        start = value.find("\n") + 1 if k in cut_right else 0
        end = value.rfind("\n") + 1 if k in cut_left else len(value)
        if k in cut_right and "\n" not in value:
            start = len(value)
        if k in cut_left and "\n" not in value:
            end = 0
        if k in cut_right and start:
            tokens[k].line += 1
            tokens[k].col = 1
        tokens[k].value = value[start : max(start, end)]
