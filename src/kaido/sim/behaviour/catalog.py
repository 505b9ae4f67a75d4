"""The image catalog: which images exist, how big they are, and which behaviour model each one runs.

An image reference is parsed as containerd does (`nginx` is `docker.io/library/nginx:latest`) and
looked up in three steps; the rule that decides ErrImagePull is this:

1. **Catalog entries** match the short repository path (no `docker.io/`, no `library/`: `nginx`,
   `acme/api`, `ghcr.io/acme/api`) against their glob patterns (`*` crosses `/`); the entry
   registered last wins.
2. **Unknown official names** — a single-component Docker Hub name such as `nginxx` that no entry
   matches — do not exist: "pull access denied, repository does not exist".
3. **Any other repository** (a user/org on Docker Hub or another registry: `acme/api`,
   `ghcr.io/acme/api`) is assumed to exist and runs a generic service listening on the container's
   declared ports, answering 200 everywhere.

A tag then exists when it contains none of the *missing markers* (`doesnotexist`, `missing`,
`no-such-tag`, `notfound`, `nonexistent`, ...), and, for catalog entries, when it is listed in the
entry's `tags` or (without such a list) is `latest`, a version (`1.27`, `v2.1.0`), a known variant
word (`alpine`, `slim`, `bookworm`, ...) or dashes of those (`1.27-alpine`, `16-bookworm`). So
`nginx:1.27` runs, `nginxx:1.27` and `nginx:no-such-tag` fail. A digest reference always exists.
A tag ending in `-bad` or `-broken`, or listed in `bad_tags`, is a *bad release*: it crashes a few
seconds after the start with a Go panic. `register_dict` adds entries from a scenario's data.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from kaido.core import QuantityError, parse_quantity
from kaido.sim.behaviour.model import Launch, Process
from kaido.sim.behaviour.services import Crash, Service
from kaido.sim.behaviour.shell_process import ShellProcess

__all__ = [
    "BAD_RELEASE",
    "Image",
    "ImageCatalog",
    "ImageEntry",
    "ImageRef",
    "InvalidImageError",
    "PullFailure",
    "parse_image",
]

_MISSING: Final = (
    "doesnotexist",
    "does-not-exist",
    "notexist",
    "not-exist",
    "missing",
    "nosuchtag",
    "no-such-tag",
    "notfound",
    "not-found",
    "nonexistent",
    "non-existent",
)
_VARIANTS: Final = frozenset(
    {
        *("latest", "alpine", "slim", "stable", "mainline", "lts", "edge", "rc", "beta", "alpha"),
        *("bookworm", "bullseye", "buster", "trixie", "jammy", "noble", "focal", "debian", "ubuntu"),
        *("musl", "glibc", "uclibc", "perl", "otel", "unprivileged", "jdk", "jre", "management", "fpm"),
        *("apache", "cli"),
    }
)
_PIECE: Final = re.compile(r"^(v?\d+(\.\d+)*|([a-z]+)(\d+(\.\d+)*)?)$")
_BAD_SUFFIXES: Final = ("-bad", "-broken")
_COMPONENT: Final = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG: Final = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST: Final = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")

BAD_RELEASE: Final = Crash(
    after=4.0,
    code=2,
    lines=(
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6f8a2c]",
        "",
        "goroutine 1 [running]:",
        "main.(*Server).routes(0x0)",
        "\t/app/server.go:87 +0x2c",
        "main.main()",
        "\t/app/main.go:42 +0x1a5",
    ),
)


class InvalidImageError(ValueError):
    """The reference does not parse; the message is the kubelet's InvalidImageName message."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    written: str  # as in the pod spec
    registry: str  # "docker.io"
    path: str  # "library/nginx"
    tag: str  # "latest" when neither tag nor digest is given
    digest: str = ""

    @property
    def short(self) -> str:
        """The path catalog patterns match: no docker.io/, no library/, other registries kept."""
        if self.registry != "docker.io":
            return f"{self.registry}/{self.path}"
        return self.path.removeprefix("library/")

    @property
    def full(self) -> str:
        return f"{self.registry}/{self.path}" + (f"@{self.digest}" if self.digest else f":{self.tag}")

    @property
    def image_id(self) -> str:
        digest = self.digest or "sha256:" + hashlib.sha256(self.full.encode()).hexdigest()
        return f"{self.registry}/{self.path}@{digest}"


def parse_image(text: str) -> ImageRef:
    """Parse a reference the way the kubelet does; raise InvalidImageError with its message."""

    def invalid(reason: str) -> InvalidImageError:
        return InvalidImageError(
            f'Failed to apply default image tag "{text}": couldn\'t parse image name "{text}": {reason}'
        )

    name, _, digest = text.partition("@")
    if digest and not _DIGEST.match(digest):
        raise invalid("invalid reference format")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise invalid("invalid reference format")
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        registry, path = first, rest
    else:
        registry, path = "docker.io", name
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if path.lower() != path:
        raise invalid(f"invalid reference format: repository name ({path}) must be lowercase")
    if not name or not all(_COMPONENT.match(part) for part in path.split("/")):
        raise invalid("invalid reference format")
    return ImageRef(text, registry, path, tag or ("" if digest else "latest"), digest)


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """Images matching `patterns`: their behaviour, tags and size.

    With a `service` the image runs it, unless the pod overrides the command with something other
    than one of `programs` (the service's own binaries): then, as without a service, the command
    runs in the tiny shell, with the image's `entrypoint` and default `command` as Docker combines them.
    """

    patterns: tuple[str, ...]
    service: Service | None = None
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ("sh",)
    programs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # when set, only these tags (and bad_tags) exist
    bad_tags: tuple[str, ...] = ()
    any_tag: bool = False  # every tag but the missing markers exists
    size: int = 50_000_000  # bytes, as the Pulled event reports

    @property
    def pull_seconds(self) -> float:
        return round(0.4 + self.size / 40_000_000, 3)


@dataclass(frozen=True, slots=True)
class Image:
    """A reference that resolved to an existing image."""

    ref: ImageRef
    entry: ImageEntry
    bad: bool = False

    def start(self, launch: Launch) -> Process:
        entry = self.entry
        service = entry.service
        if self.bad:
            service = replace(service or Service(name="app", access_log=""), crash=BAD_RELEASE)
        override = bool(launch.command) and launch.command[0].rsplit("/", 1)[-1] not in entry.programs
        if service is not None and not override:
            return service.launch(launch)
        if launch.command:
            argv = launch.command + launch.args
        else:
            argv = entry.entrypoint + (launch.args or entry.command)
        return ShellProcess(argv or ("sh",), launch)


@dataclass(frozen=True, slots=True)
class PullFailure:
    reason: str  # "ErrImagePull" or "InvalidImageName"
    message: str


Resolution = Image | PullFailure


class ImageCatalog:
    """Image entries, matched newest first; see the module docstring for the rule."""

    def __init__(self, entries: Iterable[ImageEntry] = (), *, presets: Mapping[str, ImageEntry] | None = None) -> None:
        self._entries: list[ImageEntry] = list(entries)
        self.presets = dict(presets or {})
        self.generic = ImageEntry(patterns=(), service=Service(name="app"), any_tag=True, size=80_000_000)

    def register(self, entry: ImageEntry) -> None:
        self._entries.append(entry)

    def register_dict(self, data: Mapping[str, Any]) -> None:
        """Add entries from a scenario's data; see `entry_from_dict` for the fields."""
        images = data.get("images", data) if isinstance(data.get("images"), Mapping) else data
        for pattern, spec in images.items():
            self.register(entry_from_dict(str(pattern), spec or {}, self.presets))

    def match(self, ref: ImageRef) -> ImageEntry | None:
        for entry in reversed(self._entries):
            if any(fnmatch.fnmatchcase(ref.short, pattern) for pattern in entry.patterns):
                return entry
        return None

    def resolve(self, image: str) -> Resolution:
        try:
            ref = parse_image(image)
        except InvalidImageError as error:
            return PullFailure("InvalidImageName", str(error))
        entry = self.match(ref)
        if entry is None:
            if ref.registry == "docker.io" and ref.path.startswith("library/"):
                return PullFailure("ErrImagePull", _denied(ref))
            entry = self.generic
        tag, bad = ref.tag, ref.tag in entry.bad_tags
        for suffix in _BAD_SUFFIXES:
            if tag.endswith(suffix):
                tag, bad = tag.removesuffix(suffix), True
        if not ref.digest and not _tag_exists(tag, ref.tag, entry):
            return PullFailure("ErrImagePull", _not_found(ref))
        return Image(ref, entry, bad)


def _tag_exists(tag: str, written: str, entry: ImageEntry) -> bool:
    if any(marker in written.lower() for marker in _MISSING):
        return False
    if entry.tags:
        return written in entry.tags or written in entry.bad_tags
    if entry.any_tag:
        return True
    pieces = re.split(r"[-_]", tag.lower())
    for piece in pieces:
        match = _PIECE.match(piece)
        if match is None or (match.group(3) is not None and match.group(3) not in _VARIANTS):
            return False
    return True


def _not_found(ref: ImageRef) -> str:
    return (
        f'failed to pull and unpack image "{ref.full}": failed to resolve reference "{ref.full}": {ref.full}: not found'
    )


def _denied(ref: ImageRef) -> str:
    return (
        f'failed to pull and unpack image "{ref.full}": failed to resolve reference "{ref.full}": pull access '
        "denied, repository does not exist or may require authorization: server message: insufficient_scope: "
        "authorization failed"
    )


# ----- scenario data ---------------------------------------------------------------------------------

_KEYS: Final = frozenset(
    {
        "kind",
        "ports",
        "tcp",
        "tags",
        "badTags",
        "listenAfter",
        "readyAfter",
        "crash",
        "requiresEnv",
        "memory",
        "cpu",
        "cpuPerRequest",
        "leakPerMinute",
        "errorRate",
        "capacity",
        "latencyMs",
        "command",
        "size",
        "lines",
    }
)


def entry_from_dict(pattern: str, spec: Mapping[str, Any], presets: Mapping[str, ImageEntry]) -> ImageEntry:
    """One catalog entry from scenario data (camelCase, like the manifests around it).

    `kind`: the preset to start from (the default catalog's: `web` (default), `nginx`, `redis`,
    `postgres`, `shell`, `crasher`, `leak`, `slow`); `ports` (list), `tcp` (no HTTP), `tags` (only
    these exist), `badTags`, `listenAfter` / `readyAfter` (seconds), `crash` ({after, exitCode,
    lines}), `requiresEnv` (names), `memory` / `cpu` / `cpuPerRequest` (quantities: "64Mi", "5m"),
    `leakPerMinute` (a quantity of bytes), `errorRate` (0..1), `capacity` (requests/s one pod serves
    before it sheds load as 503/504; default: what its CPU limit allows), `latencyMs` (the service
    time at low load, > 0), `command` (the default command of a
    `shell` image), `size` (bytes or a quantity), `lines` (startup log lines).
    """
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f"image {pattern!r}: unknown field(s) {sorted(unknown)}; known: {sorted(_KEYS)}")
    kind = str(spec.get("kind", "web"))
    if kind not in presets:
        raise ValueError(f"image {pattern!r}: unknown kind {kind!r}; known: {sorted(presets)}")
    base = presets[kind]
    service = base.service
    if service is not None:
        service = replace(service, **_service_fields(pattern, spec))
    entry = replace(
        base,
        patterns=(pattern,),
        service=service,
        tags=tuple(str(t) for t in spec.get("tags", base.tags)),
        bad_tags=tuple(str(t) for t in spec.get("badTags", base.bad_tags)),
        command=tuple(str(c) for c in spec.get("command", base.command)),
        size=int(_quantity(pattern, "size", spec.get("size", base.size))),
    )
    return entry


def _service_fields(pattern: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "ports" in spec:
        out["ports"] = tuple(int(p) for p in spec["ports"])
    if "tcp" in spec:
        out["http"] = not spec["tcp"]
    for key, name in (("listenAfter", "listen_after"), ("readyAfter", "ready_after"), ("errorRate", "error_rate")):
        if key in spec:
            out[name] = float(spec[key])
    out.update(_load_fields(pattern, spec))
    if "requiresEnv" in spec:
        out["requires_env"] = tuple(str(v) for v in spec["requiresEnv"])
    if "lines" in spec:
        out["startup"] = tuple(str(line) for line in spec["lines"])
    if "memory" in spec:
        out["memory"] = int(_quantity(pattern, "memory", spec["memory"]))
    for key, name in (("cpu", "cpu"), ("cpuPerRequest", "cpu_per_request")):
        if key in spec:
            out[name] = _quantity(pattern, key, spec[key])
    if "leakPerMinute" in spec:
        out["leak_per_second"] = _quantity(pattern, "leakPerMinute", spec["leakPerMinute"]) / 60
    if "crash" in spec:
        crash = spec["crash"] or {}
        out["crash"] = Crash(
            after=float(crash.get("after", 0)),
            code=int(crash.get("exitCode", 1)),
            lines=tuple(str(line) for line in crash.get("lines", ())),
        )
    return out


def _load_fields(pattern: str, spec: Mapping[str, Any]) -> dict[str, float]:
    """`capacity` (requests/s, >= 0; 0 serves nothing) and `latencyMs` (> 0), validated."""
    out: dict[str, float] = {}
    for key, name, allow_zero in (("capacity", "capacity", True), ("latencyMs", "latency_ms", False)):
        if key not in spec:
            continue
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"image {pattern!r}: {key}={value!r} is not a finite number")
        if value < 0 or (value == 0 and not allow_zero):
            raise ValueError(f"image {pattern!r}: {key}={value!r} must be {'>= 0' if allow_zero else '> 0'}")
        out[name] = float(value)
    return out


def _quantity(pattern: str, key: str, value: Any) -> float:
    try:
        return parse_quantity(value).as_float()
    except (QuantityError, TypeError) as error:
        raise ValueError(f"image {pattern!r}: {key}={value!r} is not a quantity (e.g. 64Mi, 5m): {error}") from error
