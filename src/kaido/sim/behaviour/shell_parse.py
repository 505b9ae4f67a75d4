"""Parsing for the tiny shell: POSIX-ish words, quotes, operators and compound commands into a small AST.

What container commands use: `;`, newlines, `&&`, `||`, `|`, `&` (run in sequence), `!`, `( ... )`,
`{ ...; }`, `if/elif/else/fi`, `while`/`until ... do ... done`, `for NAME in WORDS; do ... done`,
assignments, redirections (`>`, `>>`, `<`, `2>&1`, `&>`), comments, single and double quotes and
backslashes. Expansions (`$VAR`, `${VAR}`, `$?`, `$(...)`, `$((...))`) stay in the words as text and
are done at run time. A syntax error is a `ShellSyntaxError` with busybox's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AndOr",
    "ForLoop",
    "Group",
    "IfElse",
    "Loop",
    "Node",
    "Part",
    "Pipeline",
    "Redirect",
    "Seq",
    "ShellSyntaxError",
    "Simple",
    "Word",
    "parse",
]


class ShellSyntaxError(Exception):
    """The script does not parse; the message is what busybox `sh` prints after "sh: "."""


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    quote: str  # "" (unquoted), "'" or '"'


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]

    @property
    def literal(self) -> str | None:
        """The text of an unquoted word without expansions (keywords, names), else None."""
        if len(self.parts) == 1 and not self.parts[0].quote and "$" not in self.parts[0].text:
            return self.parts[0].text
        return None


@dataclass(frozen=True, slots=True)
class Redirect:
    fd: int
    op: str  # ">", ">>", "<" or ">&" (duplicate `dup`)
    target: Word | None = None
    dup: int = 1


@dataclass(frozen=True, slots=True)
class Simple:
    assigns: tuple[tuple[str, Word], ...]
    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...] = ()


@dataclass(frozen=True, slots=True)
class Pipeline:
    commands: tuple[Node, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class AndOr:
    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Loop:
    cond: Seq
    body: Seq
    until: bool = False


@dataclass(frozen=True, slots=True)
class ForLoop:
    var: str
    words: tuple[Word, ...]
    body: Seq


@dataclass(frozen=True, slots=True)
class IfElse:
    branches: tuple[tuple[Seq, Seq], ...]
    orelse: Seq | None


@dataclass(frozen=True, slots=True)
class Group:
    body: Seq
    subshell: bool


Node = Simple | Pipeline | AndOr | Seq | Loop | ForLoop | IfElse | Group

_OPERATORS: Final = ("&&", "||", ";;", ";", "&", "|", "(", ")", "\n")
_TERMINATORS: Final = frozenset({"then", "do", "done", "fi", "else", "elif", "}"})
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class _Token:
    op: str = ""  # an operator or redirection; "" for a word
    word: Word | None = None


def _balanced(text: str, start: int) -> int:
    """Index just past the `)` closing the `(` at `start` (for `$(...)` and `$((...))`)."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif text[i] == "'":
            i = text.find("'", i + 1)
            if i < 0:
                break
        i += 1
    raise ShellSyntaxError("syntax error: unterminated $(...)")


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[_Token] = []
        self.parts: list[Part] = []
        self.plain: list[str] = []

    def end_word(self) -> None:
        self._flush()
        if self.parts:
            self.tokens.append(_Token(word=Word(tuple(self.parts))))
            self.parts = []

    def _flush(self) -> None:
        if self.plain:
            self.parts.append(Part("".join(self.plain), ""))
            self.plain = []

    def run(self) -> list[_Token]:
        text, i = self.text, 0
        while i < len(text):
            i = self._step(text, i)
        self.end_word()
        return self.tokens

    def _step(self, text: str, i: int) -> int:
        char = text[i]
        if char in " \t\r":
            self.end_word()
            return i + 1
        if char == "#" and not self.parts and not self.plain:
            end = text.find("\n", i)
            return len(text) if end < 0 else end
        if char == "\\":
            if text[i + 1 : i + 2] != "\n":
                self.plain.append(text[i + 1 : i + 2])
            return i + 2
        if char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("syntax error: unterminated quoted string")
            self._flush()
            self.parts.append(Part(text[i + 1 : end], "'"))
            return end + 1
        if char == '"':
            return self._double(text, i)
        if char == "$" and text[i + 1 : i + 2] in ("(", "{"):
            end = _balanced(text, i + 1) if text[i + 1] == "(" else text.find("}", i) + 1
            if end <= 0:
                raise ShellSyntaxError("syntax error: bad substitution")
            self.plain.append(text[i:end])
            return end
        if char in "<>" or (char == "&" and text[i + 1 : i + 2] == ">"):
            return self._redirect(text, i)
        for op in _OPERATORS:
            if text.startswith(op, i):
                self.end_word()
                self.tokens.append(_Token(op=op))
                return i + len(op)
        self.plain.append(char)
        return i + 1

    def _double(self, text: str, i: int) -> int:
        out, j = [], i + 1
        while j < len(text) and text[j] != '"':
            if text[j] == "\\" and text[j + 1 : j + 2] in ('"', "\\", "$", "`"):
                out.append(text[j + 1] if text[j + 1] != "$" else "\\$")
                j += 2
            elif text.startswith("$(", j):
                end = _balanced(text, j + 1)
                out.append(text[j:end])
                j = end
            else:
                out.append(text[j])
                j += 1
        if j >= len(text):
            raise ShellSyntaxError("syntax error: unterminated quoted string")
        self._flush()
        self.parts.append(Part("".join(out), '"'))
        return j + 1

    def _redirect(self, text: str, i: int) -> int:
        fd_text = "".join(self.plain)
        fd: int | None = None
        if not self.parts and fd_text in ("0", "1", "2"):
            fd, self.plain = int(fd_text), []
        else:
            self.end_word()
        if text.startswith("&>", i):
            self.tokens.append(_Token(op="&>"))
            return i + 2
        op = ">>" if text.startswith(">>", i) else text[i]
        j = i + len(op)
        if op == ">" and text[j : j + 1] == "&" and text[j + 1 : j + 2].isdigit():
            self.tokens.append(_Token(op=f"{1 if fd is None else fd}>&{text[j + 1]}"))
            return j + 2
        default = 0 if op == "<" else 1
        self.tokens.append(_Token(op=f"{default if fd is None else fd}{op}"))
        return j


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def keyword(self) -> str | None:
        token = self.peek()
        return token.word.literal if token is not None and token.word is not None else None

    def describe(self) -> str | None:
        """The current token as an error message names it."""
        token = self.peek()
        if token is None:
            return None
        return token.word.literal if token.word is not None else token.op

    def expect(self, keyword: str) -> None:
        self.skip_newlines()
        if self.keyword() != keyword:
            found = self.describe()
            raise ShellSyntaxError(
                f'syntax error: unexpected "{found}" (expecting "{keyword}")'
                if found
                else f'syntax error: unexpected end of file (expecting "{keyword}")'
            )
        self.pos += 1

    def skip_newlines(self) -> None:
        while (token := self.peek()) is not None and token.op in ("\n", ";"):
            self.pos += 1

    def sequence(self, *, top: bool = False) -> Seq:
        items: list[Node] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token is None or token.op == ")" or self.keyword() in _TERMINATORS:
                break
            items.append(self.and_or())
            token = self.peek()
            if token is not None and token.op in (";", "\n", "&"):
                self.pos += 1
        if top and self.peek() is not None:
            raise ShellSyntaxError(f'syntax error: unexpected "{self.describe()}"')
        return Seq(tuple(items))

    def and_or(self) -> Node:
        first = self.pipeline()
        rest: list[tuple[str, Node]] = []
        while (token := self.peek()) is not None and token.op in ("&&", "||"):
            self.pos += 1
            while (nl := self.peek()) is not None and nl.op == "\n":
                self.pos += 1
            rest.append((token.op, self.pipeline()))
        return AndOr(first, tuple(rest)) if rest else first

    def pipeline(self) -> Node:
        negate = self.keyword() == "!"
        if negate:
            self.pos += 1
        commands = [self.command()]
        while (token := self.peek()) is not None and token.op == "|":
            self.pos += 1
            commands.append(self.command())
        return Pipeline(tuple(commands), negate) if negate or len(commands) > 1 else commands[0]

    def command(self) -> Node:
        token = self.peek()
        if token is None:
            raise ShellSyntaxError("syntax error: unexpected end of file")
        if token.op == "(":
            self.pos += 1
            body = self.sequence()
            if (close := self.peek()) is None or close.op != ")":
                raise ShellSyntaxError('syntax error: unexpected end of file (expecting ")")')
            self.pos += 1
            return Group(body, subshell=True)
        if token.op:
            raise ShellSyntaxError(f'syntax error: unexpected "{token.op}"')
        keyword = self.keyword()
        if keyword in ("while", "until"):
            self.pos += 1
            cond = self.sequence()
            self.expect("do")
            body = self.sequence()
            self.expect("done")
            return Loop(cond, body, until=keyword == "until")
        if keyword == "for":
            return self.for_loop()
        if keyword == "if":
            return self.if_else()
        if keyword == "{":
            self.pos += 1
            body = self.sequence()
            self.expect("}")
            return Group(body, subshell=False)
        return self.simple()

    def for_loop(self) -> ForLoop:
        self.pos += 1
        name = self.keyword()
        if name is None or not _NAME.match(name):
            raise ShellSyntaxError(f'syntax error: bad for loop variable "{name}"')
        self.pos += 1
        words: list[Word] = []
        if self.keyword() == "in":
            self.pos += 1
            while (token := self.peek()) is not None and token.word is not None:
                words.append(token.word)
                self.pos += 1
        self.expect("do")
        body = self.sequence()
        self.expect("done")
        return ForLoop(name, tuple(words), body)

    def if_else(self) -> IfElse:
        self.pos += 1
        branches = []
        orelse = None
        while True:
            cond = self.sequence()
            self.expect("then")
            branches.append((cond, self.sequence()))
            keyword = self.keyword()
            self.pos += 1
            if keyword == "elif":
                continue
            if keyword == "else":
                orelse = self.sequence()
                self.expect("fi")
            elif keyword != "fi":
                raise ShellSyntaxError('syntax error: unexpected end of file (expecting "fi")')
            return IfElse(tuple(branches), orelse)

    def simple(self) -> Simple:
        assigns: list[tuple[str, Word]] = []
        words: list[Word] = []
        redirects: list[Redirect] = []
        while (token := self.peek()) is not None:
            if token.word is not None:
                first = token.word.parts[0]
                if not words and not first.quote and _ASSIGNMENT.match(first.text):
                    name, _, value = first.text.partition("=")
                    assigns.append((name, Word((Part(value, ""), *token.word.parts[1:]))))
                elif words or token.word.literal not in _TERMINATORS:
                    words.append(token.word)
                else:
                    break
                self.pos += 1
            elif (token.op and token.op[-1] in "<>") or ">&" in token.op:
                redirects.append(self.redirect(token.op))
            else:
                break
        return Simple(tuple(assigns), tuple(words), tuple(redirects))

    def redirect(self, op: str) -> Redirect:
        self.pos += 1
        if ">&" in op:
            return Redirect(int(op[0]), ">&", dup=int(op[-1]))
        target = self.peek()
        if target is None or target.word is None:
            raise ShellSyntaxError("syntax error: unexpected newline")
        self.pos += 1
        if op == "&>":
            return Redirect(-1, ">", target.word)
        return Redirect(int(op[0]), op[1:], target.word)


def parse(text: str) -> Seq:
    """Parse a script; raise ShellSyntaxError for what busybox `sh` would reject."""
    return _Parser(_Lexer(text).run()).sequence(top=True)
