"""The policy: one document that says what kaido may do, where, how fast, and whom it tells.

`Policy()` is the default policy (the Helm chart's); a YAML document overrides any part of it,
section by section and field by field (a list or map given in YAML replaces the default one).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import Field

from kaido.config.alerts import AlertSettings
from kaido.config.base import PolicyModel
from kaido.config.scaling import ScalingSettings
from kaido.config.sections import (
    AgentSettings,
    ApiSettings,
    HealingSettings,
    LogSettings,
    Modes,
    MonitorSettings,
    NamespaceFilter,
    RateLimits,
)

__all__ = ["API_VERSION", "Policy"]

API_VERSION: Final = "kaido.io/v1alpha1"


class Policy(PolicyModel):
    """kaido's whole policy."""

    api_version: Literal["kaido.io/v1alpha1"] = API_VERSION
    kind: Literal["Policy"] = "Policy"
    paused: bool = False  # nothing is executed while true; detection and alerts go on
    modes: Modes = Field(default_factory=Modes)
    namespaces: NamespaceFilter = Field(default_factory=NamespaceFilter)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    healing: HealingSettings = Field(default_factory=HealingSettings)
    scaling: ScalingSettings = Field(default_factory=ScalingSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    def to_data(self) -> dict[str, Any]:
        """The policy as YAML-ready data: camelCase keys, durations as "15s"."""
        return self.model_dump(mode="json", by_alias=True)

    def diff(self, other: Policy) -> list[str]:
        """Dotted YAML paths whose values differ between this policy and `other`, in document order."""
        changed: list[str] = []
        _diff(self.to_data(), other.to_data(), "", changed)
        return changed


def _diff(old: Any, new: Any, path: str, changed: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _diff(old.get(key), new.get(key), f"{path}.{key}" if path else str(key), changed)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            _diff(before, after, f"{path}[{index}]", changed)
    elif old != new:
        changed.append(path)
