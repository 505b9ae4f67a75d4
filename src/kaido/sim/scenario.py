"""Scenarios: a cluster's starting state, its traffic and a timeline of changes, in one YAML file.

A scenario file is multi-document YAML: plain Kubernetes manifests, plus at most one document
`apiVersion: kaido.io/v1alpha1, kind: Scenario` whose `spec` says what manifests cannot: the nodes
(a count, or a list of shapes), extra image-catalog entries, a traffic profile per Service, and a
timeline of manifests applied, patched or deleted at moments after the start (docs/scenarios.md).
Parsing is strict: an unknown key is an error naming its path (`spec.traffic[0].profile.spkie`).

`Scenario.start(cluster)` builds the control plane with the scenario's catalog, its `TrafficModel`
(the kubelet's load source) and its `Timeline` controller, creates the nodes and the manifests, and
returns them as a `RunningScenario`. A file without a Scenario document is a plain manifest file.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from kaido.sim.behaviour import ImageCatalog, default_catalog
from kaido.sim.cluster import SimCluster, load_manifest_text
from kaido.sim.control_plane import control_plane
from kaido.sim.errors import ApiError
from kaido.sim.nodes import default_nodes
from kaido.sim.resources import RESOURCES, ResourceType, find_kind
from kaido.sim.runtime import Runtime
from kaido.sim.store import Obj
from kaido.sim.traffic import (
    Combined,
    Constant,
    Diurnal,
    Profile,
    Ramp,
    Replay,
    ServiceLoad,
    Spike,
    TrafficModel,
    load_trace,
)

__all__ = ["NodeSpec", "RunningScenario", "Scenario", "ScenarioError", "Timeline", "TimelineEvent", "parse_duration"]

API_VERSION: Final = "kaido.io/v1alpha1"
KIND: Final = "Scenario"
GPU: Final = "nvidia.com/gpu"
_DURATION: Final = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_STRATEGIC: Final = "application/strategic-merge-patch+json"
log = logging.getLogger(__name__)


class ScenarioError(ValueError):
    """The scenario file is wrong; the message names the file and the path of the offending key."""


# ----- strict reading -------------------------------------------------------------------------------


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{path}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{path}: expected a list, got {type(value).__name__}")
    return value


def _fields(value: Any, path: str, known: Iterable[str], required: Iterable[str] = ()) -> Mapping[str, Any]:
    """`value` as a mapping with only `known` keys and every `required` one."""
    data = _mapping(value, path)
    allowed = set(known) | set(required)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ScenarioError(f"{path}.{unknown[0]}: unknown field; known: {', '.join(sorted(allowed))}")
    missing = [key for key in required if key not in data]
    if missing:
        raise ScenarioError(f"{path}.{missing[0]}: required field is missing")
    return data


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{path}: expected a number, got {value!r}")
    return float(value)


def parse_duration(value: Any, path: str = "duration") -> float:
    """Seconds from a number or a Go-style duration (`90s`, `30m`, `2h`, `1h30m`)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value).strip())
    if not str(value).strip() or match is None:
        raise ScenarioError(f"{path}: {value!r} is not a duration (e.g. 90, 90s, 30m, 2h, 1h30m)")
    hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


# ----- nodes ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One worker's shape; `gpu` adds that many `nvidia.com/gpu` to its capacity."""

    name: str
    cpu: str = "4"
    memory: str = "16Gi"
    pods: str = "110"
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Mapping[str, str], ...] = ()
    gpu: int = 0


def _node_specs(value: Any, path: str) -> int | tuple[NodeSpec, ...]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    specs = []
    for index, item in enumerate(_list(value, path)):
        where = f"{path}[{index}]"
        data = _fields(item, where, ("cpu", "memory", "pods", "labels", "taints", "gpu"), ("name",))
        taints = []
        for position, taint in enumerate(_list(data.get("taints", []), f"{where}.taints")):
            entry = _fields(taint, f"{where}.taints[{position}]", ("value",), ("key", "effect"))
            taints.append({str(k): str(v) for k, v in entry.items()})
        labels = _mapping(data.get("labels", {}), f"{where}.labels")
        specs.append(
            NodeSpec(
                name=str(data["name"]),
                cpu=str(data.get("cpu", "4")),
                memory=str(data.get("memory", "16Gi")),
                pods=str(data.get("pods", "110")),
                labels={str(k): str(v) for k, v in labels.items()},
                taints=tuple(taints),
                gpu=int(_number(data.get("gpu", 0), f"{where}.gpu")),
            )
        )
    return tuple(specs)


def node_manifests(specs: Sequence[NodeSpec]) -> list[Obj]:
    """Node manifests shaped by `specs`, built on `default_nodes()` so addresses and CIDRs stay distinct."""
    out = []
    for spec, node in zip(specs, default_nodes(len(specs)), strict=True):
        meta, status = node["metadata"], node["status"]
        meta["name"] = spec.name
        meta["labels"].update({"kubernetes.io/hostname": spec.name, **spec.labels})
        resources = {**status["capacity"], "cpu": spec.cpu, "memory": spec.memory, "pods": spec.pods}
        if spec.gpu:
            resources[GPU] = str(spec.gpu)
        status["capacity"], status["allocatable"] = resources, dict(resources)
        status["addresses"] = [
            a if a["type"] != "Hostname" else {**a, "address": spec.name} for a in status["addresses"]
        ]
        if spec.taints:
            node["spec"]["taints"] = [dict(t) for t in spec.taints]
        out.append(node)
    return out


# ----- traffic --------------------------------------------------------------------------------------

_SHAPES: Final = ("constant", "diurnal", "ramp", "spike", "replay")


def _profile(value: Any, path: str, base: Path) -> Profile:
    """A profile mapping: each key a shape, each value one shape's fields or a list of them; parts add up."""
    data = _fields(value, path, _SHAPES)
    parts: list[Profile] = []
    spikes: list[Spike] = []
    for shape in _SHAPES:
        if shape not in data:
            continue
        items = data[shape] if isinstance(data[shape], list) else [data[shape]]
        for index, item in enumerate(items):
            where = f"{path}.{shape}" + (f"[{index}]" if isinstance(data[shape], list) else "")
            built = _shape(shape, item, where, base)
            if isinstance(built, Spike):
                spikes.append(built)
            else:
                parts.append(built)
    return Combined(tuple(parts), tuple(spikes))


def _shape(shape: str, item: Any, path: str, base: Path) -> Profile:
    if shape == "constant":
        if isinstance(item, Mapping):
            return Constant(_number(_fields(item, path, (), ("rate",))["rate"], f"{path}.rate"))
        return Constant(_number(item, path))
    if shape == "diurnal":
        data = _fields(item, path, ("peakHour", "period"), ("base", "peak"))
        return Diurnal(
            base=_number(data["base"], f"{path}.base"),
            peak=_number(data["peak"], f"{path}.peak"),
            peak_hour=_number(data.get("peakHour", 14), f"{path}.peakHour"),
            period=parse_duration(data.get("period", "24h"), f"{path}.period"),
        )
    if shape == "ramp":
        data = _fields(item, path, (), ("start", "end", "from", "to"))
        return Ramp(
            start=parse_duration(data["start"], f"{path}.start"),
            end=parse_duration(data["end"], f"{path}.end"),
            start_rate=_number(data["from"], f"{path}.from"),
            end_rate=_number(data["to"], f"{path}.to"),
        )
    if shape == "spike":
        return _spike(item, path)
    return _replay(item, path, base)


def _spike(item: Any, path: str) -> Spike:
    data = _fields(item, path, ("multiplier", "rate", "every"), ("start", "duration"))
    duration = parse_duration(data["duration"], f"{path}.duration")
    every = None
    if "every" in data:
        every = parse_duration(data["every"], f"{path}.every")
        if not every > duration:
            raise ScenarioError(
                f"{path}.every: {data['every']!r} must be longer than the duration ({data['duration']!r}), "
                "or the spike never ends; e.g. every: 24h for a daily spike"
            )
    return Spike(
        start=parse_duration(data["start"], f"{path}.start"),
        duration=duration,
        multiplier=_number(data.get("multiplier", 1), f"{path}.multiplier"),
        extra=_number(data.get("rate", 0), f"{path}.rate"),
        every=every,
    )


def _replay(item: Any, path: str, base: Path) -> Replay:
    data = _fields(item, path, ("column", "resolution", "scale", "offset", "loop"), ("path",))
    resolution = data.get("resolution", "second")
    seconds = {"second": 1.0, "minute": 60.0}.get(str(resolution)) or parse_duration(resolution, f"{path}.resolution")
    file = Path(str(data["path"])).expanduser()
    file = file if file.is_absolute() else base / file
    column = data.get("column")
    try:
        counts = load_trace(file, None if column is None else str(column))
    except ValueError as error:
        raise ScenarioError(f"{path}.path: {error}") from error
    return Replay(
        counts=counts,
        resolution=seconds,
        scale=_number(data.get("scale", 1), f"{path}.scale"),
        offset=parse_duration(data.get("offset", 0), f"{path}.offset"),
        loop=bool(data.get("loop", True)),
    )


def _traffic(value: Any, path: str, base: Path) -> tuple[ServiceLoad, ...]:
    out = []
    for index, item in enumerate(_list(value, path)):
        where = f"{path}[{index}]"
        data = _fields(item, where, ("namespace", "noise"), ("service", "profile"))
        out.append(
            ServiceLoad(
                namespace=str(data.get("namespace", "default")),
                service=str(data["service"]),
                profile=_profile(data["profile"], f"{where}.profile", base),
                noise=_number(data.get("noise", 0), f"{where}.noise"),
            )
        )
    return tuple(out)


# ----- timeline -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """At `at` seconds after the start: `apply` a manifest, strategic-merge `patch` it, or `delete` it."""

    at: float
    action: str  # "apply", "patch" or "delete"
    resource: ResourceType
    namespace: str | None
    name: str
    body: Obj  # the manifest (apply) or the patch (patch); {} for delete

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.action} {self.resource.kind} {where}{self.name} at +{self.at:g}s"


def _resource(api_version: Any, kind: Any, path: str) -> ResourceType:
    if api_version is not None:
        found = find_kind(str(api_version), str(kind))
    else:
        found = next((r for r in RESOURCES if r.kind == kind), None)
    if found is None:
        raise ScenarioError(f"{path}.kind: the simulator serves no {api_version or ''} {kind!r}".replace("  ", " "))
    return found


def _event(value: Any, path: str) -> TimelineEvent:
    data = _fields(value, path, ("apply", "patch", "delete"), ("at",))
    actions = [key for key in ("apply", "patch", "delete") if key in data]
    if len(actions) != 1:
        raise ScenarioError(f"{path}: needs exactly one of apply, patch, delete; got {actions or 'none'}")
    action, at = actions[0], parse_duration(data["at"], f"{path}.at")
    where = f"{path}.{action}"
    if action == "apply":
        manifest = copy.deepcopy(dict(_mapping(data[action], where)))  # the API server validates the rest
        if "apiVersion" not in manifest or "kind" not in manifest:
            raise ScenarioError(f"{where}: a manifest needs apiVersion and kind")
        meta = _mapping(manifest.get("metadata", {}), f"{where}.metadata")
        resource = _resource(manifest["apiVersion"], manifest["kind"], where)
        namespace = str(meta.get("namespace", "default")) if resource.namespaced else None
        return TimelineEvent(at, action, resource, namespace, str(meta.get("name", "")), manifest)
    known = ("apiVersion", "namespace", "patch") if action == "patch" else ("apiVersion", "namespace")
    target = _fields(data[action], where, known, ("kind", "name", "patch") if action == "patch" else ("kind", "name"))
    resource = _resource(target.get("apiVersion"), target["kind"], where)
    namespace = str(target.get("namespace", "default")) if resource.namespaced else None
    body = dict(_mapping(target["patch"], f"{where}.patch")) if action == "patch" else {}
    return TimelineEvent(at, action, resource, namespace, str(target["name"]), body)


class Timeline:
    """A controller that performs each timeline event once, when virtual time passes `start + at`.

    A failed event (the object is gone, the patch is invalid) is logged and kept in `done` with its
    error: a real operator's change can fail too, and the scenario goes on.
    """

    name = "scenario-timeline"

    def __init__(self, events: Sequence[TimelineEvent], *, start: datetime | None = None) -> None:
        self.events = sorted(events, key=lambda event: event.at)
        self.start = start
        self.done: list[tuple[TimelineEvent, str | None]] = []

    def begin(self, now: datetime) -> None:
        """Start counting: nothing happens before the scenario's manifests are in."""
        self.start = now

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        while self.start is not None and len(self.done) < len(self.events):
            event = self.events[len(self.done)]
            if self.start + timedelta(seconds=event.at) > now:
                return
            error = None
            try:
                _perform(cluster, event)
            except ApiError as failure:
                error = str(failure)
                log.warning("scenario timeline: %s failed: %s", event.describe(), error)
            self.done.append((event, error))


def _perform(cluster: SimCluster, event: TimelineEvent) -> None:
    resource, namespace, name = event.resource, event.namespace, event.name
    if event.action == "delete":
        cluster.ops.delete(resource, namespace, name)
    elif event.action == "patch" or cluster.store.find(resource, namespace, name) is not None:
        cluster.ops.patch(resource, namespace, name, json.dumps(event.body).encode(), _STRATEGIC)
    else:
        cluster.apply_manifests([copy.deepcopy(event.body)])


# ----- the scenario ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningScenario:
    """A scenario in a cluster: the control plane's runtime and the parts the scenario gave it."""

    runtime: Runtime
    catalog: ImageCatalog
    traffic: TrafficModel
    timeline: Timeline


@dataclass(frozen=True)
class Scenario:
    name: str
    manifests: tuple[Obj, ...]
    nodes: int | tuple[NodeSpec, ...] = 3
    images: Mapping[str, Any] = field(default_factory=dict)
    traffic: tuple[ServiceLoad, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()

    @classmethod
    def from_file(cls, path: Path) -> Scenario:
        try:
            text = path.read_text()
        except OSError as error:
            raise ScenarioError(f"{path}: cannot read it: {error.strerror or error}") from error
        return cls.from_text(text, source=str(path), base=path.parent, name=path.stem)

    @classmethod
    def from_text(cls, text: str, *, source: str, base: Path = Path(), name: str = "scenario") -> Scenario:
        """Parse a scenario file; errors are ScenarioErrors starting with `source`."""
        documents = load_manifest_text(text, source=source)
        own = [d for d in documents if d.get("apiVersion") == API_VERSION and d.get("kind") == KIND]
        if len(own) > 1:
            raise ScenarioError(f"{source}: {len(own)} Scenario documents; a file holds at most one")
        manifests = tuple(d for d in documents if not (d.get("apiVersion") == API_VERSION and d.get("kind") == KIND))
        if not own:
            return cls(name=name, manifests=manifests)
        try:
            return cls._from_document(own[0], manifests, base=base, name=name)
        except ScenarioError as error:
            raise ScenarioError(f"{source}: {error}") from error

    @classmethod
    def _from_document(cls, doc: Obj, manifests: tuple[Obj, ...], *, base: Path, name: str) -> Scenario:
        _fields(doc, "Scenario", ("metadata", "spec"), ("apiVersion", "kind"))
        meta = _fields(doc.get("metadata", {}), "metadata", ("name", "annotations", "labels"))
        spec = _fields(doc.get("spec", {}), "spec", ("nodes", "images", "traffic", "timeline"))
        images = _mapping(spec.get("images", {}), "spec.images")
        try:
            default_catalog().register_dict({"images": images})  # fail now, with the image's name
        except ValueError as error:
            raise ScenarioError(f"spec.images: {error}") from error
        timeline = _list(spec.get("timeline", []), "spec.timeline")
        return cls(
            name=str(meta.get("name", name)),
            manifests=manifests,
            nodes=_node_specs(spec.get("nodes", 3), "spec.nodes"),
            images=images,
            traffic=_traffic(spec.get("traffic", []), "spec.traffic", base),
            timeline=tuple(_event(event, f"spec.timeline[{index}]") for index, event in enumerate(timeline)),
        )

    def start(self, cluster: SimCluster, *, tick: float = 1.0, catalog: ImageCatalog | None = None) -> RunningScenario:
        """Build the control plane for this scenario in `cluster` and create its manifests; its clock starts now.

        The nodes get one reconcile pass before the manifests arrive, so they are Ready as on a
        running cluster (otherwise the first pods would see them tainted not-ready).
        """
        catalog = catalog if catalog is not None else default_catalog()
        if self.images:
            catalog.register_dict({"images": self.images})
        if not isinstance(self.nodes, int):
            cluster.apply_manifests(node_manifests(self.nodes))
        count = self.nodes if isinstance(self.nodes, int) else 0
        traffic = TrafficModel(cluster, self.traffic, cluster.clock.now(), seed=cluster.seed)
        timeline = Timeline(self.timeline)
        runtime = control_plane(cluster, tick=tick, nodes=count, catalog=catalog, load=traffic, first=[timeline])
        runtime.reconcile()
        cluster.apply_manifests(copy.deepcopy(list(self.manifests)))
        timeline.begin(cluster.clock.now())
        return RunningScenario(runtime, catalog, traffic, timeline)
