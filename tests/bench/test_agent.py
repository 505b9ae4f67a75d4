"""The agent benchmark at a tiny scale: the report has its shape and its numbers are measured, not timed."""

from __future__ import annotations

import os

import pytest

from bench import __main__ as suites
from bench import agent
from kaido.sim.cluster import SimCluster
from kaido.sim.resources import builtin

PODS = builtin("", "v1", "pods")
NODES = builtin("", "v1", "nodes")
REPLICASETS = builtin("apps", "v1", "replicasets")
DEPLOYMENTS = builtin("apps", "v1", "deployments")


def test_the_suite_is_registered() -> None:
    assert suites.SUITES["agent"] is agent.run


def test_pod_counts_come_from_the_setting() -> None:
    assert agent.pod_counts("") == (1_000, 5_000, 10_000)
    assert agent.pod_counts(" 50, 200 ") == (50, 200)
    with pytest.raises(ValueError, match="KAIDO_BENCH_AGENT_PODS='1k'"):
        agent.pod_counts("1k")
    with pytest.raises(ValueError, match="positive"):
        agent.pod_counts("100,0")


def test_proc_readers_see_this_process() -> None:
    memory = agent.memory_mib(os.getpid())
    assert 0 < memory["rss"] <= memory["hwm"]
    assert agent.cpu_ticks(os.getpid()) > 0  # importing the simulator alone takes more than one tick


def test_the_loaded_cluster_looks_like_a_running_one() -> None:
    cluster = SimCluster(seed=3)
    load = agent.load_cluster(cluster, 120)
    pods = cluster.store.list_objects(PODS, None)
    replicasets = {rs["metadata"]["uid"]: rs for rs in cluster.store.list_objects(REPLICASETS, None)}
    assert len(pods) == 120
    assert (load["deployments"], len(replicasets), len(cluster.store.list_objects(DEPLOYMENTS, None))) == (3, 3, 3)
    assert load["nodes"] == len(cluster.store.list_objects(NODES, None)) == 2
    assert len({pod["metadata"]["namespace"] for pod in pods}) == 3
    for pod in pods:
        owner = pod["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "ReplicaSet" and owner["uid"] in replicasets
        assert pod["status"]["phase"] == "Running"
        assert {c["type"] for c in pod["status"]["conditions"] if c["status"] == "True"} >= {"Ready", "PodScheduled"}
        assert pod["status"]["containerStatuses"][0]["ready"] is True
        assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}
    for node in cluster.store.list_objects(NODES, None):
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"


@pytest.mark.slow
def test_a_tiny_run_reports_every_measure() -> None:
    settings = agent.Settings(idle_seconds=0.5, updates=300, rate=300.0, ready_timeout=60, settle_timeout=60)
    report = agent.measure((50,), settings)

    assert report["target_rss_mib"] == 200
    assert report["settings"]["updates"] == 300
    (run,) = report["runs"]
    assert run["pods"] == 50
    assert run["load"]["nodes"] == 1
    assert run["updates"] == 300
    for key in ("ready_seconds", "rss_mib_idle", "rss_mib_peak", "rss_mib_after_churn", "events_per_second"):
        assert run[key] > 0, key
    assert run["cpu_percent_idle"] >= 0
    assert run["cpu_percent_churn"] > 0  # parsing 300 watch events is not free
    assert run["events_per_cpu_second"] > 0
    assert run["rss_mib_peak"] >= max(run["rss_mib_idle"], run["rss_mib_after_churn"])
    assert run["catch_up_seconds"] >= 0
    assert run["meets_target"] is (run["rss_mib_peak"] <= 200)
    assert report["meets_target"] is run["meets_target"]
