"""A tiny shell that runs busybox-style container commands on virtual time.

`Machine` interprets the AST of `shell_parse` as a generator of timed events: printed lines, file
writes and removals, clock ticks, the start of a server and the exit. Only `sleep` takes time (and a
loop iteration that took none takes 10 ms, so `while true; do ...; done` cannot spin at one
instant). Builtins are in `shell_builtins`; expansions are `$VAR ${VAR} ${VAR:-x} $? $$ $# $@ $0-$9
$(...) $((...))`. Interpreters (`python`, `node`, ...) exit at once without a script (no stdin) and
serve forever with one; network tools fail (containers have no network in the simulator); any other
program is `sh: NAME: not found` with status 127, unless the image adds it (`extra`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Final

from kaido.sim.behaviour.model import Launch
from kaido.sim.behaviour.shell_builtins import BUILTINS, Buffer, Event, Run, ShellExit, arithmetic
from kaido.sim.behaviour.shell_parse import (
    AndOr,
    ForLoop,
    Group,
    IfElse,
    Loop,
    Node,
    Pipeline,
    Seq,
    ShellSyntaxError,
    Simple,
    Word,
    parse,
)

__all__ = ["Extra", "Machine"]

Extra = Callable[[Sequence[str]], tuple[int, str]]  # a program the image adds: args -> (status, output)

_MIN_ITERATION: Final = 0.01
_INTERPRETERS: Final = frozenset({"python", "python3", "node", "ruby", "java", "perl", "php", "dotnet", "uvicorn"})
_NETWORK: Final = frozenset({"wget", "curl", "nc", "nslookup", "ping", "telnet"})
_NOOPS: Final = frozenset({"true", ":", "wait", "trap", "cd", "kill", "mkdir", "chmod", "ulimit", "umask"})
_SPECIAL: Final = re.compile(r"\\\$|\$\(\(|\$\(|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[?$#@*0-9]")

_Sink = str | Buffer | None  # "log", a buffer, or None for /dev/null


class Machine:
    """One shell process: its environment, files, clock (seconds since start) and output."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        files: Mapping[str, str] | None = None,
        launch: Launch | None = None,
        extra: Mapping[str, Extra] | None = None,
        capture: Buffer | None = None,
    ) -> None:
        self.env = dict(env)
        self.files = dict(files or {})
        self.launch = launch
        self.extra = dict(extra or {})
        self.clock = 0.0
        self.status = 0
        self.errexit = False
        self.positional: list[str] = ["sh"]
        self._conditions = 0
        top: _Sink = capture if capture is not None else "log"
        self._sinks: list[dict[int, _Sink]] = [{1: top, 2: top}]

    def run_argv(self, argv: Sequence[str]) -> Iterator[Event]:
        try:
            status = yield from self.command(list(argv))
        except ShellExit as done:
            status = done.code
        yield Event(self.clock, "exit", code=status & 255)

    # ----- output --------------------------------------------------------------------------------

    def emit(self, fd: int, text: str) -> Iterator[Event]:
        sink = self._sinks[-1].get(fd, "log")
        if isinstance(sink, Buffer):
            sink.lines.extend(text.split("\n"))
        elif sink == "log":
            for line in text.split("\n"):
                yield Event(self.clock, "line", line)

    def write_file(self, path: str, content: str | None) -> Iterator[Event]:
        if content is None:
            self.files.pop(path, None)
        else:
            self.files[path] = content
        yield Event(self.clock, "file", text=content or "", path=path, gone=content is None)

    # ----- the AST ---------------------------------------------------------------------------------

    def _run(self, node: Node) -> Run:
        if isinstance(node, Seq):
            return (yield from self._sequence(node))
        if isinstance(node, Simple):
            return (yield from self._simple(node))
        if isinstance(node, AndOr):
            return (yield from self._and_or(node))
        if isinstance(node, Pipeline):
            status = 0
            for index, command in enumerate(node.commands):
                last = index == len(node.commands) - 1
                self._sinks.append({**self._sinks[-1], **({} if last else {1: None})})
                try:
                    status = yield from self._run(command)
                finally:
                    self._sinks.pop()
            return int(not status) if node.negate else status
        if isinstance(node, Loop):
            return (yield from self._loop(node))
        if isinstance(node, ForLoop):
            status = 0
            for value in (yield from self._expand_all(node.words)):
                self.env[node.var] = value
                status = yield from self._run(node.body)
            return status
        if isinstance(node, IfElse):
            for cond, body in node.branches:
                if (yield from self._condition(cond)) == 0:
                    return (yield from self._run(body))
            return (yield from self._run(node.orelse)) if node.orelse else 0
        return (yield from self._group(node))

    def _sequence(self, node: Seq) -> Run:
        status = 0
        for item in node.items:
            status = yield from self._run(item)
            self.status = status
            if status and self.errexit and not self._conditions:
                raise ShellExit(status)
        return status

    def _condition(self, node: Node) -> Run:
        self._conditions += 1
        try:
            return (yield from self._run(node))
        finally:
            self._conditions -= 1

    def _and_or(self, node: AndOr) -> Run:
        status = yield from self._condition(node.first)
        for index, (op, command) in enumerate(node.rest):
            if (op == "&&") == (status == 0):
                last = index == len(node.rest) - 1
                status = yield from (self._run(command) if last else self._condition(command))
            self.status = status
        return status

    def _loop(self, node: Loop) -> Run:
        status = 0
        while True:
            before = self.clock
            if ((yield from self._condition(node.cond)) == 0) == node.until:
                return status
            status = yield from self._run(node.body)
            if self.clock == before:
                self.clock += _MIN_ITERATION
                yield Event(self.clock, "tick")

    def _group(self, node: Group) -> Run:
        if not node.subshell:
            return (yield from self._run(node.body))
        saved = dict(self.env)
        try:
            return (yield from self._run(node.body))
        except ShellExit as done:
            return done.code
        finally:
            self.env = saved

    def _simple(self, node: Simple) -> Run:
        argv = yield from self._expand_all(node.words)
        values: list[tuple[str, str]] = []
        for name, word in node.assigns:
            values.append((name, (yield from self._expand(word, split=False))[0]))
        if not argv:
            self.env.update(values)
            return self.status
        sinks = dict(self._sinks[-1])
        files: list[Buffer] = []
        for redirect in node.redirects:
            if redirect.op == ">&":
                sinks[redirect.fd] = sinks.get(redirect.dup, "log")
                continue
            target = (yield from self._expand(redirect.target, split=False))[0] if redirect.target else ""
            if redirect.op == "<":
                continue
            sink: _Sink = None if target == "/dev/null" else Buffer(path=target, append=redirect.op == ">>")
            if isinstance(sink, Buffer):
                files.append(sink)
            for fd in (1, 2) if redirect.fd == -1 else (redirect.fd,):
                sinks[fd] = sink
        saved = dict(self.env) if values else None
        self.env.update(values)
        self._sinks.append(sinks)
        try:
            status = yield from self.command(argv)
        finally:
            self._sinks.pop()
            if saved is not None:
                self.env = saved
        for buffer in files:
            before = self.files.get(buffer.path, "") if buffer.append else ""
            yield from self.write_file(buffer.path, before + "".join(line + "\n" for line in buffer.lines))
        self.status = status
        return status

    # ----- expansion -------------------------------------------------------------------------------

    def _expand_all(self, words: Sequence[Word]) -> Generator[Event, None, list[str]]:
        out: list[str] = []
        for word in words:
            out.extend((yield from self._expand(word)))
        return out

    def _expand(self, word: Word, *, split: bool = True) -> Generator[Event, None, list[str]]:
        segments: list[tuple[str, bool]] = []
        for part in word.parts:
            if part.quote == "'":
                segments.append((part.text, False))
            else:
                text = yield from self._substitute(part.text)
                segments.append((text, split and not part.quote and "$" in part.text))
        fields: list[str] = []
        current: list[str] = []
        has = False
        for text, splittable in segments:
            if not splittable:
                current.append(text)
                has = True
                continue
            for char in text:
                if char.isspace():
                    if has:
                        fields.append("".join(current))
                    current, has = [], False
                else:
                    current.append(char)
                    has = True
        if has or not split:
            fields.append("".join(current))
        return fields

    def _substitute(self, text: str) -> Generator[Event, None, str]:
        out: list[str] = []
        position = 0
        for match in _SPECIAL.finditer(text):
            if match.start() < position:
                continue
            out.append(text[position : match.start()])
            piece = match.group()
            if piece == "\\$":
                out.append("$")
                position = match.end()
            elif piece in ("$((", "$("):
                end = _closing(text, match.start() + 1)
                inner = text[match.start() + len(piece) : end - len(piece) + 1]
                if piece == "$((":
                    expanded = yield from self._substitute(inner)
                    out.append(str(arithmetic(expanded, self.env)))
                else:
                    out.append((yield from self._capture(inner)))
                position = end
            else:
                out.append(self._variable(piece))
                position = match.end()
        out.append(text[position:])
        return "".join(out)

    def _variable(self, token: str) -> str:
        name = token[2:-1] if token.startswith("${") else token[1:]
        name, _, default = name.partition(":-")
        specials = {
            "?": str(self.status),
            "$": "1",
            "#": str(len(self.positional) - 1),
            "@": " ".join(self.positional[1:]),
            "*": " ".join(self.positional[1:]),
        }
        if name in specials:
            return specials[name]
        if name.isdigit():
            index = int(name)
            return self.positional[index] if index < len(self.positional) else ""
        return self.env.get(name) or default

    def _capture(self, script: str) -> Generator[Event, None, str]:
        buffer = Buffer()
        self._sinks.append({**self._sinks[-1], 1: buffer})
        try:
            self.status = yield from self.run_script(script)
        except ShellExit as done:
            self.status = done.code
        finally:
            self._sinks.pop()
        return "\n".join(buffer.lines).rstrip("\n")

    def run_script(self, script: str) -> Run:
        try:
            tree = parse(script)
        except ShellSyntaxError as error:
            yield from self.emit(2, f"sh: {error}")
            return 2
        return (yield from self._sequence(tree))

    # ----- commands --------------------------------------------------------------------------------

    def command(self, argv: list[str]) -> Run:
        name = argv[0].rsplit("/", 1)[-1]
        if name in self.extra:
            status, output = self.extra[name](argv[1:])
            if output:
                yield from self.emit(1, output.rstrip("\n"))
            return status
        builtin = BUILTINS.get(name)
        if builtin is not None:
            return (yield from builtin(self, argv[1:]))
        if name in _NOOPS:
            return 0
        if name in _INTERPRETERS:
            return (yield from self._interpreter(argv))
        if name in _NETWORK:
            host = next((a for a in reversed(argv[1:]) if not a.startswith("-")), "localhost")
            host = host.split("//")[-1].split("/")[0].split(":")[0]
            yield from self.emit(2, f"{name}: bad address '{host}'")
            return 1
        if name == "false":
            return 1
        yield from self.emit(2, f"sh: {argv[0]}: not found")
        return 127

    def _interpreter(self, argv: list[str]) -> Run:
        if len(argv) == 1:
            return 0  # a REPL without stdin exits at once
        yield Event(self.clock, "serve")
        self.clock = math.inf
        yield Event(self.clock, "tick")
        return 0


def _closing(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    return len(text)
