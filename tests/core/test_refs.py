from __future__ import annotations

import pytest

from kaido.core import ObjectRef, ObjectRefError, parse_target


def test_reference_of_an_object_body() -> None:
    body = {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1"}}
    ref = ObjectRef.of(body)
    assert ref == ObjectRef(kind="Pod", name="web-1", namespace="shop", uid="u-1")
    assert str(ref) == "Pod shop/web-1"
    assert ref.key == "shop/web-1"


def test_owner_reference_inherits_the_namespace() -> None:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f", "uid": "u-2"}
    assert ObjectRef.from_owner(owner, "shop") == ObjectRef("ReplicaSet", "web-7d9f", "shop", "u-2")


def test_body_without_a_name_is_rejected() -> None:
    with pytest.raises(ObjectRefError, match=r"kind and metadata\.name"):
        ObjectRef.of({"kind": "Pod", "metadata": {}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deploy/backend", ObjectRef("Deployment", "backend", "dev")),
        ("backend", ObjectRef("Deployment", "backend", "dev")),
        ("po/web-1", ObjectRef("Pod", "web-1", "dev")),
        ("node/worker-2", ObjectRef("Node", "worker-2", None)),
        ("Rollout/canary", ObjectRef("Rollout", "canary", "dev")),
    ],
)
def test_kubectl_style_targets(text: str, expected: ObjectRef) -> None:
    assert parse_target(text, namespace="dev") == expected


@pytest.mark.parametrize(("text", "fragment"), [("widget/x", "unknown kind 'widget'"), ("deploy/Bad_Name", "valid")])
def test_bad_targets_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(ObjectRefError, match=fragment):
        parse_target(text, namespace="dev")
