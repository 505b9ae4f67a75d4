"""What the kubelet resolves before a container runs: the volumes it mounts and the environment it builds.

A ConfigMap or Secret volume that does not exist (and is not optional) cannot be mounted: the pod
stays ContainerCreating with FailedMount events. A missing ConfigMap, Secret or key referenced from
`env` or `envFrom` fails the container's configuration instead: CreateContainerConfigError. The
messages are the kubelet's. Environment values and the command line get `$(VAR)` expansion as
upstream: a defined variable is replaced, `$$` escapes, an undefined reference stays as written.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from typing import Any, Final

from kaido.core import QuantityError, parse_quantity
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin
from kaido.sim.store import Obj

__all__ = ["ConfigError", "container_env", "expand", "volume_errors"]

CONFIGMAPS: Final = builtin("", "v1", "configmaps")
SECRETS: Final = builtin("", "v1", "secrets")
_ENV_NAME: Final = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_REFERENCE: Final = re.compile(r"\$\$|\$\(([^)]*)\)")
_BASE_ENV: Final = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "KUBERNETES_SERVICE_HOST": "10.96.0.1",
    "KUBERNETES_SERVICE_PORT": "443",
    "KUBERNETES_PORT": "tcp://10.96.0.1:443",
}


class ConfigError(Exception):
    """The container's configuration cannot be generated; the message is the kubelet's."""


def volume_errors(cluster: SimCluster, pod: Obj) -> list[tuple[str, str]]:
    """(volume, error) for each ConfigMap or Secret volume that cannot be mounted now."""
    namespace = pod["metadata"]["namespace"]
    errors: list[tuple[str, str]] = []
    for volume in pod["spec"].get("volumes") or []:
        sources: list[tuple[str, Obj]] = []
        if isinstance(volume.get("configMap"), dict):
            sources.append(("configmap", volume["configMap"]))
        if isinstance(volume.get("secret"), dict):
            sources.append(("secret", volume["secret"]))
        for projection in (volume.get("projected") or {}).get("sources") or []:
            sources.extend(
                (kind, projection[key])
                for kind, key in (("configmap", "configMap"), ("secret", "secret"))
                if key in projection
            )
        for kind, source in sources:
            error = _source_error(cluster, namespace, kind, source)
            if error:
                errors.append((volume["name"], error))
                break
    return errors


def _source_error(cluster: SimCluster, namespace: str, kind: str, source: Obj) -> str:
    name = source.get("name") if kind == "configmap" else source.get("secretName", source.get("name"))
    obj = cluster.store.find(CONFIGMAPS if kind == "configmap" else SECRETS, namespace, str(name))
    if obj is None:
        return "" if source.get("optional") else f'{kind} "{name}" not found'
    data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
    for item in source.get("items") or []:
        if item.get("key") not in data and not source.get("optional"):
            if kind == "configmap":
                return f"configmap references non-existent config key: {item.get('key')}"
            return f"references non-existent secret key: {item.get('key')}"
    return ""


def container_env(
    cluster: SimCluster,
    pod: Obj,
    container: Obj,
    *,
    pod_ip: str,
    host_ip: str,
    allocatable: Mapping[str, Any],
) -> dict[str, str]:
    """The container's environment as the kubelet builds it; raise ConfigError as upstream fails."""
    namespace = pod["metadata"]["namespace"]
    env: dict[str, str] = {"HOSTNAME": pod["metadata"]["name"]}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        for kind, key in (("configmap", "configMapRef"), ("secret", "secretRef")):
            if isinstance(source.get(key), dict):
                data = _lookup(cluster, namespace, kind, source[key])
                env.update({prefix + k: v for k, v in (data or {}).items() if _ENV_NAME.match(prefix + k)})
    for variable in container.get("env") or []:
        value = _env_value(
            cluster, pod, container, variable, env, pod_ip=pod_ip, host_ip=host_ip, allocatable=allocatable
        )
        if value is not None:
            env[variable["name"]] = value
    return {**_BASE_ENV, **env}


def _env_value(
    cluster: SimCluster,
    pod: Obj,
    container: Obj,
    variable: Obj,
    env: Mapping[str, str],
    *,
    pod_ip: str,
    host_ip: str,
    allocatable: Mapping[str, Any],
) -> str | None:
    source = variable.get("valueFrom")
    if not isinstance(source, dict):
        return expand(str(variable.get("value", "")), env)
    namespace = pod["metadata"]["namespace"]
    for kind, key, label in (("configmap", "configMapKeyRef", "ConfigMap"), ("secret", "secretKeyRef", "Secret")):
        ref = source.get(key)
        if isinstance(ref, dict):
            data = _lookup(cluster, namespace, kind, ref)
            if data is None:
                return None
            if ref.get("key") not in data:
                if ref.get("optional"):
                    return None
                raise ConfigError(f"couldn't find key {ref.get('key')} in {label} {namespace}/{ref.get('name')}")
            return data[ref["key"]]
    if isinstance(source.get("fieldRef"), dict):
        return _field(pod, str(source["fieldRef"].get("fieldPath", "")), pod_ip=pod_ip, host_ip=host_ip)
    if isinstance(source.get("resourceFieldRef"), dict):
        return _resource(container, source["resourceFieldRef"], allocatable)
    return ""


def _lookup(cluster: SimCluster, namespace: str, kind: str, ref: Obj) -> dict[str, str] | None:
    """The string data of the referenced object; None when it is missing and optional."""
    name = str(ref.get("name", ""))
    obj = cluster.store.find(CONFIGMAPS if kind == "configmap" else SECRETS, namespace, name)
    if obj is None:
        if ref.get("optional"):
            return None
        raise ConfigError(f'{kind} "{name}" not found')
    if kind == "configmap":
        return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    return {str(k): _decode(str(v)) for k, v in (obj.get("data") or {}).items()}


def _decode(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return value


def _field(pod: Obj, path: str, *, pod_ip: str, host_ip: str) -> str:
    meta, spec = pod["metadata"], pod["spec"]
    match = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    values = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    return str(values.get(path) or "")


def _resource(container: Obj, ref: Obj, allocatable: Mapping[str, Any]) -> str:
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    amount = ((container.get("resources") or {}).get(kind) or {}).get(name) or allocatable.get(name, 0)
    try:
        value = parse_quantity(amount).value
        divisor = parse_quantity(ref.get("divisor") or "1").value
    except QuantityError:
        return "0"
    return str(math.ceil(value / divisor)) if divisor else "0"


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined references replaced, `$$` is `$`, others kept."""

    def replace(match: re.Match[str]) -> str:
        if match.group() == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group()

    return _REFERENCE.sub(replace, text)
