"""Decoding kubectl's protobuf request bodies: recorded bodies, their JSON twins, and malformed input."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from kaido.sim.errors import ApiError
from kaido.sim.protobuf import MAGIC, decode_body
from kaido.sim.protoschema import MESSAGES, ROOTS

FIXTURES = Path(__file__).parent / "protobuf_fixtures"
ALL_BODIES = sorted(path.stem for path in FIXTURES.glob("*.bin"))
WITH_JSON_TWIN = sorted(path.stem for path in FIXTURES.glob("*.json"))


def body(name: str) -> dict[str, Any]:
    return decode_body((FIXTURES / f"{name}.bin").read_bytes())


def without_nulls(value: Any) -> Any:
    """Go writes `null` for a zero Time or a nil list; the decoder leaves those keys out."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


# A few protobuf writers, to build bodies no kubectl would send.
def varint(number: int) -> bytes:
    number &= (1 << 64) - 1
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def envelope(api_version: str, kind: str, raw: bytes, *, encoding: str = "") -> bytes:
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return MAGIC + field(1, type_meta) + field(2, raw) + field(3, encoding.encode()) + field(4, b"")


def test_schema_tables_are_consistent_and_acyclic():
    assert set(ROOTS.values()) <= set(MESSAGES)
    for name, table in MESSAGES.items():
        names = [entry.name for entry in table.values() if not entry.inline]
        assert len(names) == len(set(names)), name
        for entry in table.values():
            assert (entry.kind == "message") == bool(entry.message), f"{name}.{entry.name}"
            assert entry.inline <= (entry.kind == "message" and not entry.repeated), f"{name}.{entry.name}"
            assert not entry.message or entry.message in MESSAGES, f"{name}.{entry.name} -> {entry.message}"

    def depth(name: str, seen: tuple[str, ...]) -> int:  # a cycle would let a body nest without bound
        assert name not in seen, " -> ".join((*seen, name))
        children = [entry.message for entry in MESSAGES[name].values() if entry.message]
        return 1 + max((depth(child, (*seen, name)) for child in children), default=0)

    assert max(depth(root, ()) for root in ROOTS.values()) < 16


def test_every_fixture_has_a_command_in_the_readme():
    readme = (FIXTURES / "README.md").read_text()
    assert len(ALL_BODIES) >= 40
    missing = [name for name in ALL_BODIES if f"| `{name}` |" not in readme]
    assert missing == []


@pytest.mark.parametrize("name", WITH_JSON_TWIN)
def test_decodes_to_the_json_body_kubectl_131_sent_for_the_same_command(name):
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    assert body(name) == without_nulls(expected)


def test_create_deployment():
    deployment = body("deployment")
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment")
    assert deployment["metadata"] == {"name": "web", "labels": {"app": "web"}}
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    assert spec["selector"] == {"matchLabels": {"app": "web"}}
    container = spec["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27"
    assert container["ports"] == [{"containerPort": 80}]
    assert spec["strategy"] == {}  # present but empty, as Go writes a non-pointer struct


def test_replicas_zero_is_kept_because_the_go_field_is_a_pointer():
    assert body("deployment-zero-replicas")["spec"]["replicas"] == 0


def test_secret_data_is_base64_and_configmap_binary_data_too():
    assert body("secret-generic")["data"] == {"a": base64.b64encode(b"b").decode()}
    assert body("configmap-binary")["binaryData"] == {"blob": base64.b64encode(b"\x00\x01\xff").decode()}
    assert body("configmap")["data"] == {"a": "1", "b": "two"}


def test_auth_can_i():
    review = body("can-i-list-pods")
    assert review["kind"] == "SelfSubjectAccessReview"
    assert review["spec"] == {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "x"}}
    assert body("can-i-nonresource")["spec"] == {"nonResourceAttributes": {"path": "/logs/", "verb": "get"}}
    assert body("can-i-rules")["spec"] == {"namespace": "x"}


def test_auth_whoami():
    assert body("whoami") == {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {},
        "status": {"userInfo": {}},
    }


def test_autoscale_v2_from_kubectl_135():
    hpa = body("autoscale-v2")
    assert hpa["apiVersion"] == "autoscaling/v2"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 5)
    assert spec["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
    ]
    memory = body("autoscale-v2-memory")["spec"]["metrics"][0]["resource"]
    assert memory == {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}}


def test_autoscale_v1_from_kubectl_132():
    spec = body("autoscale-v1")["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"], spec["targetCPUUtilizationPercentage"]) == (2, 5, 80)


def test_drain_delete_options():
    assert body("drain-disable-eviction") == {"kind": "DeleteOptions", "apiVersion": "v1"}
    assert body("drain-disable-eviction-grace")["gracePeriodSeconds"] == 7


def test_token_request():
    assert body("token")["spec"] == {"audiences": ["api"], "expirationSeconds": 3600}
    bound = body("token-bound")["spec"]["boundObjectRef"]
    assert bound == {"kind": "Pod", "apiVersion": "v1", "name": "p1", "uid": "123"}


def test_int_or_string_fields():
    assert body("pdb")["spec"]["minAvailable"] == "50%"
    assert body("pdb-max")["spec"]["maxUnavailable"] == 1
    assert body("service-clusterip")["spec"]["ports"][0]["targetPort"] == 8080


def test_ingress_rule_value_is_inlined_into_the_rule():
    rule = body("ingress")["spec"]["rules"][0]
    assert rule == {
        "host": "foo.com",
        "http": {
            "paths": [
                {
                    "path": "/bar",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "svc", "port": {"number": 8080}}},
                }
            ]
        },
    }


def test_pod_template_copied_from_a_cronjob():
    job = body("job-from-cronjob-full-podspec")
    owner = job["metadata"]["ownerReferences"][0]
    assert owner == {
        "kind": "CronJob",
        "name": "rich",
        "uid": "cj-rich-uid",
        "apiVersion": "batch/v1",
        "controller": True,
    }
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["suspend"] is False
    pod = job["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {
        "name": "cfg",
        "configMap": {"name": "app-config", "items": [{"key": "a", "path": "a.txt"}], "defaultMode": 420},
    }
    app = pod["containers"][0]
    assert app["livenessProbe"]["httpGet"]["port"] == "http"
    assert app["readinessProbe"]["tcpSocket"] == {"port": 8080}
    assert app["startupProbe"]["exec"] == {"command": ["cat", "/tmp/ready"]}
    assert pod["containers"][1]["livenessProbe"] == {"grpc": {"port": 9000, "service": "health"}}
    assert app["resources"] == {
        "limits": {"cpu": "1", "memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "128Mi"},
    }
    env = {item["name"]: item for item in app["env"]}
    assert env["EMPTY"] == {"name": "EMPTY"}
    assert env["CM"]["valueFrom"] == {"configMapKeyRef": {"name": "app-config", "key": "a", "optional": False}}
    assert pod["securityContext"]["supplementalGroups"] == [5, 6]
    assert pod["initContainers"][0]["restartPolicy"] == "Always"


@pytest.mark.parametrize("name", ALL_BODIES)
def test_every_recorded_body_decodes_with_its_type_meta(name):
    decoded = body(name)
    assert decoded["apiVersion"]
    assert decoded["kind"]


def test_unknown_fields_are_skipped():
    raw = field(1, field(1, b"foo")) + field(99, b"from a newer kubectl") + field(98, 7)
    assert decode_body(envelope("v1", "Namespace", raw)) == {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "foo"},
    }


def test_negative_numbers_packed_lists_and_timestamps():
    delete = decode_body(envelope("v1", "DeleteOptions", field(1, -1)))
    assert delete["gracePeriodSeconds"] == -1
    packed = field(4, varint(5) + varint(6))
    pod_security = field(14, packed)
    template = field(2, pod_security)
    job = decode_body(envelope("batch/v1", "Job", field(2, field(6, template))))
    assert job["spec"]["template"]["spec"]["securityContext"] == {"supplementalGroups": [5, 6]}
    created = field(8, field(1, 1_700_000_000) + field(2, 5))
    namespace = decode_body(envelope("v1", "Namespace", field(1, field(1, b"n") + created)))
    assert namespace["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"
    go_zero = field(8, field(1, -62135596800))  # time.Time{} written out instead of left empty
    assert decode_body(envelope("v1", "Namespace", field(1, go_zero)))["metadata"] == {}
    early = field(8, field(1, -62135596799))
    assert decode_body(envelope("v1", "Namespace", field(1, early)))["metadata"] == {
        "creationTimestamp": "0001-01-01T00:00:01Z"
    }


def test_bad_magic_is_a_bad_request():
    with pytest.raises(ApiError) as caught:
        decode_body(b'{"kind":"Namespace"}')
    assert caught.value.code == 400
    assert "magic bytes" in caught.value.message


def test_truncated_varint_in_the_envelope():
    with pytest.raises(ApiError) as caught:
        decode_body(MAGIC + b"\x0a\x80")
    assert caught.value.code == 400
    assert "envelope" in caught.value.message
    assert "truncated varint" in caught.value.message


def test_truncated_varint_inside_the_object_names_the_kind_and_field():
    raw = field(2, b"\x08\x80")  # spec.replicas: a varint cut short
    with pytest.raises(ApiError) as caught:
        decode_body(envelope("apps/v1", "Deployment", raw))
    assert caught.value.code == 400
    assert "Deployment (apps/v1)" in caught.value.message
    assert "spec: truncated varint" in caught.value.message


def test_truncated_recorded_body():
    data = (FIXTURES / "deployment.bin").read_bytes()
    with pytest.raises(ApiError) as caught:
        decode_body(data[:-30])
    assert caught.value.code == 400


def test_unknown_kind_is_unsupported_media_type():
    with pytest.raises(ApiError) as caught:
        decode_body(envelope("apps/v1", "StatefulSet", b""))
    assert (caught.value.code, caught.value.reason) == (415, "UnsupportedMediaType")
    assert "StatefulSet" in caught.value.message
    assert "application/json" in caught.value.message


def test_wrong_wire_type_names_the_field():
    raw = field(2, field(1, b"3"))  # spec.replicas sent as a string
    with pytest.raises(ApiError) as caught:
        decode_body(envelope("apps/v1", "Deployment", raw))
    assert "spec.replicas: expected a varint field" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (field(1, field(1, b"\xff\xfe")), "metadata.name: string is not valid UTF-8"),
        (b"\x08" + b"\xff" * 10 + b"\x01", "varint longer than 10 bytes"),
        (b"\x0b", "unsupported wire type 3"),
        (b"\x0a\x05ab", "needs 5 bytes, 2 left"),
        (b"\x00", "field number 0"),
    ],
)
def test_malformed_objects(raw, fragment):
    with pytest.raises(ApiError) as caught:
        decode_body(envelope("v1", "Namespace", raw))
    assert caught.value.code == 400
    assert fragment in caught.value.message


def test_content_encoding_is_refused():
    with pytest.raises(ApiError) as caught:
        decode_body(envelope("v1", "Namespace", b"", encoding="gzip"))
    assert caught.value.code == 415
    assert "gzip" in caught.value.message
