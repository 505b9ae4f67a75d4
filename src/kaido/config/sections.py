"""The policy's operational sections: modes, namespaces, the agent, the API, monitoring, logs,
rate limits and the healing ladder.

Defaults are the Helm chart's conservative production values and the brief's thresholds
(pod CPU 80 % / memory 85 %, node CPU 85 % / memory 90 % / disk 80 %, more than 5 restarts in
5 minutes is a crash loop). `docs/policy.md` documents every field.
"""

from __future__ import annotations

import fnmatch
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from kaido.config.base import PolicyModel
from kaido.config.durations import Duration, Percent
from kaido.core.errors import QuantityError
from kaido.core.quantity import Quantity, parse_quantity

__all__ = [
    "AgentSettings",
    "ApiSettings",
    "GlobalLimit",
    "HealingSettings",
    "Limit",
    "LogSettings",
    "Mode",
    "Modes",
    "MonitorSettings",
    "NamespaceFilter",
    "RateLimits",
    "Retention",
    "Rung",
    "Thresholds",
    "WorkloadLimit",
]

Mode = Literal["off", "observe", "recommend", "enforce"]
"""off: nothing; observe: detect, record, alert; recommend: propose actions for approval; enforce: act."""

Rung = Literal["restart-pod", "rollout-restart", "scale-down-up"]
"""One step of the healing ladder for transient crashes, tried in order."""

_DEFAULT_LADDER: tuple[Rung, ...] = ("restart-pod", "rollout-restart", "scale-down-up")


class Modes(PolicyModel):
    """How far each capability may go. Monitor, alerts and logs never act, so for them recommend and
    enforce mean the same as observe."""

    monitor: Mode = "observe"
    healing: Mode = "enforce"
    rollback: Mode = "enforce"
    scaling: Mode = "enforce"
    predictive: Mode = "recommend"
    rightsizing: Mode = "recommend"
    alerts: Mode = "observe"
    logs: Mode = "observe"
    reloader: Mode = "recommend"

    @classmethod
    def uniform(cls, mode: Mode) -> Modes:
        """Every capability in `mode` (`kaido demo` enforces everything)."""
        return cls.model_validate(dict.fromkeys(cls.model_fields, mode))


class NamespaceFilter(PolicyModel):
    """Which namespaces kaido may touch. Glob patterns (`team-*`); deny wins over allow."""

    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=lambda: ["kube-system", "kube-public", "kube-node-lease"])

    @field_validator("allow", "deny")
    @classmethod
    def _patterns_not_empty(cls, patterns: list[str]) -> list[str]:
        if any(not pattern.strip() for pattern in patterns):
            raise ValueError("an empty namespace pattern matches nothing; remove it or write a name or glob")
        return patterns

    def admits(self, namespace: str) -> bool:
        """True when `namespace` is not denied and, if an allow list is set, is on it."""
        if any(fnmatch.fnmatchcase(namespace, pattern) for pattern in self.deny):
            return False
        return not self.allow or any(fnmatch.fnmatchcase(namespace, pattern) for pattern in self.allow)


class Retention(PolicyModel):
    """How long the store keeps metric samples at each resolution."""

    raw: Duration = 24 * 3600.0
    five_minute: Duration = Field(default=7 * 86400.0, alias="5m")
    hourly: Duration = Field(default=30 * 86400.0, alias="1h")

    @model_validator(mode="after")
    def _coarser_lives_longer(self) -> Self:
        if not self.raw <= self.five_minute <= self.hourly:
            raise ValueError("retention must not shrink as resolution coarsens: raw <= 5m <= 1h")
        return self


class AgentSettings(PolicyModel):
    """The agent process: leader election, collection intervals, shutdown, the store."""

    lease_name: str = "kaido"
    lease_namespace: str | None = None  # None: the namespace the agent runs in
    lease_duration: Duration = 15.0
    renew_deadline: Duration = 10.0
    retry_period: Duration = 2.0
    metrics_interval: Duration = Field(default=30.0, gt=0)
    resync_check_interval: Duration = Field(default=300.0, gt=0)
    drain_timeout: Duration = 10.0
    store_path: str = "/var/lib/kaido/kaido.db"
    retention: Retention = Field(default_factory=Retention)
    identity: str | None = None  # None: the pod name, else the hostname

    @model_validator(mode="after")
    def _lease_timings(self) -> Self:
        # client-go's rule: a leader must give up before its lease can expire, and retry in between.
        if not self.lease_duration > self.renew_deadline > self.retry_period > 0:
            raise ValueError(
                f"leaseDuration ({self.lease_duration:g}s) must be longer than renewDeadline "
                f"({self.renew_deadline:g}s), which must be longer than retryPeriod ({self.retry_period:g}s) > 0"
            )
        return self


class ApiSettings(PolicyModel):
    """The HTTP server: probes, metrics, REST, dashboard and MCP."""

    port: int = Field(default=8080, ge=1, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - probes and Prometheus reach the agent through the pod IP
    write_token_file: str | None = None  # None: the write endpoints (approve, pause) are disabled
    dashboard_url: str | None = None  # the external URL, for links in alerts


class Thresholds(PolicyModel):
    """Usage, as a percentage of the limit (of allocatable for nodes), above which usage is a finding."""

    pod_cpu: Percent = 80.0
    pod_memory: Percent = 85.0
    node_cpu: Percent = 85.0
    node_memory: Percent = 90.0
    node_disk: Percent = 80.0


class MonitorSettings(PolicyModel):
    """What the monitor watches, how often, and when it calls usage or restarts a problem."""

    pod_interval: Duration = Field(default=30.0, gt=0)
    node_interval: Duration = Field(default=60.0, gt=0)
    pod_selector: str = ""  # a label selector ("app in (frontend, backend)"); empty: every pod
    thresholds: Thresholds = Field(default_factory=Thresholds)
    for_: Duration = Field(default=60.0, alias="for")  # a threshold must hold this long to count
    restart_threshold: int = Field(default=5, ge=1)
    restart_window: Duration = Field(default=300.0, gt=0)


class LogSettings(PolicyModel):
    """How logs are read and what counts as a slow request."""

    interval: Duration = Field(default=60.0, gt=0)
    slow_request: Duration = Field(default=1.0, gt=0)  # an access-log latency above this is slow
    max_lines: int = Field(default=5000, ge=1)  # per workload and interval, so a log storm stays bounded


class Limit(PolicyModel):
    """At most `actions` actions in any window of `per` seconds."""

    actions: int = Field(ge=1)
    per: Duration = Field(gt=0)


class GlobalLimit(Limit):
    """The cluster-wide limit; its own defaults, so `global: {actions: 5}` keeps `per`."""

    actions: int = Field(default=10, ge=1)
    per: Duration = Field(default=60.0, gt=0)


class WorkloadLimit(Limit):
    """The per-workload limit, with its own defaults."""

    actions: int = Field(default=3, ge=1)
    per: Duration = Field(default=600.0, gt=0)


class RateLimits(PolicyModel):
    """Caps on executed actions, cluster-wide and per workload."""

    global_: GlobalLimit = Field(default_factory=GlobalLimit, alias="global")
    per_workload: WorkloadLimit = Field(default_factory=WorkloadLimit)


class HealingSettings(PolicyModel):
    """The healing ladder and its guards."""

    verify_period: Duration = Field(default=120.0, gt=0)
    max_attempts_per_rung: int = Field(default=1, ge=1)
    ladder: list[Rung] = Field(default_factory=lambda: list(_DEFAULT_LADDER))
    max_unavailable_share: float = Field(default=0.5, gt=0, le=1)
    memory_raise_factor: float = Field(default=1.5, gt=1)
    memory_cap: str = "4Gi"
    allow_resource_changes: bool = False
    storm_threshold: int = Field(default=5, ge=1)
    rollback_on_bad_release: bool = True

    @field_validator("ladder")
    @classmethod
    def _no_repeated_rung(cls, ladder: list[Rung]) -> list[Rung]:
        repeated = sorted({rung for rung in ladder if ladder.count(rung) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} appears more than once; use maxAttemptsPerRung to retry a rung")
        return ladder

    @field_validator("memory_cap", mode="before")
    @classmethod
    def _memory_quantity(cls, value: object) -> str:
        try:
            quantity = parse_quantity(value)  # type: ignore[arg-type]  # the parser names bad types itself
        except QuantityError as e:
            raise ValueError(str(e)) from e
        if quantity.value <= 0:
            raise ValueError(f"{quantity} is not a memory size; write a positive quantity such as 4Gi")
        return str(quantity)

    @property
    def memory_cap_quantity(self) -> Quantity:
        return parse_quantity(self.memory_cap)
