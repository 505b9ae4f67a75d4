"""The four patch types: RFC examples, the patches kubectl, kopf and controllers really send, properties."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaido.sim.errors import ApiError
from kaido.sim.patch import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    apply_patch,
    apply_patch_by_content_type,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from kaido.sim.strategic import PatchMeta, patch_meta


def canonical(value: Any) -> str:
    """Exact JSON identity: keeps true apart from 1, as == does not."""
    return json.dumps(value, sort_keys=True)


def deployment(**spec: Any) -> dict[str, Any]:
    containers = [
        {"name": "app", "image": "web:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "sidecar", "image": "proxy:1", "ports": [{"containerPort": 15001, "name": "proxy"}]},
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "resourceVersion": "41",
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {"containers": containers, "volumes": [{"name": "data", "emptyDir": {}}]},
            },
            **spec,
        },
        "status": {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]},
    }


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def template_patch(**spec: Any) -> dict[str, Any]:
    """A patch of a workload's pod template spec, as kubectl builds them."""
    return {"spec": {"template": {"spec": spec}}}


def container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in pod_spec(obj)["containers"] if c["name"] == name)


def strategic(target: dict[str, Any], patch: dict[str, Any], kind: str = "Deployment") -> dict[str, Any]:
    """A strategic merge patch that also checks it changed neither input and left no directive behind."""
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)
    result = strategic_merge_patch(target, patch, kind)
    assert target == target_before
    assert patch == patch_before
    assert "$" not in json.dumps(result), "directives must not leak into the stored object"
    return result


def api_error(code: int, reason: str) -> Any:
    """pytest.raises for an ApiError with this code and reason; use as `with api_error(...) as info`."""
    return pytest.raises(ApiError, check=lambda e: (e.code, e.reason) == (code, reason))


# --- RFC 7386 merge patch ---------------------------------------------------------------------

RFC7386_APPENDIX = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386_APPENDIX)
def test_merge_patch_rfc7386_appendix(target, patch, expected):
    assert merge_patch(target, patch) == expected


def test_merge_patch_rfc7386_section_3_example():
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": None}, "tags": ["example"]}
    assert merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_merge_patch_replaces_lists_wholesale_and_keeps_member_order():
    result = merge_patch(deployment(), template_patch(containers=[{"name": "app"}]))
    assert pod_spec(result)["containers"] == [{"name": "app"}]
    assert list(result) == ["apiVersion", "kind", "metadata", "spec", "status"]


# --- RFC 6902 JSON patch ----------------------------------------------------------------------

RFC6902_APPENDIX = {
    "A.1 add an object member": (
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    "A.2 add an array element": (
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    "A.3 remove an object member": ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    "A.4 remove an array element": (
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    "A.5 replace a value": (
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    "A.6 move a value": (
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    "A.7 move an array element": (
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    "A.8 test a value: success": (
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    "A.10 add a nested member object": (
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    "A.11 ignore unrecognized elements": (
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    "A.14 ~ escape ordering": ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    "A.16 add an array value": (
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
}


@pytest.mark.parametrize(("target", "operations", "expected"), RFC6902_APPENDIX.values(), ids=RFC6902_APPENDIX)
def test_json_patch_rfc6902_appendix(target, operations, expected):
    assert json_patch(target, operations) == expected


RFC6902_ERRORS = {
    "A.9 test a value: error": ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}]),
    "A.12 add to a nonexistent target": ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}]),
    "A.15 compare strings and numbers": ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}]),
    "true is not 1": ({"a": True}, [{"op": "test", "path": "/a", "value": 1}]),
    "remove a missing member": ({"a": 1}, [{"op": "remove", "path": "/b"}]),
    "remove past the end": ({"a": [1]}, [{"op": "remove", "path": "/a/1"}]),
    "add past the end": ({"a": [1]}, [{"op": "add", "path": "/a/2", "value": 0}]),
    "- names no element to replace": ({"a": [1]}, [{"op": "replace", "path": "/a/-", "value": 0}]),
    "leading zero index": ({"a": [1, 2]}, [{"op": "replace", "path": "/a/01", "value": 0}]),
    "pointer without slash": ({"a": 1}, [{"op": "replace", "path": "a", "value": 0}]),
    "bad ~ escape": ({"a~2": 1}, [{"op": "remove", "path": "/a~2"}]),
    "descend into a string": ({"a": "x"}, [{"op": "add", "path": "/a/b", "value": 0}]),
    "move into its own child": ({"a": {"b": {}}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}]),
    "copy from nowhere": ({}, [{"op": "copy", "from": "/x", "path": "/y"}]),
    "remove the whole document": ({}, [{"op": "remove", "path": ""}]),
}


@pytest.mark.parametrize(("target", "operations"), RFC6902_ERRORS.values(), ids=RFC6902_ERRORS)
def test_json_patch_that_does_not_apply_is_422_invalid(target, operations):
    with api_error(422, "Invalid"):
        json_patch(target, operations)


def test_rfc6902_a13_duplicate_op_member_is_rejected():
    body = '[{"op": "add", "path": "/baz", "value": "qux", "op": "remove"}]'
    with pytest.raises(ApiError):
        apply_patch_by_content_type({"foo": "bar"}, body, JSON_PATCH, "ConfigMap")


MALFORMED_OPERATIONS = {
    "not a list": {"op": "add", "path": "/a", "value": 1},
    "not an object": ["add"],
    "unknown op": [{"op": "increment", "path": "/a"}],
    "missing op": [{"path": "/a", "value": 1}],
    "missing path": [{"op": "remove"}],
    "missing value": [{"op": "add", "path": "/a"}],
    "missing from": [{"op": "copy", "path": "/a"}],
}


@pytest.mark.parametrize("operations", MALFORMED_OPERATIONS.values(), ids=MALFORMED_OPERATIONS)
def test_malformed_operation_list_is_400_bad_request(operations):
    with api_error(400, "BadRequest"):
        json_patch({"a": 1}, operations)


def test_kopf_resource_version_guard_passes_or_fails_with_the_path():
    obj = deployment()
    guard = {"op": "test", "path": "/metadata/resourceVersion", "value": "41"}
    scale = {"op": "replace", "path": "/spec/replicas", "value": 5}
    assert json_patch(obj, [guard, scale])["spec"]["replicas"] == 5

    with api_error(422, "Invalid") as info:
        json_patch(obj, [{**guard, "value": "40"}, scale])
    assert "/metadata/resourceVersion" in info.value.message
    assert '"41"' in info.value.message


def test_a_failing_operation_undoes_the_earlier_ones():
    obj = {"spec": {"replicas": 1}}
    with api_error(422, "Invalid"):
        json_patch(obj, [{"op": "replace", "path": "/spec/replicas", "value": 9}, {"op": "remove", "path": "/nope"}])
    assert obj == {"spec": {"replicas": 1}}


def test_kubectl_rollout_undo_replaces_template_and_absent_annotations():
    obj = deployment()
    del obj["metadata"]["annotations"]
    old_template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "web:0"}]}}
    result = json_patch(
        obj,
        [
            {"op": "replace", "path": "/spec/template", "value": old_template},
            {"op": "replace", "path": "/metadata/annotations", "value": {"deployment.kubernetes.io/revision": "1"}},
        ],
    )
    assert result["spec"]["template"] == old_template
    assert result["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


def test_json_pointer_escapes_annotation_keys():
    result = json_patch(
        deployment(),
        [{"op": "add", "path": "/metadata/annotations/kubectl.kubernetes.io~1restartedAt", "value": "now"}],
    )
    assert result["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == "now"


def test_moving_a_value_into_its_own_child_says_so():
    with api_error(422, "Invalid") as info:
        json_patch({"a": {"b": {}}}, [{"op": "move", "from": "/a", "path": "/a/b"}])
    assert "into one of its own children" in info.value.message


def test_json_patch_on_the_root_and_numbers():
    assert json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}
    assert json_patch({"n": 1}, [{"op": "test", "path": "/n", "value": 1.0}]) == {"n": 1}
    assert json_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/a"}]) == {"a": 1}


def test_json_patch_results_share_nothing_with_the_operations():
    value = {"k": "v"}
    result = json_patch({}, [{"op": "add", "path": "/x", "value": value}, {"op": "copy", "from": "/x", "path": "/y"}])
    result["x"]["k"] = "changed"
    assert value == {"k": "v"}
    assert result["y"] == {"k": "v"}


# --- strategic merge patch: what kubectl and controllers send -----------------------------------


def test_kubectl_set_image_merges_one_container_by_name():
    patch = template_patch(
        **{
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [{"image": "web:2", "name": "app"}],
        }
    )
    result = strategic(deployment(), patch)
    assert [c["name"] for c in pod_spec(result)["containers"]] == ["app", "sidecar"]
    assert container(result, "app")["image"] == "web:2"
    assert container(result, "app")["env"] == container(deployment(), "app")["env"]
    assert container(result, "sidecar") == container(deployment(), "sidecar")


def test_kubectl_rollout_restart_adds_a_template_annotation():
    patch = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-03-01"}}}}}
    result = strategic(deployment(), patch)
    assert result["spec"]["template"]["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "kubectl.kubernetes.io/restartedAt": "2026-03-01",
    }


def test_env_vars_merge_by_name():
    patch = template_patch(containers=[{"name": "app", "env": [{"name": "B", "value": "3"}]}])
    assert container(strategic(deployment(), patch), "app")["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "3"},
    ]
    patch = template_patch(containers=[{"name": "app", "env": [{"name": "C", "value": "4"}]}])
    assert [e["name"] for e in container(strategic(deployment(), patch), "app")["env"]] == ["A", "B", "C"]


def test_patch_delete_directive_removes_a_container():
    patch = template_patch(containers=[{"name": "sidecar", "$patch": "delete"}])
    assert [c["name"] for c in pod_spec(strategic(deployment(), patch))["containers"]] == ["app"]


def test_null_deletes_a_label():
    result = strategic(deployment(), {"metadata": {"labels": {"tier": None}}})
    assert result["metadata"]["labels"] == {"app": "web"}


def test_container_ports_merge_by_container_port():
    ports = [{"containerPort": 15001, "protocol": "TCP"}, {"containerPort": 9090}]
    patch = template_patch(containers=[{"name": "sidecar", "ports": ports}])
    assert container(strategic(deployment(), patch), "sidecar")["ports"] == [
        {"containerPort": 15001, "name": "proxy", "protocol": "TCP"},
        {"containerPort": 9090},
    ]


def test_service_ports_merge_by_port():
    service = {"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}
    result = strategic(service, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, "Service")
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]


def test_lists_without_a_merge_key_are_replaced():
    obj = deployment()
    pod_spec(obj)["tolerations"] = [{"key": "a", "operator": "Exists"}]
    patch = template_patch(tolerations=[{"key": "b", "operator": "Exists"}])
    assert pod_spec(strategic(obj, patch))["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_finalizers_are_a_set():
    obj = {"kind": "ConfigMap", "metadata": {"finalizers": ["a", "b"]}}
    assert strategic(obj, {"metadata": {"finalizers": ["b", "c"]}}, "ConfigMap")["metadata"]["finalizers"] == [
        "a",
        "b",
        "c",
    ]
    removed = strategic(obj, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "ConfigMap")
    assert removed["metadata"]["finalizers"] == ["b"]


def test_owner_references_merge_by_uid():
    obj = {"metadata": {"ownerReferences": [{"uid": "1", "kind": "ReplicaSet", "controller": True}]}}
    patch = {"metadata": {"ownerReferences": [{"uid": "1", "controller": None}, {"uid": "2", "kind": "Job"}]}}
    result = strategic(obj, patch, "Pod")
    assert result["metadata"]["ownerReferences"] == [{"uid": "1", "kind": "ReplicaSet"}, {"uid": "2", "kind": "Job"}]


def test_kubelet_status_patch_merges_conditions_by_type():
    pod = {
        "kind": "Pod",
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
        },
    }
    patch = {
        "status": {
            "$setElementOrder/conditions": [{"type": "PodScheduled"}, {"type": "Initialized"}, {"type": "Ready"}],
            "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
            "phase": "Running",
        }
    }
    result = strategic(pod, patch, "Pod")
    assert result["status"]["conditions"] == [
        {"type": "PodScheduled", "status": "True"},
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": "True"},
    ]


def test_set_element_order_keeps_server_only_elements_in_place():
    obj = {"spec": {"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]}}
    patch = {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}
    assert [c["name"] for c in strategic(obj, patch, "Pod")["spec"]["containers"]] == ["b", "x", "a"]


def test_patch_replace_directive_in_a_map_and_in_a_list():
    labels = strategic(deployment(), {"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert labels["metadata"]["labels"] == {"only": "this"}

    patch = template_patch(containers=[{"$patch": "replace"}, {"name": "new", "image": "n:1"}])
    assert pod_spec(strategic(deployment(), patch))["containers"] == [{"name": "new", "image": "n:1"}]


def test_patch_delete_directive_in_a_map_removes_it():
    result = strategic(deployment(), {"spec": {"template": {"metadata": {"annotations": {"$patch": "delete"}}}}})
    assert "annotations" not in result["spec"]["template"]["metadata"]


def test_retain_keys_switches_a_volume_source():
    volume = {"name": "data", "configMap": {"name": "cfg"}}
    patch = template_patch(volumes=[{**volume, "$retainKeys": ["configMap", "name"]}])
    assert pod_spec(strategic(deployment(), patch))["volumes"] == [volume]

    contradiction = template_patch(volumes=[{**volume, "$retainKeys": ["name"]}])
    with api_error(422, "Invalid"):
        strategic_merge_patch(deployment(), contradiction, "Deployment")


def test_deployment_strategy_retain_keys_switches_to_recreate():
    obj = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    result = strategic(obj, {"spec": {"strategy": {"type": "Recreate", "$retainKeys": ["type"]}}})
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_cronjob_containers_merge_by_name_under_the_job_template():
    cron = {
        "kind": "CronJob",
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i:1"}]}}}}},
    }
    patch = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "args": ["x"]}]}}}}}}
    result = strategic(cron, patch, "CronJob")
    assert result["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"] == [
        {"name": "c", "image": "i:1", "args": ["x"]}
    ]


def test_custom_resource_lists_are_replaced_but_metadata_still_merges():
    obj = {"kind": "Widget", "metadata": {"finalizers": ["a"]}, "spec": {"containers": [{"name": "a"}]}}
    patch = {"metadata": {"finalizers": ["b"]}, "spec": {"containers": [{"name": "b"}]}}
    result = strategic(obj, patch, "Widget")
    assert result["metadata"]["finalizers"] == ["a", "b"]
    assert result["spec"]["containers"] == [{"name": "b"}]


STRATEGIC_BAD_REQUESTS = {
    "not an object": ["a"],
    "missing merge key": template_patch(containers=[{"image": "x"}]),
    "scalar in a keyed list": template_patch(containers=["app"]),
    "unknown map directive": {"metadata": {"labels": {"$patch": "merge"}}},
    "unknown list directive": template_patch(containers=[{"name": "app", "$patch": "x"}]),
    "retainKeys not a list": {"spec": {"strategy": {"$retainKeys": "type"}}},
    "setElementOrder not a list": template_patch(**{"$setElementOrder/containers": "app"}),
    "deleteFromPrimitiveList not a list": {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}},
    "object in a set": {"metadata": {"finalizers": [{"a": 1}]}},
}


@pytest.mark.parametrize("patch", STRATEGIC_BAD_REQUESTS.values(), ids=STRATEGIC_BAD_REQUESTS)
def test_malformed_strategic_patch_is_400_bad_request(patch):
    with api_error(400, "BadRequest"):
        strategic_merge_patch(deployment(), patch, "Deployment")


def test_missing_merge_key_message_names_the_key():
    patch = template_patch(containers=[{"image": "x"}])
    with api_error(400, "BadRequest") as info:
        strategic_merge_patch(deployment(), patch, "Deployment")
    assert "does not contain declared merge key: name" in info.value.message


@pytest.mark.parametrize(
    ("kind", "path", "expected"),
    [
        ("Deployment", "spec.template.spec.containers", PatchMeta("merge", "name")),
        ("StatefulSet", "spec.template.spec.initContainers.volumeMounts", PatchMeta("merge", "mountPath")),
        ("Pod", "spec.ephemeralContainers.env", PatchMeta("merge", "name")),
        ("Pod", "spec.volumes", PatchMeta("merge,retainKeys", "name")),
        ("Pod", "spec.hostAliases", PatchMeta("merge", "ip")),
        ("Pod", "spec.topologySpreadConstraints", PatchMeta("merge", "topologyKey")),
        ("Pod", "status.conditions", PatchMeta("merge", "type")),
        ("Node", "status.addresses", PatchMeta("merge", "type")),
        ("Service", "spec.ports", PatchMeta("merge", "port")),
        ("Job", "spec.template.metadata.finalizers", PatchMeta("merge")),
        ("Widget", "metadata.ownerReferences", PatchMeta("merge", "uid")),
        ("Pod", "spec.tolerations", None),
        ("Pod", "spec.readinessGates", None),
        ("Pod", "spec.containers.envFrom", None),
        ("Node", "spec.taints", None),
        ("Endpoints", "subsets", None),
        ("Widget", "spec.containers", None),
    ],
)
def test_patch_meta_follows_the_upstream_struct_tags(kind, path, expected):
    assert patch_meta(kind, path) == expected


# --- server-side apply ------------------------------------------------------------------------


def test_apply_creates_from_the_configuration():
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
    assert apply_patch(None, applied, "kubectl") == applied


def test_apply_merges_into_the_live_object():
    applied = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"team": "a"}},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:9"}]}}},
    }
    live = deployment()
    result = apply_patch(live, applied, "kubectl", force=True)
    assert result["metadata"]["labels"] == {"app": "web", "tier": "frontend", "team": "a"}
    assert container(result, "app")["image"] == "web:9"
    assert container(result, "app")["env"] == container(live, "app")["env"]
    assert container(result, "sidecar") == container(live, "sidecar")
    assert result["status"] == live["status"]
    assert live == deployment()


def test_apply_requires_a_field_manager_and_a_typed_configuration():
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    with api_error(422, "Invalid") as info:
        apply_patch(None, applied, "")
    assert "fieldManager: Required value" in info.value.message
    with api_error(400, "BadRequest"):
        apply_patch(None, {"metadata": {"name": "c"}}, "kubectl")
    with api_error(400, "BadRequest"):
        apply_patch({"kind": "Secret"}, applied, "kubectl")


# --- dispatch on Content-Type -----------------------------------------------------------------


def test_dispatch_picks_the_algorithm_from_the_content_type():
    live = deployment()
    one_container = '{"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}}'

    merged = apply_patch_by_content_type(live, one_container, MERGE_PATCH, "Deployment")
    assert [c["name"] for c in pod_spec(merged)["containers"]] == ["app"]

    strategic_result = apply_patch_by_content_type(
        live, one_container.encode(), f"{STRATEGIC_MERGE_PATCH}; charset=utf-8", "Deployment"
    )
    assert [c["name"] for c in pod_spec(strategic_result)["containers"]] == ["app", "sidecar"]

    ops = b'[{"op": "replace", "path": "/spec/replicas", "value": 7}]'
    assert apply_patch_by_content_type(live, ops, JSON_PATCH, "Deployment")["spec"]["replicas"] == 7
    assert live == deployment()


def test_dispatch_reads_apply_yaml_and_keeps_timestamps_as_strings():
    body = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations:
    built: 2026-03-01T12:00:00Z
data:
  k: v
"""
    result = apply_patch_by_content_type(None, body, APPLY_PATCH, "ConfigMap", field_manager="kubectl")
    assert result["metadata"]["annotations"]["built"] == "2026-03-01T12:00:00Z"
    assert result["data"] == {"k": "v"}


def test_unknown_content_type_is_415_with_the_accepted_types():
    with api_error(415, "UnsupportedMediaType") as info:
        apply_patch_by_content_type({}, "{}", "application/json", "ConfigMap")
    assert info.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
        "application/strategic-merge-patch+json"
    )


def test_custom_resources_refuse_strategic_merge_patch():
    with api_error(415, "UnsupportedMediaType") as info:
        apply_patch_by_content_type({}, "{}", STRATEGIC_MERGE_PATCH, "Widget", custom_resource=True)
    assert "strategic" not in info.value.message


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        ("{not json", MERGE_PATCH, "not valid JSON"),
        ("", JSON_PATCH, "not valid JSON"),
        ('{"a": NaN}', STRATEGIC_MERGE_PATCH, "NaN is not a JSON number"),
        (b"\xff\xfe", MERGE_PATCH, "not UTF-8"),
        ("a: [unclosed", APPLY_PATCH, "not valid YAML"),
        ("[1]", MERGE_PATCH, "must be a JSON object"),
        ('[{"op": "replace", "path": "", "value": 3}]', JSON_PATCH, "must be a JSON object"),
    ],
)
def test_undecodable_bodies_are_400_with_a_clear_message(body, content_type, fragment):
    with api_error(400, "BadRequest") as info:
        apply_patch_by_content_type({"kind": "ConfigMap"}, body, content_type, "ConfigMap", field_manager="m")
    assert fragment in info.value.message


def test_only_apply_may_create():
    with api_error(404, "NotFound"):
        apply_patch_by_content_type(None, "{}", MERGE_PATCH, "ConfigMap")


@pytest.mark.parametrize(
    "patcher",
    [
        merge_patch,
        lambda target, patch: strategic_merge_patch(target, patch, "Deployment"),
        lambda target, patch: apply_patch(target, {"apiVersion": "apps/v1", "kind": "Deployment", **patch}, "m"),
    ],
    ids=["merge", "strategic", "apply"],
)
def test_results_share_no_structure_with_the_inputs(patcher):
    """The store keeps the old version for watch events; editing a result must not reach back."""
    live = deployment()
    patch = {"metadata": {"labels": {"new": "x"}}, "spec": {"template": {"spec": {"tolerations": [{"key": "a"}]}}}}
    before = copy.deepcopy(patch)
    result = patcher(live, patch)
    result["metadata"]["labels"]["new"] = "changed"
    pod_spec(result)["tolerations"][0]["key"] = "changed"
    pod_spec(result)["containers"][0]["env"].clear()
    result["status"]["conditions"].clear()
    assert patch == before
    assert live == deployment()


# --- properties -------------------------------------------------------------------------------

keys = st.text(alphabet="ab/~", max_size=3)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=12
)
json_objects = st.dictionaries(keys, json_values, max_size=4)
# Merge patch cannot express a null member, so round-trip targets have none (nulls inside lists are fine).
null_free = st.recursive(
    scalars.filter(lambda v: v is not None),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


def merge_diff(source: Any, wanted: Any) -> Any:
    """The merge patch that turns `source` into `wanted`."""
    if not isinstance(source, dict) or not isinstance(wanted, dict):
        return wanted
    patch: dict[str, Any] = {key: None for key in source if key not in wanted}
    for key, value in wanted.items():
        if key not in source or canonical(source[key]) != canonical(value):
            patch[key] = merge_diff(source.get(key), value)
    return patch


@given(json_objects, st.dictionaries(keys, null_free, max_size=4))
def test_merge_patch_of_the_diff_round_trips(source, wanted):
    assert canonical(merge_patch(source, merge_diff(source, wanted))) == canonical(wanted)


@given(json_values, json_values)
def test_merge_patch_never_mutates_its_inputs(target, patch):
    before = canonical([target, patch])
    merge_patch(target, patch)
    assert canonical([target, patch]) == before


def pointers(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every JSON pointer into `value` with the value it names."""
    found = [(prefix, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += pointers(child, f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += pointers(child, f"{prefix}/{index}")
    return found


@given(json_values, st.data())
def test_testing_any_existing_pointer_against_its_value_passes(doc, data):
    pointer, value = data.draw(st.sampled_from(pointers(doc)))
    assert canonical(json_patch(doc, [{"op": "test", "path": pointer, "value": value}])) == canonical(doc)


operations = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]),
        "path": st.sampled_from(["", "/a", "/a/0", "/a/-", "/b", "/a/b", "/~1"]),
        "from": st.sampled_from(["", "/a", "/a/0", "/b"]),
        "value": json_values,
    }
)


@given(json_objects, st.lists(operations, max_size=4))
def test_json_patch_never_mutates_its_input(doc, ops):
    before = canonical([doc, ops])
    failure = None
    try:
        json_patch(doc, ops)
    except ApiError as error:
        failure = error
    assert failure is None or failure.code == 422, "well-formed operations fail only as 422 Invalid"
    assert canonical([doc, ops]) == before


@given(json_objects, keys.filter(lambda k: "/" not in k and "~" not in k), json_values)
def test_json_patch_add_then_remove_a_new_member_round_trips(doc, key, value):
    doc.pop(key, None)
    ops = [{"op": "add", "path": f"/{key}", "value": value}, {"op": "remove", "path": f"/{key}"}]
    assert canonical(json_patch(doc, ops)) == canonical(doc)


@given(json_objects, json_objects)
def test_strategic_patch_without_keyed_lists_is_a_merge_patch(target, patch):
    """For a kind with no list strategies and a patch without directives, both algorithms agree."""
    assert canonical(strategic_merge_patch(target, patch, "ConfigMap")) == canonical(merge_patch(target, patch))
