"""Leader election on a coordination.k8s.io/v1 Lease, with client-go's leaderelection semantics.

Several agent replicas run; only the leader acts. Each candidate reads the Lease every
`retry_period`. Expiry is judged by the candidate's own clock from when it last saw the record
change (its observed time), never by comparing the server's renewTime with local time, so clock
skew between machines does not matter: a candidate takes over once the record has not changed for
`lease_duration`. Writes replace the Lease with its resourceVersion, so when two candidates race,
the API server's 409 picks one. The leader renews every `retry_period` and steps down if it has
not renewed for `renew_deadline`; since `renew_deadline < lease_duration`, it stops acting before
anyone else may start. On cancellation a leader clears holderIdentity so a successor need not
wait out the lease.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from kaido.core.clock import Clock
from kaido.kube.client import Kube
from kaido.kube.errors import Conflict, KubeError, NotFound
from kaido.kube.resources import LEASES

__all__ = ["LeaderElector", "micro_time"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_JITTER: Final = 0.2  # candidates spread their polls by up to 20 % of retry_period, as client-go's 1.2 factor


def micro_time(moment: datetime) -> str:
    """A metav1.MicroTime: "2026-01-01T00:00:00.000000Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Campaigns for the Lease `namespace/name` as `identity` until cancelled; `is_leader` says who acts."""

    def __init__(
        self,
        kube: Kube,
        *,
        name: str,
        namespace: str,
        identity: str,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        clock: Clock,
        on_change: Callable[[bool], None] | None = None,
        release_on_cancel: bool = True,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period > 0:
            raise ValueError(
                f"leader election for lease {namespace}/{name} needs "
                "lease_duration > renew_deadline > retry_period > 0, not "
                f"lease_duration={lease_duration}, renew_deadline={renew_deadline}, retry_period={retry_period}"
            )
        if not identity:
            raise ValueError(f"leader election for lease {namespace}/{name} needs a non-empty identity (the pod name)")
        self.kube = kube
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.clock = clock
        self.on_change = on_change
        self.release_on_cancel = release_on_cancel
        self._leader = False
        self._lease: dict[str, Any] | None = None  # the last Lease read or written
        self._observed_spec: dict[str, Any] | None = None
        self._observed_at = 0.0  # monotonic time the record was last seen to change
        self._renewed_at = 0.0  # monotonic time our last successful write started
        self._random = random.Random(identity)  # noqa: S311 - jitter only; seeded so runs repeat

    @property
    def is_leader(self) -> bool:
        return self._leader

    @property
    def holder(self) -> str | None:
        """The holder in the last record seen (None when nobody holds the lease)."""
        spec = self._observed_spec or {}
        return spec.get("holderIdentity") or None

    @property
    def transitions(self) -> int:
        """leaseTransitions in the last record seen: how many times leadership changed hands."""
        return int((self._observed_spec or {}).get("leaseTransitions") or 0)

    async def run(self) -> None:
        """Acquire, lead while renewals succeed, campaign again after losing; until cancelled."""
        try:
            while True:
                await self._acquire()
                self._set_leader(True)
                await self._lead()
                self._set_leader(False)
        except asyncio.CancelledError:
            if self._leader:
                self._set_leader(False)
                if self.release_on_cancel:
                    await self._release()
            raise
        finally:
            self._set_leader(False)

    async def _acquire(self) -> None:
        while True:
            if await self._within(self._try_acquire_or_renew(), self.renew_deadline):
                return
            await self.clock.sleep(self.retry_period * (1 + _JITTER * self._random.random()))

    async def _lead(self) -> None:
        """Renew every retry_period; return when the lease was lost or not renewed within renew_deadline."""
        delay = self.retry_period
        while True:
            await self.clock.sleep(delay)
            remaining = self._renewed_at + self.renew_deadline - self.clock.monotonic()
            if remaining > 0 and await self._within(self._try_acquire_or_renew(), remaining):
                delay = self.retry_period
                continue
            if self.holder not in (None, self.identity):
                log.warning("lease %s/%s: %s lost it to %s", self.namespace, self.name, self.identity, self.holder)
                return
            remaining = self._renewed_at + self.renew_deadline - self.clock.monotonic()
            if remaining <= 0:
                log.warning(
                    "lease %s/%s: %s could not renew it within renew_deadline=%gs; stepping down",
                    self.namespace,
                    self.name,
                    self.identity,
                    self.renew_deadline,
                )
                return
            delay = min(self.retry_period, remaining)

    async def _try_acquire_or_renew(self) -> bool:
        """One round: take or renew the lease if it is ours or expired; False if someone else holds it."""
        started, now = self.clock.monotonic(), self.clock.now()
        try:
            lease = await self.kube.get(LEASES, self.name, namespace=self.namespace)
        except NotFound:
            return await self._write(None, self._spec(now, acquired=now, transitions=0), started)
        except KubeError as error:
            log.warning("lease %s/%s: %s cannot read it: %s", self.namespace, self.name, self.identity, error)
            return False
        self._lease = lease
        spec = lease.get("spec") or {}
        if spec != self._observed_spec:
            self._observed_spec, self._observed_at = spec, started
        holder = spec.get("holderIdentity") or None
        mine = holder == self.identity
        if holder is not None and not mine and started < self._observed_at + self.lease_duration:
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        if mine:
            acquired = spec.get("acquireTime") or micro_time(now)
            return await self._write(lease, self._spec(now, acquired=acquired, transitions=transitions), started)
        return await self._write(lease, self._spec(now, acquired=now, transitions=transitions + 1), started)

    async def _write(self, lease: dict[str, Any] | None, spec: dict[str, Any], started: float) -> bool:
        """Create the lease, or replace `lease` conditionally on its resourceVersion; a 409 means we lost."""
        try:
            if lease is None:
                body = {"metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec}
                written = await self.kube.create(LEASES, body, namespace=self.namespace)
            else:
                written = await self.kube.replace(LEASES, {**lease, "spec": spec}, namespace=self.namespace)
        except Conflict:
            return False
        except KubeError as error:
            log.warning("lease %s/%s: %s cannot write it: %s", self.namespace, self.name, self.identity, error)
            return False
        self._lease = written
        self._observed_spec, self._observed_at = written.get("spec") or {}, started
        self._renewed_at = started
        return True

    async def _release(self) -> None:
        """Clear holderIdentity so the next candidate takes over at once instead of after lease_duration."""
        lease = self._lease
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
            return
        now = micro_time(self.clock.now())
        spec = {k: v for k, v in (lease.get("spec") or {}).items() if k != "holderIdentity"}
        spec |= {"leaseDurationSeconds": 1, "acquireTime": now, "renewTime": now}
        try:
            released = await self._within(self.kube.replace(LEASES, {**lease, "spec": spec}), self.renew_deadline)
        except KubeError as error:
            log.warning("lease %s/%s: %s could not release it: %s", self.namespace, self.name, self.identity, error)
            return
        if released is not None:
            self._lease, self._observed_spec = released, released.get("spec") or {}
            log.info("lease %s/%s: %s released it", self.namespace, self.name, self.identity)

    def _spec(self, now: datetime, *, acquired: datetime | str, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.identity,
            # the API field is whole seconds; candidates judge expiry by their own lease_duration
            "leaseDurationSeconds": max(1, math.ceil(self.lease_duration)),
            "acquireTime": acquired if isinstance(acquired, str) else micro_time(acquired),
            "renewTime": micro_time(now),
            "leaseTransitions": transitions,
        }

    def _set_leader(self, leader: bool) -> None:
        if leader == self._leader:
            return
        self._leader = leader
        log.info("lease %s/%s: %s %s", self.namespace, self.name, self.identity, "leads" if leader else "stepped down")
        if self.on_change is not None:
            try:
                self.on_change(leader)
            except Exception:
                # a failing listener must not stop the election, or a crashed follower could never lead
                log.exception("lease %s/%s: on_change(%s) failed", self.namespace, self.name, leader)

    async def _within(self, work: Coroutine[Any, Any, T], seconds: float) -> T | None:
        """`work`'s result, or None if it takes longer than `seconds` of this elector's clock (it is cancelled)."""
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self.clock.sleep(seconds))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, timer):
                pending.cancel()
            await asyncio.wait({task, timer})  # let a cancelled request close its connection
        if task.cancelled():
            return None
        return task.result()
