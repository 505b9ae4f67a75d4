"""Silence matchers read like Alertmanager's, errors name the bad matcher, and silences expire."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kaido.notify.silences import Matcher, MatcherError, Silence, SilenceError, parse_matchers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
ALERT = {"alertname": "high-error-rate", "severity": "critical", "namespace": "chatbot-dev", "workload": "deployment/x"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('alertname="high-error-rate"', Matcher("alertname", "high-error-rate")),
        ("alertname=high-error-rate", Matcher("alertname", "high-error-rate")),
        ('namespace=~"chatbot-.*"', Matcher("namespace", "chatbot-.*", is_regex=True)),
        ('severity!="info"', Matcher("severity", "info", is_equal=False)),
        ('workload!~"deployment/(mcp|agent)"', Matcher("workload", "deployment/(mcp|agent)", True, False)),
        ('  team = "a \\"b\\" \\\\ c" ', Matcher("team", 'a "b" \\ c')),
        ('node=""', Matcher("node", "")),
        ("node!=", Matcher("node", "", is_equal=False)),
    ],
)
def test_matchers_parse_and_print_back_to_the_same_matcher(text: str, expected: Matcher) -> None:
    parsed = Matcher.parse(text)
    assert parsed == expected
    assert Matcher.parse(str(parsed)) == parsed
    assert Matcher.from_record(parsed.to_record()) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alertname", r"matcher 'alertname' is not a label name, an operator and a value; write it like"),
        ('1abc="x"', r"matcher '1abc=\"x\"' is not a label name"),
        ("alertname==x", r"matcher 'alertname==x': the value '=x' is malformed"),
        ('alertname="x', r"matcher 'alertname=\"x': the value has no closing quote"),
        ('alertname="a"b"', r"a quote inside the value must be escaped"),
        ('alertname="a\\qb"', r"unknown escape \\q"),
        (
            'namespace=~"chatbot-("',
            r"matcher 'namespace=~\"chatbot-\(\"': 'chatbot-\(' is not a valid regular expression",
        ),
    ],
)
def test_a_bad_matcher_is_named_in_the_error(text: str, message: str) -> None:
    with pytest.raises(MatcherError, match=message):
        Matcher.parse(text)


def test_a_matcher_built_directly_is_checked_too() -> None:
    with pytest.raises(MatcherError, match=r"matcher a=~\"\[\": '\[' is not a valid regular expression"):
        Matcher("a", "[", is_regex=True)


def test_matchers_follow_alertmanager_semantics() -> None:
    assert Matcher.parse('namespace=~"chatbot-.*"').matches(ALERT)
    assert not Matcher.parse('namespace=~"chatbot"').matches(ALERT)  # anchored: the whole value
    assert Matcher.parse('namespace!~"kube-.*"').matches(ALERT)
    assert not Matcher.parse('severity!="critical"').matches(ALERT)
    assert Matcher.parse('node=""').matches(ALERT)  # a missing label reads as ""
    assert not Matcher.parse('node!=""').matches(ALERT)
    assert Matcher.parse('workload="deployment/x"').matches(ALERT)


def test_a_silence_cannot_mute_everything_and_needs_an_author_and_a_reason() -> None:
    with pytest.raises(SilenceError, match="at least one matcher"):
        parse_matchers([])
    with pytest.raises(SilenceError, match=r'matchers node="", team=~".\*" also match alerts without those labels'):
        parse_matchers(['node=""', 'team=~".*"'])
    assert len(parse_matchers(['node=""', 'alertname="x"'])) == 2
    ok = {"now": NOW, "ends_at": NOW + HOUR, "created_by": "alice", "comment": "deploy in progress"}
    with pytest.raises(SilenceError, match="needs an author"):
        Silence.create(['alertname="x"'], **{**ok, "created_by": "  "})
    with pytest.raises(SilenceError, match="needs a comment"):
        Silence.create(['alertname="x"'], **{**ok, "comment": ""})
    with pytest.raises(SilenceError, match="must end in the future"):
        Silence.create(['alertname="x"'], **{**ok, "ends_at": NOW})
    with pytest.raises(MatcherError, match="matcher 'alertname=='"):
        Silence.create(["alertname=="], **ok)


def test_a_silence_is_active_until_it_ends_or_is_expired() -> None:
    silence = Silence.create(
        ['alertname="high-error-rate"', 'namespace=~"chatbot-.*"'],
        now=NOW,
        ends_at=NOW + HOUR,
        created_by="alice",
        comment="known issue",
    )
    assert silence.matches(ALERT)
    assert not silence.matches({**ALERT, "namespace": "shop"})
    assert [silence.state(NOW + d) for d in (timedelta(0), HOUR - timedelta(seconds=1), HOUR)] == [
        "active",
        "active",
        "expired",
    ]
    expired = silence.expire(NOW + timedelta(minutes=10))
    assert (expired.ends_at, expired.updated_at) == (NOW + timedelta(minutes=10), NOW + timedelta(minutes=10))
    assert not expired.is_active(NOW + timedelta(minutes=10))
    assert expired.expire(NOW + timedelta(minutes=20)) == expired  # expiring again changes nothing
    assert Silence.from_record(silence.to_record()) == silence
    assert silence.to_json(now=NOW)["matchers"] == ['alertname="high-error-rate"', 'namespace=~"chatbot-.*"']


def test_a_silence_expired_before_it_started_never_becomes_active() -> None:
    later = Silence.create(['alertname="x"'], now=NOW, ends_at=NOW + 2 * HOUR, created_by="a", comment="c")
    pending = replace(later, starts_at=NOW + HOUR)
    assert pending.state(NOW) == "pending"
    expired = pending.expire(NOW)
    assert expired.starts_at == expired.ends_at == NOW
    assert expired.state(NOW + HOUR) == "expired"
