"""Alert rules, routes and channels.

A rule fires when its conditions hold (any or all of them) for `for` seconds. A condition is
either a metric compared with a threshold — counts (log errors, slow requests, restarts) are
read per window (`per: 1m`), usages are percentages — or a kind of finding from the diagnosis
(`crash-loop`, `healing-escalated`). A firing alert goes to the rule's own channels when it names some; otherwise
the routes decide, first match wins unless a route says `continue`. The default rules are the
brief's four (high-error-rate, high-warning-rate, performance-degradation, resource-exhaustion)
and healing-escalated, the brief's "alert if all else fails" after the healing ladder.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal, Self

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from kaido.config.base import PolicyModel
from kaido.config.channels import Channel, KubernetesEventsChannel
from kaido.config.durations import Duration

__all__ = [
    "COUNT_METRICS",
    "EVENTS_CHANNEL",
    "AlertRule",
    "AlertSettings",
    "Condition",
    "FindingCondition",
    "Metric",
    "MetricCondition",
    "Route",
    "Severity",
    "default_rules",
]

Metric = Literal[
    "log-errors",  # error lines (error, exception, traceback) in a workload's logs
    "log-warnings",  # warning lines
    "slow-requests",  # access-log requests slower than logs.slowRequest, or answered 5xx / timed out
    "restarts",  # container restarts
    "cpu-usage",  # a pod's CPU, % of its limit (of its request when it has no limit)
    "memory-usage",  # a pod's working set, % of its limit (of its request when it has no limit)
    "node-cpu",  # % of allocatable
    "node-memory",
    "node-disk",
]
Severity = Literal["info", "warning", "critical"]

COUNT_METRICS: Final = frozenset({"log-errors", "log-warnings", "slow-requests", "restarts"})
EVENTS_CHANNEL: Final = "events"  # always defined: Kubernetes Events on the affected object
_NAME: Final = re.compile(r"[a-z0-9]([-a-z0-9_.]*[a-z0-9])?")


class MetricCondition(PolicyModel):
    """`metric op threshold`, a count per window or a percentage."""

    metric: Metric
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float
    per: Duration | None = Field(default=None, gt=0)  # the window a count is read over; counts only

    @model_validator(mode="after")
    def _count_or_percent(self) -> Self:
        if self.metric in COUNT_METRICS and self.per is None:
            raise ValueError(f"{self.metric} is a count; say over which window with per (per: 1m)")
        if self.metric not in COUNT_METRICS:
            if self.per is not None:
                raise ValueError(f"{self.metric} is a percentage; remove per")
            if not 0 <= self.threshold <= 100:
                raise ValueError(f"{self.metric} is a percentage; threshold {self.threshold:g} is not within 0-100")
        return self


class FindingCondition(PolicyModel):
    """A finding of this kind from the diagnosis (`crash-loop`, `oom-killed`, `healing-escalated`, ...)."""

    finding: str

    @field_validator("finding")
    @classmethod
    def _kind(cls, kind: str) -> str:
        if not _NAME.fullmatch(kind):
            raise ValueError(f"{kind!r} is not a finding kind (lower-case words joined by '-', like crash-loop)")
        return kind


def _condition_kind(value: Any) -> str:
    if isinstance(value, FindingCondition) or (isinstance(value, dict) and "finding" in value):
        return "finding-condition"
    return "metric-condition"


Condition = Annotated[
    Annotated[MetricCondition, Tag("metric-condition")] | Annotated[FindingCondition, Tag("finding-condition")],
    Discriminator(_condition_kind),
]


class AlertRule(PolicyModel):
    """A named alert and when it fires."""

    name: str
    description: str = ""
    severity: Severity = "warning"
    conditions: list[Condition] = Field(min_length=1)
    combine: Literal["any", "all"] = "any"
    for_: Duration = Field(default=0.0, alias="for")
    namespaces: list[str] = Field(default_factory=list)  # globs; empty: every namespace kaido watches
    channels: list[str] = Field(default_factory=list)  # empty: the routes decide

    @field_validator("name")
    @classmethod
    def _rule_name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a rule name (lower-case letters, digits, '-', like high-error-rate)")
        return name


class Route(PolicyModel):
    """Where alerts whose labels match go, and how they are grouped and repeated (Alertmanager's model)."""

    match: dict[str, str] = Field(default_factory=dict)  # label -> glob; empty matches every alert
    channels: list[str] = Field(min_length=1)
    group_by: list[str] = Field(default_factory=lambda: ["alertname", "namespace"])
    group_wait: Duration = 30.0
    group_interval: Duration = 300.0
    repeat_interval: Duration = 4 * 3600.0
    continue_: bool = Field(default=False, alias="continue")


def default_rules() -> list[AlertRule]:
    """The brief's alert-config rules, and the alert for an exhausted healing ladder."""
    rules: list[dict[str, Any]] = [
        {
            "name": "high-error-rate",
            "description": "More than 5 error lines per minute in a workload's logs",
            "severity": "critical",
            "conditions": [{"metric": "log-errors", "threshold": 5, "per": 60}],
        },
        {
            "name": "high-warning-rate",
            "description": "More than 10 warning lines per minute in a workload's logs",
            "severity": "warning",
            "conditions": [{"metric": "log-warnings", "threshold": 10, "per": 60}],
        },
        {
            "name": "performance-degradation",
            "description": "More than 5 slow requests per minute",
            "severity": "warning",
            "conditions": [{"metric": "slow-requests", "threshold": 5, "per": 60}],
        },
        {
            "name": "resource-exhaustion",
            "description": "Memory or CPU above 90% of the limit",
            "severity": "critical",
            "conditions": [
                {"metric": "memory-usage", "threshold": 90},
                {"metric": "cpu-usage", "threshold": 90},
            ],
        },
        {
            # The crash-detection-config's last action: alert when every fix has failed.
            "name": "healing-escalated",
            "description": "The healing ladder is exhausted without a fix; a person must look",
            "severity": "critical",
            "conditions": [{"finding": "healing-escalated"}],
        },
    ]
    return [AlertRule.model_validate(rule) for rule in rules]


def _default_routes() -> list[Route]:
    return [Route(channels=[EVENTS_CHANNEL])]


class AlertSettings(PolicyModel):
    """Rules, routes and channels. The `events` channel exists even when not listed."""

    rules: list[AlertRule] = Field(default_factory=default_rules)
    routes: list[Route] = Field(default_factory=_default_routes)
    channels: dict[str, Channel] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, channels: dict[str, Channel]) -> dict[str, Channel]:
        for name in channels:
            if not _NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a channel name (lower-case letters, digits, '-', like team-slack)")
        return channels

    @model_validator(mode="after")
    def _references(self) -> Self:
        names = [rule.name for rule in self.rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique; {', '.join(repeated)} is repeated")
        known = set(self.all_channels())
        uses = [("rules", i, rule.channels) for i, rule in enumerate(self.rules)]
        uses += [("routes", i, route.channels) for i, route in enumerate(self.routes)]
        problems = [
            f"{where}[{index}] names channel {channel!r}"
            for where, index, channels in uses
            for channel in channels
            if channel not in known
        ]
        if problems:
            raise ValueError(f"{'; '.join(problems)}, which is not defined; channels: {', '.join(sorted(known))}")
        return self

    def all_channels(self) -> dict[str, Channel]:
        """The declared channels plus the built-in `events` channel unless it is redefined."""
        return {EVENTS_CHANNEL: KubernetesEventsChannel(), **self.channels}
