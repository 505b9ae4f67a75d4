"""Pod defaulting: what the API server fills into pod templates and, further, into created Pods.

Two layers, as upstream. SetDefaults_PodSpec and the container, probe and volume defaulters apply
to every pod template (Deployments, Jobs, ...). SetDefaults_Pod and the admission plugins that run
when a Pod is created (ServiceAccount, Priority, DefaultTolerationSeconds) apply to Pods only:
that is why a Deployment's template keeps `resources: {limits: ...}` while its Pods also get the
requests copied from the limits, a service account, a priority and two NoExecute tolerations.
"""

from __future__ import annotations

from typing import Any, Final

from kaido.core import Quantity, QuantityError, parse_quantity
from kaido.sim.defaults_core import canonicalize, default_claim_spec, entries, mapping, put_default

__all__ = ["default_pod", "default_pod_template", "pull_policy", "qos_class"]

_CONTAINER_KINDS: Final = ("initContainers", "containers", "ephemeralContainers")
_PROBES: Final = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_DEFAULTS: Final = (
    ("timeoutSeconds", 1),
    ("periodSeconds", 10),
    ("successThreshold", 1),
    ("failureThreshold", 3),
)
_FILE_MODE: Final = 0o644  # 420, the default mode of configMap, secret, downwardAPI and projected volumes
_TOKEN_SECONDS: Final = 3600
_TOLERATED_SECONDS: Final = 300
_UNHEALTHY_NODE_TAINTS: Final = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_SYSTEM_PRIORITIES: Final = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
_QOS_RESOURCES: Final = ("cpu", "memory")


def default_pod_template(template: dict[str, Any]) -> None:
    """A PodTemplateSpec inside a workload: SetDefaults_PodSpec and the nested defaulters."""
    _default_pod_spec(mapping(template, "spec"))


def default_pod(pod: dict[str, Any]) -> None:
    """A Pod being created: template defaults, SetDefaults_Pod, then the create-time admission plugins."""
    spec = mapping(pod, "spec")
    _default_pod_spec(spec)
    _requests_from_limits(spec)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for kind in ("initContainers", "containers"):
            for container in entries(spec, kind):
                for port in entries(container, "ports"):
                    put_default(port, "hostPort", port.get("containerPort"), zero_is_unset=True)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = account  # the v1 field and its deprecated alias
    _admit_priority(spec)
    _admit_toleration_seconds(spec)
    status = mapping(pod, "status")
    put_default(status, "phase", "Pending")
    put_default(status, "qosClass", qos_class(spec))


def _default_pod_spec(spec: dict[str, Any]) -> None:
    put_default(spec, "dnsPolicy", "ClusterFirst")
    put_default(spec, "restartPolicy", "Always")
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    put_default(spec, "terminationGracePeriodSeconds", 30)
    put_default(spec, "schedulerName", "default-scheduler")
    for volume in entries(spec, "volumes"):
        _default_volume(volume)
    for kind in _CONTAINER_KINDS:
        for container in entries(spec, kind):
            _default_container(container)
    canonicalize(spec, "overhead")
    if isinstance(spec.get("resources"), dict):
        canonicalize(spec["resources"], "limits", "requests")


def _default_container(container: dict[str, Any]) -> None:
    put_default(container, "imagePullPolicy", pull_policy(container.get("image")))
    put_default(container, "terminationMessagePath", "/dev/termination-log")
    put_default(container, "terminationMessagePolicy", "File")
    for port in entries(container, "ports"):
        put_default(port, "protocol", "TCP")
    for variable in entries(container, "env"):
        field_ref = (
            (variable.get("valueFrom") or {}).get("fieldRef") if isinstance(variable.get("valueFrom"), dict) else None
        )
        if isinstance(field_ref, dict):
            put_default(field_ref, "apiVersion", "v1")
    canonicalize(mapping(container, "resources"), "limits", "requests")  # Go always writes `resources: {}`
    for name in _PROBES:
        probe = container.get(name)
        if isinstance(probe, dict):
            for field, value in _PROBE_DEFAULTS:
                put_default(probe, field, value, zero_is_unset=True)
            _default_http_get(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _default_http_get(lifecycle[hook])


def _default_http_get(handler: dict[str, Any]) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        put_default(http_get, "path", "/")
        put_default(http_get, "scheme", "HTTP")


def _default_volume(volume: dict[str, Any]) -> None:
    if all(name == "name" for name in volume):
        volume["emptyDir"] = {}  # a volume with no source is an emptyDir
    for source in ("configMap", "secret", "downwardAPI", "projected"):
        if isinstance(volume.get(source), dict):
            volume[source].setdefault("defaultMode", _FILE_MODE)
    _default_field_refs(volume.get("downwardAPI"))
    if isinstance(volume.get("projected"), dict):
        for projection in entries(volume["projected"], "sources"):
            _default_field_refs(projection.get("downwardAPI"))
            if isinstance(projection.get("serviceAccountToken"), dict):
                projection["serviceAccountToken"].setdefault("expirationSeconds", _TOKEN_SECONDS)
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")
    if isinstance(volume.get("image"), dict):
        put_default(volume["image"], "pullPolicy", pull_policy(volume["image"].get("reference")))
    ephemeral = volume.get("ephemeral")
    if isinstance(ephemeral, dict) and isinstance(ephemeral.get("volumeClaimTemplate"), dict):
        default_claim_spec(mapping(ephemeral["volumeClaimTemplate"], "spec"))


def _default_field_refs(downward: Any) -> None:
    if isinstance(downward, dict):
        for item in entries(downward, "items"):
            if isinstance(item.get("fieldRef"), dict):
                put_default(item["fieldRef"], "apiVersion", "v1")


def pull_policy(image: Any) -> str:
    """Always for `:latest` or an untagged image, IfNotPresent otherwise (digests, bad references too)."""
    if not isinstance(image, str) or not image or any(char.isspace() for char in image):
        return "IfNotPresent"
    name, _, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    is_registry = bool(slash) and ("." in first or ":" in first or first == "localhost" or first != first.lower())
    repository = rest if is_registry else name
    last = repository.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if repository.partition(":")[0] != repository.partition(":")[0].lower():
        return "IfNotPresent"  # "repository name must be lowercase": the reference does not parse
    if digest and not tag:
        return "IfNotPresent"
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _requests_from_limits(spec: dict[str, Any]) -> None:
    """SetDefaults_Pod: a container that sets only limits requests exactly its limits."""
    for kind in ("containers", "initContainers"):
        for container in entries(spec, kind):
            resources = mapping(container, "resources")
            limits = resources.get("limits")
            if isinstance(limits, dict) and limits:
                requests = mapping(resources, "requests")
                for resource, amount in limits.items():
                    requests.setdefault(resource, amount)


def _admit_priority(spec: dict[str, Any]) -> None:
    """The Priority admission plugin, with only the built-in system classes known."""
    class_name = spec.get("priorityClassName")
    if not class_name:
        spec.setdefault("priority", 0)
    elif class_name in _SYSTEM_PRIORITIES:
        spec.setdefault("priority", _SYSTEM_PRIORITIES[class_name])
    if spec.get("priority") is not None:
        put_default(spec, "preemptionPolicy", "PreemptLowerPriority")


def _admit_toleration_seconds(spec: dict[str, Any]) -> None:
    """DefaultTolerationSeconds: tolerate an unhealthy node for five minutes unless told otherwise."""
    given = spec.get("tolerations")
    tolerations = given if isinstance(given, list) else []
    added = []
    for taint in _UNHEALTHY_NODE_TAINTS:
        if not any(_tolerates_no_execute(toleration, taint) for toleration in tolerations):
            added.append(
                {"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": _TOLERATED_SECONDS}
            )
    if added:
        spec["tolerations"] = [*tolerations, *added]


def _tolerates_no_execute(toleration: Any, taint: str) -> bool:
    if not isinstance(toleration, dict):
        return False
    return toleration.get("key") in (taint, "", None) and toleration.get("effect") in ("NoExecute", "", None)


def qos_class(spec: dict[str, Any]) -> str:
    """The Pod's QoS class from its containers' cpu and memory (GetPodQOS)."""
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    for kind in ("containers", "initContainers"):
        for container in entries(spec, kind):
            given = container.get("resources")
            resources = given if isinstance(given, dict) else {}
            _add_positive(requests, resources.get("requests"))
            found = _add_positive(limits, resources.get("limits"))
            if not all(resource in found for resource in _QOS_RESOURCES):
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests.keys() == limits.keys() and all(requests[r] == limits[r] for r in requests):
        return "Guaranteed"
    return "Burstable"


def _add_positive(totals: dict[str, Quantity], resources: Any) -> set[str]:
    """Add the positive cpu/memory amounts of `resources` to `totals`; return the names found."""
    found: set[str] = set()
    for resource, amount in (resources if isinstance(resources, dict) else {}).items():
        if resource not in _QOS_RESOURCES:
            continue
        try:
            quantity = parse_quantity(amount)
        except QuantityError:
            continue
        if quantity.value > 0:
            found.add(resource)
            totals[resource] = totals[resource] + quantity if resource in totals else quantity
    return found
