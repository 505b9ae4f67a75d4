"""Configuration that does not exist: a ConfigMap, a Secret, or a key in one, referenced by a pod.

The kubelet says which, in two places: a reference from `env`/`envFrom` fails the container with
CreateContainerConfigError and a message such as `configmap "app-config" not found`; a ConfigMap or
Secret volume fails with FailedMount Events (`MountVolume.SetUp failed for volume "config" :
configmap "app-settings" not found`) and leaves the pod ContainerCreating. Both are `missing-config`,
because the fix is the same: create the object or fix the name. When the namespace's ConfigMap
names are known, the nearest existing one is offered ("a ConfigMap app-configuration exists");
Secret names are never read, so a missing Secret is diagnosed from the message alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from kaido.analysis.diagnosis.context import PodCase
from kaido.analysis.diagnosis.evidence import clip, describe_event, message_of, nearest_name
from kaido.analysis.diagnosis.model import MISSING_CONFIG, Problem
from kaido.analysis.status import ContainerStatus, container_statuses
from kaido.core.refs import ObjectRef

__all__ = ["Missing", "config_error_problem", "mount_config_problem", "parse_missing"]

_NOT_FOUND: Final = re.compile(r'\b(configmap|secret)s? "([^"]+)" not found', re.IGNORECASE)
_KEY: Final = re.compile(r"couldn't find key (\S+) in (ConfigMap|Secret) (?:([^/\s]+)/)?(\S+)", re.IGNORECASE)
_VOLUME_KEY: Final = re.compile(r"(configmap|secret) references non-existent (?:config |secret )?key: (\S+)", re.I)
_VOLUME: Final = re.compile(r'for volume "([^"]+)"')
_KINDS: Final = {"configmap": "ConfigMap", "secret": "Secret"}


@dataclass(frozen=True, slots=True)
class Missing:
    """What the kubelet could not find: a ConfigMap or Secret `name`, or `key` in it."""

    kind: str  # "ConfigMap" or "Secret"
    name: str  # "" when the message names only the key (a volume's items)
    key: str = ""


def parse_missing(message: str) -> Missing | None:
    """The missing object or key a kubelet message names, or None if it names none."""
    found = _KEY.search(message)
    if found is not None:
        return Missing(_KINDS[found.group(2).lower()], found.group(4), found.group(1))
    found = _NOT_FOUND.search(message)
    if found is not None:
        return Missing(_KINDS[found.group(1).lower()], found.group(2))
    found = _VOLUME_KEY.search(message)
    if found is not None:
        return Missing(_KINDS[found.group(1).lower()], "", found.group(2))
    return None


def config_error_problem(case: PodCase, status: ContainerStatus) -> Problem | None:
    """missing-config for a container waiting with CreateContainerConfigError that names what is missing."""
    kind, waiting = status.state()
    if kind != "waiting" or waiting.get("reason") != "CreateContainerConfigError":
        return None
    message = str(waiting.get("message") or "")
    missing = parse_missing(message)
    if missing is None:
        return None
    events = case.ctx.pod_events(case.pod, container=status.name, reason="Failed")
    evidence = (status.describe(), *(describe_event(e) for e in events[-2:]))
    where = f"{status.label} cannot start (CreateContainerConfigError)"
    return _problem(case, missing, where, evidence, container=status.name)


def mount_config_problem(case: PodCase) -> Problem | None:
    """missing-config for a pod whose ConfigMap or Secret volume cannot be mounted (FailedMount)."""
    for event in reversed(case.ctx.pod_events(case.pod, reason="FailedMount")):
        message = message_of(event)
        missing = parse_missing(message)
        if missing is None:
            continue
        volume = _VOLUME.search(message)
        where = f"volume {volume.group(1)} cannot be mounted" if volume else "a volume cannot be mounted"
        where += f", so the pod stays {_waiting(case)}"
        return _problem(case, missing, where, (describe_event(event),))
    return None


def _waiting(case: PodCase) -> str:
    reasons = {str(s.state()[1].get("reason") or "") for s in container_statuses(case.pod) if s.state()[0] == "waiting"}
    return next(iter(sorted(reasons - {""})), "Pending")


def _problem(
    case: PodCase, missing: Missing, where: str, evidence: tuple[str, ...], *, container: str | None = None
) -> Problem:
    namespace = case.namespace
    nearest = None
    if missing.kind == "ConfigMap" and missing.name and not missing.key:
        names = case.ctx.configmap_names(namespace)
        nearest = nearest_name(missing.name, names) if names is not None else None
    if missing.key and missing.name:
        what = f"key {missing.key} not found in {missing.kind} {missing.name}"
        fix = f"add key {missing.key} to {missing.kind} {missing.name} or fix the key in {case.kubectl_ref}"
    elif missing.key:
        what = f"key {missing.key} not found in a {missing.kind} the pod mounts"
        fix = f"add key {missing.key} to the {missing.kind} or fix the volume's items in {case.kubectl_ref}"
    else:
        what = f"{missing.kind} {missing.name} not found"
        what += f" (a {missing.kind} {nearest} exists)" if nearest else ""
        fix = f"create {missing.kind} {missing.name} in namespace {namespace} or fix the name in {case.kubectl_ref}"
        fix += f" (did you mean {nearest}?)" if nearest else ""
    related = (ObjectRef(kind=missing.kind, name=missing.name, namespace=namespace),) if missing.name else ()
    return Problem(
        cause=MISSING_CONFIG,
        severity="critical",
        summary=f"{what}: {where}",
        evidence=tuple(clip(line) for line in evidence),
        suggestion=fix,
        container=container,
        related=related,
    )
