"""Decode the protobuf request bodies kubectl >= 1.32 sends into the JSON the same request would carry.

kubectl's typed clients write `Content-Type: application/vnd.kubernetes.protobuf` for `create <generator>`,
`auth can-i`, `auth whoami`, `autoscale`, `create token` and `drain --disable-eviction`, and never retry
with JSON. The body is four magic bytes `k8s\\0` and a `runtime.Unknown` envelope: 1 typeMeta
{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType; `raw` is the object encoded per the
`generated.proto` of its API group.

Protobuf carries field numbers, not names, so decoding needs a schema. `kaido.sim.protoschema` holds one
table per message type; this module is the small engine that walks the bytes with it: a wire-format
reader (varint, 64-bit, length-delimited, 32-bit) and a converter to the value Go's JSON marshaller would
write: bytes as base64, Quantity as its string, Time as RFC 3339, IntOrString as a number or a string,
embedded structs merged into their parent. Fields missing from a table are skipped.

Zero values: Go's protobuf marshaller writes every non-pointer scalar, so bodies are full of empty strings
and zeros the JSON body would not contain. They are dropped unless the table marks the field `keep` (Go
pointers, which are only written when set, and fields without `omitempty`). A message that is present
always appears, as `{}` when empty, as Go writes non-pointer structs. Where Go would write `null` (a zero
Time, a nil list) the key is left out instead.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from kaido.sim.errors import ApiError
from kaido.sim.protoschema import MESSAGES, ROOTS, SCALAR_KINDS, Field, Kind

__all__ = ["CONTENT_TYPE", "MAGIC", "WireError", "decode_body", "decode_message", "read_fields"]

CONTENT_TYPE: Final = "application/vnd.kubernetes.protobuf"
MAGIC: Final = b"k8s\x00"
VARINT, I64, LEN, I32 = 0, 1, 2, 5
_MAX_VARINT_BYTES: Final = 10
_UINT64: Final = (1 << 64) - 1
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_GO_ZERO_TIME: Final = -62135596800  # 0001-01-01T00:00:00Z in Unix seconds

WireValue = int | bytes


class WireError(ValueError):
    """The bytes are not valid protobuf or do not fit the schema; the message says where."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Return the varint starting at `pos` (as an unsigned 64-bit value) and the position after it."""
    result = 0
    for index in range(_MAX_VARINT_BYTES):
        if pos + index >= len(data):
            raise WireError(f"truncated varint at byte {pos}")
        byte = data[pos + index]
        result |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return result & _UINT64, pos + index + 1
    raise WireError(f"varint longer than {_MAX_VARINT_BYTES} bytes at byte {pos}")


def read_fields(data: bytes) -> list[tuple[int, int, WireValue]]:
    """Split one message into (field number, wire type, value): an int, or bytes for length-delimited."""
    fields: list[tuple[int, int, WireValue]] = []
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {start}")
        if wire == VARINT:
            value, pos = read_varint(data, pos)
            fields.append((number, wire, value))
        elif wire in (I64, I32):
            size = 8 if wire == I64 else 4
            if pos + size > len(data):
                raise WireError(f"truncated {size * 8}-bit field {number} at byte {start}")
            fields.append((number, wire, int.from_bytes(data[pos : pos + size], "little")))
            pos += size
        elif wire == LEN:
            length, pos = read_varint(data, pos)
            if pos + length > len(data):
                raise WireError(f"field {number} at byte {start} needs {length} bytes, {len(data) - pos} left")
            fields.append((number, wire, data[pos : pos + length]))
            pos += length
        else:  # 3 and 4 are proto2 groups, which Kubernetes never uses
            raise WireError(f"unsupported wire type {wire} for field {number} at byte {start}")
    return fields


def decode_body(data: bytes) -> dict[str, Any]:
    """The JSON object of a `application/vnd.kubernetes.protobuf` request body, with apiVersion and kind.

    Raises `ApiError` 400 for malformed bytes and 415 for kinds the simulator has no schema for.
    """
    if not data.startswith(MAGIC):
        raise ApiError.bad_request(
            f"protobuf body must start with the magic bytes {MAGIC!r}, got {bytes(data[:4])!r}; "
            f"send {CONTENT_TYPE} as kubectl writes it, or application/json"
        )
    api_version, kind, raw = _envelope(data[len(MAGIC) :])
    root = ROOTS.get((api_version, kind))
    if root is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the simulator cannot decode kind {kind or '<empty>'!r} (apiVersion {api_version or '<empty>'!r}) "
            f"from protobuf; send it as application/json",
        )
    try:
        body = decode_message(raw, root)
    except WireError as error:
        raise ApiError.bad_request(f"cannot decode protobuf {kind} ({api_version}): {error}") from error
    return {"kind": kind, "apiVersion": api_version, **body}


def _envelope(data: bytes) -> tuple[str, str, bytes]:
    """Unpack `runtime.Unknown` into (apiVersion, kind, raw)."""
    try:
        fields = {number: value for number, _, value in read_fields(data)}
        type_meta = {number: value for number, _, value in read_fields(_as_bytes(fields.get(1, b""), "typeMeta"))}
        api_version = _utf8(_as_bytes(type_meta.get(1, b""), "typeMeta.apiVersion"), "typeMeta.apiVersion")
        kind = _utf8(_as_bytes(type_meta.get(2, b""), "typeMeta.kind"), "typeMeta.kind")
        raw = _as_bytes(fields.get(2, b""), "raw")
        encoding = _utf8(_as_bytes(fields.get(3, b""), "contentEncoding"), "contentEncoding")
    except WireError as error:
        raise ApiError.bad_request(f"cannot decode the protobuf envelope (runtime.Unknown): {error}") from error
    if encoding:
        raise ApiError(415, "UnsupportedMediaType", f"protobuf content encoding {encoding!r} is not supported")
    return api_version, kind, raw


def decode_message(data: bytes, message: str, path: str = "") -> dict[str, Any]:
    """Decode `data` with the table `message` of `kaido.sim.protoschema`; `path` names it in errors."""
    table = MESSAGES[message]
    try:
        fields = read_fields(data)
    except WireError as error:
        raise WireError(f"{path or message}: {error}") from None
    out: dict[str, Any] = {}
    for number, wire, value in fields:
        field = table.get(number)
        if field is not None:  # unknown fields are skipped, as the API server does
            _store(out, field, wire, value, f"{path}.{field.name}" if path and field.name else path or field.name)
    for field in table.values():
        if field.name in out and _omitted(field, out[field.name]):
            del out[field.name]
    return out


def _store(out: dict[str, Any], field: Field, wire: int, value: WireValue, path: str) -> None:
    """Put one wire field into `out`, following protobuf's rules for repeated fields, maps and merging."""
    if field.kind == "map":
        key, item = _map_entry(field, _as_bytes(value, path, wire), path)
        out.setdefault(field.name, {})[key] = item
    elif field.repeated and field.kind == "int" and wire == LEN:  # a packed repeated number
        out.setdefault(field.name, []).extend(_signed(number) for number in _packed(_as_bytes(value, path), path))
    else:
        item = _value(field.kind, field.message, wire, value, path)
        if field.repeated:
            out.setdefault(field.name, []).append(item)
        elif field.inline:
            out.update(item)
        elif field.kind == "message" and isinstance(out.get(field.name), dict):
            out[field.name].update(item)  # a message field seen twice merges
        else:
            out[field.name] = item


def _omitted(field: Field, value: Any) -> bool:
    """Whether Go's JSON marshaller would leave the decoded value out (omitempty, or null for a zero Time)."""
    if field.kind == "time":
        return value is None
    if field.kind not in SCALAR_KINDS or field.repeated or field.keep:
        return False
    return value in ("", 0, False)


def _value(kind: Kind, message: str, wire: int, value: WireValue, path: str) -> Any:
    if kind == "int":
        return _signed(_as_int(value, path, wire))
    if kind == "bool":
        return _as_int(value, path, wire) != 0
    raw = _as_bytes(value, path, wire)
    if kind == "string":
        return _utf8(raw, path)
    if kind == "bytes":
        return base64.b64encode(raw).decode("ascii")
    if kind == "message":
        return decode_message(raw, message, path)
    if kind == "quantity":  # resource.Quantity {1 string}; an empty one is zero
        return _utf8(_as_bytes(_last(raw, path).get(1, b""), path), path) or "0"
    if kind == "time":
        return _time(raw, path)
    if kind == "intorstring":
        return _int_or_string(raw, path)
    if kind == "strings":  # authentication ExtraValue {repeated string items = 1}, a JSON list
        return [_utf8(_as_bytes(item, path, w), path) for n, w, item in _fields_at(raw, path) if n == 1]
    raise WireError(f"{path}: the schema uses unknown kind {kind!r}")


def _map_entry(field: Field, raw: bytes, path: str) -> tuple[str, Any]:
    """A map entry is a message {1 key, 2 value}; a missing value is the zero value."""
    entry = _last(raw, path)
    key = _utf8(_as_bytes(entry.get(1, b""), path), path)
    return key, _value(field.value, field.message, LEN, entry.get(2, b""), f"{path}[{key}]")


def _time(raw: bytes, path: str) -> str | None:
    """metav1.Time {1 seconds, 2 nanos} as RFC 3339 in UTC; Go encodes the zero time as an empty message."""
    if not raw:
        return None
    fields = _last(raw, path)
    seconds = _signed(_as_int(fields.get(1, 0), path))
    if seconds == _GO_ZERO_TIME and not _as_int(fields.get(2, 0), path):
        return None  # Go's time.Time{} sent explicitly: still the zero time, which JSON writes as null
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise WireError(f"{path}: timestamp {seconds}s is out of range") from None
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"  # JSON keeps whole seconds


def _int_or_string(raw: bytes, path: str) -> int | str:
    """intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal}."""
    fields = _last(raw, path)
    if _as_int(fields.get(1, 0), path) == 1:
        return _utf8(_as_bytes(fields.get(3, b""), path), path)
    return _signed(_as_int(fields.get(2, 0), path))


def _fields_at(raw: bytes, path: str) -> list[tuple[int, int, WireValue]]:
    try:
        return read_fields(raw)
    except WireError as error:
        raise WireError(f"{path}: {error}") from None


def _last(raw: bytes, path: str) -> dict[int, WireValue]:
    """The fields of a small message by number; the last occurrence wins, as protobuf specifies."""
    return {number: value for number, _, value in _fields_at(raw, path)}


def _packed(raw: bytes, path: str) -> list[int]:
    numbers: list[int] = []
    pos = 0
    while pos < len(raw):
        try:
            number, pos = read_varint(raw, pos)
        except WireError as error:
            raise WireError(f"{path}: {error}") from None
        numbers.append(number)
    return numbers


def _as_bytes(value: WireValue, path: str, wire: int = LEN) -> bytes:
    if wire != LEN or not isinstance(value, bytes):
        raise WireError(f"{path}: expected a length-delimited field, got wire type {wire}")
    return value


def _as_int(value: WireValue, path: str, wire: int = VARINT) -> int:
    if wire != VARINT or not isinstance(value, int):
        raise WireError(f"{path}: expected a varint field, got wire type {wire}")
    return value


def _signed(value: int) -> int:
    """int32 and int64 travel as two's complement 64-bit varints."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _utf8(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WireError(f"{path}: string is not valid UTF-8 ({error.reason} at byte {error.start})") from None
