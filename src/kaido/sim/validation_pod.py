"""Pod spec validation, as ValidatePodSpec and ValidatePodTemplateSpec report it.

Every workload's template goes through here with its own path prefix, so a Deployment says
`spec.template.spec.containers[0].image: Required value` where a Pod says
`spec.containers[0].image: Required value`. The object is expected to be defaulted already, as on
the API server (a missing restartPolicy is a "Required value" only if defaulting did not run).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from kaido.sim.errors import Cause
from kaido.sim.field_errors import (
    as_dict,
    as_dicts,
    as_list,
    child,
    duplicate,
    forbidden,
    index,
    invalid,
    nonnegative,
    not_found,
    not_supported,
    required,
    semantically_equal,
)
from kaido.sim.validation_meta import (
    is_config_map_key,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    is_port_name,
    is_port_number,
    is_qualified_name,
    validate_annotations,
    validate_labels,
)
from kaido.sim.validation_resources import validate_resource_requirements

__all__ = ["port_number_or_name", "validate_pod_spec", "validate_pod_template", "validate_pod_update"]

_RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
_DNS_POLICIES: Final = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
_PROTOCOLS: Final = ("SCTP", "TCP", "UDP")
_HANDLERS: Final = ("exec", "httpGet", "tcpSocket", "grpc")
_PROBES: Final = ("livenessProbe", "readinessProbe", "startupProbe")
_ENV_SOURCES: Final = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
_FIELD_PATHS: Final = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
_FILE_MODE: Final = "must be a number between 0 and 0777 (octal), both inclusive"
# The field each volume source cannot do without.
_SOURCE_REFERENCES: Final = {
    "configMap": "name",
    "secret": "secretName",
    "persistentVolumeClaim": "claimName",
    "hostPath": "path",
}
_MAX_INT32: Final = 2**31 - 1
UPDATE_FORBIDDEN: Final = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _choice(value: Any, path: str, supported: tuple[str, ...]) -> list[Cause]:
    if not value:
        return [required(path)]
    return [] if value in supported else [not_supported(path, value, supported)]


def port_number_or_name(port: Any, path: str) -> list[Cause]:
    """ValidatePortNumOrName: an int in 1..65535 or an IANA port name."""
    if isinstance(port, str):
        return [invalid(path, port, message) for message in is_port_name(port)]
    number = port if isinstance(port, int) and not isinstance(port, bool) else 0
    return [invalid(path, number, message) for message in is_port_number(number)]


def validate_pod_template(template: Any, path: str) -> list[Cause]:
    """ValidatePodTemplateSpec: the template's labels and annotations (at `<path>.labels`), then its spec."""
    template = as_dict(template)
    meta = as_dict(template.get("metadata"))
    causes = validate_labels(meta.get("labels"), child(path, "labels"))
    causes += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    spec = as_dict(template.get("spec"))
    causes += validate_pod_spec(spec, child(path, "spec"))
    if spec.get("ephemeralContainers"):
        causes.append(
            forbidden(child(path, "spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template")
        )
    return causes


def validate_pod_spec(spec: Any, path: str) -> list[Cause]:
    spec = as_dict(spec)
    volumes, causes = _validate_volumes(spec.get("volumes"), child(path, "volumes"))
    causes += _validate_containers(spec.get("containers"), volumes, child(path, "containers"))
    causes += _validate_init_containers(spec, volumes, child(path, "initContainers"))
    causes += _choice(spec.get("restartPolicy"), child(path, "restartPolicy"), _RESTART_POLICIES)
    causes += _choice(spec.get("dnsPolicy"), child(path, "dnsPolicy"), _DNS_POLICIES)
    causes += validate_labels(spec.get("nodeSelector"), child(path, "nodeSelector"))
    for field, check in (("serviceAccountName", is_dns1123_subdomain), ("nodeName", is_dns1123_subdomain)):
        if value := spec.get(field):
            causes += [invalid(child(path, field), value, message) for message in check(str(value))]
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 1 <= deadline <= _MAX_INT32:
        causes.append(
            invalid(child(path, "activeDeadlineSeconds"), deadline, f"must be between 1 and {_MAX_INT32}, inclusive")
        )
    for field in ("hostname", "subdomain"):
        if value := spec.get(field):
            causes += [invalid(child(path, field), value, message) for message in is_dns1123_label(str(value))]
    for position, toleration in enumerate(as_dicts(spec.get("tolerations"))):
        causes += _validate_toleration(toleration, index(child(path, "tolerations"), position))
    return causes


# ----- volumes -----------------------------------------------------------------------------------


def _validate_volumes(volumes: Any, path: str) -> tuple[set[str], list[Cause]]:
    """The names of the valid volumes (mounts may refer only to those) and the problems found."""
    names: set[str] = set()
    causes: list[Cause] = []
    for position, volume in enumerate(as_dicts(volumes)):
        volume_path = index(path, position)
        found = _validate_volume_source(volume, volume_path)
        name = volume.get("name") or ""
        if not name:
            found.append(required(child(volume_path, "name")))
        else:
            found += [invalid(child(volume_path, "name"), name, m) for m in is_dns1123_label(str(name))]
        if name in names:
            found.append(duplicate(child(volume_path, "name"), name))
        if not found:
            names.add(name)
        causes += found
    return names, causes


def _validate_volume_source(volume: dict[str, Any], path: str) -> list[Cause]:
    sources = [source for source in volume if source != "name"]
    if not sources:
        return [required(path, "must specify a volume type")]
    causes = [forbidden(child(path, extra), "may not specify more than 1 volume type") for extra in sources[1:2]]
    source, body = sources[0], as_dict(volume[sources[0]])
    reference = _SOURCE_REFERENCES.get(source)
    if reference and not body.get(reference):
        causes.append(required(child(path, source, reference)))
    mode = body.get("defaultMode")
    if isinstance(mode, int) and not 0 <= mode <= 0o777:
        causes.append(invalid(child(path, source, "defaultMode"), mode, _FILE_MODE))
    return causes


# ----- containers --------------------------------------------------------------------------------


def _validate_containers(containers: Any, volumes: set[str], path: str) -> list[Cause]:
    items = as_dicts(containers)
    if not items:
        return [required(path)]
    names: set[str] = set()
    causes: list[Cause] = []
    for position, container in enumerate(items):
        container_path = index(path, position)
        causes += _validate_container(container, volumes, container_path)
        name = container.get("name") or ""
        if name in names:
            causes.append(duplicate(child(container_path, "name"), name))
        names.add(name)
        causes += _validate_probes(container, container_path)
        if container.get("restartPolicy") is not None:
            causes.append(forbidden(child(container_path, "restartPolicy"), "may not be set for non-init containers"))
    return causes


def _validate_init_containers(spec: dict[str, Any], volumes: set[str], path: str) -> list[Cause]:
    names = {container.get("name") or "" for container in as_dicts(spec.get("containers"))}
    causes: list[Cause] = []
    for position, container in enumerate(as_dicts(spec.get("initContainers"))):
        container_path = index(path, position)
        causes += _validate_container(container, volumes, container_path)
        name = container.get("name") or ""
        if name in names:
            causes.append(duplicate(child(container_path, "name"), name))
        names.add(name)
        restart = container.get("restartPolicy")
        if restart is not None and restart != "Always":
            causes.append(not_supported(child(container_path, "restartPolicy"), restart, ("Always",)))
        if restart == "Always":
            causes += _validate_probes(container, container_path)
            continue
        for probe in _PROBES:
            if container.get(probe) is not None:
                detail = "may not be set for init containers without restartPolicy=Always"
                causes.append(forbidden(child(container_path, probe), detail))
    return causes


def _validate_container(container: dict[str, Any], volumes: set[str], path: str) -> list[Cause]:
    """validateContainerCommon: what every kind of container must get right."""
    causes: list[Cause] = []
    name = container.get("name") or ""
    if not name:
        causes.append(required(child(path, "name")))
    else:
        causes += [invalid(child(path, "name"), name, message) for message in is_dns1123_label(str(name))]
    if not container.get("image"):
        causes.append(required(child(path, "image")))
    policy = container.get("terminationMessagePolicy")
    causes += _choice(policy, child(path, "terminationMessagePolicy"), ("File", "FallbackToLogsOnError"))
    causes += _validate_ports(container.get("ports"), child(path, "ports"))
    causes += _validate_env(container.get("env"), child(path, "env"))
    causes += _validate_mounts(container.get("volumeMounts"), volumes, child(path, "volumeMounts"))
    causes += _choice(container.get("imagePullPolicy"), child(path, "imagePullPolicy"), _PULL_POLICIES)
    causes += validate_resource_requirements(container.get("resources"), child(path, "resources"))
    return causes


def _validate_ports(ports: Any, path: str) -> list[Cause]:
    names: set[str] = set()
    causes: list[Cause] = []
    for position, port in enumerate(as_dicts(ports)):
        port_path = index(path, position)
        name = port.get("name")
        if name:
            problems = is_port_name(str(name))
            causes += [invalid(child(port_path, "name"), name, message) for message in problems]
            if not problems and name in names:
                causes.append(duplicate(child(port_path, "name"), name))
            names.add(str(name))
        number = port.get("containerPort")
        if not number:
            causes.append(required(child(port_path, "containerPort")))
        elif isinstance(number, int):
            causes += [invalid(child(port_path, "containerPort"), number, m) for m in is_port_number(number)]
        host_port = port.get("hostPort")
        if isinstance(host_port, int) and host_port:
            causes += [invalid(child(port_path, "hostPort"), host_port, m) for m in is_port_number(host_port)]
        causes += _choice(port.get("protocol"), child(port_path, "protocol"), _PROTOCOLS)
    return causes


def _validate_env(env: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for position, variable in enumerate(as_dicts(env)):
        variable_path = index(path, position)
        name = variable.get("name")
        if not name:
            causes.append(required(child(variable_path, "name")))
        elif any(not (" " <= char <= "~") or char == "=" for char in str(name)):
            message = "a valid environment variable name must consist only of printable ASCII characters other than '='"
            causes.append(invalid(child(variable_path, "name"), name, message))
        if variable.get("valueFrom") is not None:
            causes += _validate_value_from(variable, child(variable_path, "valueFrom"))
    return causes


def _validate_value_from(variable: dict[str, Any], path: str) -> list[Cause]:
    source = as_dict(variable.get("valueFrom"))
    present = [name for name in _ENV_SOURCES if source.get(name) is not None]
    causes: list[Cause] = []
    field_ref = as_dict(source.get("fieldRef"))
    if "fieldRef" in present:
        field_path, ref_path = field_ref.get("fieldPath"), child(path, "fieldRef")
        if not field_ref.get("apiVersion"):
            causes.append(required(child(ref_path, "apiVersion")))
        elif not field_path:
            causes.append(required(child(ref_path, "fieldPath")))
        elif field_path not in _FIELD_PATHS and not str(field_path).startswith(
            ("metadata.labels[", "metadata.annotations[")
        ):
            causes.append(not_supported(child(ref_path, "fieldPath"), field_path, sorted(_FIELD_PATHS)))
    for selector in ("configMapKeyRef", "secretKeyRef"):
        if selector in present:
            causes += _validate_key_selector(as_dict(source[selector]), child(path, selector))
    if not present:
        causes.append(
            invalid(
                path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
            )
        )
    elif variable.get("value"):
        causes.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif len(present) > 1:
        causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes


def _validate_key_selector(selector: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    if name := selector.get("name"):
        causes += [invalid(child(path, "name"), name, message) for message in is_dns1123_subdomain(str(name))]
    selector_key = selector.get("key")
    if not selector_key:
        causes.append(required(child(path, "key")))
    else:
        causes += [invalid(child(path, "key"), selector_key, m) for m in is_config_map_key(str(selector_key))]
    return causes


def _validate_mounts(mounts: Any, volumes: set[str], path: str) -> list[Cause]:
    mount_points: set[str] = set()
    causes: list[Cause] = []
    for position, mount in enumerate(as_dicts(mounts)):
        mount_path = index(path, position)
        name, target = mount.get("name") or "", mount.get("mountPath") or ""
        if not name:
            causes.append(required(child(mount_path, "name")))
        if name not in volumes:
            causes.append(not_found(child(mount_path, "name"), name))
        if not target:
            causes.append(required(child(mount_path, "mountPath")))
        if target in mount_points:
            causes.append(invalid(child(mount_path, "mountPath"), target, "must be unique"))
        mount_points.add(target)
    return causes


# ----- probes and tolerations --------------------------------------------------------------------


def _validate_probes(container: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for probe_name in _PROBES:
        probe = container.get(probe_name)
        if probe is None:
            continue
        probe, probe_path = as_dict(probe), child(path, probe_name)
        causes += _validate_handler(probe, probe_path)
        for field in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
            causes += nonnegative(probe.get(field), child(probe_path, field))
        grace = probe.get("terminationGracePeriodSeconds")
        if isinstance(grace, int) and grace <= 0:
            causes.append(invalid(child(probe_path, "terminationGracePeriodSeconds"), grace, "must be greater than 0"))
        threshold = probe.get("successThreshold")
        if probe_name != "readinessProbe" and threshold is not None and threshold != 1:
            causes.append(invalid(child(probe_path, "successThreshold"), threshold, "must be 1"))
    return causes


def _validate_handler(probe: dict[str, Any], path: str) -> list[Cause]:
    present = [handler for handler in _HANDLERS if probe.get(handler) is not None]
    if not present:
        return [required(path, "must specify a handler type")]
    causes = [forbidden(child(path, extra), "may not specify more than 1 handler type") for extra in present[1:]]
    handler, body = present[0], as_dict(probe[present[0]])
    handler_path = child(path, handler)
    if handler == "exec" and not as_list(body.get("command")):
        causes.append(required(child(handler_path, "command")))
    if handler == "httpGet":
        if not body.get("path"):
            causes.append(required(child(handler_path, "path")))
        causes += port_number_or_name(body.get("port"), child(handler_path, "port"))
        if body.get("scheme") not in ("HTTP", "HTTPS"):
            causes.append(not_supported(child(handler_path, "scheme"), body.get("scheme") or "", ("HTTP", "HTTPS")))
    if handler == "tcpSocket":
        causes += port_number_or_name(body.get("port"), child(handler_path, "port"))
    if handler == "grpc":
        given = body.get("port")
        port = given if isinstance(given, int) else 0
        causes += [invalid(child(handler_path, "port"), port, message) for message in is_port_number(port)]
    return causes


def _validate_toleration(toleration: dict[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    toleration_key, operator = toleration.get("key") or "", toleration.get("operator") or ""
    if toleration_key:
        causes += [invalid(child(path, "key"), toleration_key, m) for m in is_qualified_name(str(toleration_key))]
    elif operator != "Exists":
        detail = 'operator must be Exists when `key` is empty, which means "match all values and all keys"'
        causes.append(invalid(child(path, "operator"), operator, detail))
    effect = toleration.get("effect") or ""
    if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
        causes.append(
            invalid(child(path, "effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set")
        )
    value = str(toleration.get("value") or "")
    if operator in ("Equal", "") and (problems := is_label_value(value)):
        causes.append(invalid(child(path, "operator"), value, ";".join(problems)))
    elif operator == "Exists" and value:
        causes.append(invalid(child(path, "operator"), value, "value must be empty when `operator` is 'Exists'"))
    elif operator not in ("Equal", "Exists", ""):
        causes.append(not_supported(child(path, "operator"), operator, ("Equal", "Exists")))
    if effect and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        causes.append(not_supported(child(path, "effect"), effect, ("NoSchedule", "PreferNoSchedule", "NoExecute")))
    return causes


# ----- updates -----------------------------------------------------------------------------------


def validate_pod_update(pod: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """ValidatePodUpdate: only images, the deadline, added tolerations and a grace-period fix may change."""
    spec, old_spec = as_dict(pod.get("spec")), as_dict(old.get("spec"))
    if len(as_list(spec.get("containers"))) != len(as_list(old_spec.get("containers"))):
        return [forbidden("spec.containers", "pod updates may not add or remove containers")]
    candidate = copy.deepcopy(spec)
    for kind in ("containers", "initContainers"):
        for new_container, old_container in zip(
            as_dicts(candidate.get(kind)), as_dicts(old_spec.get(kind)), strict=False
        ):
            if "image" in old_container:
                new_container["image"] = old_container["image"]
    candidate["activeDeadlineSeconds"] = old_spec.get("activeDeadlineSeconds")
    old_tolerations = as_list(old_spec.get("tolerations"))
    if all(toleration in as_list(spec.get("tolerations")) for toleration in old_tolerations):
        candidate["tolerations"] = old_tolerations
    old_grace = old_spec.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 and spec.get("terminationGracePeriodSeconds") == 1:
        candidate["terminationGracePeriodSeconds"] = old_grace
    if not semantically_equal(candidate, old_spec):
        return [forbidden("spec", UPDATE_FORBIDDEN)]
    return []
