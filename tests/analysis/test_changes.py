from __future__ import annotations

from typing import Any

from kaido.analysis.changes import describe_workload_change


def deployment(
    *, replicas: int = 2, available: int = 2, revision: str = "1", image: str = "backend:v1"
) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {
            "name": "backend",
            "namespace": "shop",
            "annotations": {"deployment.kubernetes.io/revision": revision},
        },
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"availableReplicas": available},
    }


def test_nothing_changed_says_nothing() -> None:
    assert describe_workload_change(deployment(), deployment()) == []


def test_new_revision_names_the_image() -> None:
    said = describe_workload_change(deployment(), deployment(revision="2", image="backend:v2"))
    assert said == ["deployment shop/backend rolled out revision 2 (backend:v2)"]


def test_scaling_and_availability() -> None:
    assert describe_workload_change(deployment(), deployment(replicas=4)) == [
        "deployment shop/backend scaled from 2 to 4 replicas"
    ]
    assert describe_workload_change(deployment(replicas=4), deployment(replicas=4, available=4))[-1] == (
        "deployment shop/backend is fully available: 4/4 replicas"
    )
    assert describe_workload_change(deployment(), deployment(available=1)) == [
        "deployment shop/backend lost availability: 1/2 replicas available"
    ]


def test_appearing_and_deleting() -> None:
    assert describe_workload_change(None, deployment()) == [
        "deployment shop/backend appeared with 2 replicas (backend:v1)"
    ]
    assert describe_workload_change(deployment(), None) == ["deployment shop/backend was deleted"]
    assert describe_workload_change(None, None) == []
