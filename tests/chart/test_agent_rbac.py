"""The chart's RBAC is exactly what the agent uses: no 403, and no rule the agent never needs.

The chart is rendered and applied to `kaido sim --tls --rbac` playing chatbot-dev; `kaido run` then
runs with a token of the chart's ServiceAccount, the chart's policy and its arguments, and every
action type is requested once through the API. What the agent sent is read off the wire: with
`-v` it logs every HTTP request with its status, and the simulator's own RequestInfo parser turns
each URL into the RBAC attributes the authorizer checked (verb, group, resource, subresource,
namespace). The simulator keeps no record of denials, so the 403s are counted in that log too.
Those requests and the rendered roles' grants, scope included, must cover each other exactly, and
the agent's own count of them (`kaido_api_requests_total` on /metrics) must name the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from kaido.remediate import ACTION_TYPES
from kaido.sim.access import request_attributes
from kaido.sim.cluster import SimCluster, User
from tests.chart.helm import Helm, Manifest, as_yaml, of_kind, one
from tests.support.agent import AgentProcess, wait_for
from tests.support.sim import KUBECTL_135, ROOT, Kubectl, SimThread

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]

CHATBOT: Final = ROOT / "examples/scenarios/chatbot-dev.yaml"
RELEASE_NAMESPACE: Final = "kaido"
APPS: Final = "chatbot-dev"
WRITE_TOKEN: Final = "rbac-test-write-token"
# A dozen actions within seconds; the chart's conservative default limits would skip some of them.
RATE_LIMITS: Final = {"global": {"actions": 100, "per": "1m"}, "perWorkload": {"actions": 10, "per": "10m"}}
MODES: Final[dict[str, tuple[dict[str, Any], tuple[str, ...]]]] = {
    "cluster": ({}, ()),
    "single-namespace": ({"watchNamespace": APPS}, ("--namespace", APPS)),
}
# httpx2 logs each request it sent, with the response's status, when the agent runs with -v.
REQUEST_LINE: Final = re.compile(r'HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+) "HTTP/[0-9.]+ (?P<status>\d{3})')

# Workload kinds the chatbot-dev scenario lacks but the executor acts on (and the chart grants).
EXTRA_WORKLOADS: Final = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ledger, namespace: chatbot-dev}
spec:
  serviceName: ledger
  replicas: 1
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      containers: [{name: ledger, image: chatbot/mcp-server:1.0.0}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-shipper, namespace: chatbot-dev}
spec:
  selector: {matchLabels: {app: log-shipper}}
  template:
    metadata: {labels: {app: log-shipper}}
    spec:
      containers: [{name: shipper, image: chatbot/mcp-server:1.0.0}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: worker, namespace: chatbot-dev}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: chatbot/mcp-server:1.0.0}]
"""
NEW_HPA: Final = {
    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "agent-deployment"},
    "minReplicas": 1,
    "maxReplicas": 3,
    "metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
    ],
}


@dataclass(frozen=True, slots=True)
class Request:
    """One API request as the authorizer saw it; `namespace` "" is the cluster scope or all namespaces."""

    verb: str
    group: str
    resource: str  # "pods", "pods/eviction"
    namespace: str
    status: int
    line: str


@dataclass(frozen=True, slots=True)
class Grant:
    """One verb on one resource from a rendered rule; `namespace` None for a ClusterRole (everywhere)."""

    verb: str
    group: str
    resource: str
    namespace: str | None
    role: str

    def covers(self, request: Request) -> bool:
        return (self.verb, self.group, self.resource) == (request.verb, request.group, request.resource) and (
            self.namespace is None or self.namespace == request.namespace
        )


@dataclass(frozen=True)
class Run:
    mode: str
    grants: list[Grant]
    records: list[dict[str, Any]]
    requests: list[Request]
    counted: set[tuple[str, str, str]] | None  # kaido_api_requests_total; None when /metrics lacks it


@pytest.fixture(scope="module", params=list(MODES))
def run(request: pytest.FixtureRequest, helm: Helm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The chart applied, the agent run as its ServiceAccount, every action type requested once."""
    if not KUBECTL_135.exists():
        pytest.fail("kubectl is not in .cache/tools/bin: run the tests through `make test`, which fetches it")
    values, args = MODES[request.param]
    tmp_path = tmp_path_factory.mktemp(request.param)
    manifests = helm.template(values | {"policy": {"rateLimits": RATE_LIMITS}}, namespace=RELEASE_NAMESPACE)
    sim = SimThread(
        kubeconfig=tmp_path / "admin-kubeconfig", cluster=SimCluster(seed=7, rbac=True), tls=True, scenario=CHATBOT
    ).start()
    try:
        admin = Kubectl(binary=KUBECTL_135, kubeconfig=sim.kubeconfig, cache_dir=tmp_path / "admin-cache")
        admin("create", "namespace", RELEASE_NAMESPACE)
        admin("apply", "-f", "-", stdin=as_yaml(manifests))
        admin("apply", "-f", "-", stdin=EXTRA_WORKLOADS)
        agent = _start_agent(sim, admin, manifests, tmp_path, args)
        try:
            agent.wait_ready()
            _wait_until_leading_and_polled(agent)
            records = [_act(agent, body) for body in _requests_before_rollback(admin)]
            _wait_for_revision(admin, "frontend-deployment", "2")
            records.append(_act(agent, _request("Rollback", "deploy/frontend-deployment", revision=1)))
            counted = _counted(agent)
            yield Run(request.param, _grants(manifests), records, _sent(agent), counted)
        finally:
            agent.kill()
    finally:
        sim.stop()


def test_every_action_type_succeeds(run: Run) -> None:
    assert {r["action"] for r in run.records} == set(ACTION_TYPES)
    failed = [(r["action"], r["target"], r["state"], r["detail"]) for r in run.records if r["state"] != "succeeded"]
    assert failed == []


def test_no_request_is_refused(run: Run) -> None:
    refused = [r for r in run.requests if r.status in (401, 403)]
    assert [r.line for r in refused] == []


def test_every_request_is_granted(run: Run) -> None:
    outside = [r for r in run.requests if not any(g.covers(r) for g in run.grants)]
    assert sorted({(r.verb, r.group, r.resource, r.namespace) for r in outside}) == []


def test_every_grant_is_used(run: Run) -> None:
    unused = [g for g in run.grants if not any(g.covers(r) for r in run.requests)]
    assert unused == []


def test_the_agent_counts_every_request_it_sends(run: Run) -> None:
    assert run.counted is not None, "kaido_api_requests_total is missing from /metrics"
    assert run.counted == {(r.verb, r.group, r.resource) for r in run.requests}


def _start_agent(
    sim: SimThread, admin: Kubectl, manifests: list[Manifest], tmp_path: Path, args: tuple[str, ...]
) -> AgentProcess:
    """`kaido run` as the chart runs it: its ServiceAccount, policy, policy ConfigMap and pod identity."""
    account = one(manifests, "ServiceAccount")["metadata"]["name"]
    token = admin("create", "token", account, "-n", RELEASE_NAMESPACE).strip()
    kubeconfig = sim.write_kubeconfig(tmp_path / "agent-kubeconfig", token=token, user_name="kaido-agent")
    configmap = one(manifests, "ConfigMap")
    policy = yaml.safe_load(configmap["data"]["policy.yaml"])
    # The chart points api.writeTokenFile at a mounted Secret; here the token is a local file.
    token_file = tmp_path / "write-token"
    token_file.write_text(WRITE_TOKEN + "\n")
    policy.setdefault("api", {})["writeTokenFile"] = str(token_file)
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(yaml.safe_dump(policy))
    # -v: one log line per API request, the record this test reads
    run_args = ("-v", "--config", str(policy_file), "--policy-configmap", configmap["metadata"]["name"], *args)
    env = {"POD_NAMESPACE": RELEASE_NAMESPACE, "POD_NAME": "kaido-0"}
    return AgentProcess(kubeconfig, tmp_path, args=run_args, env=env).start()


def _wait_until_leading_and_polled(agent: AgentProcess) -> None:
    """Leader (the Lease created and renewed once) and metrics.k8s.io read once: every kind of read was sent."""

    def settled() -> bool:
        sent = {(r.verb, r.group, r.resource) for r in _sent(agent)}
        return (
            agent.get("/api/v1/health")[1]["agent"]["leader"]
            and ("update", "coordination.k8s.io", "leases") in sent
            and ("list", "metrics.k8s.io", "pods") in sent
        )

    wait_for(settled, timeout=20, interval=0.2, what="the agent to lead, renew its Lease and read metrics")


def _requests_before_rollback(admin: Kubectl) -> list[dict[str, Any]]:
    """Every action type, spread over the workload kinds so each verb the chart grants them is used."""

    def backend_pods() -> list[str]:
        names = admin("get", "pods", "-n", APPS, "-l", "app=backend", "-o", "jsonpath={.items[*].metadata.name}")
        return names.split()

    evicted = wait_for(backend_pods, timeout=10, interval=0.2, what="backend pods")[0]
    return [
        _request("RestartPod", "pod/test-crash-loop"),
        _request("RestartPod", f"pod/{evicted}", evict=True),
        # Revision 2 of frontend, for the rollback to revision 1 afterwards.
        _request("RolloutRestart", "deploy/frontend-deployment"),
        _request("Scale", "deploy/agent-deployment", replicas=2),
        _request("PatchResources", "deploy/mcp-deployment", container="mcp", requests={"cpu": "60m"}),
        _request("Scale", "sts/ledger", replicas=2),
        _request("PatchResources", "sts/ledger", container="ledger", limits={"memory": "128Mi"}),
        _request("PatchResources", "ds/log-shipper", container="shipper", requests={"memory": "32Mi"}),
        _request("Scale", "rs/worker", replicas=2),
        _request("ApplyHPA", "hpa/agent-hpa", spec=NEW_HPA),
        _request("SetHPAMinReplicas", "hpa/agent-hpa", min_replicas=2),
    ]


def _request(action: str, target: str, **params: Any) -> dict[str, Any]:
    return {"action": action, "target": target, "namespace": APPS, "params": params, "reason": "RBAC test"}


def _act(agent: AgentProcess, body: dict[str, Any]) -> dict[str, Any]:
    status, record = agent.post("/api/v1/actions", body | {"dryRun": False}, token=WRITE_TOKEN)
    assert status == 201, f"{body['action']} {body['target']}: HTTP {status} {record}"
    assert isinstance(record, dict)
    return record


def _wait_for_revision(admin: Kubectl, deployment: str, revision: str) -> None:
    path = "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"

    def reached() -> bool:
        return admin("get", f"deploy/{deployment}", "-n", APPS, "-o", path).strip() == revision

    wait_for(reached, timeout=15, interval=0.2, what=f"{deployment} to reach revision {revision}")


def _sent(agent: AgentProcess) -> list[Request]:
    """Every API request in the agent's log, with the RBAC attributes the simulator authorized it by."""
    anyone = User("kaido")  # the attributes depend on the URL alone
    found = []
    for line in agent.log().splitlines():
        match = REQUEST_LINE.search(line)
        if match is None:
            continue
        url = urlsplit(match["url"])
        attributes = request_attributes(anyone, match["method"], url.path, dict(parse_qsl(url.query)))
        assert attributes.resource_request, f"a request outside the resource API: {line}"
        resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
        found.append(
            Request(attributes.verb, attributes.api_group, resource, attributes.namespace, int(match["status"]), line)
        )
    return found


def _counted(agent: AgentProcess) -> set[tuple[str, str, str]] | None:
    """(verb, group, resource) from kaido_api_requests_total, whose resource reads "group/plural[/sub]"."""
    status, text = agent.get("/metrics")
    assert status == 200, text
    families = [f for f in text_string_to_metric_families(text) if f.name == "kaido_api_requests"]
    if not families:
        return None
    counted = set()
    for sample in families[0].samples:
        if sample.name == "kaido_api_requests_total" and sample.value > 0:
            group, _, resource = sample.labels["resource"].partition("/")  # "" is the core group: "/pods"
            counted.add((sample.labels["verb"], group, resource))
    return counted


def _grants(manifests: list[Manifest]) -> list[Grant]:
    """Every verb on every resource the rendered Roles (in their namespace) and ClusterRoles grant."""
    return [
        Grant(verb, group, resource, role["metadata"].get("namespace"), f"{role['kind']} {role['metadata']['name']}")
        for role in of_kind(manifests, "Role") + of_kind(manifests, "ClusterRole")
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    ]
