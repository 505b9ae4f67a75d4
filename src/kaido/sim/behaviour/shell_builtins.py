"""The tiny shell's builtins, events and helpers: what `echo`, `sleep`, `cat`, `[`, `$((...))` do.

A builtin is a generator over a `Machine` and its arguments: it yields timed `Event`s (printed
lines, file changes, clock ticks) and returns its exit status. Only `sleep` moves the clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from kaido.sim.behaviour.shell import Machine

__all__ = ["BUILTINS", "Buffer", "Event", "Run", "ShellExit", "arithmetic", "test_expression"]


@dataclass(frozen=True, slots=True)
class Event:
    at: float
    kind: str  # "line", "file", "tick", "serve" or "exit"
    text: str = ""
    path: str = ""
    code: int = 0
    gone: bool = False  # a file event that removes `path`


class ShellExit(Exception):  # noqa: N818 - control flow (`exit N`), not an error
    def __init__(self, code: int) -> None:
        self.code = code


@dataclass
class Buffer:
    """Output kept instead of logged: a capture ($(...), exec probes) or a file written when the command ends."""

    lines: list[str] = field(default_factory=list)
    path: str = ""
    append: bool = False


Run = Generator[Event, None, int]


def _echo(m: Machine, args: list[str]) -> Run:
    escapes = False
    while args and args[0] in ("-n", "-e", "-ne", "-en", "-E"):
        escapes = escapes or "e" in args[0]
        args = args[1:]
    text = " ".join(args)
    yield from m.emit(1, _unescape(text) if escapes else text)
    return 0


def _printf(m: Machine, args: list[str]) -> Run:
    if not args:
        return 1
    values = iter(args[1:])
    text = _unescape(re.sub(r"%[sd%]", lambda f: "%" if f.group() == "%%" else next(values, ""), args[0]))
    if text:
        yield from m.emit(1, text.removesuffix("\n"))
    return 0


def _sleep(m: Machine, args: list[str]) -> Run:
    total = 0.0
    for arg in args:
        seconds = _duration(arg)
        if seconds is None:
            yield from m.emit(2, f"sleep: invalid number '{arg}'")
            return 1
        total += seconds
    m.clock += total
    yield Event(m.clock, "tick")
    return 0


def _exit(m: Machine, args: list[str]) -> Run:
    yield from ()
    code = int(args[0]) if args and args[0].lstrip("-").isdigit() else m.status
    raise ShellExit(code & 255)


def _cat(m: Machine, args: list[str]) -> Run:
    status = 0
    for path in args:
        if path in m.files:
            if m.files[path]:
                yield from m.emit(1, m.files[path].removesuffix("\n"))
        else:
            yield from m.emit(2, f"cat: can't open '{path}': No such file or directory")
            status = 1
    return status


def _touch(m: Machine, args: list[str]) -> Run:
    for path in args:
        yield from m.write_file(path, m.files.get(path, ""))
    return 0


def _rm(m: Machine, args: list[str]) -> Run:
    force = any(a.startswith("-") and "f" in a for a in args)
    status = 0
    for path in (a for a in args if not a.startswith("-")):
        if path in m.files:
            yield from m.write_file(path, None)
        elif not force:
            yield from m.emit(2, f"rm: can't remove '{path}': No such file or directory")
            status = 1
    return status


def _test(m: Machine, args: list[str]) -> Run:
    if args and args[-1] == "]":
        args = args[:-1]
    result, error = test_expression(args, m.files)
    if error:
        yield from m.emit(2, f"sh: {error}")
        return 2
    return 0 if result else 1


def _date(m: Machine, args: list[str]) -> Run:
    if m.launch is not None:
        moment = m.launch.started_at + timedelta(seconds=min(m.clock, 1e9))
        yield from m.emit(1, moment.strftime("%a %b %e %H:%M:%S UTC %Y"))
    return 0


def _hostname(m: Machine, args: list[str]) -> Run:
    yield from m.emit(1, m.env.get("HOSTNAME", "localhost"))
    return 0


def _env(m: Machine, args: list[str]) -> Run:
    if args:
        if args[0] not in m.env:
            return 1
        yield from m.emit(1, m.env[args[0]])
        return 0
    yield from m.emit(1, "\n".join(f"{k}={v}" for k, v in sorted(m.env.items())))
    return 0


def _export(m: Machine, args: list[str]) -> Run:
    yield from ()
    for arg in args:
        if "=" in arg:
            name, _, value = arg.partition("=")
            m.env[name] = value
    return 0


def _unset(m: Machine, args: list[str]) -> Run:
    yield from ()
    for name in args:
        m.env.pop(name, None)
    return 0


def _set(m: Machine, args: list[str]) -> Run:
    yield from ()
    for arg in args:
        if arg.startswith(("-", "+")) and "e" in arg:
            m.errexit = arg.startswith("-")
    if "--" in args:
        m.positional = [m.positional[0], *args[args.index("--") + 1 :]]
    return 0


def _seq(m: Machine, args: list[str]) -> Run:
    try:
        numbers = [int(a) for a in args]
    except ValueError:
        yield from m.emit(2, f"seq: invalid number '{args[0]}'")
        return 1
    if not 1 <= len(numbers) <= 3:
        return 1
    first, step, last = (1, 1, numbers[0]) if len(numbers) == 1 else (numbers[0], 1, numbers[-1])
    if len(numbers) == 3:
        first, step, last = numbers
    if step:
        yield from m.emit(1, "\n".join(str(n) for n in range(first, last + (1 if step > 0 else -1), step)))
    return 0


def _shell(m: Machine, args: list[str]) -> Run:
    options = [a for a in args if a.startswith("-") and a != "-c"]
    rest = [a for a in args if a not in options]
    if not rest:
        return 0  # an interactive shell without stdin exits at once
    if rest[0] != "-c":
        yield from m.emit(2, f"sh: can't open '{rest[0]}': No such file or directory")
        return 2
    saved = m.positional, dict(m.env), m.errexit  # a child shell cannot change its parent
    m.positional, m.errexit = rest[2:] or [m.positional[0]], "-e" in options
    try:
        return (yield from m.run_script(rest[1] if len(rest) > 1 else ""))
    except ShellExit as done:  # a child shell's `exit` ends that shell only
        return done.code
    finally:
        m.positional, m.env, m.errexit = saved


def _exec(m: Machine, args: list[str]) -> Run:
    if not args:
        return 0
    raise ShellExit((yield from m.command(args)))


BUILTINS: Final[Mapping[str, Callable[[Machine, list[str]], Run]]] = {
    "echo": _echo,
    "printf": _printf,
    "sleep": _sleep,
    "exit": _exit,
    "cat": _cat,
    "touch": _touch,
    "rm": _rm,
    "test": _test,
    "[": _test,
    "date": _date,
    "hostname": _hostname,
    "env": _env,
    "printenv": _env,
    "export": _export,
    "unset": _unset,
    "set": _set,
    "seq": _seq,
    "sh": _shell,
    "bash": _shell,
    "ash": _shell,
    "dash": _shell,
    "exec": _exec,
}


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def _duration(text: str) -> float | None:
    if text in ("inf", "infinity"):
        return math.inf
    match = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", text)
    if not match:
        return None
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


# ----- `[ ... ]` and `$(( ... ))` -------------------------------------------------------------------

_DIRECTORIES: Final = ("/", "/tmp")  # noqa: S108 - directories inside the simulated container
_NUMERIC: Final = {
    "-eq": lambda a, b: a == b,
    "-ne": lambda a, b: a != b,
    "-lt": lambda a, b: a < b,
    "-le": lambda a, b: a <= b,
    "-gt": lambda a, b: a > b,
    "-ge": lambda a, b: a >= b,
}


def test_expression(args: list[str], files: Mapping[str, str]) -> tuple[bool, str]:
    """`test`'s verdict on `args` against the container's files, or an error message."""
    if args and args[0] == "!":
        result, error = test_expression(args[1:], files)
        return not result, error
    if len(args) <= 1:
        return bool(args and args[0]), ""
    if len(args) == 2:
        op, value = args
        unary = {
            "-z": value == "",
            "-n": value != "",
            "-f": value in files,
            "-e": value in files or any(p.startswith(value.rstrip("/") + "/") for p in files),
            "-d": value in _DIRECTORIES or any(p.startswith(value.rstrip("/") + "/") for p in files),
            "-s": bool(files.get(value)),
            "-r": value in files,
            "-w": value in files,
            "-x": False,
        }
        return (unary[op], "") if op in unary else (False, f"{op}: unary operator expected")
    left, op, right = args[0], args[1], " ".join(args[2:])
    if op in ("=", "=="):
        return left == right, ""
    if op == "!=":
        return left != right, ""
    if op in _NUMERIC:
        try:
            return bool(_NUMERIC[op](int(left), int(right))), ""
        except ValueError:
            return False, f"bad number '{left if not left.lstrip('-').isdigit() else right}'"
    return False, f"{op}: binary operator expected"


_ARITH_TOKEN: Final = re.compile(r"\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/%()<>!])")
_BINARY: Final[list[dict[str, Callable[[int, int], int]]]] = [
    {"||": lambda a, b: int(bool(a) or bool(b))},
    {"&&": lambda a, b: int(bool(a) and bool(b))},
    {"==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b)},
    {
        "<": lambda a, b: int(a < b),
        ">": lambda a, b: int(a > b),
        "<=": lambda a, b: int(a <= b),
        ">=": lambda a, b: int(a >= b),
    },
    {"+": lambda a, b: a + b, "-": lambda a, b: a - b},
    {"*": lambda a, b: a * b, "/": lambda a, b: int(a / b) if b else 0, "%": lambda a, b: a % b if b else 0},
]


def arithmetic(expression: str, env: Mapping[str, str]) -> int:
    """The value of a `$((...))` expression: integers, variables, + - * / % comparisons && || ! ( )."""
    tokens: list[str] = []
    position = 0
    while position < len(expression.rstrip()):
        match = _ARITH_TOKEN.match(expression, position)
        if match is None:
            return 0
        tokens.append(match.group(1))
        position = match.end()
    value, _ = _binary(tokens, 0, 0, env)
    return value


def _binary(tokens: list[str], index: int, level: int, env: Mapping[str, str]) -> tuple[int, int]:
    if level == len(_BINARY):
        return _unary(tokens, index, env)
    value, index = _binary(tokens, index, level + 1, env)
    while index < len(tokens) and tokens[index] in _BINARY[level]:
        op = tokens[index]
        right, index = _binary(tokens, index + 1, level + 1, env)
        value = _BINARY[level][op](value, right)
    return value, index


def _unary(items: list[str], index: int, env: Mapping[str, str]) -> tuple[int, int]:
    if index >= len(items):
        return 0, index
    item = items[index]
    if item in ("-", "!", "+"):
        value, index = _unary(items, index + 1, env)
        return {"-": -value, "!": int(not value), "+": value}[item], index
    if item == "(":
        value, index = _binary(items, index + 1, 0, env)
        return value, index + 1
    if item.isdigit():
        return int(item), index + 1
    raw = env.get(item, "0")
    return (int(raw) if raw.lstrip("-").isdigit() else 0), index + 1
