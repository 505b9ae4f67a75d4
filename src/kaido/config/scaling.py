"""Scaling settings: the HorizontalPodAutoscalers kaido manages, and predictive scaling.

An `HPASpec` is what the brief's `hpa-config` describes: a target workload, replica bounds,
utilization targets and an autoscaling/v2 `behavior`. The behavior is kept as the API's own JSON
shape (a TypedDict), so the scaler copies it into the HPA body unchanged, while the loader still
rejects unknown keys and bad values in it with their paths.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, Self

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator, with_config
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict on Python 3.11

from kaido.config.base import PolicyModel
from kaido.config.durations import Duration, strip_percent
from kaido.core.errors import ObjectRefError
from kaido.core.refs import ObjectRef, parse_target

__all__ = ["HPABehavior", "HPAScalingPolicy", "HPAScalingRules", "HPASpec", "PredictiveSettings", "ScalingSettings"]

_SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})

Utilization = Annotated[int, BeforeValidator(strip_percent), Field(ge=1)]
"""An HPA target: average usage as a % of requests (above 100 is valid), written 70 or "70%"."""


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


class PredictiveSettings(PolicyModel):
    """Forecast load and raise an HPA's minReplicas ahead of predicted peaks (never above its max)."""

    horizon: Duration = Field(default=600.0, gt=0)  # how far ahead capacity must be ready
    season: Literal["auto", "daily", "none"] = "auto"  # auto: daily once a day of history exists
    interval: Duration = Field(default=60.0, gt=0)  # how often forecasts are recomputed
    min_history: Duration = Field(default=3600.0, ge=0)  # no forecast from less history than this
    max_error: float = Field(default=0.3, gt=0, le=1)  # a forecast missing by more (relative) is not used
    hysteresis: float = Field(default=0.2, ge=0, lt=1)  # lower minReplicas only when the forecast drops this much
    max_step: int = Field(default=4, ge=1)  # at most this many replicas added to minReplicas at once


class ScalingSettings(PolicyModel):
    """HPAs managed from the policy, and predictive scaling."""

    hpas: list[HPASpec] = Field(default_factory=list)
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
