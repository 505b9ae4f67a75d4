"""Validation against the 422 causes a real API server gives, word for word."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kaido.sim.defaults import apply_defaults
from kaido.sim.errors import ApiError
from kaido.sim.resources import builtin
from kaido.sim.validation import validate, validate_name
from tests.sim.test_defaults import JOB_UID, MINIMAL, manifest

SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
PERCENT = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
    "regex used for validation is '[0-9]+%')"
)
QUANTITY = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

Key = tuple[str, str, str]
DEPLOYMENT: Key = ("apps", "v1", "deployments")
POD: Key = ("", "v1", "pods")
JOB: Key = ("batch", "v1", "jobs")


def problems(key: Key, edit: Any = None, *, old: dict[str, Any] | None = None) -> list[str]:
    """The causes for a minimal object changed by `edit`, as `field: message` lines (after defaulting)."""
    resource, obj = manifest(key)
    if edit is not None:
        edit(obj)
    stored = apply_defaults(resource, obj, uid=JOB_UID)
    return [f"{cause.field}: {cause.message}" for cause in validate(resource, stored, old=old)]


def stored(key: Key, edit: Any = None) -> dict[str, Any]:
    resource, obj = manifest(key)
    if edit is not None:
        edit(obj)
    result = apply_defaults(resource, obj, uid=JOB_UID)
    result["metadata"]["uid"] = JOB_UID
    return result


def update_problems(key: Key, edit: Any, *, before: Any = None) -> list[str]:
    """The causes for updating the stored minimal object (optionally changed by `before`) with `edit`."""
    resource = builtin(*key)
    old = stored(key, before)
    new = copy.deepcopy(old)
    edit(new)
    new = apply_defaults(resource, new, uid=JOB_UID)
    return [f"{cause.field}: {cause.message}" for cause in validate(resource, new, old=old)]


def template_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


# ----- valid objects pass ------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(MINIMAL), ids=lambda key: f"{key[0] or 'core'}/{key[1]}/{key[2]}")
def test_every_minimal_object_is_valid(key: Key) -> None:
    assert problems(key) == []


@pytest.mark.parametrize("key", list(MINIMAL), ids=lambda key: f"{key[0] or 'core'}/{key[1]}/{key[2]}")
def test_an_unchanged_update_is_valid(key: Key) -> None:
    assert update_problems(key, lambda obj: None) == []


def test_reviews_are_never_validated_as_stored_objects() -> None:
    review = {"spec": {"resourceAttributes": {"verb": "list"}}}
    assert validate(builtin("authorization.k8s.io", "v1", "selfsubjectaccessreviews"), review) == []


# ----- names, labels, annotations ----------------------------------------------------------------


def test_bad_name_is_reported_with_upstreams_message() -> None:
    def rename(obj: dict[str, Any]) -> None:
        obj["metadata"]["name"] = "Bad_Name"

    assert problems(DEPLOYMENT, rename) == [f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN}']


def test_name_formats_depend_on_the_kind() -> None:
    assert validate_name("web.example") is None
    assert validate_name("a" * 254) == "must be no more than 253 characters"
    assert validate_name("-" * 254) == f"must be no more than 253 characters; {SUBDOMAIN}"
    namespaces, services = builtin("", "v1", "namespaces"), builtin("", "v1", "services")
    assert validate_name("team.a", resource=namespaces) == "must not contain dots"
    assert validate_name("Team", resource=namespaces) == LABEL
    assert validate_name("1web", resource=services) == DNS1035
    assert validate_name("system:viewer", resource=builtin("rbac.authorization.k8s.io", "v1", "clusterroles")) is None
    assert validate_name("a/b", resource=builtin("", "v1", "persistentvolumes")) == "may not contain '/'"


def test_a_name_or_generate_name_is_required() -> None:
    def anonymous(obj: dict[str, Any]) -> None:
        del obj["metadata"]["name"]

    def generated(obj: dict[str, Any]) -> None:
        obj["metadata"] = {"generateName": "web-", "namespace": "default"}

    assert problems(DEPLOYMENT, anonymous) == ["metadata.name: Required value: name or generateName is required"]
    assert problems(DEPLOYMENT, generated) == []


def test_namespace_scope() -> None:
    def no_namespace(obj: dict[str, Any]) -> None:
        del obj["metadata"]["namespace"]

    def namespaced_node(obj: dict[str, Any]) -> None:
        obj["metadata"]["namespace"] = "default"

    assert problems(DEPLOYMENT, no_namespace) == ["metadata.namespace: Required value"]
    assert problems(("", "v1", "nodes"), namespaced_node) == ["metadata.namespace: Forbidden: not allowed on this type"]


def test_label_keys_and_values() -> None:
    def label(obj: dict[str, Any]) -> None:
        obj["metadata"]["labels"] = {"bad key": "ok", "tier": "-frontend", "long": "x" * 64}

    assert problems(DEPLOYMENT, label) == [
        f'metadata.labels: Invalid value: "bad key": {NAME_PART}',
        f'metadata.labels: Invalid value: "-frontend": {LABEL_VALUE}',
        f'metadata.labels: Invalid value: "{"x" * 64}": must be no more than 63 characters',
    ]


def test_annotation_keys_and_size() -> None:
    def annotate(obj: dict[str, Any]) -> None:
        obj["metadata"]["annotations"] = {"example.com/": "x", "big": "x" * (256 * 1024)}

    assert problems(("", "v1", "configmaps"), annotate) == [
        'metadata.annotations: Invalid value: "example.com/": name part must be non-empty',
        f'metadata.annotations: Invalid value: "example.com/": {NAME_PART}',
        "metadata.annotations: Too long: may not be more than 262144 bytes",
    ]


# ----- selectors and templates -------------------------------------------------------------------


def test_deployment_without_selector_reports_both_problems() -> None:
    def drop_selector(obj: dict[str, Any]) -> None:
        del obj["spec"]["selector"]

    assert problems(DEPLOYMENT, drop_selector) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
    ]


def test_selector_must_match_template_labels() -> None:
    def mismatch(obj: dict[str, Any]) -> None:
        obj["spec"]["selector"] = {"matchLabels": {"app": "api"}}

    assert problems(DEPLOYMENT, mismatch) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"
    ]


def test_selector_expressions() -> None:
    def expressions(obj: dict[str, Any]) -> None:
        obj["spec"]["selector"] = {
            "matchExpressions": [
                {"key": "app", "operator": "In", "values": ["web", "api"]},
                {"key": "x", "operator": "In"},
            ]
        }

    assert problems(DEPLOYMENT, expressions) == [
        "spec.selector.matchExpressions[1].values: Required value: "
        "must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:"
        '[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"In", Values:[]string{"web", '
        '"api"}}, v1.LabelSelectorRequirement{Key:"x", Operator:"In", Values:[]string(nil)}}}: invalid label selector',
    ]


def test_empty_selector_is_invalid_for_a_deployment() -> None:
    def empty(obj: dict[str, Any]) -> None:
        obj["spec"]["selector"] = {"matchLabels": {}}

    assert problems(DEPLOYMENT, empty) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ]


def test_template_must_restart_always() -> None:
    def never(obj: dict[str, Any]) -> None:
        template_spec(obj)["restartPolicy"] = "Never"

    assert problems(DEPLOYMENT, never) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ]


def test_template_labels_are_checked_at_upstreams_path() -> None:
    def bad_template_label(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["metadata"]["labels"]["tier"] = "-x"

    assert problems(DEPLOYMENT, bad_template_label) == [f'spec.template.labels: Invalid value: "-x": {LABEL_VALUE}']


# ----- containers --------------------------------------------------------------------------------


def test_containers_are_required() -> None:
    def no_containers(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"] = []

    assert problems(POD, no_containers) == ["spec.containers: Required value"]


def test_image_is_required_in_templates_too() -> None:
    def no_image(obj: dict[str, Any]) -> None:
        del template_spec(obj)["containers"][0]["image"]

    assert problems(DEPLOYMENT, no_image) == ["spec.template.spec.containers[0].image: Required value"]


def test_container_names() -> None:
    def names(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"] = [
            {"name": "app", "image": "x:1"},
            {"name": "app", "image": "x:1"},
            {"name": "App", "image": "x:1"},
            {"image": "x:1"},
        ]
        obj["spec"]["initContainers"] = [{"name": "app", "image": "x:1"}]

    assert problems(POD, names) == [
        'spec.containers[1].name: Duplicate value: "app"',
        f'spec.containers[2].name: Invalid value: "App": {LABEL}',
        "spec.containers[3].name: Required value",
        'spec.initContainers[0].name: Duplicate value: "app"',
    ]


def test_container_ports_env_and_mounts() -> None:
    def details(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"][0].update(
            ports=[{"containerPort": 70000, "name": "http"}, {"containerPort": 80, "name": "http", "protocol": "HTTP"}],
            env=[
                {"name": ""},
                {"name": "A=B", "value": "x"},
                {"name": "C", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            volumeMounts=[{"name": "data", "mountPath": "/data"}, {"name": "data", "mountPath": "/data"}],
        )

    assert problems(POD, details) == [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[1].name: Duplicate value: "http"',
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        "spec.containers[0].env[0].name: Required value",
        'spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist '
        "only of printable ASCII characters other than '='",
        'spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].volumeMounts[0].name: Not found: "data"',
        'spec.containers[0].volumeMounts[1].name: Not found: "data"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
    ]


def test_probes() -> None:
    def probes(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"][0].update(
            livenessProbe={"httpGet": {"port": 0}, "successThreshold": 2},
            readinessProbe={"periodSeconds": -1, "exec": {"command": ["true"]}},
        )

    assert problems(POD, probes) == [
        "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
        "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
    ]


def test_pod_policies() -> None:
    def policies(obj: dict[str, Any]) -> None:
        obj["spec"].update(restartPolicy="Sometimes", dnsPolicy="Google", activeDeadlineSeconds=0)
        obj["spec"]["containers"][0]["imagePullPolicy"] = "Maybe"

    assert problems(POD, policies) == [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", '
        '"Never"',
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", '
        '"Default", "None"',
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
    ]


def test_volumes() -> None:
    def volumes(obj: dict[str, Any]) -> None:
        obj["spec"]["volumes"] = [
            {"name": "a", "emptyDir": {}},
            {"name": "a", "emptyDir": {}},
            {"name": "b", "configMap": {}},
            {"name": "b", "emptyDir": {}},  # not a duplicate: the invalid "b" above was never registered
            {"name": "c", "emptyDir": {}, "hostPath": {"path": "/x"}},
        ]

    assert problems(POD, volumes) == [
        'spec.volumes[1].name: Duplicate value: "a"',
        "spec.volumes[2].configMap.name: Required value",
        "spec.volumes[4].hostPath: Forbidden: may not specify more than 1 volume type",
    ]


# ----- resources ---------------------------------------------------------------------------------


def with_resources(resources: dict[str, Any]) -> Any:
    def edit(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"][0]["resources"] = resources

    return edit


def test_invalid_quantity() -> None:
    assert problems(POD, with_resources({"limits": {"cpu": "abc"}})) == [
        f'spec.containers[0].resources.limits[cpu]: Invalid value: "abc": {QUANTITY}',
        f'spec.containers[0].resources.requests[cpu]: Invalid value: "abc": {QUANTITY}',  # copied from the limit
    ]


def test_negative_quantity() -> None:
    assert problems(POD, with_resources({"requests": {"memory": "-1Gi"}})) == [
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0'
    ]


def test_requests_may_not_exceed_limits() -> None:
    resources = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "2", "memory": "512Mi"}}
    assert problems(POD, with_resources(resources)) == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'
    ]
    template_resources = {"limits": {"cpu": "500m"}, "requests": {"cpu": "0.75"}}

    def template(obj: dict[str, Any]) -> None:
        template_spec(obj)["containers"][0]["resources"] = template_resources

    assert problems(DEPLOYMENT, template) == [
        'spec.template.spec.containers[0].resources.requests: Invalid value: "750m": '
        "must be less than or equal to cpu limit of 500m"
    ]


def test_resource_names() -> None:
    resources = {"limits": {"foo": "1", "example.com/gpu": "1"}, "requests": {"example.com/gpu": "0.5", "foo": "1"}}
    assert problems(POD, with_resources(resources)) == [
        'spec.containers[0].resources.limits[foo]: Invalid value: "foo": must be a standard resource type or fully '
        "qualified",
        'spec.containers[0].resources.limits[foo]: Invalid value: "foo": must be a standard resource for containers',
        'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
        'spec.containers[0].resources.requests[foo]: Invalid value: "foo": must be a standard resource type or fully '
        "qualified",
        'spec.containers[0].resources.requests[foo]: Invalid value: "foo": must be a standard resource for containers',
        'spec.containers[0].resources.requests: Invalid value: "500m": must be equal to example.com/gpu limit of 1',
    ]


# ----- Deployment fields and updates -------------------------------------------------------------


def test_negative_replicas() -> None:
    def negative(obj: dict[str, Any]) -> None:
        obj["spec"]["replicas"] = -1

    assert problems(DEPLOYMENT, negative) == ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]


def test_rolling_update_bounds() -> None:
    def bounds(obj: dict[str, Any]) -> None:
        obj["spec"]["strategy"] = {"rollingUpdate": {"maxUnavailable": "150%", "maxSurge": "lots"}}

    def zero(obj: dict[str, Any]) -> None:
        obj["spec"]["strategy"] = {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "0%"}}

    assert problems(DEPLOYMENT, bounds) == [
        'spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"lots"}: '
        + PERCENT,
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]
    assert problems(DEPLOYMENT, zero) == [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: '
        "may not be 0 when `maxSurge` is 0"
    ]


def test_recreate_with_rolling_update_and_unknown_strategy() -> None:
    def recreate(obj: dict[str, Any]) -> None:
        obj["spec"]["strategy"] = {"type": "Recreate", "rollingUpdate": {}}

    def unknown(obj: dict[str, Any]) -> None:
        obj["spec"]["strategy"] = {"type": "BlueGreen"}

    assert problems(DEPLOYMENT, recreate) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]
    assert problems(DEPLOYMENT, unknown) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'
    ]


def test_progress_deadline_must_exceed_min_ready() -> None:
    def slow(obj: dict[str, Any]) -> None:
        obj["spec"].update(minReadySeconds=600, progressDeadlineSeconds=600)

    assert problems(DEPLOYMENT, slow) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"
    ]


def test_deployment_selector_is_immutable() -> None:
    def reselect(obj: dict[str, Any]) -> None:
        obj["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "front"}}
        obj["spec"]["template"]["metadata"]["labels"]["tier"] = "front"

    assert update_problems(DEPLOYMENT, reselect) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]


def test_scaling_and_new_images_are_allowed_updates() -> None:
    def roll(obj: dict[str, Any]) -> None:
        obj["spec"]["replicas"] = 5
        template_spec(obj)["containers"][0]["image"] = "nginx:1.28"

    assert update_problems(DEPLOYMENT, roll) == []


def test_name_is_immutable_on_update() -> None:
    def rename(obj: dict[str, Any]) -> None:
        obj["metadata"]["name"] = "api"

    assert update_problems(("", "v1", "configmaps"), rename) == [
        'metadata.name: Invalid value: "api": field is immutable'
    ]


# ----- other workloads ---------------------------------------------------------------------------


def test_stateful_set_rules() -> None:
    def policies(obj: dict[str, Any]) -> None:
        obj["spec"].update(podManagementPolicy="Random", updateStrategy={"type": "OnDelete", "rollingUpdate": {}})

    assert problems(("apps", "v1", "statefulsets"), policies) == [
        "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
        "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{...}: "
        "only allowed for updateStrategy 'RollingUpdate'",
    ]


def test_stateful_set_updates_are_limited() -> None:
    def resize(obj: dict[str, Any]) -> None:
        obj["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"

    def scale(obj: dict[str, Any]) -> None:
        obj["spec"]["replicas"] = 3

    assert update_problems(("apps", "v1", "statefulsets"), resize) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    ]
    assert update_problems(("apps", "v1", "statefulsets"), scale) == []


def test_daemon_set_rules() -> None:
    def both(obj: dict[str, Any]) -> None:
        obj["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}

    def missing_selector(obj: dict[str, Any]) -> None:
        del obj["spec"]["selector"]

    assert problems(("apps", "v1", "daemonsets"), both) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, "
        'StrVal:""}: may not be set when maxUnavailable is non-zero'
    ]
    assert problems(("apps", "v1", "daemonsets"), missing_selector) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"
    ]


def test_job_template_must_not_restart_always() -> None:
    def always(obj: dict[str, Any]) -> None:
        del template_spec(obj)["restartPolicy"]

    assert problems(JOB, always) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]


def test_job_generated_labels_must_match() -> None:
    def conflicting(obj: dict[str, Any]) -> None:
        obj["spec"]["template"]["metadata"] = {"labels": {"job-name": "other"}}

    assert problems(JOB, conflicting) == [
        "spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"
        f'"batch.kubernetes.io/controller-uid":"{JOB_UID}", "batch.kubernetes.io/job-name":"pi", '
        f'"controller-uid":"{JOB_UID}", "job-name":"other"}}: must be \'pi\'',
    ]


def test_job_updates() -> None:
    def change_template(obj: dict[str, Any]) -> None:
        template_spec(obj)["containers"][0]["image"] = "perl:5.40"

    def change_completions(obj: dict[str, Any]) -> None:
        obj["spec"]["completions"] = 3

    def suspend(obj: dict[str, Any]) -> None:
        obj["spec"]["suspend"] = True

    def schedule_elsewhere(obj: dict[str, Any]) -> None:
        template_spec(obj)["nodeSelector"] = {"zone": "b"}

    assert update_problems(JOB, change_template) == [
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"
    ]
    assert update_problems(JOB, change_completions) == ["spec.completions: Invalid value: 3: field is immutable"]
    assert update_problems(JOB, schedule_elsewhere, before=suspend) == []  # a suspended Job may move


def test_cron_job_rules() -> None:
    def schedule(value: str) -> Any:
        def edit(obj: dict[str, Any]) -> None:
            obj["spec"]["schedule"] = value

        return edit

    key: Key = ("batch", "v1", "cronjobs")
    assert problems(key, schedule("* * *")) == [
        'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'
    ]
    assert problems(key, schedule("61 * * * *")) == [
        'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'
    ]
    assert problems(key, schedule("*/15 9-17 * JAN-MAR mon-fri")) == []
    assert problems(key, schedule("@hourly")) == []
    assert problems(key, schedule("TZ=UTC 0 3 * * *")) == [
        'spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field '
        "instead"
    ]

    def long_name(obj: dict[str, Any]) -> None:
        obj["metadata"]["name"] = "n" * 53

    assert problems(key, long_name) == [
        f'metadata.name: Invalid value: "{"n" * 53}": must be no more than 52 characters'
    ]


def test_hpa_rules() -> None:
    def bounds(obj: dict[str, Any]) -> None:
        obj["spec"].update(minReplicas=0, maxReplicas=0)

    def no_target(obj: dict[str, Any]) -> None:
        del obj["spec"]["scaleTargetRef"]["name"]

    key: Key = ("autoscaling", "v2", "horizontalpodautoscalers")
    assert problems(key, bounds) == [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
    ]
    assert problems(key, no_target) == ["spec.scaleTargetRef.name: Required value"]

    def zero_target(obj: dict[str, Any]) -> None:
        obj["spec"]["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]

    assert problems(key, zero_target) == [
        "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a "
        "target utilization"
    ]


def test_disruption_budget_rules() -> None:
    def both(obj: dict[str, Any]) -> None:
        obj["spec"]["maxUnavailable"] = "10%"

    assert problems(("policy", "v1", "poddisruptionbudgets"), both) == [
        "spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set"
    ]


# ----- core types --------------------------------------------------------------------------------


def test_service_rules() -> None:
    def ports(obj: dict[str, Any]) -> None:
        obj["spec"]["ports"] = [
            {"port": 0, "targetPort": 80},
            {"name": "http", "port": 80, "targetPort": "Web_Port_Too_Long"},
        ]

    def kind(obj: dict[str, Any]) -> None:
        obj["spec"]["type"] = "Magic"

    key: Key = ("", "v1", "services")
    assert problems(key, ports) == [
        "spec.ports[0].name: Required value",
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        'spec.ports[1].targetPort: Invalid value: "Web_Port_Too_Long": must be no more than 15 characters',
        'spec.ports[1].targetPort: Invalid value: "Web_Port_Too_Long": '
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
    ]
    assert problems(key, kind) == [
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", '
        '"NodePort"'
    ]


def test_service_needs_ports_and_keeps_its_cluster_ip() -> None:
    def no_ports(obj: dict[str, Any]) -> None:
        obj["spec"]["ports"] = []

    def allocated(obj: dict[str, Any]) -> None:
        obj["spec"]["clusterIP"] = "10.96.0.10"

    def moved(obj: dict[str, Any]) -> None:
        obj["spec"]["clusterIP"] = "10.96.0.11"
        obj["spec"]["clusterIPs"] = ["10.96.0.11"]

    key: Key = ("", "v1", "services")
    assert problems(key, no_ports) == ["spec.ports: Required value"]
    assert update_problems(key, moved, before=allocated) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set'
    ]


def test_config_map_and_secret_rules() -> None:
    def bad_key(obj: dict[str, Any]) -> None:
        obj["data"] = {"bad key": "x"}

    def tls(obj: dict[str, Any]) -> None:
        obj["type"] = "kubernetes.io/tls"

    assert problems(("", "v1", "configmaps"), bad_key) == [
        'data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '
        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    ]
    assert problems(("", "v1", "secrets"), tls) == ["data[tls.crt]: Required value", "data[tls.key]: Required value"]


def test_immutable_config_maps_keep_their_data() -> None:
    def freeze(obj: dict[str, Any]) -> None:
        obj["immutable"] = True

    def change(obj: dict[str, Any]) -> None:
        obj["data"]["mode"] = "slow"

    assert update_problems(("", "v1", "configmaps"), change, before=freeze) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]


def test_claim_rules() -> None:
    def empty(obj: dict[str, Any]) -> None:
        obj["spec"] = {}

    def grow(obj: dict[str, Any]) -> None:
        obj["spec"]["resources"]["requests"]["storage"] = "2Gi"

    key: Key = ("", "v1", "persistentvolumeclaims")
    assert problems(key, empty) == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
    ]
    assert update_problems(key, grow) == [
        "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
        "for bound claims"
    ]

    def bound(obj: dict[str, Any]) -> None:
        obj["status"] = {"phase": "Bound"}

    def grow_bound(obj: dict[str, Any]) -> None:
        grow(obj)
        bound(obj)

    assert update_problems(key, grow_bound, before=bound) == []


def test_pod_updates() -> None:
    def new_image(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"][0]["image"] = "nginx:1.28"

    def new_port(obj: dict[str, Any]) -> None:
        obj["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]

    assert update_problems(POD, new_image) == []
    assert update_problems(POD, new_port) == [
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
    ]


def test_quota_and_lease_rules() -> None:
    def bad_quota(obj: dict[str, Any]) -> None:
        obj["spec"]["hard"] = {"pods": "ten"}

    def bad_lease(obj: dict[str, Any]) -> None:
        obj["spec"]["leaseDurationSeconds"] = 0

    assert problems(("", "v1", "resourcequotas"), bad_quota) == [f'spec.hard[pods]: Invalid value: "ten": {QUANTITY}']
    assert problems(("coordination.k8s.io", "v1", "leases"), bad_lease) == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"
    ]


def test_event_rules() -> None:
    def elsewhere(obj: dict[str, Any]) -> None:
        obj["involvedObject"]["namespace"] = "kube-system"

    def unreported(obj: dict[str, Any]) -> None:
        del obj["reportingController"], obj["action"]
        obj["type"] = "Odd"

    assert problems(("", "v1", "events"), elsewhere) == [
        'involvedObject.namespace: Invalid value: "kube-system": does not match event.namespace'
    ]
    assert problems(("events.k8s.io", "v1", "events"), unreported) == [
        'type: Invalid value: "": has invalid value: Odd',
        "reportingController: Required value",
        # upstream checks the (empty) name's format as well
        'reportingController: Invalid value: "": name part must be non-empty',
        f'reportingController: Invalid value: "": {NAME_PART}',
        "action: Required value",
    ]


def test_causes_become_a_kubectl_style_422() -> None:
    resource, obj = manifest(DEPLOYMENT)
    del obj["spec"]["selector"]
    causes = validate(resource, apply_defaults(resource, obj))
    error = ApiError.invalid(resource.kind, "web", causes, resource.group)
    assert error.code == 422
    assert error.body()["details"]["causes"][0] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.selector",
    }
