"""The OpenAPI v3 documents: complete for the resource table, self-contained, stably hashed, and read
correctly by real kubectl (explain, create -f, client-side apply) from a throwaway HTTP server that
serves only discovery, /version and these documents.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kaido.sim.openapi import document_hash, openapi_group_version, openapi_root, schema_name
from kaido.sim.resources import RESOURCES, ResourceType, by_group_version, group_versions

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".cache/tools/bin/kubectl"
GROUP_VERSIONS = [(group, version) for group, versions in group_versions() for version in versions]
STRATEGIC = "application/strategic-merge-patch+json"


def document(group: str, version: str) -> dict[str, Any]:
    found = openapi_group_version(group, version)
    assert found is not None, f"no document for {group}/{version}"
    return found


def item_path(resource: ResourceType) -> str:
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    scope = "/namespaces/{namespace}" if resource.namespaced else ""
    return f"{base}{scope}/{resource.plural}/{{name}}"


def resolve(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(doc["components"]["schemas"][name])


def target(doc: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """The schema a property refers to, through `allOf` or directly."""
    ref = prop["allOf"][0]["$ref"] if "allOf" in prop else prop["$ref"]
    return resolve(doc, ref.removeprefix("#/components/schemas/"))


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


# --- documents ---


@pytest.mark.parametrize(("group", "version"), GROUP_VERSIONS)
def test_every_group_version_has_a_document_listed_in_the_root(group: str, version: str) -> None:
    doc = document(group, version)
    assert doc["openapi"] == "3.0.0"
    assert doc["info"] == {"title": "Kubernetes", "version": "v1.35.0"}
    key = f"apis/{group}/{version}" if group else f"api/{version}"
    assert openapi_root()["paths"][key]["serverRelativeURL"] == f"/openapi/v3/{key}?hash={document_hash(doc)}"


def test_the_root_lists_exactly_the_served_group_versions() -> None:
    assert len(openapi_root()["paths"]) == len(GROUP_VERSIONS)
    assert openapi_group_version("apps", "v2") is None
    assert openapi_group_version("example.com", "v1") is None


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: f"{r.group_version}/{r.plural}")
def test_every_patchable_resource_has_a_patch_with_its_kind_and_field_validation(resource: ResourceType) -> None:
    doc = document(resource.group, resource.version)
    patch = doc["paths"].get(item_path(resource), {}).get("patch")
    if "patch" not in resource.verbs:
        assert patch is None
        return
    assert patch is not None
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": resource.group,
        "version": resource.version,
        "kind": resource.kind,
    }
    assert patch["x-kubernetes-action"] == "patch"
    query = {p["name"] for p in patch["parameters"] if p["in"] == "query"}
    assert {"fieldValidation", "fieldManager", "dryRun", "force"} <= query
    media = set(patch["requestBody"]["content"])
    assert {"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"} <= media


@pytest.mark.parametrize(
    "kind",
    ["Pod", "Deployment", "ReplicaSet", "Service", "ConfigMap", "Secret", "Node", "Job", "CronJob", "Lease"],
)
def test_hand_written_kinds_accept_strategic_merge_and_others_do_not(kind: str) -> None:
    # kubectl computes strategic merge patches from our schema only where we wrote the merge keys down;
    # for the rest it falls back to its compiled-in types without a warning.
    def media(kind: str) -> set[str]:
        resource = next(r for r in RESOURCES if r.kind == kind)
        patch = document(resource.group, resource.version)["paths"][item_path(resource)]["patch"]
        return set(patch["requestBody"]["content"])

    assert STRATEGIC in media(kind)
    assert STRATEGIC not in media("Role")


def test_operations_follow_the_resource_scope_and_verbs() -> None:
    core = document("", "v1")["paths"]
    assert set(core["/api/v1/namespaces/{namespace}/pods"]) == {"parameters", "get", "post", "delete"}
    assert set(core["/api/v1/namespaces/{namespace}/pods/{name}"]) == {"parameters", "get", "put", "patch", "delete"}
    assert core["/api/v1/pods"]["get"]["operationId"] == "listCoreV1PodForAllNamespaces"
    assert "/api/v1/nodes/{name}" in core
    assert not any("namespaces/{namespace}/nodes" in path for path in core)
    for method, action in [("get", "list"), ("post", "post"), ("delete", "deletecollection")]:
        assert core["/api/v1/namespaces/{namespace}/pods"][method]["x-kubernetes-action"] == action
    reviews = document("authorization.k8s.io", "v1")["paths"]
    assert set(reviews["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]) == {"parameters", "post"}
    metrics = document("metrics.k8s.io", "v1beta1")["paths"]
    assert set(metrics["/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}"]) == {"parameters", "get"}


def test_status_and_scale_subresources_name_their_kinds() -> None:
    doc = document("apps", "v1")
    item = "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    status, scale = doc["paths"][f"{item}/status"], doc["paths"][f"{item}/scale"]
    assert status["patch"]["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
    }
    assert scale["put"]["operationId"] == "replaceAppsV1NamespacedDeploymentScale"
    assert {"fieldValidation", "force"} <= {p["name"] for p in scale["patch"]["parameters"]}
    assert resolve(doc, "io.k8s.api.autoscaling.v1.Scale")["x-kubernetes-group-version-kind"] == [
        {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    ]


@pytest.mark.parametrize(("group", "version"), GROUP_VERSIONS)
def test_every_ref_resolves_inside_the_document(group: str, version: str) -> None:
    doc = document(group, version)
    schemas = doc["components"]["schemas"]
    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


@pytest.mark.parametrize(("group", "version"), GROUP_VERSIONS)
def test_every_kind_and_list_has_a_schema_under_its_upstream_name(group: str, version: str) -> None:
    doc = document(group, version)
    for resource in by_group_version(group, version):
        for kind in (resource.kind, resource.list_kind):
            schema = resolve(doc, schema_name(group, version, kind))
            assert schema["x-kubernetes-group-version-kind"] == [{"group": group, "version": version, "kind": kind}]
            assert schema["type"] == "object"
            assert schema["description"]
            assert {"apiVersion", "kind", "metadata"} <= set(schema["properties"])


def test_schema_names_match_upstream() -> None:
    assert "io.k8s.api.core.v1.Pod" in document("", "v1")["components"]["schemas"]
    assert "io.k8s.api.apps.v1.Deployment" in document("apps", "v1")["components"]["schemas"]
    assert "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler" in document("autoscaling", "v2")["components"]["schemas"]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in document("batch", "v1")["components"]["schemas"]
    assert schema_name("rbac.authorization.k8s.io", "v1", "Role") == "io.k8s.api.rbac.v1.Role"
    assert (
        schema_name("metrics.k8s.io", "v1beta1", "PodMetrics") == "io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics"
    )


@pytest.mark.parametrize(("group", "version"), GROUP_VERSIONS)
def test_every_property_has_a_description_and_a_type(group: str, version: str) -> None:
    for name, schema in document(group, version)["components"]["schemas"].items():
        assert schema.get("description"), name
        for field_name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field_name}"
            assert "type" in prop or "allOf" in prop, f"{name}.{field_name}"


def test_the_generic_schema_covers_kinds_without_a_table_entry() -> None:
    role = resolve(document("rbac.authorization.k8s.io", "v1"), "io.k8s.api.rbac.v1.Role")
    assert role["properties"]["spec"]["type"] == "object"
    assert role["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]


@pytest.mark.parametrize(
    ("schema", "field_name", "keys", "strategy"),
    [
        ("io.k8s.api.core.v1.PodSpec", "containers", ["name"], "merge"),
        ("io.k8s.api.core.v1.PodSpec", "initContainers", ["name"], "merge"),
        ("io.k8s.api.core.v1.PodSpec", "volumes", ["name"], "merge,retainKeys"),
        ("io.k8s.api.core.v1.Container", "env", ["name"], "merge"),
        ("io.k8s.api.core.v1.Container", "ports", ["containerPort", "protocol"], "merge"),
        ("io.k8s.api.core.v1.Container", "volumeMounts", ["mountPath"], "merge"),
        ("io.k8s.api.core.v1.PodStatus", "conditions", ["type"], "merge"),
        ("io.k8s.api.core.v1.ServiceSpec", "ports", ["port", "protocol"], "merge"),
        ("io.k8s.api.apps.v1.DeploymentStatus", "conditions", ["type"], "merge"),
        ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences", ["uid"], "merge"),
    ],
)
def test_lists_carry_the_upstream_merge_keys(schema: str, field_name: str, keys: list[str], strategy: str) -> None:
    doc = document("apps", "v1") if "apps" in schema else document("", "v1")
    prop = resolve(doc, schema)["properties"][field_name]
    assert prop["x-kubernetes-patch-merge-key"] == keys[0]
    assert prop["x-kubernetes-patch-strategy"] == strategy
    assert prop["x-kubernetes-list-type"] == "map"
    assert prop["x-kubernetes-list-map-keys"] == keys


def test_explain_paths_lead_to_described_fields() -> None:
    apps = document("apps", "v1")
    spec = resolve(apps, "io.k8s.api.apps.v1.DeploymentSpec")
    strategy = target(apps, spec["properties"]["strategy"])
    assert strategy["properties"]["type"]["enum"] == ["Recreate", "RollingUpdate"]
    rolling = target(apps, strategy["properties"]["rollingUpdate"])
    assert "25%" in rolling["properties"]["maxSurge"]["description"]
    hpa = document("autoscaling", "v2")
    metrics = resolve(hpa, "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec")["properties"]["metrics"]
    assert "Resource" in target(hpa, metrics["items"])["properties"]["type"]["enum"]
    assert "scaleDown" in resolve(hpa, "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerBehavior")["properties"]


# --- hashes ---


def test_hashes_are_upper_case_sha512_and_differ_between_documents() -> None:
    urls = [entry["serverRelativeURL"] for entry in openapi_root()["paths"].values()]
    hashes = [url.partition("?hash=")[2] for url in urls]
    assert all(len(h) == 128 and h == h.upper() and int(h, 16) >= 0 for h in hashes)
    assert len(set(hashes)) == len(hashes)


def test_the_hash_changes_when_the_document_changes() -> None:
    doc = document("apps", "v1")
    before = document_hash(doc)
    doc["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentStrategy"]["description"] += " Changed."
    assert document_hash(doc) != before
    assert document_hash(document("apps", "v1")) == before  # callers get copies; the cached one is untouched


def test_root_hashes_are_stable_across_processes() -> None:
    # Different hash seeds reorder sets and dicts built from them; the hashes must not notice.
    code = "import json; from kaido.sim.openapi import openapi_root; print(json.dumps(openapi_root()))"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        assert json.loads(out.stdout) == openapi_root()


# --- real kubectl against a throwaway server ---

DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def discovery(core: bool) -> dict[str, Any]:
    """Aggregated discovery built from the resource table: a stand-in for the simulator's own."""
    items = [
        {"metadata": {"name": group}, "versions": [discovery_version(group, version) for version in versions]}
        for group, versions in group_versions()
        if (group == "") == core
    ]
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}


def discovery_version(group: str, version: str) -> dict[str, Any]:
    resources = [
        {
            "resource": r.plural,
            "responseKind": {"group": "", "version": "", "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular_name,
            "shortNames": list(r.short_names),
            "categories": list(r.categories),
            "verbs": list(r.verbs),
            "subresources": [
                {
                    "subresource": s.name,
                    "responseKind": {"group": s.group, "version": s.version, "kind": s.kind or r.kind},
                    "verbs": list(s.verbs),
                }
                for s in r.subresources
            ],
        }
        for r in by_group_version(group, version)
    ]
    return {"version": version, "freshness": "Current", "resources": resources}


@dataclass
class FakeApiServer:
    """/version, discovery and the OpenAPI documents over HTTP; canned objects; every request logged."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # method, URL, content type, body

    def reply(self, method: str, url: str, body: bytes) -> tuple[int, str, Any]:
        path = urlsplit(url).path
        if method == "POST":
            return 201, "application/json", json.loads(body)
        if method == "PATCH":
            return 200, "application/json", self.objects[path]
        if path == "/version":
            return 200, "application/json", {"major": "1", "minor": "35", "gitVersion": "v1.35.0"}
        if path in ("/api", "/apis"):
            return 200, DISCOVERY, discovery(core=path == "/api")
        if path == "/openapi/v3":
            return 200, "application/json", openapi_root()
        if path.startswith("/openapi/v3/"):
            parts = path.removeprefix("/openapi/v3/").split("/")
            doc = openapi_group_version("" if parts[0] == "api" else parts[1], parts[-1])
            if doc is not None:
                return 200, "application/json", doc
        if path in self.objects:
            return 200, "application/json", self.objects[path]
        return 404, "application/json", {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append((self.command, self.path, self.headers.get("Content-Type", ""), body))
                code, content_type, payload = server.reply(self.command, self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = handle_one  # noqa: N815 - http.server dispatches on these names

        return Handler

    def urls(self, method: str) -> list[str]:
        return [url for m, url, _, _ in self.requests if m == method]


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeApiServer, int]]:
    state = FakeApiServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state, httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def kubectl(fake: tuple[FakeApiServer, int], tmp_path: Path) -> Any:
    if not KUBECTL.exists():
        pytest.fail("kubectl is not in .cache/tools/bin: run the tests through `make test`, which fetches it")
    state, port = fake
    state.requests.clear()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "fake", "user": {}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "default"}}],
                "current-context": "fake",
            }
        )
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    return run


def words(text: str) -> str:
    return " ".join(text.split())  # kubectl wraps descriptions at 80 columns


@pytest.mark.kubectl
@pytest.mark.parametrize(
    ("path", "group_version", "parent", "field_name", "header"),
    [
        ("deployment.spec.strategy", ("apps", "v1"), "apps.v1.DeploymentSpec", "strategy", "<DeploymentStrategy>"),
        ("pods.spec.containers.resources", ("", "v1"), "core.v1.Container", "resources", "<ResourceRequirements>"),
        (
            "hpa.spec.metrics",
            ("autoscaling", "v2"),
            "autoscaling.v2.HorizontalPodAutoscalerSpec",
            "metrics",
            "<[]MetricSpec>",
        ),
    ],
)
def test_kubectl_explain_prints_our_descriptions(
    kubectl: Any, path: str, group_version: tuple[str, str], parent: str, field_name: str, header: str
) -> None:
    out = kubectl("explain", path)
    assert out.returncode == 0, out.stderr
    doc = document(*group_version)
    prop = resolve(doc, f"io.k8s.api.{parent}")["properties"][field_name]
    schema = target(doc, prop.get("items", prop))
    assert f"FIELD: {field_name} {header}" in out.stdout
    expected = [prop["description"], schema["description"]]
    expected += [child["description"] for child in schema["properties"].values()]
    for description in expected:
        assert words(description) in words(out.stdout)


@pytest.mark.kubectl
def test_kubectl_explain_shows_quantities_and_enums(kubectl: Any) -> None:
    resources = kubectl("explain", "pods.spec.containers.resources").stdout
    assert "limits\t<map[string]Quantity>" in resources
    strategy = kubectl("explain", "deployment.spec.strategy").stdout
    assert "enum: Recreate, RollingUpdate" in strategy


def deployment(env_value: str) -> dict[str, Any]:
    labels = {"app": "web"}
    container = {"name": "app", "image": "nginx:1.27", "env": [{"name": "MODE", "value": env_value}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


@pytest.mark.kubectl
def test_kubectl_create_leaves_validation_to_the_server(
    kubectl: Any, fake: tuple[FakeApiServer, int], tmp_path: Path
) -> None:
    manifest = tmp_path / "web.json"
    manifest.write_text(json.dumps(deployment("a")))
    out = kubectl("create", "-f", str(manifest))
    assert out.returncode == 0, out.stderr
    state, _ = fake
    [post] = state.urls("POST")
    assert post == "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict"
    assert not any(url.startswith("/openapi/v2") for url in state.urls("GET"))


@pytest.mark.kubectl
def test_kubectl_apply_computes_a_strategic_merge_patch_from_our_merge_keys(
    kubectl: Any, fake: tuple[FakeApiServer, int], tmp_path: Path
) -> None:
    state, _ = fake
    applied = deployment("a")
    live = deployment("a")
    live["metadata"].update(
        uid="u-1",
        resourceVersion="7",
        annotations={"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)},
    )
    state.objects["/apis/apps/v1/namespaces/default/deployments/web"] = live
    manifest = tmp_path / "web.json"
    manifest.write_text(json.dumps(deployment("b")))
    out = kubectl("apply", "-f", str(manifest))
    assert out.returncode == 0, out.stderr
    assert "warning" not in out.stderr
    [(_, url, content_type, body)] = [r for r in state.requests if r[0] == "PATCH"]
    assert "fieldValidation=Strict" in url
    assert content_type == STRATEGIC
    spec = json.loads(body)["spec"]["template"]["spec"]
    # Merged by the keys in our schema: containers by name, env by name.
    assert spec["$setElementOrder/containers"] == [{"name": "app"}]
    assert spec["containers"][0]["env"] == [{"name": "MODE", "value": "b"}]
    assert not any(url.startswith("/openapi/v2") for url in state.urls("GET"))  # no fallback to compiled-in types
