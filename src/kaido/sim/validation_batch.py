"""Validation of batch/v1 Jobs and CronJobs, as pkg/apis/batch/validation reports it.

A Job's pod template must restart OnFailure or Never, its generated selector must carry the Job's
uid and name labels, and once created its selector, template (bar the scheduling directives of a
suspended, never-started Job), completions and completion mode are immutable. A CronJob's schedule
is parsed with the grammar of robfig/cron (five fields or a descriptor) and its name leaves room for
the 11-character suffix of the Jobs it creates.
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from typing import Any, Final

from kaido.sim.errors import Cause
from kaido.sim.field_errors import (
    GoRepr,
    as_dict,
    child,
    go_label_selector,
    go_string_map,
    go_struct,
    invalid,
    key,
    nonnegative,
    not_supported,
    required,
    semantically_equal,
)
from kaido.sim.validation_apps import template_labels_mismatch
from kaido.sim.validation_meta import is_dns1123_label, selector_is_valid, selector_matches, validate_label_selector
from kaido.sim.validation_pod import validate_pod_template

__all__ = ["validate_cron_job", "validate_job", "validate_job_update"]

_NON_NEGATIVE: Final = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
)
_MAX_INDEXED_PARALLELISM: Final = 100_000
# (minimum, maximum, names) of minute, hour, day of month, month, day of week
_CRON_FIELDS: Final[tuple[tuple[int, int, dict[str, int]], ...]] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
        },
    ),
    (0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DESCRIPTORS: Final = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_DURATION: Final = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")


# ----- Job ---------------------------------------------------------------------------------------


def validate_job(obj: dict[str, Any]) -> list[Cause]:
    meta, spec = as_dict(obj.get("metadata")), as_dict(obj.get("spec"))
    causes = _generated_selector(meta, spec)
    causes += _job_spec(spec, "spec")
    causes += _job_selector(spec)
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions > 0:
        hostname = f"{meta.get('name') or ''}-{completions - 1}"
        if is_dns1123_label(hostname):
            detail = f"will not able to create pod with invalid DNS label: {hostname}"
            causes.append(invalid("metadata.name", meta.get("name") or "", detail))
    return causes


def _generated_selector(meta: dict[str, Any], spec: dict[str, Any]) -> list[Cause]:
    """validateGeneratedSelector: the template carries the uid and name the selector was made from."""
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
    # The simulator assigns the uid when storing; the generated label stands for it until then.
    uid = str(meta.get("uid") or labels.get("batch.kubernetes.io/controller-uid") or "")
    name = str(meta.get("name") or "")
    causes = [] if uid else [required("metadata.uid")]
    expected = {
        "controller-uid": uid,
        "job-name": name,
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
    }
    labels_path = "spec.template.metadata.labels"
    for label, value in expected.items():
        if label not in labels:
            causes.append(required(key(labels_path, label), value))
        elif labels[label] != value:
            causes.append(invalid(key(labels_path, label), GoRepr(go_string_map(labels)), f"must be '{value}'"))
    selector = spec.get("selector")
    if selector_is_valid(selector) and not selector_matches(selector, expected):
        causes.append(invalid("spec.selector", go_label_selector(selector), "`selector` not auto-generated"))
    return causes


def _job_selector(spec: dict[str, Any]) -> list[Cause]:
    selector = spec.get("selector")
    causes = [required("spec.selector")] if selector is None else validate_label_selector(selector, "spec.selector")
    if selector_is_valid(selector):
        causes += template_labels_mismatch(selector, as_dict(spec.get("template")), "spec.template.metadata.labels")
    return causes


def _job_spec(spec: dict[str, Any], path: str) -> list[Cause]:
    """validateJobSpec: counts, completion mode, replacement policy, and the pod template."""
    causes: list[Cause] = []
    for field in _NON_NEGATIVE:
        causes += nonnegative(spec.get(field), child(path, field))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        causes.append(required(child(path, "backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        causes.append(not_supported(child(path, "completionMode"), mode, ("NonIndexed", "Indexed")))
    if mode == "Indexed":
        if spec.get("completions") is None:
            causes.append(required(child(path, "completions"), "when completion mode is Indexed"))
        parallelism = spec.get("parallelism")
        if isinstance(parallelism, int) and parallelism > _MAX_INDEXED_PARALLELISM:
            detail = f"must be less than or equal to {_MAX_INDEXED_PARALLELISM} when completion mode is Indexed"
            causes.append(invalid(child(path, "parallelism"), parallelism, detail))
    else:
        for field in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(field) is not None:
                causes.append(invalid(child(path, field), spec[field], "requires indexed completion mode"))
    causes += _replacement_policy(spec, child(path, "podReplacementPolicy"))
    template = as_dict(spec.get("template"))
    causes += validate_pod_template(template, child(path, "template"))
    return causes + _job_restart_policy(spec, template, child(path, "template", "spec", "restartPolicy"))


def _replacement_policy(spec: dict[str, Any], path: str) -> list[Cause]:
    policy = spec.get("podReplacementPolicy")
    if policy is None:
        return []
    if spec.get("podFailurePolicy") is not None:
        return [] if policy == "Failed" else [not_supported(path, policy, ("Failed",))]
    supported = ("Failed", "TerminatingOrFailed")
    return [] if policy in supported else [not_supported(path, policy, supported)]


def _job_restart_policy(spec: dict[str, Any], template: dict[str, Any], path: str) -> list[Cause]:
    restart = as_dict(template.get("spec")).get("restartPolicy") or ""
    if restart in ("Always", ""):
        return [required(path, 'valid values: "OnFailure", "Never"')]
    if restart not in ("OnFailure", "Never"):
        return [not_supported(path, restart, ("OnFailure", "Never"))]
    if spec.get("podFailurePolicy") is not None and restart != "Never":
        return [invalid(path, restart, 'only "Never" is supported when podFailurePolicy is specified')]
    return []


def validate_job_update(obj: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    """ValidateJobSpecUpdate: what a running Job can no longer change."""
    spec, old_spec = as_dict(obj.get("spec")), as_dict(old.get("spec"))
    causes: list[Cause] = []
    completions, old_completions = spec.get("completions"), old_spec.get("completions")
    if spec.get("completionMode") != "Indexed" and not semantically_equal(completions, old_completions):
        causes.append(invalid("spec.completions", completions, "field is immutable"))
    elif completions != old_completions and completions is not None and completions != spec.get("parallelism"):
        causes.append(invalid("spec.completions", completions, "can only be modified in tandem with spec.parallelism"))
    if not semantically_equal(spec.get("selector"), old_spec.get("selector")):
        causes.append(invalid("spec.selector", go_label_selector(spec.get("selector")), "field is immutable"))
    if not semantically_equal(_comparable_template(spec, old), _comparable_template(old_spec, old)):
        causes.append(invalid("spec.template", go_struct("core.PodTemplateSpec"), "field is immutable"))
    for field in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex"):
        if not semantically_equal(spec.get(field), old_spec.get(field)):
            shown = spec.get(field) if not isinstance(spec.get(field), dict) else go_struct("batch.PodFailurePolicy")
            causes.append(invalid(child("spec", field), shown, "field is immutable"))
    return causes


def _comparable_template(spec: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The template without what a suspended Job that never started may still change."""
    template = copy.deepcopy(as_dict(spec.get("template")))
    old_spec, started = as_dict(old.get("spec")), as_dict(old.get("status")).get("startTime") is not None
    if old_spec.get("suspend") is True and not started:
        meta, pod_spec = as_dict(template.get("metadata")), as_dict(template.get("spec"))
        for field in ("labels", "annotations"):
            meta.pop(field, None)
        for field in ("nodeSelector", "tolerations", "schedulingGates"):
            pod_spec.pop(field, None)
        as_dict(pod_spec.get("affinity")).pop("nodeAffinity", None)
    return template


# ----- CronJob -----------------------------------------------------------------------------------


def validate_cron_job(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[Cause]:
    meta, spec = as_dict(obj.get("metadata")), as_dict(obj.get("spec"))
    old_spec = as_dict((old or {}).get("spec"))
    causes: list[Cause] = []
    schedule = spec.get("schedule")
    if not schedule:
        causes.append(required("spec.schedule"))
    else:
        causes += _validate_schedule(str(schedule), allow_tz="TZ" in str(old_spec.get("schedule") or ""))
    causes += nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    if old is None or spec.get("timeZone") != old_spec.get("timeZone"):
        causes += _validate_time_zone(spec.get("timeZone"), "spec.timeZone")
    policy = spec.get("concurrencyPolicy")
    if not policy:
        causes.append(required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        causes.append(not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    job_template = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    causes += _job_spec(job_template, "spec.jobTemplate.spec")
    if job_template.get("selector") is not None:
        shown = go_label_selector(job_template["selector"])
        causes.append(invalid("spec.jobTemplate.spec.selector", shown, "`selector` will be auto-generated"))
    if job_template.get("manualSelector") is True:
        causes.append(not_supported("spec.jobTemplate.spec.manualSelector", True, ("nil", "false")))
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += nonnegative(spec.get(field), child("spec", field))
    name = str(meta.get("name") or "")
    if old is None and len(name) > 52:
        causes.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes


def _validate_schedule(schedule: str, *, allow_tz: bool) -> list[Cause]:
    causes: list[Cause] = []
    problem = cron_problem(schedule)
    if problem:
        causes.append(invalid("spec.schedule", schedule, problem))
    if "TZ" in schedule and not allow_tz:
        causes.append(
            invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        )
    return causes


def _validate_time_zone(zone: Any, path: str) -> list[Cause]:
    if zone is None:
        return []
    if str(zone).lower() == "local":
        return [
            invalid(path, zone, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
        ]
    if not zoneinfo.available_timezones():
        return []  # no time zone database on this machine: nothing to check against
    try:
        zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [invalid(path, zone, f"unknown time zone {zone}")]
    return []


def cron_problem(schedule: str) -> str | None:
    """robfig/cron ParseStandard's error for `schedule`, or None when it parses."""
    spec = schedule.strip()
    if spec.startswith(("TZ=", "CRON_TZ=")):
        spec = spec.partition(" ")[2].strip()
    if not spec:
        return "empty spec string"
    if spec.startswith("@"):
        return _descriptor_problem(spec)
    fields = spec.split()
    if len(fields) != len(_CRON_FIELDS):
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, bounds in zip(fields, _CRON_FIELDS, strict=True):
        for part in text.split(","):
            problem = _range_problem(part, bounds)
            if problem:
                return problem
    return None


def _descriptor_problem(spec: str) -> str | None:
    if spec in _DESCRIPTORS:
        return None
    if spec.startswith("@every "):
        duration = spec.removeprefix("@every ").strip()
        if re.fullmatch(f"(?:{_DURATION.pattern})+", duration):
            return None
        return f'failed to parse duration {spec}: time: invalid duration "{duration}"'
    return f"unrecognized descriptor: {spec}"


def _range_problem(expression: str, bounds: tuple[int, int, dict[str, int]]) -> str | None:
    minimum, maximum, names = bounds
    range_text, _, step_text = expression.partition("/")
    if "/" in step_text:
        return f"too many slashes: {expression}"
    if range_text in ("*", "?"):
        low, high = minimum, maximum
    else:
        low_text, _, high_text = range_text.partition("-")
        if "-" in high_text:
            return f"too many hyphens: {expression}"
        low_value = _cron_int(low_text, names)
        high_value = _cron_int(high_text, names) if high_text else low_value
        if isinstance(low_value, str) or isinstance(high_value, str):
            return low_value if isinstance(low_value, str) else str(high_value)
        low, high = low_value, high_value
        if step_text and not high_text:
            high = maximum
    step = _cron_int(step_text, {}) if step_text else 1
    if isinstance(step, str):
        return step
    if low < minimum:
        return f"beginning of range ({low}) below minimum ({minimum}): {expression}"
    if high > maximum:
        return f"end of range ({high}) above maximum ({maximum}): {expression}"
    if low > high:
        return f"beginning of range ({low}) beyond end of range ({high}): {expression}"
    return f"step of range should be a positive number: {expression}" if step == 0 else None


def _cron_int(text: str, names: dict[str, int]) -> int | str:
    """A field value, or the error robfig/cron reports for it."""
    if text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
    number = int(text)
    return f"negative number ({number}) not allowed: {text}" if number < 0 else number
