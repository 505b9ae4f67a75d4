"""Kubernetes Events as a channel: an Event on the object each alert is about.

`kubectl describe deployment backend` and `kubectl get events` then show kaido's alerts next to the
cluster's own Events. The object comes from the alert's labels: `workload` (`deployment/backend`
as the alert engine writes it; `deploy/backend` and a bare name, meaning a Deployment, work too)
in `namespace`, else `pod` in `namespace`, else `node`. The object is read first so the Event
carries its uid, which `kubectl describe` matches on; if kaido may not read it, the Event names it
without a uid.

An alert that names no object (a cluster-wide alert), or whose object is gone, gets no Event: there
is nothing to attach it to, and the other channels still carry it. That is logged at debug level.

Reason `AlertFiring` or `AlertResolved`; type `Warning` for a firing critical or warning alert,
`Normal` otherwise; the message is the alert's headline. Transient API errors are retried by the
dispatcher; Events already posted for earlier alerts of the notification may then be posted twice,
which is how Kubernetes Events behave anyway.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Literal, Protocol

from kaido.core.errors import ObjectRefError
from kaido.core.refs import ObjectRef, parse_target
from kaido.kube.errors import Forbidden, KubeError, NotFound
from kaido.kube.resources import Resource, resource_for
from kaido.notify.channels.render import alert_headline
from kaido.notify.model import Alert, DeliveryError, Notification

__all__ = ["EventWriter", "KubernetesEvents", "event_reason", "event_type", "regarding_ref"]

log = logging.getLogger(__name__)
_MESSAGE_MAX: Final = 1024  # the API server's limit on an Event's message


class EventWriter(Protocol):
    """What the channel needs of `kaido.kube.Kube`."""

    async def get(self, res: Resource, name: str, *, namespace: str | None = None) -> dict[str, Any]: ...

    async def post_event(
        self,
        *,
        regarding: dict[str, Any],
        reason: str,
        message: str,
        type: Literal["Normal", "Warning"] = "Normal",
        action: str,
        reporting_instance: str,
    ) -> dict[str, Any]: ...


def regarding_ref(alert: Alert) -> ObjectRef | None:
    """The object an alert is about, from its labels; None when it names none."""
    labels = alert.labels
    namespace = labels.get("namespace") or None
    if labels.get("workload") and namespace:
        try:
            return parse_target(labels["workload"], namespace=namespace)
        except ObjectRefError:
            return None
    if labels.get("pod") and namespace:
        return ObjectRef(kind="Pod", name=labels["pod"], namespace=namespace)
    if labels.get("node"):
        return ObjectRef(kind="Node", name=labels["node"])
    return None


def event_reason(alert: Alert) -> str:
    return "AlertResolved" if alert.state == "resolved" else "AlertFiring"


def event_type(alert: Alert) -> Literal["Normal", "Warning"]:
    return "Warning" if alert.state != "resolved" and alert.severity in ("critical", "warning") else "Normal"


class KubernetesEvents:
    """Posts one Event per alert on the alert's object."""

    kind = "kubernetes-events"

    def __init__(self, name: str, *, kube: EventWriter, reporting_instance: str) -> None:
        self.name = name
        self._kube = kube
        self._instance = reporting_instance

    async def send(self, notification: Notification) -> None:
        for alert in notification.alerts:
            await self._post(alert)

    async def _post(self, alert: Alert) -> None:
        ref = regarding_ref(alert)
        if ref is None:
            log.debug("channel %s: alert %s names no object; no Event", self.name, alert.name)
            return
        try:
            res = resource_for(ref.kind)
        except ValueError:
            log.debug("channel %s: alert %s is about a %s, which kaido cannot address", self.name, alert.name, ref.kind)
            return
        regarding = await self._read(res, ref)
        if regarding is None:
            log.debug("channel %s: %s of alert %s is gone; no Event", self.name, ref, alert.name)
            return
        message = alert_headline(alert)
        if len(message) > _MESSAGE_MAX:
            message = message[: _MESSAGE_MAX - 3] + "..."
        try:
            await self._kube.post_event(
                regarding=regarding,
                reason=event_reason(alert),
                message=message,
                type=event_type(alert),
                action="Notify",
                reporting_instance=self._instance,
            )
        except KubeError as error:
            raise DeliveryError(
                f"channel {self.name} (kubernetes-events): cannot post the Event for alert {alert.name} on {ref}: "
                f"{error}",
                retryable=error.retryable,
            ) from error

    async def _read(self, res: Resource, ref: ObjectRef) -> dict[str, Any] | None:
        """The object as read (for its uid), a bare reference when reading is forbidden, None when gone."""
        try:
            return await self._kube.get(res, ref.name, namespace=ref.namespace)
        except NotFound:
            return None
        except Forbidden:
            meta = {"name": ref.name, "namespace": ref.namespace} if ref.namespace else {"name": ref.name}
            return {"apiVersion": res.api_version, "kind": res.kind, "metadata": meta}
        except KubeError as error:
            raise DeliveryError(
                f"channel {self.name} (kubernetes-events): cannot read {ref}: {error}", retryable=error.retryable
            ) from error
