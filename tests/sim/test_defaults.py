"""Defaulting against what a real API server stores: upstream's SetDefaults_* and admission plugins."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
import pytest
from kubernetes.client import ApiClient

from kaido.sim.defaults import apply_defaults, needs_cluster_ip
from kaido.sim.resources import ResourceType, builtin

DEPLOYMENTS = builtin("apps", "v1", "deployments")
PODS = builtin("", "v1", "pods")
JOB_UID = "4f7b0a3e-9f36-4d6e-a0a4-2f1c7e9b5d10"

LABELS = {"app": "web"}
TEMPLATE = {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
JOB_TEMPLATE = {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl:5.34"}]}}

# One minimal, valid manifest per stored kind: (group, version, plural) -> object.
MINIMAL: dict[tuple[str, str, str], dict[str, Any]] = {
    ("", "v1", "namespaces"): {"metadata": {"name": "team-a"}},
    ("", "v1", "nodes"): {"metadata": {"name": "node-1"}, "status": {"capacity": {"cpu": "4", "memory": "8Gi"}}},
    ("", "v1", "pods"): {"metadata": {"name": "web"}, "spec": copy.deepcopy(TEMPLATE["spec"])},
    ("", "v1", "services"): {"metadata": {"name": "web"}, "spec": {"selector": LABELS, "ports": [{"port": 80}]}},
    ("", "v1", "endpoints"): {"metadata": {"name": "web"}, "subsets": [{"ports": [{"port": 80}]}]},
    ("", "v1", "configmaps"): {"metadata": {"name": "settings"}, "data": {"mode": "fast"}},
    ("", "v1", "secrets"): {"metadata": {"name": "creds"}, "stringData": {"password": "hunter2"}},
    ("", "v1", "serviceaccounts"): {"metadata": {"name": "robot"}},
    ("", "v1", "events"): {
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": "Started",
        "message": "Started container web",
    },
    ("", "v1", "persistentvolumeclaims"): {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    },
    ("", "v1", "persistentvolumes"): {
        "metadata": {"name": "pv-1"},
        "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}},
    },
    ("", "v1", "resourcequotas"): {"metadata": {"name": "quota"}, "spec": {"hard": {"requests.cpu": "1.5"}}},
    ("", "v1", "limitranges"): {
        "metadata": {"name": "limits"},
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]},
    },
    ("apps", "v1", "deployments"): {
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": LABELS}, "template": copy.deepcopy(TEMPLATE)},
    },
    ("apps", "v1", "replicasets"): {
        "metadata": {"name": "web-5d4f"},
        "spec": {"selector": {"matchLabels": LABELS}, "template": copy.deepcopy(TEMPLATE)},
    },
    ("apps", "v1", "statefulsets"): {
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": LABELS},
            "template": copy.deepcopy(TEMPLATE),
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    },
    ("apps", "v1", "daemonsets"): {
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": LABELS}, "template": copy.deepcopy(TEMPLATE)},
    },
    ("apps", "v1", "controllerrevisions"): {"metadata": {"name": "web-1"}, "revision": 1, "data": {}},
    ("batch", "v1", "jobs"): {"metadata": {"name": "pi"}, "spec": {"template": copy.deepcopy(JOB_TEMPLATE)}},
    ("batch", "v1", "cronjobs"): {
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": copy.deepcopy(JOB_TEMPLATE)}}},
    },
    ("autoscaling", "v2", "horizontalpodautoscalers"): {
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5},
    },
    ("autoscaling", "v1", "horizontalpodautoscalers"): {
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5},
    },
    ("policy", "v1", "poddisruptionbudgets"): {
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": LABELS}},
    },
    ("coordination.k8s.io", "v1", "leases"): {
        "metadata": {"name": "kaido-leader"},
        "spec": {"holderIdentity": "kaido-0", "leaseDurationSeconds": 15},
    },
    ("events.k8s.io", "v1", "events"): {
        "metadata": {"name": "web.2"},
        "eventTime": "2026-03-01T12:00:00.000000Z",
        "reportingController": "kaido.dev/sim",
        "reportingInstance": "sim-0",
        "action": "Scaled",
        "reason": "Scaled",
        "regarding": {"kind": "Deployment", "name": "web", "namespace": "default"},
        "type": "Normal",
    },
    ("storage.k8s.io", "v1", "storageclasses"): {"metadata": {"name": "standard"}, "provisioner": "kaido.dev/hostpath"},
    ("rbac.authorization.k8s.io", "v1", "roles"): {"metadata": {"name": "reader"}, "rules": []},
    ("rbac.authorization.k8s.io", "v1", "rolebindings"): {
        "metadata": {"name": "read"},
        "roleRef": {"kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot"}, {"kind": "User", "name": "ada"}],
    },
    ("rbac.authorization.k8s.io", "v1", "clusterroles"): {"metadata": {"name": "system:viewer"}, "rules": []},
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings"): {
        "metadata": {"name": "view"},
        "roleRef": {"kind": "ClusterRole", "name": "system:viewer"},
        "subjects": [{"kind": "Group", "name": "viewers"}],
    },
    ("networking.k8s.io", "v1", "networkpolicies"): {
        "metadata": {"name": "deny"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]},
    },
    ("networking.k8s.io", "v1", "ingresses"): {
        "metadata": {"name": "web"},
        "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
    },
}


def manifest(key: tuple[str, str, str], namespace: str = "default") -> tuple[ResourceType, dict[str, Any]]:
    """A minimal manifest as the API layer hands it over: typed, named, and namespaced if it should be."""
    resource = builtin(*key)
    obj = {"apiVersion": resource.api_version, "kind": resource.kind, **copy.deepcopy(MINIMAL[key])}
    if resource.namespaced:
        obj["metadata"]["namespace"] = namespace
    return resource, obj


def defaulted(key: tuple[str, str, str], **changes: Any) -> dict[str, Any]:
    resource, obj = manifest(key)
    obj["spec"] = {**obj.get("spec", {}), **changes}
    return apply_defaults(resource, obj, uid=JOB_UID)


# ----- the shape a real cluster shows ------------------------------------------------------------


def test_minimal_deployment_becomes_what_kubectl_get_shows() -> None:
    resource, obj = manifest(("apps", "v1", "deployments"))
    assert apply_defaults(resource, obj) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "image": "nginx:1.27",
                            "imagePullPolicy": "IfNotPresent",
                            "name": "web",
                            "resources": {},
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                        }
                    ],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
        "status": {},
    }


def test_a_created_pod_also_gets_what_admission_adds() -> None:
    resource, obj = manifest(("", "v1", "pods"))
    pod = apply_defaults(resource, obj)
    assert pod["spec"] == {
        "containers": [
            {
                "image": "nginx:1.27",
                "imagePullPolicy": "IfNotPresent",
                "name": "web",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
        ],
    }
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_the_input_is_not_modified() -> None:
    resource, obj = manifest(("apps", "v1", "deployments"))
    before = copy.deepcopy(obj)
    apply_defaults(resource, obj)
    assert obj == before


def test_defaulting_twice_changes_nothing() -> None:
    for key in MINIMAL:
        resource, obj = manifest(key)
        once = apply_defaults(resource, obj, uid=JOB_UID)
        assert apply_defaults(resource, once, uid=JOB_UID) == once, key


def test_set_values_are_kept() -> None:
    deployment = defaulted(
        ("apps", "v1", "deployments"), replicas=0, revisionHistoryLimit=0, strategy={"type": "Recreate"}
    )
    assert deployment["spec"]["replicas"] == 0
    assert deployment["spec"]["revisionHistoryLimit"] == 0
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


# ----- containers and pods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("registry.example.com:5000/team/app", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.example.com:5000/team/app:v2", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("NGINX", "IfNotPresent"),  # not a valid reference: upstream falls back to IfNotPresent
        ("", "IfNotPresent"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    pod = defaulted(("", "v1", "pods"), containers=[{"name": "c", "image": image}])
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_explicit_pull_policy_is_kept() -> None:
    pod = defaulted(("", "v1", "pods"), containers=[{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}])
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_requests_default_to_limits_on_pods_but_not_templates() -> None:
    container = {"name": "c", "image": "nginx:1.27", "resources": {"limits": {"cpu": "0.5", "memory": "128Mi"}}}
    pod = defaulted(("", "v1", "pods"), containers=[copy.deepcopy(container)])
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "128Mi"},
        "requests": {"cpu": "500m", "memory": "128Mi"},
    }
    assert pod["status"]["qosClass"] == "Guaranteed"
    template = {"metadata": {"labels": LABELS}, "spec": {"containers": [copy.deepcopy(container)]}}
    deployment = defaulted(("apps", "v1", "deployments"), template=template)
    resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources == {"limits": {"cpu": "500m", "memory": "128Mi"}}


def test_an_explicit_request_is_not_overwritten_by_the_limit() -> None:
    resources = {"limits": {"cpu": "1", "memory": "256Mi"}, "requests": {"cpu": "250m"}}
    pod = defaulted(("", "v1", "pods"), containers=[{"name": "c", "image": "x:1", "resources": resources}])
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "250m", "memory": "256Mi"}
    assert pod["status"]["qosClass"] == "Burstable"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0.5", "500m"),
        ("1.5", "1500m"),
        (0.25, "250m"),
        (2, "2"),
        ("1000m", "1"),
        ("1n", "1m"),  # rounded up to milli, as SetDefaults_ResourceList does
        ("100.0001m", "101m"),
        ("1.5Gi", "1536Mi"),
        ("1024Mi", "1Gi"),
        ("1e3", "1e3"),
        ("128974848", "128974848"),
        ("abc", "abc"),  # left for validation to reject
    ],
)
def test_container_quantities_are_canonical(given: Any, stored: str) -> None:
    resources = {"limits": {"cpu": given}}
    pod = defaulted(("", "v1", "pods"), containers=[{"name": "c", "image": "x:1", "resources": resources}])
    assert pod["spec"]["containers"][0]["resources"]["limits"] == {"cpu": stored}


def test_probes_ports_env_and_lifecycle_are_defaulted() -> None:
    container = {
        "name": "c",
        "image": "x:1",
        "ports": [{"containerPort": 8080}],
        "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "livenessProbe": {"httpGet": {"port": 8080}},
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5},
        "lifecycle": {"preStop": {"httpGet": {"port": 8080, "path": "/stop"}}},
    }
    spec = defaulted(("", "v1", "pods"), containers=[container])["spec"]["containers"][0]
    assert spec["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert spec["env"][0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "spec.nodeName"}
    assert spec["livenessProbe"] == {
        "failureThreshold": 3,
        "httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"},
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }
    assert spec["readinessProbe"]["periodSeconds"] == 5
    assert spec["lifecycle"]["preStop"]["httpGet"] == {"path": "/stop", "port": 8080, "scheme": "HTTP"}


def test_volumes_are_defaulted() -> None:
    volumes = [
        {"name": "scratch"},
        {"name": "config", "configMap": {"name": "settings"}},
        {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 0o400}},
        {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
        {"name": "host", "hostPath": {"path": "/var/log"}},
        {"name": "info", "downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
    ]
    spec = defaulted(("", "v1", "pods"), volumes=volumes)["spec"]
    assert spec["volumes"] == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "settings", "defaultMode": 420}},
        {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 256}},
        {
            "name": "token",
            "projected": {
                "defaultMode": 420,
                "sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}],
            },
        },
        {"name": "host", "hostPath": {"path": "/var/log", "type": ""}},
        {
            "name": "info",
            "downwardAPI": {
                "defaultMode": 420,
                "items": [{"path": "ns", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}],
            },
        },
    ]


def test_a_blanket_toleration_suppresses_the_default_ones() -> None:
    pod = defaulted(("", "v1", "pods"), tolerations=[{"operator": "Exists"}])
    assert pod["spec"]["tolerations"] == [{"operator": "Exists"}]
    partial = defaulted(
        ("", "v1", "pods"),
        tolerations=[{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}],
    )
    assert [t["key"] for t in partial["spec"]["tolerations"]] == [
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/not-ready",
    ]


def test_priority_and_service_account_admission() -> None:
    critical = defaulted(("", "v1", "pods"), priorityClassName="system-node-critical", serviceAccount="legacy")
    assert critical["spec"]["priority"] == 2000001000
    assert critical["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
    assert critical["spec"]["serviceAccountName"] == critical["spec"]["serviceAccount"] == "legacy"


def test_host_network_pods_expose_container_ports_on_the_host() -> None:
    containers = [{"name": "c", "image": "x:1", "ports": [{"containerPort": 9100}]}]
    pod = defaulted(("", "v1", "pods"), hostNetwork=True, containers=containers)
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 9100, "hostPort": 9100, "protocol": "TCP"}]


# ----- workloads ---------------------------------------------------------------------------------


def test_stateful_set_defaults() -> None:
    stateful_set = defaulted(("apps", "v1", "statefulsets"))
    spec = stateful_set["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["serviceName"]) == (1, 10, "db")
    assert spec["volumeClaimTemplates"] == [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Pending"},
        }
    ]
    assert stateful_set["status"] == {"replicas": 0, "availableReplicas": 0}


def test_on_delete_stateful_set_gets_no_rolling_update() -> None:
    spec = defaulted(("apps", "v1", "statefulsets"), updateStrategy={"type": "OnDelete"})["spec"]
    assert spec["updateStrategy"] == {"type": "OnDelete"}


def test_daemon_set_and_replica_set_defaults() -> None:
    daemon_set = defaulted(("apps", "v1", "daemonsets"))
    assert daemon_set["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert daemon_set["spec"]["revisionHistoryLimit"] == 10
    assert daemon_set["status"] == {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }
    replica_set = defaulted(("apps", "v1", "replicasets"))
    assert replica_set["spec"]["replicas"] == 1
    assert replica_set["status"] == {"replicas": 0}


def test_job_gets_counts_modes_and_a_generated_selector() -> None:
    job = defaulted(("batch", "v1", "jobs"))
    generated = {
        "batch.kubernetes.io/controller-uid": JOB_UID,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": JOB_UID,
        "job-name": "pi",
    }
    spec = job["spec"]
    assert {k: v for k, v in spec.items() if k != "template"} == {
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "completions": 1,
        "manualSelector": False,
        "parallelism": 1,
        "podReplacementPolicy": "TerminatingOrFailed",
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": JOB_UID}},
        "suspend": False,
    }
    assert spec["template"]["metadata"]["labels"] == generated
    assert job["metadata"]["labels"] == generated  # copied from the template, as a real Job shows
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def test_job_uid_comes_from_metadata_without_the_keyword() -> None:
    resource, obj = manifest(("batch", "v1", "jobs"))
    obj["metadata"]["uid"] = "from-metadata"
    job = apply_defaults(resource, obj)
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "from-metadata"}}


def test_job_variants() -> None:
    parallel = defaulted(("batch", "v1", "jobs"), parallelism=3)
    assert "completions" not in parallel["spec"]  # a work queue: completions stay unset
    failure_policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    with_policy = defaulted(("batch", "v1", "jobs"), podFailurePolicy=failure_policy)
    assert with_policy["spec"]["podReplacementPolicy"] == "Failed"
    assert with_policy["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"
    per_index = defaulted(("batch", "v1", "jobs"), completionMode="Indexed", completions=3, backoffLimitPerIndex=1)
    assert per_index["spec"]["backoffLimit"] == 2147483647
    manual = defaulted(("batch", "v1", "jobs"), manualSelector=True, selector={"matchLabels": {"x": "y"}})
    assert manual["spec"]["selector"] == {"matchLabels": {"x": "y"}}
    assert "labels" not in manual["spec"]["template"].get("metadata", {})


def test_cron_job_defaults() -> None:
    cron_job = defaulted(("batch", "v1", "cronjobs"))
    spec = cron_job["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"]) == ("Allow", False)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    pod_spec = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert (pod_spec["dnsPolicy"], pod_spec["terminationGracePeriodSeconds"]) == ("ClusterFirst", 30)
    assert "completions" not in spec["jobTemplate"]["spec"]  # Job defaults apply to Jobs, not templates


def test_hpa_v2_defaults_metric_and_fills_a_partial_behavior() -> None:
    hpa = defaulted(("autoscaling", "v2", "horizontalpodautoscalers"))
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
    ]
    assert "behavior" not in hpa["spec"]
    assert hpa["status"] == {"desiredReplicas": 0}
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 60}}
    tuned = defaulted(("autoscaling", "v2", "horizontalpodautoscalers"), behavior=behavior)
    assert tuned["spec"]["behavior"] == {
        "scaleUp": {
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ],
        },
        "scaleDown": {
            "stabilizationWindowSeconds": 60,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
        },
    }


def test_hpa_v1_defaults() -> None:
    hpa = defaulted(("autoscaling", "v1", "horizontalpodautoscalers"))
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["targetCPUUtilizationPercentage"]) == (1, 80)
    assert hpa["status"] == {"currentReplicas": 0, "desiredReplicas": 0}


# ----- core types --------------------------------------------------------------------------------


def test_service_defaults() -> None:
    service = defaulted(("", "v1", "services"))
    assert service["spec"] == {
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "selector": {"app": "web"},
        "sessionAffinity": "None",
        "type": "ClusterIP",
    }
    assert service["status"] == {"loadBalancer": {}}
    assert needs_cluster_ip(service)


def test_service_variants() -> None:
    ports = [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}]
    balancer = defaulted(("", "v1", "services"), type="LoadBalancer", ports=ports)["spec"]
    assert balancer["externalTrafficPolicy"] == "Cluster"
    assert balancer["allocateLoadBalancerNodePorts"] is True
    assert balancer["ports"][0]["targetPort"] == "http"
    sticky = defaulted(("", "v1", "services"), sessionAffinity="ClientIP")["spec"]
    assert sticky["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    external = defaulted(("", "v1", "services"), type="ExternalName", externalName="db.example.com", ports=[])
    assert "ipFamilies" not in external["spec"]
    assert "internalTrafficPolicy" not in external["spec"]
    assert not needs_cluster_ip(external)
    headless = defaulted(("", "v1", "services"), clusterIP="None")
    assert headless["spec"]["clusterIPs"] == ["None"]
    assert not needs_cluster_ip(headless)


def test_namespace_defaults() -> None:
    namespace = defaulted(("", "v1", "namespaces"))
    assert namespace["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert namespace["spec"] == {"finalizers": ["kubernetes"]}
    assert namespace["status"] == {"phase": "Active"}
    finalized = copy.deepcopy(namespace)
    finalized["spec"] = {}  # the namespace controller removed the finalizer through /finalize
    assert apply_defaults(builtin("", "v1", "namespaces"), finalized)["spec"] == {}


def test_secret_defaults() -> None:
    resource, obj = manifest(("", "v1", "secrets"))
    secret = apply_defaults(resource, obj)
    assert secret["type"] == "Opaque"
    assert secret["data"] == {"password": "aHVudGVyMg=="}
    assert "stringData" not in secret


def test_claim_volume_and_storage_class_defaults() -> None:
    claim = defaulted(("", "v1", "persistentvolumeclaims"))
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    volume = defaulted(("", "v1", "persistentvolumes"))
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["spec"]["hostPath"] == {"path": "/data", "type": ""}
    assert volume["status"] == {"phase": "Pending"}
    resource, obj = manifest(("storage.k8s.io", "v1", "storageclasses"))
    storage_class = apply_defaults(resource, obj)
    assert (storage_class["reclaimPolicy"], storage_class["volumeBindingMode"]) == ("Delete", "Immediate")


def test_quantities_are_canonical_in_quotas_limit_ranges_claims_and_nodes() -> None:
    resource, quota = manifest(("", "v1", "resourcequotas"))
    quota["status"] = {"used": {"requests.cpu": "0.25"}}
    stored = apply_defaults(resource, quota)
    assert stored["spec"]["hard"] == {"requests.cpu": "1500m"}
    assert stored["status"]["used"] == {"requests.cpu": "250m"}
    limits = defaulted(("", "v1", "limitranges"))["spec"]["limits"][0]
    assert limits == {
        "type": "Container",
        "max": {"cpu": "2"},
        "min": {"memory": "64Mi"},
        "default": {"cpu": "2"},
        "defaultRequest": {"cpu": "2", "memory": "64Mi"},
    }
    claim = defaulted(("", "v1", "persistentvolumeclaims"), resources={"requests": {"storage": "1.5Gi"}})
    assert claim["spec"]["resources"]["requests"] == {"storage": "1536Mi"}
    resource, node = manifest(("", "v1", "nodes"))
    node["status"]["capacity"]["cpu"] = "3.5"
    status = apply_defaults(resource, node)["status"]
    assert status["capacity"] == status["allocatable"] == {"cpu": "3500m", "memory": "8Gi"}
    assert status["nodeInfo"]["kubeletVersion"] == ""  # Go always writes the node info struct
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 0}}


def test_small_types() -> None:
    resource, event = manifest(("", "v1", "events"))
    stored = apply_defaults(resource, event)
    assert (stored["eventTime"], stored["firstTimestamp"], stored["reportingComponent"]) == (None, None, "")
    resource, binding = manifest(("rbac.authorization.k8s.io", "v1", "rolebindings"))
    stored = apply_defaults(resource, binding)
    assert stored["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert [s.get("apiGroup") for s in stored["subjects"]] == [None, "rbac.authorization.k8s.io"]  # "" is omitted
    policy = defaulted(("networking.k8s.io", "v1", "networkpolicies"))
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    budget = defaulted(("policy", "v1", "poddisruptionbudgets"))
    assert budget["status"] == {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0}


# ----- typed clients decode every defaulted object -----------------------------------------------

_LIGHTKUBE_MODULES = {
    "": "core_v1",
    "apps": "apps_v1",
    "batch": "batch_v1",
    "policy": "policy_v1",
    "coordination.k8s.io": "coordination_v1",
    "events.k8s.io": "events_v1",
    "storage.k8s.io": "storage_v1",
    "rbac.authorization.k8s.io": "rbac_authorization_v1",
    "networking.k8s.io": "networking_v1",
}


def _official_model(resource: ResourceType) -> str:
    if resource.kind == "Event":
        return "CoreV1Event" if resource.group == "" else "EventsV1Event"
    return f"{resource.version.upper()}{resource.kind}"


def _server_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """What the store adds before a client ever sees the object."""
    obj = copy.deepcopy(obj)
    obj["metadata"].update(uid=JOB_UID, resourceVersion="1", creationTimestamp="2026-03-01T12:00:00Z")
    return obj


@pytest.mark.parametrize("key", list(MINIMAL), ids=lambda key: f"{key[0] or 'core'}/{key[1]}/{key[2]}")
def test_typed_clients_decode_every_defaulted_kind(key: tuple[str, str, str]) -> None:
    resource, obj = manifest(key)
    stored = _server_metadata(apply_defaults(resource, obj, uid=JOB_UID))
    module = _LIGHTKUBE_MODULES.get(resource.group, f"{resource.group}_{resource.version}")
    lightkube_resources = __import__(f"lightkube.resources.{module}", fromlist=[resource.kind])
    model = getattr(lightkube_resources, resource.kind)
    decoded = msgspec.json.decode(json.dumps(stored).encode(), type=model)
    assert decoded.metadata.name == obj["metadata"]["name"]
    official = ApiClient()._ApiClient__deserialize(stored, _official_model(resource))  # type: ignore[attr-defined]
    assert official.metadata.name == obj["metadata"]["name"]
