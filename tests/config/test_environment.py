"""The agent's environment: pod namespace, identity and kubeconfig from an explicit mapping."""

from __future__ import annotations

import socket
from pathlib import Path

from kaido.config import AgentSettings, agent_environment, process_environ


def test_pod_facts_come_from_the_downward_api_variables(tmp_path: Path) -> None:
    env = agent_environment(
        {"POD_NAMESPACE": "kaido", "POD_NAME": "kaido-7d9f-x2v4n", "HOSTNAME": "kaido-7d9f-x2v4n",
         "KUBERNETES_SERVICE_HOST": "10.0.0.1"},
        namespace_file=tmp_path / "absent",
    )  # fmt: skip
    assert (env.namespace, env.pod_name, env.identity, env.in_cluster) == (
        "kaido",
        "kaido-7d9f-x2v4n",
        "kaido-7d9f-x2v4n",
        True,
    )
    assert env.lease_namespace(AgentSettings()) == "kaido"
    assert env.lease_namespace(AgentSettings(lease_namespace="ops")) == "ops"
    assert env.lease_identity(AgentSettings(identity="me")) == "me"


def test_the_service_account_file_gives_the_namespace(tmp_path: Path) -> None:
    namespace_file = tmp_path / "namespace"
    namespace_file.write_text("monitoring\n")
    env = agent_environment({"HOSTNAME": "box"}, namespace_file=namespace_file)
    assert (env.namespace, env.identity, env.in_cluster) == ("monitoring", "box", False)


def test_outside_a_cluster(tmp_path: Path) -> None:
    env = agent_environment({"KUBECONFIG": f"{tmp_path}/a.yaml:{tmp_path}/b.yaml"}, namespace_file=tmp_path / "absent")
    assert env.namespace is None
    assert env.hostname == socket.gethostname()
    assert env.kubeconfig == tmp_path / "a.yaml"
    assert env.lease_namespace(AgentSettings()) == "default"


def test_process_environ_is_a_snapshot() -> None:
    snapshot = process_environ()
    snapshot["KAIDO_TEST_ONLY"] = "1"
    assert "KAIDO_TEST_ONLY" not in process_environ()
