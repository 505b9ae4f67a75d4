"""Scaling settings: the HorizontalPodAutoscalers kaido manages, the Deployments it scales directly, and
predictive scaling with its load signal.

An `HPASpec` is what the brief's `hpa-config` describes: a target workload, replica bounds,
utilization targets and an autoscaling/v2 `behavior`. The behavior is kept as the API's own JSON
shape (a TypedDict), so the scaler copies it into the HPA body unchanged, while the loader still
rejects unknown keys and bad values in it with their paths. A `WorkloadSpec` is a Deployment
without an HPA that kaido scales itself, within the same kind of bounds and behavior rules.

`RequestRateSettings` says where request rates come from (the simulator's `/metrics`, or a
Prometheus query); with them, predictive scaling forecasts requests per second instead of CPU.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal, NotRequired, Self
from urllib.parse import urlsplit

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator, with_config
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict on Python 3.11

from kaido.config.base import PolicyModel
from kaido.config.durations import Duration, strip_percent
from kaido.core.errors import ObjectRefError
from kaido.core.refs import ObjectRef, parse_target

__all__ = [
    "DEFAULT_REQUEST_QUERY",
    "HPABehavior",
    "HPAScalingPolicy",
    "HPAScalingRules",
    "HPASpec",
    "PredictiveSettings",
    "RequestRateSettings",
    "ScalingSettings",
    "WorkloadSpec",
]

_SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
_SERVICE_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")  # a DNS-1035 label, as Services are named

DEFAULT_REQUEST_QUERY: Final = "sum by (namespace, service) (rate(kaido_sim_http_requests_total[2m]))"

Utilization = Annotated[int, BeforeValidator(strip_percent), Field(ge=1)]
"""An HPA target: average usage as a % of requests (above 100 is valid), written 70 or "70%"."""


def _service_name(name: str | None) -> str | None:
    if name is not None and not _SERVICE_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a Service name (lower-case letters, digits and '-', starting with a letter); "
            "name the Service in front of the workload, without its namespace"
        )
    return name


@with_config(ConfigDict(extra="forbid"))
class HPAScalingPolicy(TypedDict):
    """autoscaling/v2 HPAScalingPolicy."""

    type: Literal["Pods", "Percent"]
    value: Annotated[int, Field(ge=1)]
    periodSeconds: Annotated[int, Field(ge=1, le=1800)]


@with_config(ConfigDict(extra="forbid"))
class HPAScalingRules(TypedDict):
    """autoscaling/v2 HPAScalingRules."""

    stabilizationWindowSeconds: NotRequired[Annotated[int, Field(ge=0, le=3600)]]
    selectPolicy: NotRequired[Literal["Max", "Min", "Disabled"]]
    policies: NotRequired[list[HPAScalingPolicy]]


@with_config(ConfigDict(extra="forbid"))
class HPABehavior(TypedDict):
    """autoscaling/v2 HorizontalPodAutoscalerBehavior."""

    scaleUp: NotRequired[HPAScalingRules]
    scaleDown: NotRequired[HPAScalingRules]


class HPASpec(PolicyModel):
    """One HPA kaido creates and keeps in line with the policy."""

    target: str  # "deployment/backend-deployment"; a bare name is a Deployment
    namespace: str
    name: str | None = None  # the HPA's name; None: the target's name, as `kubectl autoscale` does
    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(ge=1)
    cpu_utilization: Utilization | None = None
    memory_utilization: Utilization | None = None
    behavior: HPABehavior | None = None
    adopt: bool = False  # take over an existing HPA of this name that kaido did not create (it gets kaido's label)
    service: str | None = None  # the Service in front of the workload; None: the Service selecting its pods

    @field_validator("service")
    @classmethod
    def _service(cls, name: str | None) -> str | None:
        return _service_name(name)

    @field_validator("target")
    @classmethod
    def _scalable_target(cls, target: str) -> str:
        try:
            ref = parse_target(target, namespace=None)
        except ObjectRefError as e:
            raise ValueError(str(e)) from e
        if ref.kind not in _SCALABLE_KINDS:
            raise ValueError(f"{target!r} is a {ref.kind}; an HPA can scale a Deployment, StatefulSet or ReplicaSet")
        return target

    @model_validator(mode="after")
    def _bounds_and_metrics(self) -> Self:
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"maxReplicas ({self.max_replicas}) is below minReplicas ({self.min_replicas})")
        if self.cpu_utilization is None and self.memory_utilization is None:
            raise ValueError(f"{self.target}: set cpuUtilization, memoryUtilization or both")
        return self

    @property
    def ref(self) -> ObjectRef:
        """The scale target."""
        return parse_target(self.target, namespace=self.namespace)

    @property
    def hpa_name(self) -> str:
        return self.name or self.ref.name


class WorkloadSpec(PolicyModel):
    """A Deployment without an HPA that kaido scales itself: forecast and live usage, within the bounds."""

    target: str  # "deployment/api"; a bare name is a Deployment
    namespace: str
    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(ge=1)
    cpu_utilization: Utilization  # the CPU target per-pod capacity and the usage-based count are measured at
    behavior: HPABehavior | None = None  # rate limits and stabilization, as an HPA's; None: the HPA defaults
    service: str | None = None  # the Service in front of the workload; None: the Service selecting its pods

    @field_validator("service")
    @classmethod
    def _service(cls, name: str | None) -> str | None:
        return _service_name(name)

    @field_validator("target")
    @classmethod
    def _deployment_target(cls, target: str) -> str:
        try:
            ref = parse_target(target, namespace=None)
        except ObjectRefError as e:
            raise ValueError(str(e)) from e
        if ref.kind != "Deployment":
            raise ValueError(
                f"{target!r} is a {ref.kind}; kaido scales Deployments directly (their pods' history is what it "
                "forecasts); give other kinds an HPA under scaling.hpas"
            )
        return target

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"maxReplicas ({self.max_replicas}) is below minReplicas ({self.min_replicas})")
        return self

    @property
    def ref(self) -> ObjectRef:
        """The Deployment."""
        return parse_target(self.target, namespace=self.namespace)


class RequestRateSettings(PolicyModel):
    """Where request rates come from; each is stored as `service_requests_per_second{namespace, service}`."""

    source: Literal["none", "simulator", "prometheus"] = "none"  # simulator: the API server's /metrics
    url: str | None = None  # Prometheus' base URL; required for source prometheus
    query: str = DEFAULT_REQUEST_QUERY  # PromQL giving one rate per (namespace, service)
    interval: Duration = Field(default=30.0, gt=0)  # how often rates are read

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{url!r} is not an http(s) URL; write Prometheus' base URL, e.g. {_PROMETHEUS_EXAMPLE}")
        return url.rstrip("/")

    @field_validator("query")
    @classmethod
    def _query_not_empty(cls, query: str) -> str:
        if not query.strip():
            raise ValueError(f"the query is empty; the default is {DEFAULT_REQUEST_QUERY!r}")
        return query

    @model_validator(mode="after")
    def _url_for_prometheus(self) -> Self:
        if self.source == "prometheus" and self.url is None:
            raise ValueError(
                f"url: required when source is prometheus; set requestRate.url to Prometheus' base URL, "
                f"e.g. {_PROMETHEUS_EXAMPLE}"
            )
        return self


_PROMETHEUS_EXAMPLE: Final = "http://prometheus.monitoring:9090"


class PredictiveSettings(PolicyModel):
    """Forecast load and raise an HPA's minReplicas ahead of predicted peaks (never above its max)."""

    horizon: Duration = Field(default=600.0, gt=0)  # how far ahead capacity must be ready
    season: Literal["auto", "daily", "none"] = "auto"  # auto: daily once a day of history exists
    interval: Duration = Field(default=60.0, gt=0)  # how often forecasts are recomputed
    min_history: Duration = Field(default=3600.0, ge=0)  # no forecast from less history than this
    max_error: float = Field(default=0.3, gt=0, le=1)  # a forecast missing by more (relative) is not used
    hysteresis: float = Field(default=0.2, ge=0, lt=1)  # lower minReplicas only when the forecast drops this much
    max_step: int = Field(default=4, ge=1)  # at most this many replicas added to minReplicas at once
    # a raised minReplicas above the running replicas also scales the workload up to it at once, rather
    # than at the HPA's next sync; one more audited write per raise, counted against the rate limits
    scale_up_now: bool = False
    # auto: the request rate when the workload's Service has enough of its history, else CPU
    signal: Literal["auto", "requests", "cpu"] = "auto"
    request_rate: RequestRateSettings = Field(default_factory=RequestRateSettings)


class ScalingSettings(PolicyModel):
    """HPAs managed from the policy, Deployments scaled directly, and predictive scaling."""

    hpas: list[HPASpec] = Field(default_factory=list)
    workloads: list[WorkloadSpec] = Field(default_factory=list)
    predictive: PredictiveSettings = Field(default_factory=PredictiveSettings)

    @field_validator("hpas")
    @classmethod
    def _one_hpa_per_target(cls, hpas: list[HPASpec]) -> list[HPASpec]:
        seen: dict[ObjectRef, int] = {}
        for index, spec in enumerate(hpas):
            ref = spec.ref
            if ref in seen:
                raise ValueError(f"hpas[{index}] targets {ref} again (first in hpas[{seen[ref]}]); keep one")
            seen[ref] = index
        return hpas

    @field_validator("workloads")
    @classmethod
    def _one_entry_per_workload(cls, workloads: list[WorkloadSpec]) -> list[WorkloadSpec]:
        seen: dict[ObjectRef, int] = {}
        for index, spec in enumerate(workloads):
            ref = spec.ref
            if ref in seen:
                raise ValueError(f"workloads[{index}] is {ref} again (first in workloads[{seen[ref]}]); keep one")
            seen[ref] = index
        return workloads

    @model_validator(mode="after")
    def _hpa_or_direct(self) -> Self:
        by_hpa = {spec.ref: index for index, spec in enumerate(self.hpas)}
        for index, spec in enumerate(self.workloads):
            ref = spec.ref
            if ref in by_hpa:
                hpa = self.hpas[by_hpa[ref]]
                raise ValueError(
                    f"workloads[{index}] (deployment {ref.key}) is also in hpas[{by_hpa[ref]}] "
                    f"(HPA {hpa.namespace}/{hpa.hpa_name}); an HPA and kaido's direct scaling would fight "
                    "over its replicas, so list it in one of the two"
                )
        return self
