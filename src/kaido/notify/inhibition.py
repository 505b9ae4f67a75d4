"""Inhibition: while a critical alert fires on a workload, its lesser alerts stay quiet.

When the backend is out of memory, the warnings about its slow requests are consequences, not news;
the person paged for the critical alert does not need them too. An inhibition rule says which
alerts are sources (severity `critical`, firing), which are targets (`warning` and `info`), and
which labels must be equal on both (`namespace` and `workload`). Unlike Alertmanager, a label
in `equal` must be present on the source: an alert that has no workload (a node's) says nothing
about the workloads, and two missing labels being "equal" would let one node's critical alert mute
the warnings of every other node.

Inhibited alerts are still evaluated and shown, flagged; only their notifications are held back.
A source inhibits even while it is silenced: the problem is still there, only its noise is muted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kaido.notify.model import Alert

__all__ = ["InhibitRule", "inhibited"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InhibitRule:
    """Firing alerts of `source_severity` inhibit `target_severities` alerts with the same `equal` labels."""

    source_severity: str = "critical"
    target_severities: tuple[str, ...] = ("warning", "info")
    equal: tuple[str, ...] = ("namespace", "workload")

    def __post_init__(self) -> None:
        if self.source_severity in self.target_severities:
            raise ValueError(
                f"inhibit rule: severity {self.source_severity!r} cannot both inhibit and be inhibited; "
                "alerts would mute each other"
            )
        if not self.equal:
            raise ValueError("inhibit rule: equal needs at least one label, or one alert would mute all the others")


def inhibited(alerts: Iterable[Alert], rules: Sequence[InhibitRule] = (InhibitRule(),)) -> dict[str, list[str]]:
    """The inhibited alerts: fingerprint -> fingerprints of the firing alerts that inhibit it (sorted)."""
    alerts = list(alerts)
    out: dict[str, set[str]] = {}
    for rule in rules:
        sources: dict[tuple[str, ...], set[str]] = {}
        for alert in alerts:
            values = tuple(alert.labels.get(name, "") for name in rule.equal)
            if alert.state == "firing" and alert.severity == rule.source_severity and all(values):
                sources.setdefault(values, set()).add(alert.fingerprint)
        for alert in alerts:
            if alert.severity not in rule.target_severities:
                continue
            by = sources.get(tuple(alert.labels.get(name, "") for name in rule.equal), set())
            if by:
                out.setdefault(alert.fingerprint, set()).update(by)
    return {fp: sorted(by) for fp, by in sorted(out.items())}
