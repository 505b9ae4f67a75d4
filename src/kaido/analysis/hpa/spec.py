"""What an HPA asks for: metric targets, `spec.behavior` with its API defaults, tolerances, and the
controller's own flags.

The types follow `autoscaling/v2` field by field, with quantities as integer milli-units (what
upstream's `MilliValue()` yields) and durations in seconds. Unset optional fields are `None`, so
defaulting can be applied exactly as the API server does it:

- `scale_up_rules` / `scale_down_rules` mirror `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`
  (`pkg/apis/autoscaling/v2/defaults.go`): every unset field of a rule set takes the default, field by
  field (`copyHPAScalingRules`); a scale-down window stays unset and means the controller flag.
- `default_behavior` mirrors `SetDefaults_HorizontalPodAutoscalerBehavior` (only a non-nil behavior
  is defaulted; no behavior selects the legacy rules).
- `tolerances_for` mirrors `HorizontalController.tolerancesForHpa` (KEP-4951, per-direction tolerance).
- `ControllerSettings` holds the kube-controller-manager flags, with the production defaults of
  `pkg/controller/podautoscaler/config/v1alpha1/defaults.go`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Final

__all__ = [
    "DEFAULT_CPU_UTILIZATION",
    "DEFAULT_SCALE_DOWN_RULES",
    "DEFAULT_SCALE_UP_RULES",
    "Behavior",
    "ControllerSettings",
    "HPASpec",
    "MetricSourceType",
    "MetricSpec",
    "MetricTarget",
    "PolicyType",
    "ScalingPolicy",
    "ScalingRules",
    "SelectPolicy",
    "TargetType",
    "Tolerances",
    "default_behavior",
    "default_metrics",
    "scale_down_rules",
    "scale_up_rules",
    "tolerances_for",
]


class SelectPolicy(enum.StrEnum):
    MAX = "Max"
    MIN = "Min"
    DISABLED = "Disabled"


class PolicyType(enum.StrEnum):
    PODS = "Pods"
    PERCENT = "Percent"


@dataclass(frozen=True)
class ScalingPolicy:
    """`HPAScalingPolicy`: change at most `value` pods (or percent) per `period_seconds`."""

    type: PolicyType
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """`HPAScalingRules` for one direction; `None` means the field is unset."""

    stabilization_window_seconds: int | None = None
    select_policy: SelectPolicy | None = None
    policies: tuple[ScalingPolicy, ...] | None = None
    # Per-direction tolerance (KEP-4951), e.g. 0.05; `None` falls back to the controller flag.
    tolerance: float | None = None


@dataclass(frozen=True)
class Behavior:
    """`HorizontalPodAutoscalerBehavior`: rules for scaling up and for scaling down."""

    scale_up: ScalingRules | None = None
    scale_down: ScalingRules | None = None


DEFAULT_SCALE_UP_RULES: Final = ScalingRules(
    stabilization_window_seconds=0,
    select_policy=SelectPolicy.MAX,
    policies=(ScalingPolicy(PolicyType.PODS, 4, 15), ScalingPolicy(PolicyType.PERCENT, 100, 15)),
)
# The window stays unset: it means the controller's --horizontal-pod-autoscaler-downscale-stabilization.
DEFAULT_SCALE_DOWN_RULES: Final = ScalingRules(
    stabilization_window_seconds=None,
    select_policy=SelectPolicy.MAX,
    policies=(ScalingPolicy(PolicyType.PERCENT, 100, 15),),
)
DEFAULT_CPU_UTILIZATION: Final = 80


def _copy_rules(given: ScalingRules | None, defaults: ScalingRules) -> ScalingRules:
    """`copyHPAScalingRules`: the set fields of `given` over `defaults`."""
    if given is None:
        return defaults
    return ScalingRules(
        stabilization_window_seconds=(
            given.stabilization_window_seconds
            if given.stabilization_window_seconds is not None
            else defaults.stabilization_window_seconds
        ),
        select_policy=given.select_policy if given.select_policy is not None else defaults.select_policy,
        policies=given.policies if given.policies is not None else defaults.policies,
        tolerance=given.tolerance if given.tolerance is not None else defaults.tolerance,
    )


def scale_up_rules(rules: ScalingRules | None) -> ScalingRules:
    """`GenerateHPAScaleUpRules`: scale-up rules with every unset field defaulted."""
    return _copy_rules(rules, DEFAULT_SCALE_UP_RULES)


def scale_down_rules(rules: ScalingRules | None) -> ScalingRules:
    """`GenerateHPAScaleDownRules`: scale-down rules defaulted, the window left to the controller."""
    return _copy_rules(rules, DEFAULT_SCALE_DOWN_RULES)


def default_behavior(behavior: Behavior | None) -> Behavior | None:
    """`SetDefaults_HorizontalPodAutoscalerBehavior`: fill a set behavior; keep `None` (legacy rules)."""
    if behavior is None:
        return None
    return Behavior(scale_up=scale_up_rules(behavior.scale_up), scale_down=scale_down_rules(behavior.scale_down))


@dataclass(frozen=True)
class Tolerances:
    """`Tolerances`: the ratio band `[1 - scale_down, 1 + scale_up]` (inclusive) in which nothing scales."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, usage_ratio: float) -> bool:
        return (1.0 - self.scale_down) <= usage_ratio <= (1.0 + self.scale_up)

    def __str__(self) -> str:
        return f"[down:{self.scale_down * 100.0:.1f}%, up:{self.scale_up * 100.0:.1f}%]"


@dataclass(frozen=True, kw_only=True)
class ControllerSettings:
    """kube-controller-manager's HPA flags and feature gates; the defaults are production's."""

    tolerance: float = 0.1
    cpu_initialization_period_seconds: float = 300.0
    delay_of_initial_readiness_seconds: float = 30.0
    downscale_stabilization_window_seconds: int = 300
    # Legacy rate limit when no behavior is set (`scaleUpLimitFactor`, `scaleUpLimitMinimum`).
    scale_up_limit_factor: float = 2.0
    scale_up_limit_minimum: float = 4.0
    # Feature gates: HPAConfigurableTolerance (beta, on) and PodLevelResources (beta, on).
    configurable_tolerance: bool = True
    pod_level_resources: bool = True


def tolerances_for(behavior: Behavior | None, settings: ControllerSettings) -> Tolerances:
    """`tolerancesForHpa`: the controller flag, overridden per direction by `behavior.*.tolerance`."""
    tolerances = Tolerances(settings.tolerance, settings.tolerance)
    if behavior is None or not settings.configurable_tolerance:
        return tolerances
    if behavior.scale_down is not None and behavior.scale_down.tolerance is not None:
        tolerances = replace(tolerances, scale_down=behavior.scale_down.tolerance)
    if behavior.scale_up is not None and behavior.scale_up.tolerance is not None:
        tolerances = replace(tolerances, scale_up=behavior.scale_up.tolerance)
    return tolerances


class MetricSourceType(enum.StrEnum):
    RESOURCE = "Resource"
    CONTAINER_RESOURCE = "ContainerResource"
    PODS = "Pods"
    OBJECT = "Object"
    EXTERNAL = "External"


class TargetType(enum.StrEnum):
    UTILIZATION = "Utilization"
    VALUE = "Value"
    AVERAGE_VALUE = "AverageValue"


@dataclass(frozen=True)
class MetricTarget:
    """`MetricTarget`: `amount` is a percent of requests for Utilization, else a milli-value."""

    type: TargetType
    amount: int

    @classmethod
    def utilization(cls, percent: int) -> MetricTarget:
        return cls(TargetType.UTILIZATION, percent)

    @classmethod
    def average_value(cls, milli: int) -> MetricTarget:
        return cls(TargetType.AVERAGE_VALUE, milli)

    @classmethod
    def value(cls, milli: int) -> MetricTarget:
        return cls(TargetType.VALUE, milli)


@dataclass(frozen=True)
class MetricSpec:
    """One entry of `spec.metrics`, flattened.

    `type` is a `MetricSourceType` value; any other string is kept so that it can be rejected as
    upstream rejects it (`InvalidMetricSourceType`). `name` is the resource name ("cpu") for
    Resource and ContainerResource metrics and the metric name otherwise; `described_object`
    ("Deployment/web") only appears in messages of Object metrics.
    """

    type: str
    name: str
    target: MetricTarget
    container: str | None = None
    described_object: str = ""


def default_metrics(metrics: tuple[MetricSpec, ...]) -> tuple[MetricSpec, ...]:
    """`SetDefaults_HorizontalPodAutoscaler`: no metrics means CPU at 80% of requests."""
    if metrics:
        return metrics
    cpu = MetricSpec(MetricSourceType.RESOURCE, "cpu", MetricTarget.utilization(DEFAULT_CPU_UTILIZATION))
    return (cpu,)


@dataclass(frozen=True)
class HPASpec:
    """The replica bounds and behavior of an HPA (its metrics travel with their readings)."""

    max_replicas: int
    min_replicas: int | None = None
    behavior: Behavior | None = None

    @property
    def effective_min_replicas(self) -> int:
        """`spec.minReplicas`, which the API defaults to 1."""
        return 1 if self.min_replicas is None else self.min_replicas
