"""Usage thresholds: containers against limit or request, nodes against allocatable, exact boundaries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaido.analysis.findings import Finding
from kaido.analysis.usage import Thresholds, node_usage_findings, pod_usage_findings
from kaido.core.refs import ObjectRef

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
DEFAULTS = Thresholds()
MI = 2**20


def backend(
    *, limits: dict[str, str] | None = None, requests: dict[str, str] | None = None, sidecar: bool = False
) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if limits:
        resources["limits"] = limits
    if requests:
        resources["requests"] = requests
    spec: dict[str, Any] = {"containers": [{"name": "backend", "image": "kaido/web:1.0", "resources": resources}]}
    if sidecar:
        spec["initContainers"] = [
            {
                "name": "proxy",
                "image": "envoy:1.31",
                "restartPolicy": "Always",
                "resources": {"limits": {"cpu": "100m"}},
            },
            {"name": "migrate", "image": "busybox:1.36", "resources": {"limits": {"cpu": "100m"}}},
        ]
    return {
        "metadata": {
            "name": "backend-1",
            "namespace": "chatbot-dev",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "backend-7d9f", "controller": True}],
        },
        "spec": spec,
    }


def check(pod: dict[str, Any], usage: dict[str, tuple[float, float]], **thresholds: float) -> list[Finding]:
    return pod_usage_findings(pod, usage, now=NOW, thresholds=Thresholds(**thresholds))


def kinds(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.kind, f.container) for f in findings]


@pytest.mark.parametrize(
    ("resources", "cpu", "memory", "expected"),
    [
        pytest.param({"limits": {"cpu": "500m"}}, 0.4, 0, [], id="exactly-80-percent-of-the-cpu-limit"),
        pytest.param({"limits": {"cpu": "500m"}}, 0.400000001, 0, ["pod-cpu-high"], id="a-nanocore-above"),
        pytest.param({"limits": {"memory": "512Mi"}}, 0, 456340275.2, [], id="exactly-85-percent-of-memory"),
        pytest.param({"limits": {"memory": "512Mi"}}, 0, 456340276.2, ["pod-memory-high"], id="a-byte-above"),
        pytest.param(
            {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
            0.5,
            600 * MI,
            [],
            id="the-limit-wins-over-the-request",
        ),
        pytest.param({"requests": {"cpu": "250m"}}, 0.21, 0, ["pod-cpu-high"], id="the-request-without-a-limit"),
        pytest.param(
            {"requests": {"memory": "256Mi"}}, 0, 512 * MI, ["pod-memory-high"], id="200-percent-of-a-request"
        ),
        pytest.param({}, 64.0, 64 * 2**30, [], id="neither-limit-nor-request-is-skipped"),
        pytest.param({"requests": {"cpu": "0"}}, 1.0, 0, [], id="a-zero-request-is-skipped"),
        pytest.param({"limits": {"cpu": "lots"}}, 1.0, 0, [], id="a-malformed-quantity-is-skipped"),
        pytest.param({"limits": {"cpu": "500m"}}, float("nan"), 0, [], id="nan-usage-is-skipped"),
        pytest.param({"limits": {"cpu": "500m"}}, -1.0, 0, [], id="negative-usage-is-skipped"),
        pytest.param(
            {"limits": {"cpu": "500m", "memory": "512Mi"}},
            0.49,
            500 * MI,
            ["pod-cpu-high", "pod-memory-high"],
            id="both",
        ),
    ],
)
def test_pod_thresholds(resources, cpu, memory, expected) -> None:
    pod = backend(**resources)
    assert [f.kind for f in check(pod, {"backend": (cpu, memory)})] == expected


def test_the_summary_says_which_basis_and_the_numbers() -> None:
    (memory,) = check(backend(limits={"memory": "512Mi"}), {"backend": (0.1, 471.9 * MI)})
    assert memory.summary == (
        "container backend of pod chatbot-dev/backend-1 uses 92% of its 512Mi memory limit (threshold 85%)"
    )
    assert memory.evidence == ("memory usage 471.9Mi of the 512Mi limit (92%)",)
    assert memory.container == "backend"
    assert memory.target == ObjectRef(kind="Pod", name="backend-1", namespace="chatbot-dev")
    assert memory.workload == ObjectRef(kind="ReplicaSet", name="backend-7d9f", namespace="chatbot-dev")
    assert memory.value("threshold") == 85
    assert memory.value("basis") == 512 * MI
    assert memory.value("percent") == pytest.approx(92.168, abs=1e-3)
    (cpu,) = check(backend(requests={"cpu": "250m"}), {"backend": (0.3, 0)})
    assert (
        cpu.summary
        == "container backend of pod chatbot-dev/backend-1 uses 120% of its 250m CPU request (threshold 80%)"
    )
    assert cpu.evidence == (
        "CPU usage 300m of the 250m request (120%)",
        "no CPU limit is set, so usage is measured against the request",
    )


@pytest.mark.parametrize(
    ("used", "shown"),
    [
        (0.4005, "80.1"),
        (0.40001, "80.002"),
        (0.4000001, "80.00002"),
        (0.400000001, "80.0000002"),
        (0.45, "90"),
        (0.41234, "82"),
    ],
)
def test_the_percentage_shows_enough_digits_to_be_above_the_threshold(used, shown) -> None:
    (finding,) = check(backend(limits={"cpu": "500m"}), {"backend": (used, 0)})
    assert f"uses {shown}% of its 500m CPU limit" in finding.summary


def test_each_container_is_judged_alone_sidecars_included() -> None:
    pod = backend(limits={"cpu": "1"}, sidecar=True)
    usage = {"backend": (0.1, 0), "proxy": (0.095, 0), "migrate": (0.5, 0), "unknown": (9.0, 0)}
    findings = check(pod, usage)
    assert kinds(findings) == [("pod-cpu-high", "proxy")]
    assert findings[0].summary.startswith("container proxy of pod chatbot-dev/backend-1 uses 95% of its 100m CPU limit")


def test_ids_are_per_container_and_resource() -> None:
    pod = backend(limits={"cpu": "100m", "memory": "100Mi"}, sidecar=True)
    first = check(pod, {"backend": (1.0, 200 * MI), "proxy": (1.0, 0)})
    again = check(pod, {"backend": (2.0, 300 * MI), "proxy": (3.0, 0)})
    assert [f.id for f in first] == [f.id for f in again]
    assert len({f.id for f in first}) == 3  # backend cpu, backend memory, proxy cpu


def test_owner_lookup_resolves_the_deployment() -> None:
    replicaset = {"metadata": {"ownerReferences": [{"kind": "Deployment", "name": "backend", "controller": True}]}}
    (finding,) = pod_usage_findings(
        backend(limits={"cpu": "1"}),
        {"backend": (0.9, 0)},
        now=NOW,
        thresholds=DEFAULTS,
        owner_lookup=lambda kind, ns, name: replicaset,
    )
    assert finding.workload == ObjectRef(kind="Deployment", name="backend", namespace="chatbot-dev")


def test_custom_thresholds_apply() -> None:
    pod = backend(limits={"cpu": "1", "memory": "1Gi"})
    assert check(pod, {"backend": (0.6, 600 * MI)}) == []
    assert kinds(check(pod, {"backend": (0.6, 600 * MI)}, pod_cpu=50, pod_memory=50.5)) == [
        ("pod-cpu-high", "backend"),
        ("pod-memory-high", "backend"),
    ]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_thresholds_must_be_positive_numbers(bad) -> None:
    with pytest.raises(ValueError, match="node_disk"):
        Thresholds(node_disk=bad)


def test_the_defaults_are_the_briefs() -> None:
    assert (DEFAULTS.pod_cpu, DEFAULTS.pod_memory) == (80, 85)
    assert (DEFAULTS.node_cpu, DEFAULTS.node_memory, DEFAULTS.node_disk) == (85, 90, 80)


@given(
    millicores=st.integers(min_value=1, max_value=64_000),
    used_millicores=st.integers(min_value=0, max_value=128_000),
    threshold=st.integers(min_value=1, max_value=200),
)
def test_above_means_strictly_above_in_exact_arithmetic(millicores, used_millicores, threshold) -> None:
    pod = backend(limits={"cpu": f"{millicores}m"})
    found = check(pod, {"backend": (used_millicores / 1000, 0)}, pod_cpu=threshold)
    assert bool(found) == (used_millicores * 100 > threshold * millicores)


# ----- nodes ----------------------------------------------------------------------------------------------


def node(allocatable: dict[str, str] | None, capacity: dict[str, str] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if allocatable is not None:
        status["allocatable"] = allocatable
    if capacity is not None:
        status["capacity"] = capacity
    return {"metadata": {"name": "kaido-worker-1"}, "status": status}


WORKER = node(
    {"cpu": "4", "memory": "16Gi", "ephemeral-storage": "100Gi"},
    {"cpu": "4", "memory": "16Gi", "ephemeral-storage": "100Gi"},
)


def node_check(body: dict[str, Any], cpu: float, memory: float, **extra: Any) -> list[Finding]:
    return node_usage_findings(body, cpu, memory, now=NOW, thresholds=DEFAULTS, **extra)


@pytest.mark.parametrize(
    ("cpu", "memory", "disk", "expected"),
    [
        pytest.param(3.4, 15461882265.6, 0.8, [], id="exactly-at-every-threshold"),
        pytest.param(3.41, 0, None, ["node-cpu-high"], id="cpu"),
        pytest.param(0, 0.9 * 16 * 2**30 + 1, None, ["node-memory-high"], id="memory"),
        pytest.param(0, 0, 0.81, ["node-disk-high"], id="disk"),
        pytest.param(0, 0, None, [], id="no-disk-reading"),
        pytest.param(4, 16 * 2**30, 1.0, ["node-cpu-high", "node-memory-high", "node-disk-high"], id="all"),
    ],
)
def test_node_thresholds(cpu, memory, disk, expected) -> None:
    assert [f.kind for f in node_check(WORKER, cpu, memory, disk_used_fraction=disk)] == expected


def test_node_summaries() -> None:
    cpu, memory, disk = node_check(WORKER, 3.6, 14.6 * 2**30, disk_used_fraction=0.83)
    assert cpu.summary == "node kaido-worker-1 uses 90% of its 4 allocatable CPU (threshold 85%)"
    assert cpu.evidence == ("CPU usage 3600m of 4 allocatable (90%)",)
    assert memory.summary == "node kaido-worker-1 uses 91% of its 16Gi allocatable memory (threshold 90%)"
    assert memory.evidence == ("memory usage 14.6Gi of 16Gi allocatable (91%)",)
    assert disk.summary == "node kaido-worker-1 disk is 83% full (threshold 80%)"
    assert disk.evidence == ("ephemeral-storage capacity 100Gi",)
    assert cpu.target == ObjectRef(kind="Node", name="kaido-worker-1")
    assert cpu.workload is None
    assert len({cpu.id, memory.id, disk.id}) == 3


def test_capacity_stands_in_for_a_missing_allocatable() -> None:
    body = node({"cpu": "4"}, {"cpu": "8", "memory": "8Gi"})
    cpu, memory = node_check(body, 3.5, 7.5 * 2**30)
    assert "of its 4 allocatable CPU" in cpu.summary
    assert "of its 8Gi memory capacity" in memory.summary
    assert node_check(node(None), 100, 1e15) == []


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        node_usage_findings(WORKER, 1, 1, now=NOW.replace(tzinfo=None), thresholds=DEFAULTS)


def test_usage_percent_against_limit_request_and_allocatable() -> None:
    from kaido.analysis.usage import node_usage_percent, pod_usage_percent

    pod = {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "containers": [
                {"name": "app", "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "500m"}}},
                {"name": "bare"},
            ]
        },
    }
    found = pod_usage_percent(pod, {"app": (0.25, 128 * 2**20), "bare": (1.0, 1.0)})
    assert [(u.container, u.resource, u.percent, u.basis) for u in found] == [
        ("app", "cpu", 50.0, "request"),
        ("app", "memory", 50.0, "limit"),
    ]
    node = {"status": {"allocatable": {"cpu": "4", "memory": "8Gi"}, "capacity": {"cpu": "8"}}}
    assert [(u.resource, u.percent, u.basis) for u in node_usage_percent(node, 3.0, 2 * 2**30)] == [
        ("cpu", 75.0, "allocatable"),
        ("memory", 25.0, "allocatable"),
    ]
