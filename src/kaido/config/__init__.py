"""The policy schema (pydantic) and its one loader: file, environment, ConfigMap.

Nothing outside this package reads os.environ.
May import: core.
"""

from kaido.config.alerts import (
    COUNT_METRICS,
    EVENTS_CHANNEL,
    AlertRule,
    AlertSettings,
    Condition,
    FindingCondition,
    Metric,
    MetricCondition,
    Route,
    Severity,
)
from kaido.config.channels import (
    AlertmanagerChannel,
    Channel,
    EmailChannel,
    KubernetesEventsChannel,
    PagerDutyChannel,
    SecretError,
    SlackChannel,
    WebhookChannel,
    read_secret,
)
from kaido.config.durations import Duration, Percent, format_duration, parse_duration
from kaido.config.environment import AgentEnvironment, agent_environment, process_environ
from kaido.config.errors import PolicyError
from kaido.config.loader import dump_policy, load_policy, parse_policy
from kaido.config.policy import API_VERSION, Policy
from kaido.config.reload import CONFIGMAP_KEY, PolicyHolder, watch_file
from kaido.config.scaling import (
    HPABehavior,
    HPASpec,
    PredictiveSettings,
    RequestRateSettings,
    ScalingSettings,
    WorkloadSpec,
)
from kaido.config.sections import (
    AgentSettings,
    ApiSettings,
    HealingSettings,
    Limit,
    LogSettings,
    Mode,
    Modes,
    MonitorSettings,
    NamespaceFilter,
    RateLimits,
    Retention,
    Rung,
    Thresholds,
)

__all__ = [
    "API_VERSION",
    "CONFIGMAP_KEY",
    "COUNT_METRICS",
    "EVENTS_CHANNEL",
    "AgentEnvironment",
    "AgentSettings",
    "AlertRule",
    "AlertSettings",
    "AlertmanagerChannel",
    "ApiSettings",
    "Channel",
    "Condition",
    "Duration",
    "EmailChannel",
    "FindingCondition",
    "HPABehavior",
    "HPASpec",
    "HealingSettings",
    "KubernetesEventsChannel",
    "Limit",
    "LogSettings",
    "Metric",
    "MetricCondition",
    "Mode",
    "Modes",
    "MonitorSettings",
    "NamespaceFilter",
    "PagerDutyChannel",
    "Percent",
    "Policy",
    "PolicyError",
    "PolicyHolder",
    "PredictiveSettings",
    "RateLimits",
    "RequestRateSettings",
    "Retention",
    "Route",
    "Rung",
    "ScalingSettings",
    "SecretError",
    "Severity",
    "SlackChannel",
    "Thresholds",
    "WebhookChannel",
    "WorkloadSpec",
    "agent_environment",
    "dump_policy",
    "format_duration",
    "load_policy",
    "parse_duration",
    "parse_policy",
    "process_environ",
    "read_secret",
    "watch_file",
]
