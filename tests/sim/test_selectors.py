from __future__ import annotations

import pytest

from kaido.sim.errors import ApiError
from kaido.sim.selectors import (
    parse_field_selector,
    parse_label_selector,
    selector_from_object,
    selector_to_string,
)

LABELS = {"app": "web", "tier": "frontend", "version": "3"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app!=web", False),
        ("app!=api", True),
        ("missing!=x", True),
        ("app in (web,api)", True),
        ("app in (api)", False),
        ("app notin (api, db)", True),
        ("app notin (web)", False),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app=web,tier=frontend", True),
        ("app=web,tier=backend", False),
        ("app in (web),!missing,tier", True),
        ("version>2", True),
        ("version<2", False),
        ("app=", False),
    ],
)
def test_label_selector_grammar(selector: str, matches: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is matches


@pytest.mark.parametrize("selector", ["app in web", "app=web,,", "=web", "app in (web", "app ~ web"])
def test_malformed_label_selector_is_a_400(selector: str) -> None:
    with pytest.raises(ApiError) as excinfo:
        parse_label_selector(selector)
    assert excinfo.value.code == 400
    assert "unable to parse requirement" in excinfo.value.message


def test_structured_selector_and_its_string_form() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert selector_from_object(selector).matches(LABELS)
    assert not selector_from_object(selector).matches({**LABELS, "canary": "yes"})
    assert selector_to_string(selector) == "!canary,app=web,tier in (frontend,edge)"
    assert selector_to_string({"matchLabels": {"app": "web"}}) == "app=web"


def test_service_map_selector_and_empty_selector() -> None:
    assert selector_from_object({"app": "web"}).matches(LABELS)
    assert selector_from_object(None).matches({})


POD = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "shop"},
    "spec": {"nodeName": "node-a"},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("metadata.name=web-1", True),
        ("metadata.name==web-2", False),
        ("spec.nodeName=node-a,status.phase!=Succeeded,status.phase!=Failed", True),
        ("status.phase=Pending", False),
        ("spec.nodeName=", False),
    ],
)
def test_field_selectors_kubectl_uses(selector: str, matches: bool) -> None:
    assert parse_field_selector(selector, "Pod").matches(POD) is matches


def test_event_field_selectors_include_involved_object() -> None:
    event = {
        "kind": "Event",
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Node", "name": "n1"},
        "type": "Normal",
    }
    selector = parse_field_selector("involvedObject.kind=Node,involvedObject.namespace=,type=Normal", "Event")
    assert selector.matches(event)


def test_unsupported_field_is_a_400_naming_it() -> None:
    with pytest.raises(ApiError) as excinfo:
        parse_field_selector("spec.replicas=3", "Deployment")
    assert excinfo.value.code == 400
    assert excinfo.value.message == "field label not supported: spec.replicas"
