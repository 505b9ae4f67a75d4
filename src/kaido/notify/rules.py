"""Alert rules evaluated at one instant: findings and metric values in, alert candidates out.

A rule's conditions are judged per *subject* — a workload (namespace + `kind/name`), a pod that
has no workload, a node, or a namespace — because an alert is about something a person can look
at, and because pods come and go under a workload while the problem stays. Every condition that
holds is grouped by subject; `combine: any` needs one condition on a subject, `combine: all` needs
every condition on the same subject. What comes out is a `Candidate` per subject: the labels that
identify the alert and the annotations that explain it, for an alert whose conditions hold *now*.
Whether it has held long enough (`for`) is the lifecycle's business (`kaido.notify.lifecycle`).

Metrics arrive through a port, `MetricSource`, so that log-based counts (errors, warnings, slow
requests) can be added by giving the engine a source that answers for them; a source that does not
know a metric returns nothing, and the rule simply does not fire. Counts are summed per subject
(a workload's error lines are the sum of its pods'); percentages are judged value by value (one
hot pod is enough).

This module is pure: no I/O, `now` is an argument.
"""

from __future__ import annotations

import fnmatch
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol

from kaido.analysis.findings import Finding, describe_duration
from kaido.config.alerts import COUNT_METRICS, AlertRule, FindingCondition, MetricCondition
from kaido.notify.model import fingerprint

__all__ = [
    "Candidate",
    "MetricSnapshot",
    "MetricSource",
    "MetricValue",
    "describe_subject",
    "evaluate_rule",
    "subject_labels",
    "workload_label",
]

Subject = tuple[tuple[str, str], ...]  # sorted identifying labels: the alert's identity besides its rule

_OPS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
# How each metric reads in a sentence; {value} is already formatted, {subject} names the subject.
_PHRASES: Final[Mapping[str, str]] = {
    "log-errors": "{value} error lines in {per} in the logs of {subject}",
    "log-warnings": "{value} warning lines in {per} in the logs of {subject}",
    "slow-requests": "{value} slow or failed requests in {per} to {subject}",
    "restarts": "{value} container restarts in {per} in {subject}",
    "cpu-usage": "CPU of {subject} at {value}% of its {basis}",
    "memory-usage": "memory of {subject} at {value}% of its {basis}",
    "node-cpu": "CPU of {subject} at {value}% of allocatable",
    "node-memory": "memory of {subject} at {value}% of allocatable",
    "node-disk": "disk of {subject} at {value}% of capacity",
}
_DETAIL_LABELS: Final = ("pod", "container", "node")  # named in evidence lines, not part of the identity


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One number of a metric for one thing.

    `labels` say what it is about: `namespace`, `workload` (`deployment/backend`, the kind in lower
    case), `pod`, `container`, `node`; `basis` ("limit" or "request") for pod usage percentages.
    """

    labels: Mapping[str, str]
    value: float


class MetricSource(Protocol):
    """Current metric values for rules: counts over the last `per` seconds, or percentages (`per` None)."""

    def values(self, metric: str, *, per: float | None, now: datetime) -> Sequence[MetricValue]:
        """Every value of `metric` at `now`; empty when the source does not know the metric."""
        ...


@dataclass(frozen=True, slots=True)
class MetricSnapshot:
    """A MetricSource over values already computed for this instant (the same answer for any window)."""

    metrics: Mapping[str, Sequence[MetricValue]] = field(default_factory=dict)

    def values(self, metric: str, *, per: float | None, now: datetime) -> Sequence[MetricValue]:
        return self.metrics.get(metric, ())


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """An alert whose conditions hold now: its identifying labels, its explanation, and its rule's `for`."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    for_: float = 0.0  # seconds the conditions must hold before the alert fires

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)


@dataclass(frozen=True, slots=True)
class _Holds:
    """One condition holding on one subject: a sentence with the numbers and the evidence lines."""

    summary: str
    evidence: tuple[str, ...]


def workload_label(kind: str, name: str) -> str:
    """The `workload` label of an object: `deployment/backend`."""
    return f"{kind.lower()}/{name}"


def subject_labels(labels: Mapping[str, str]) -> Subject:
    """The labels that say which thing a value is about: workload, else pod, else node, else namespace."""
    namespace = labels.get("namespace", "")
    for name in ("workload", "pod"):
        if labels.get(name):
            return (("namespace", namespace), (name, labels[name])) if namespace else ((name, labels[name]),)
    if labels.get("node"):
        return (("node", labels["node"]),)
    return (("namespace", namespace),) if namespace else ()


def _finding_subject(finding: Finding) -> Subject:
    workload, target = finding.workload, finding.target
    if workload is not None:
        labels = {"namespace": workload.namespace or "", "workload": workload_label(workload.kind, workload.name)}
    elif target.kind == "Node":
        labels = {"node": target.name}
    elif target.kind == "Namespace":
        labels = {"namespace": target.name}
    elif target.kind == "Pod":
        labels = {"namespace": target.namespace or "", "pod": target.name}
    else:  # a finding on a workload itself
        labels = {"namespace": target.namespace or "", "workload": workload_label(target.kind, target.name)}
    return subject_labels(labels)


def describe_subject(subject: Subject) -> str:
    """`deployment chatbot-dev/backend`, `pod shop/web-1`, `node worker-2`, `namespace shop`."""
    labels = dict(subject)
    namespace = labels.get("namespace", "")
    where = f"{namespace}/" if namespace else ""
    if "workload" in labels:
        kind, _, name = labels["workload"].partition("/")
        return f"{kind} {where}{name}" if name else f"workload {where}{kind}"
    if "pod" in labels:
        return f"pod {where}{labels['pod']}"
    if "node" in labels:
        return f"node {labels['node']}"
    return f"namespace {namespace}" if namespace else "the cluster"


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _threshold(condition: MetricCondition) -> str:
    unit = "" if condition.metric in COUNT_METRICS else "%"
    op = "" if condition.op == ">" else f"{condition.op} "
    return f"(threshold {op}{_number(condition.threshold)}{unit})"


def _detail(labels: Mapping[str, str]) -> str:
    parts = [f"{name} {labels[name]}" for name in _DETAIL_LABELS if labels.get(name)]
    return " ".join(parts)


def _metric_holds(condition: MetricCondition, values: Sequence[MetricValue], *, subject: Subject) -> _Holds | None:
    """Whether `condition` holds on `subject` given its values, and how to say so."""
    compare = _OPS[condition.op]
    per = describe_duration(condition.per) if condition.per else ""
    phrase = _PHRASES[condition.metric]
    name = describe_subject(subject)
    if condition.metric in COUNT_METRICS:
        total = sum(v.value for v in values)
        if not compare(total, condition.threshold):
            return None
        lines = tuple(f"{_detail(v.labels) or name}: {_number(v.value)} in {per}" for v in values if v.value)
        summary = phrase.format(value=_number(total), per=per, subject=name, basis="")
        return _Holds(f"{summary} {_threshold(condition)}", lines)
    holding = [v for v in values if compare(v.value, condition.threshold)]
    if not holding:
        return None
    # The most extreme value tells how bad it is: the highest for ">", the lowest for "<".
    worst = max(holding, key=lambda v: v.value if condition.op.startswith(">") else -v.value)
    basis = worst.labels.get("basis", "limit")
    summary = phrase.format(value=_number(worst.value), per=per, subject=name, basis=basis)
    lines = tuple(
        f"{_detail(v.labels) or name}: {_number(v.value)}%"
        + (f" of its {v.labels['basis']}" if "basis" in v.labels else "")
        for v in sorted(holding, key=lambda v: sorted(v.labels.items()))
    )
    return _Holds(f"{summary} {_threshold(condition)}", lines)


def _metric_condition(condition: MetricCondition, metrics: MetricSource, now: datetime) -> dict[Subject, _Holds]:
    by_subject: dict[Subject, list[MetricValue]] = defaultdict(list)
    for value in metrics.values(condition.metric, per=condition.per, now=now):
        by_subject[subject_labels(value.labels)].append(value)
    out: dict[Subject, _Holds] = {}
    for subject, values in by_subject.items():
        holds = _metric_holds(condition, values, subject=subject)
        if holds is not None:
            out[subject] = holds
    return out


def _finding_condition(condition: FindingCondition, findings: Sequence[Finding]) -> dict[Subject, _Holds]:
    by_subject: dict[Subject, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.kind == condition.finding:
            by_subject[_finding_subject(finding)].append(finding)
    out: dict[Subject, _Holds] = {}
    for subject, matched in by_subject.items():
        matched.sort(key=lambda f: (f.target, f.container or ""))
        more = f" (and {len(matched) - 1} more like it)" if len(matched) > 1 else ""
        evidence: list[str] = []
        for finding in matched:
            lines = [finding.summary] if len(matched) > 1 else []
            evidence += [line for line in (*lines, *finding.evidence) if line not in evidence]
        out[subject] = _Holds(matched[0].summary + more, tuple(evidence))
    return out


def _in_namespaces(subject: Subject, globs: Sequence[str]) -> bool:
    if not globs:
        return True
    namespace = dict(subject).get("namespace")
    # A namespace filter says which namespaces the rule is about: nodes and the cluster are not in any.
    return namespace is not None and any(fnmatch.fnmatchcase(namespace, glob) for glob in globs)


def evaluate_rule(
    rule: AlertRule, *, findings: Iterable[Finding], metrics: MetricSource, now: datetime
) -> list[Candidate]:
    """The alerts of `rule` whose conditions hold at `now`, one per subject, sorted by fingerprint."""
    findings = list(findings)
    per_condition: list[dict[Subject, _Holds]] = []
    for condition in rule.conditions:
        if isinstance(condition, MetricCondition):
            per_condition.append(_metric_condition(condition, metrics, now))
        else:
            per_condition.append(_finding_condition(condition, findings))
    subjects = set().union(*per_condition)
    if rule.combine == "all":
        subjects = {s for s in subjects if all(s in holds for holds in per_condition)}
    candidates = [
        _candidate(rule, subject, [holds[subject] for holds in per_condition if subject in holds])
        for subject in subjects
        if _in_namespaces(subject, rule.namespaces)
    ]
    return sorted(candidates, key=lambda c: c.fingerprint)


def _candidate(rule: AlertRule, subject: Subject, holding: list[_Holds]) -> Candidate:
    labels = {"alertname": rule.name, "severity": rule.severity, **dict(subject)}
    kinds = [c.finding for c in rule.conditions if isinstance(c, FindingCondition)]
    if len(kinds) == 1:
        # Only when it cannot change: a label that followed whichever condition holds would make the
        # same problem a new alert each time its reason shifted.
        labels["finding"] = kinds[0]
    evidence: list[str] = []
    for holds in holding:
        evidence += [line for line in holds.evidence if line not in evidence]
    annotations = {"summary": "; ".join(h.summary for h in holding)}
    if rule.description:
        annotations["description"] = rule.description
    if evidence:
        annotations["evidence"] = "\n".join(evidence)
    return Candidate(labels=labels, annotations=annotations, for_=rule.for_)
