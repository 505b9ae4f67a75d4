"""Server-side Tables (`meta.k8s.io/v1 Table`): what `kubectl get` prints, rendered by the server.

kubectl asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the cells it gets
back verbatim: column names upper-cased, priority-1 columns only with `-o wide`, AGE as the server
wrote it. A server that answers with a plain List gets only NAME and AGE, so the simulator renders
every kind the way the real API server does.

`render_table` is pure: objects and `now` in, the Table body out. Each row carries the object as
`includeObject` asks (kubectl needs it for `-A`, `--show-labels` and `--sort-by`). Printers for
pods and their controllers live in `kaido.sim.printers`; this module holds the rest: cluster,
networking, events, configuration, storage, access and policy kinds, the API server's default
convertor for kinds without a printer, and metrics-server's convertor for `metrics.k8s.io`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Final

from kaido.core import Quantity, parse_quantity
from kaido.sim.errors import ApiError
from kaido.sim.printers import (
    AGE,
    NAME,
    WORKLOAD_PRINTERS,
    Column,
    Printer,
    age,
    dig,
    format_label_selector,
    format_labels,
    human_duration,
    meta,
    name,
    parse_time,
    quantity,
    since,
    wide,
)
from kaido.sim.resources import ResourceType

__all__ = ["human_duration", "render_table", "wants_table"]  # human_duration: AGE as the Table prints it

Obj = dict[str, Any]

_INCLUDE_OBJECT: Final = ("Metadata", "Object", "None")
_TABLE_VERSIONS: Final = ("v1", "v1beta1")
_JSON_TYPES: Final = ("application/json", "*/*", "application/*")
_NODE_ROLE_PREFIX: Final = "node-role.kubernetes.io/"
_NODE_ROLE_LABEL: Final = "kubernetes.io/role"
_BETA_STORAGE_CLASS: Final = "volume.beta.kubernetes.io/storage-class"
_DEFAULT_CLASS: Final = ("storageclass.kubernetes.io/is-default-class",
                          "storageclass.beta.kubernetes.io/is-default-class")  # fmt: skip
_ACCESS_MODES: Final = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                        ("ReadWriteOncePod", "RWOP"))  # fmt: skip


# --- content negotiation and the Table envelope ----------------------------------------------------


def wants_table(accept_header: str) -> bool:
    """True when the preferred acceptable clause of `Accept` asks for a meta.k8s.io v1/v1beta1 Table.

    Clauses are tried by q-value, then in order; a plain JSON clause ahead of the Table one wins, and
    clauses the server cannot answer (protobuf, other Table versions) are skipped.
    """
    clauses = [_media_clause(clause) for clause in accept_header.split(",") if clause.strip()]
    for media_type, params in sorted(clauses, key=lambda clause: -_q(clause[1])):
        if _q(params) <= 0 or media_type not in _JSON_TYPES:
            continue
        if "as" not in params:
            return False
        if params["as"] == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in _TABLE_VERSIONS:
            return True
    return False


def _media_clause(clause: str) -> tuple[str, dict[str, str]]:
    media_type, *raw = (part.strip() for part in clause.split(";"))
    params = dict(part.partition("=")[::2] for part in raw if part)
    return media_type.lower(), {key.strip().lower(): value.strip() for key, value in params.items()}


def _q(params: dict[str, str]) -> float:
    try:
        return float(params.get("q", "1"))
    except ValueError:
        return 0.0


def render_table(
    resource: ResourceType,
    objects: list[Obj],
    *,
    now: datetime,
    include_object: str = "Metadata",
    resource_version: str,
    continue_token: str | None = None,
    include_columns: bool = True,
) -> dict[str, Any]:
    """The Table for `objects` of `resource`, every cell rendered (kubectl filters `-o wide` columns).

    `include_columns=False` is for watch events after the first, which carry no column definitions.
    Rows share the objects' dicts: serialise the Table, do not mutate it. An unknown
    `include_object` is the API server's 400.
    """
    include = include_object or "Metadata"
    if include not in _INCLUDE_OBJECT:
        raise ApiError.bad_request(
            f'includeObject: Unsupported value: "{include_object}": supported values: "Metadata", "None", "Object"'
        )
    printer = _printer_for(resource, objects)
    rows = [_row(printer, resource, obj, now, include) for obj in objects]
    metadata: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    columns = [asdict(column) for column in printer.columns] if include_columns else []
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": columns,
            "rows": rows}  # fmt: skip


def _row(printer: Printer, resource: ResourceType, obj: Obj, now: datetime, include: str) -> dict[str, Any]:
    row: dict[str, Any] = {"cells": printer.cells(obj, now)}
    conditions = printer.conditions(obj) if printer.conditions else []
    if conditions:
        row["conditions"] = conditions
    if include == "Object":
        row["object"] = {"kind": resource.kind, "apiVersion": resource.api_version, **obj}
    elif include == "Metadata":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta(obj)}
    else:
        row["object"] = None
    return row


def _printer_for(resource: ResourceType, objects: list[Obj]) -> Printer:
    if resource.group == "metrics.k8s.io":
        return _metrics_printer(objects)
    found = WORKLOAD_PRINTERS.get((resource.group, resource.kind)) or _PRINTERS.get((resource.group, resource.kind))
    return found or _NAME_AGE


# --- cluster and networking -------------------------------------------------------------------------


def print_node(node: Obj, now: datetime) -> list[Any]:
    """STATUS from the Ready condition ("NotReady" for False and Unknown), plus SchedulingDisabled."""
    status = node.get("status") or {}
    ready = {c.get("type"): c for c in status.get("conditions") or []}.get("Ready")
    states = ["Unknown"] if ready is None else ["Ready" if ready.get("status") == "True" else "NotReady"]
    if dig(node, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    info = status.get("nodeInfo") or {}
    addresses = [_node_address(status, kind) for kind in ("InternalIP", "ExternalIP")]
    details = [info.get(key) or "<unknown>" for key in ("osImage", "kernelVersion", "containerRuntimeVersion")]
    cells = [name(node), ",".join(states), ",".join(_node_roles(node)) or "<none>", age(node, now)]
    return [*cells, info.get("kubeletVersion", ""), *addresses, *details]


def _node_roles(node: Obj) -> list[str]:
    roles = set()
    for key, value in (meta(node).get("labels") or {}).items():
        if key.startswith(_NODE_ROLE_PREFIX) and key != _NODE_ROLE_PREFIX:
            roles.add(key.removeprefix(_NODE_ROLE_PREFIX))
        elif key == _NODE_ROLE_LABEL and value:
            roles.add(value)
    return sorted(roles)


def _node_address(status: Obj, kind: str) -> str:
    return next((a.get("address", "") for a in status.get("addresses") or [] if a.get("type") == kind), "<none>")


def print_service(svc: Obj, now: datetime) -> list[Any]:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"  # defaulted on write
    cluster_ip = (spec.get("clusterIPs") or [spec.get("clusterIP")])[0] or "<none>"
    ports = ",".join(map(_service_port, spec.get("ports") or [])) or "<none>"
    cells = [name(svc), kind, cluster_ip, _external_ip(svc, kind), ports, age(svc, now)]
    return [*cells, format_labels(spec.get("selector"))]


def _service_port(port: Obj) -> str:
    protocol = port.get("protocol") or "TCP"
    node_port = f":{port['nodePort']}" if int(port.get("nodePort") or 0) > 0 else ""
    return f"{port.get('port')}{node_port}/{protocol}"


def _external_ip(svc: Obj, kind: str) -> str:
    external = list(dig(svc, "spec", "externalIPs") or [])
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        return ",".join(_load_balancers(dig(svc, "status", "loadBalancer", "ingress")) + external) or "<pending>"
    if kind == "ExternalName":
        return str(dig(svc, "spec", "externalName") or "")
    return "<unknown>"


def _load_balancers(ingress: Any) -> list[str]:
    """Distinct IPs (else hostnames), sorted; never clipped, since the server prints wide."""
    return sorted({entry.get("ip") or entry.get("hostname") for entry in ingress or []} - {None, ""})


def print_endpoints(obj: Obj, now: datetime) -> list[Any]:
    """At most three ip:port pairs, then "+ N more..."; "<none>" without subsets."""
    subsets = obj.get("subsets") or []
    pairs: list[str] = []
    for subset in subsets:
        ips = [address.get("ip", "") for address in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        pairs += ips if not ports else [_host_port(ip, port.get("port")) for port in ports for ip in ips]
    shown = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [name(obj), shown if subsets else "<none>", age(obj, now)]


def _host_port(ip: str, port: Any) -> str:
    try:
        bracketed = ipaddress.ip_address(ip).version == 6
    except ValueError:
        bracketed = ":" in ip
    return f"[{ip}]:{port}" if bracketed else f"{ip}:{port}"


def print_ingress(obj: Obj, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    rules = spec.get("rules") or []
    hosts: list[str] = []
    more = False
    for rule in rules:  # upstream's formatHosts: stop at three hosts, "more" once a rule is left over
        more = more or len(hosts) == 3
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    shown = (",".join(hosts) + (f" + {len(rules) - 3} more..." if more else "")) if hosts else "*"
    address = ",".join(_load_balancers(dig(obj, "status", "loadBalancer", "ingress")))
    ports = "80, 443" if spec.get("tls") else "80"
    return [name(obj), spec.get("ingressClassName") or "<none>", shown, address, ports, age(obj, now)]


# --- events -------------------------------------------------------------------------------------------

_EVENTS_V1_FIELDS: Final = {"regarding": "involvedObject", "note": "message", "deprecatedSource": "source",
                            "deprecatedFirstTimestamp": "firstTimestamp", "deprecatedLastTimestamp": "lastTimestamp",
                            "deprecatedCount": "count"}  # fmt: skip


def print_event(event: Obj, now: datetime) -> list[Any]:
    """LAST SEEN is the last occurrence only; the "(x3 over 10m)" form is kubectl describe's."""
    first_seen = "firstTimestamp" if parse_time(event.get("firstTimestamp")) else "eventTime"
    first = since(event.get(first_seen), now)
    last = since(event["lastTimestamp"], now) if parse_time(event.get("lastTimestamp")) else first
    count = int(event.get("count") or 0)
    if event.get("series"):
        last, count = since(event["series"].get("lastObservedTime"), now), int(event["series"].get("count") or 0)
    elif count == 0:
        count = 1  # singleton events carry no count in the new API
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    component = dig(event, "source", "component") or event.get("reportingController") or ""
    instance = dig(event, "source", "host") or event.get("reportingInstance") or ""
    source = f"{component}, {instance}" if instance else component
    cells = [last, event.get("type", ""), event.get("reason", ""), target, involved.get("fieldPath", ""), source]
    return [*cells, str(event.get("message", "")).strip(), first, count, name(event)]


def print_events_v1(event: Obj, now: datetime) -> list[Any]:
    """events.k8s.io/v1 under its core/v1 field names, as the API server converts it, then printed alike."""
    return print_event({_EVENTS_V1_FIELDS.get(key, key): value for key, value in event.items()}, now)


# --- configuration, storage and access ----------------------------------------------------------------


def print_resource_quota(obj: Obj, now: datetime) -> list[Any]:
    """REQUEST and LIMIT as "resource: used/hard", limits.* resources in LIMIT, sorted by name."""
    hard, used = dig(obj, "status", "hard") or {}, dig(obj, "status", "used") or {}
    columns: dict[bool, list[str]] = {False: [], True: []}
    for resource in sorted(hard):
        spelled = f"{resource}: {quantity(used.get(resource, 0))}/{quantity(hard[resource])}"
        columns[resource.split(".")[0] == "limits" and "." in resource].append(spelled)
    return [name(obj), ", ".join(columns[False]), ", ".join(columns[True]), age(obj, now)]


def _access_modes(modes: Any) -> str:
    return ",".join(short for mode, short in _ACCESS_MODES if mode in (modes or []))


def _storage_class(obj: Obj) -> str:
    annotated = (meta(obj).get("annotations") or {}).get(_BETA_STORAGE_CLASS)
    return str(annotated or dig(obj, "spec", "storageClassName") or "")


def print_pv(obj: Obj, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    claim = spec.get("claimRef")
    phase = "Terminating" if meta(obj).get("deletionTimestamp") else dig(obj, "status", "phase") or ""
    cells = [name(obj), quantity(dig(spec, "capacity", "storage") or 0), _access_modes(spec.get("accessModes"))]
    cells += [spec.get("persistentVolumeReclaimPolicy", ""), phase]
    cells += [f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "", _storage_class(obj)]
    cells += [spec.get("volumeAttributesClassName") or "<unset>", dig(obj, "status", "reason") or ""]
    return [*cells, age(obj, now), spec.get("volumeMode") or "<unset>"]


def print_pvc(obj: Obj, now: datetime) -> list[Any]:
    """CAPACITY and ACCESS MODES come from the status, and only once the claim is bound."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if meta(obj).get("deletionTimestamp") else status.get("phase") or ""
    bound = bool(spec.get("volumeName"))
    capacity = quantity(dig(status, "capacity", "storage") or 0) if bound else ""
    modes = _access_modes(status.get("accessModes")) if bound else ""
    cells = [name(obj), phase, spec.get("volumeName", ""), capacity, modes, _storage_class(obj)]
    cells += [spec.get("volumeAttributesClassName") or "<unset>", age(obj, now)]
    return [*cells, spec.get("volumeMode") or "<unset>"]


def print_storage_class(obj: Obj, now: datetime) -> list[Any]:
    annotations = meta(obj).get("annotations") or {}
    default = " (default)" if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS) else ""
    cells = [name(obj) + default, obj.get("provisioner", ""), obj.get("reclaimPolicy") or "Delete"]
    return [*cells, obj.get("volumeBindingMode") or "Immediate", bool(obj.get("allowVolumeExpansion")), age(obj, now)]


def print_role_binding(obj: Obj, now: datetime) -> list[Any]:
    """RoleBindings and ClusterRoleBindings; service accounts print as "namespace/name"."""
    ref, subjects = obj.get("roleRef") or {}, obj.get("subjects") or []
    by_kind: dict[str, list[str]] = {"User": [], "Group": [], "ServiceAccount": []}
    for subject in subjects:
        spelled = subject.get("name", "")
        if subject.get("kind") == "ServiceAccount":
            spelled = f"{subject.get('namespace', '')}/{spelled}"
        by_kind.setdefault(subject.get("kind", ""), []).append(spelled)
    cells = [name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", age(obj, now)]
    return [*cells, *(", ".join(by_kind[kind]) for kind in ("User", "Group", "ServiceAccount"))]


def print_controller_revision(obj: Obj, now: datetime) -> list[Any]:
    """CONTROLLER is the controlling owner as "kind.group/name"."""
    owner = next((ref for ref in meta(obj).get("ownerReferences") or [] if ref.get("controller")), None)
    controller = "<none>"
    if owner is not None:
        group = str(owner.get("apiVersion", "")).rpartition("/")[0]
        kind = f"{owner.get('kind', '')}.{group}" if group else str(owner.get("kind", ""))
        controller = f"{kind.lower()}/{owner.get('name', '')}" if kind else str(owner.get("name", ""))
    return [name(obj), controller, int(obj.get("revision") or 0), age(obj, now)]


def print_pdb(obj: Obj, now: datetime) -> list[Any]:
    spec = obj.get("spec") or {}
    bounds = [str(spec[key]) if spec.get(key) is not None else "N/A" for key in ("minAvailable", "maxUnavailable")]
    return [name(obj), *bounds, int(dig(obj, "status", "disruptionsAllowed") or 0), age(obj, now)]


def print_created_at(obj: Obj, now: datetime) -> list[Any]:
    """The API server's default convertor, for kinds without a printer (Role, ClusterRole, LimitRange)."""
    created = parse_time(meta(obj).get("creationTimestamp")) or datetime(1, 1, 1, tzinfo=UTC)
    return [name(obj), created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]


# --- metrics.k8s.io (metrics-server's convertor) ------------------------------------------------------


def _usage(obj: Obj) -> dict[str, Quantity]:
    """A NodeMetrics' usage, or a PodMetrics' usage summed over its containers."""
    if "containers" not in obj:
        return {key: parse_quantity(value) for key, value in (obj.get("usage") or {}).items()}
    total: dict[str, Quantity] = {}
    for container in obj["containers"] or []:
        for key, value in (container.get("usage") or {}).items():
            total[key] = total[key] + parse_quantity(value) if key in total else parse_quantity(value)
    return total


def _metrics_printer(objects: list[Obj]) -> Printer:
    """NAME, one column per resource the first item reports (sorted), WINDOW; no columns without items."""
    if not objects:
        return Printer((), lambda obj, now: [])
    resources = sorted(_usage(objects[0]))
    columns = (
        Column("Name", "Name of the resource", format="name"),
        *(Column(resource, "", format="quantity") for resource in resources),
        Column("Window", "", format="duration"),
    )

    def cells(obj: Obj, now: datetime) -> list[Any]:
        usage = _usage(obj)
        return [name(obj), *(str(usage[r]) if r in usage else "0" for r in resources), obj.get("window") or "0s"]

    return Printer(columns, cells)


# --- the printers ---------------------------------------------------------------------------------------

_CREATED_AT: Final = Printer((NAME, Column("Created At", AGE.description, "date")), print_created_at)
_NAME_AGE: Final = Printer((NAME, AGE), lambda obj, now: [name(obj), age(obj, now)])
_EVENT_COLUMNS: Final = (
    Column("Last Seen", "Time of the most recent occurrence."), Column("Type", "Normal or Warning."),
    Column("Reason", "Why the action was taken."), Column("Object", "The object this event is about."),
    wide("Subobject", "The part of the object, such as a container."), wide("Source", "The component reporting it."),
    Column("Message", "A human-readable description."), wide("First Seen", "Time of the first occurrence."),
    wide("Count", "How many times it occurred."), Column("Name", NAME.description, priority=1, format="name"),
)  # fmt: skip
_BINDING_COLUMNS: Final = (
    NAME, Column("Role", "The role the subjects are bound to."), AGE, wide("Users", "Users in the binding"),
    wide("Groups", "Groups in the binding"), wide("ServiceAccounts", "ServiceAccounts in the binding"),
)  # fmt: skip


def _simple(cells: Callable[[Obj], list[Any]], *columns: Column) -> Printer:
    """NAME, the given columns, AGE: the shape of most metadata-only kinds."""
    return Printer((NAME, *columns, AGE), lambda obj, now: [name(obj), *cells(obj), age(obj, now)])


_PRINTERS: Final[dict[tuple[str, str], Printer]] = {
    ("", "Node"): Printer((
        NAME, Column("Status", "The status of the node"), Column("Roles", "The roles of the node"), AGE,
        Column("Version", "Kubelet version."), wide("Internal-IP", "The node's internal IP."),
        wide("External-IP", "The node's external IP."), wide("OS-Image", "OS image reported by the node."),
        wide("Kernel-Version", "Kernel version reported by the node."),
        wide("Container-Runtime", "Container runtime version reported by the node."),
    ), print_node),
    ("", "Service"): Printer((
        NAME, Column("Type", "How the service is exposed."), Column("Cluster-IP", "The service's cluster IP."),
        Column("External-IP", "IPs the service is reachable on from outside."),
        Column("Port(s)", "The ports the service exposes."), AGE, wide("Selector", "The pods the service routes to."),
    ), print_service),
    ("", "Endpoints"): Printer((NAME, Column("Endpoints", "The ready addresses and ports."), AGE), print_endpoints),
    ("networking.k8s.io", "Ingress"): Printer((
        NAME, Column("Class", "The name of the IngressClass resource that should be used for additional configuration"),
        Column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
        Column("Address", "Address is a list containing ingress points for the load-balancer"),
        Column("Ports", "Ports of TLS configurations that open"), AGE,
    ), print_ingress),
    ("networking.k8s.io", "NetworkPolicy"): _simple(
        lambda obj: [format_label_selector(dig(obj, "spec", "podSelector"))],
        Column("Pod-Selector", "The pods the policy applies to."),
    ),
    ("", "Event"): Printer(_EVENT_COLUMNS, print_event),
    ("events.k8s.io", "Event"): Printer(_EVENT_COLUMNS, print_events_v1),
    ("", "Namespace"): _simple(lambda obj: [dig(obj, "status", "phase") or "Active"],
                               Column("Status", "The status of the namespace")),
    ("", "ConfigMap"): _simple(lambda obj: [len(obj.get("data") or {}) + len(obj.get("binaryData") or {})],
                               Column("Data", "Number of data and binaryData keys.")),
    ("", "Secret"): _simple(  # stringData is merged into data on write
        lambda obj: [obj.get("type") or "Opaque", len({*(obj.get("data") or {}), *(obj.get("stringData") or {})})],
        Column("Type", "Used to facilitate programmatic handling of secret data."),
        Column("Data", "Number of data keys."),
    ),
    ("", "ServiceAccount"): _simple(lambda obj: [len(obj.get("secrets") or [])],
                                    Column("Secrets", "Number of secrets.")),
    ("coordination.k8s.io", "Lease"): _simple(lambda obj: [dig(obj, "spec", "holderIdentity") or ""],
                                              Column("Holder", "The current holder of the lease.")),
    ("", "ResourceQuota"): Printer((
        NAME, Column("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
        Column("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of "
                        "contention on the node."), AGE,
    ), print_resource_quota),
    ("", "PersistentVolume"): Printer((
        NAME, Column("Capacity", "The volume's capacity."), Column("Access Modes", "Ways the volume can be mounted."),
        Column("Reclaim Policy", "What happens when the claim is released."), Column("Status", "The volume's phase."),
        Column("Claim", "The bound claim."), Column("StorageClass", "StorageClass of the pv"),
        Column("VolumeAttributesClass", "VolumeAttributesClass of the pv"), Column("Reason", "Why it failed."), AGE,
        wide("VolumeMode", "Filesystem or Block."),
    ), print_pv),
    ("", "PersistentVolumeClaim"): Printer((
        NAME, Column("Status", "The claim's phase."), Column("Volume", "The bound volume."),
        Column("Capacity", "The bound volume's capacity."), Column("Access Modes", "Ways the volume is mounted."),
        Column("StorageClass", "StorageClass of the pvc"),
        Column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"), AGE,
        wide("VolumeMode", "Filesystem or Block."),
    ), print_pvc),
    ("storage.k8s.io", "StorageClass"): Printer((
        NAME, Column("Provisioner", "The volume plugin."), Column("ReclaimPolicy", "Reclaim policy of new volumes."),
        Column("VolumeBindingMode", "When volumes are bound."),
        Column("AllowVolumeExpansion", "Whether volumes can be expanded."), AGE,
    ), print_storage_class),
    ("apps", "ControllerRevision"): Printer((
        NAME, Column("Controller", "Controller of the object"), Column("Revision", "Revision of the data."), AGE,
    ), print_controller_revision),
    ("policy", "PodDisruptionBudget"): Printer((
        NAME, Column("Min Available", "The minimum number of pods that must be available."),
        Column("Max Unavailable", "The maximum number of pods that may be unavailable."),
        Column("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", "integer"), AGE,
    ), print_pdb),
    ("rbac.authorization.k8s.io", "RoleBinding"): Printer(_BINDING_COLUMNS, print_role_binding),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): Printer(_BINDING_COLUMNS, print_role_binding),
    ("rbac.authorization.k8s.io", "Role"): _CREATED_AT,
    ("rbac.authorization.k8s.io", "ClusterRole"): _CREATED_AT,
    ("", "LimitRange"): _CREATED_AT,
    ("authorization.k8s.io", "SelfSubjectAccessReview"): _CREATED_AT,
    ("authorization.k8s.io", "SelfSubjectRulesReview"): _CREATED_AT,
    ("authentication.k8s.io", "SelfSubjectReview"): _CREATED_AT,
}  # fmt: skip
