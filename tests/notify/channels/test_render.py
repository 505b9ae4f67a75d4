"""The words shared by every channel: titles, targets, times, common labels, scrubbing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kaido.notify.channels.render import alert_headline, alert_target, common, rfc3339, scrub, title
from tests.notify.channels.samples import START, alert, notification


def test_title_counts_firing_alerts_and_names_the_group() -> None:
    two = notification(alert(), alert(workload="deployment/frontend"))
    assert title(two) == "[FIRING:2] high-error-rate chatbot-dev"


def test_title_of_a_group_that_only_resolves() -> None:
    done = notification(alert(resolved_at=START + timedelta(minutes=5)))
    assert title(done) == "[RESOLVED] high-error-rate chatbot-dev"


def test_title_without_group_labels_uses_the_alert_names() -> None:
    ungrouped = notification(alert("b-rule"), alert("a-rule"), group={})
    assert title(ungrouped) == "[FIRING:2] a-rule b-rule"


def test_targets_read_like_the_alert_engine_writes_them() -> None:
    assert alert_target(alert()) == "deployment chatbot-dev/backend"
    assert alert_target(alert(workload=None, extra={"pod": "web-1"})) == "pod chatbot-dev/web-1"
    assert alert_target(alert(workload=None, namespace="", extra={"node": "worker-1"})) == "node worker-1"
    assert alert_target(alert(workload=None)) == "namespace chatbot-dev"


def test_headline_says_resolved_first() -> None:
    done = alert(resolved_at=START + timedelta(minutes=5))
    assert alert_headline(done).startswith("resolved: high-error-rate (critical) on deployment chatbot-dev/backend: 12")


def test_rfc3339_is_utc_with_z() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2026, 3, 1, 14, 0, tzinfo=plus_two)) == "2026-03-01T12:00:00Z"
    assert rfc3339(datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)) == "2026-03-01T12:00:00.25Z"


def test_common_keeps_only_shared_pairs() -> None:
    assert common([{"a": "1", "b": "2"}, {"a": "1", "b": "3"}]) == {"a": "1"}
    assert common([]) == {}


def test_scrub_masks_every_secret() -> None:
    assert scrub("token abc and abc again", ["abc", None, ""]) == "token *** and *** again"
