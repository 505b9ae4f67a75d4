"""The Endpoints controller: each Service with a selector lists its pods' addresses and ports.

Ready pods go to `addresses`, the others (with an IP) to `notReadyAddresses`, as upstream; named
target ports resolve against the pod's container ports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from kaido.sim.cluster import SimCluster
from kaido.sim.controllers.common import PODS, is_pod_ready
from kaido.sim.resources import builtin
from kaido.sim.selectors import selector_from_object
from kaido.sim.store import Obj

__all__ = ["EndpointsController"]

SERVICES: Final = builtin("", "v1", "services")
ENDPOINTS: Final = builtin("", "v1", "endpoints")


class EndpointsController:
    name = "endpoints"

    def reconcile(self, cluster: SimCluster, now: datetime) -> None:
        for service in cluster.store.list_objects(SERVICES, None):
            selector = (service.get("spec") or {}).get("selector")
            if not selector or service["metadata"].get("deletionTimestamp"):
                continue
            self._sync(cluster, service, selector)

    def _sync(self, cluster: SimCluster, service: Obj, selector: dict[str, str]) -> None:
        meta = service["metadata"]
        matcher = selector_from_object(selector)
        pods = [
            p
            for p in cluster.store.list_objects(PODS, meta["namespace"])
            if matcher.matches(p["metadata"].get("labels"))
            and (p.get("status") or {}).get("podIP")
            and not p["metadata"].get("deletionTimestamp")
        ]
        subsets = _subsets(service, pods)
        desired: Obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "labels": dict(meta.get("labels") or {}),
            },
        }
        if subsets:
            desired["subsets"] = subsets
        current = cluster.store.find(ENDPOINTS, meta["namespace"], meta["name"])
        if current is None:
            cluster.ops.create(ENDPOINTS, meta["namespace"], desired)
        elif current.get("subsets") != desired.get("subsets"):
            updated = (
                {**current, "subsets": subsets} if subsets else {k: v for k, v in current.items() if k != "subsets"}
            )
            cluster.ops.update(ENDPOINTS, meta["namespace"], meta["name"], updated)


def _subsets(service: Obj, pods: list[Obj]) -> list[Obj]:
    ports = (service.get("spec") or {}).get("ports") or []
    ready: list[Obj] = []
    not_ready: list[Obj] = []
    for pod in sorted(pods, key=lambda p: str(p["status"]["podIP"])):
        address = {
            "ip": pod["status"]["podIP"],
            "nodeName": pod["spec"].get("nodeName"),
            "targetRef": {
                "kind": "Pod",
                "namespace": pod["metadata"]["namespace"],
                "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"],
            },
        }
        (ready if is_pod_ready(pod) else not_ready).append(address)
    if not ready and not not_ready:
        return []
    subset: Obj = {"ports": [_endpoint_port(port, pods[0]) for port in ports]}
    if ready:
        subset["addresses"] = ready
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    return [subset]


def _endpoint_port(port: dict[str, Any], pod: Obj) -> Obj:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, str) and not target.isdigit():
        named = [
            p["containerPort"]
            for c in pod["spec"].get("containers", [])
            for p in c.get("ports") or []
            if p.get("name") == target
        ]
        target = named[0] if named else port.get("port")
    out: Obj = {"port": int(target or 0), "protocol": port.get("protocol", "TCP")}
    if port.get("name"):
        out["name"] = port["name"]
    return out
