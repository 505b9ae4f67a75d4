"""Field tables for the Kubernetes types kubectl sends as protobuf, written from upstream `generated.proto`.

Each message is a table `field number -> Field`; `kaido.sim.protobuf` walks a body with them. The numbers
come from the Apache-2.0 `generated.proto` files of k8s.io/api and k8s.io/apimachinery (upstream around
v1.35) and were checked against bodies recorded from kubectl 1.32 and 1.35 (`tests/sim/protobuf_fixtures`).

A table lists the fields a client can send on create; status blocks keep their scalar fields and skip
conditions, and rarely used pod fields (affinity, topology spread, most volume sources) are left out.
Fields missing from a table are skipped when decoding, as an older API server would.

`keep=True` marks fields whose zero value must survive decoding: Go pointers (`replicas: 0` was set on
purpose) and fields without `omitempty`. Every other zero scalar is dropped, as `omitempty` would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["MESSAGES", "ROOTS", "SCALAR_KINDS", "Field", "Kind", "Message"]

# Scalar kinds map to one wire value; the others are small messages rendered as one JSON value.
Kind = Literal["string", "bytes", "int", "bool", "message", "map", "quantity", "time", "intorstring", "strings"]
SCALAR_KINDS: Final = frozenset({"string", "bytes", "int", "bool"})


@dataclass(frozen=True, slots=True)
class Field:
    """One protobuf field: its JSON name, how to decode it, and how Go's JSON marshaller would emit it."""

    name: str
    kind: Kind
    message: str = ""  # the table for kind "message", or for map values of kind "message"
    repeated: bool = False
    keep: bool = False  # emit zero values (Go pointer or no omitempty)
    inline: bool = False  # an embedded struct: its fields land in the parent object (`json:",inline"`)
    value: Kind = "string"  # map value kind; keys are always strings


def s(name: str, *, keep: bool = False) -> Field:
    return Field(name, "string", keep=keep)


def i(name: str, *, keep: bool = False) -> Field:
    return Field(name, "int", keep=keep)


def b(name: str, *, keep: bool = False) -> Field:
    return Field(name, "bool", keep=keep)


def m(name: str, message: str, *, inline: bool = False) -> Field:
    return Field(name, "message", message=message, inline=inline)


def rs(name: str) -> Field:
    return Field(name, "string", repeated=True)


def rm(name: str, message: str) -> Field:
    return Field(name, "message", message=message, repeated=True)


def smap(name: str) -> Field:
    return Field(name, "map", value="string")


def qmap(name: str) -> Field:
    """A `ResourceList`: resource name to Quantity."""
    return Field(name, "map", value="quantity")


def q(name: str) -> Field:
    return Field(name, "quantity")


def t(name: str) -> Field:
    return Field(name, "time")


def ios(name: str) -> Field:
    return Field(name, "intorstring")


Message = dict[int, Field]

_META: Final[dict[str, Message]] = {
    "ObjectMeta": {
        1: s("name"), 2: s("generateName"), 3: s("namespace"), 4: s("selfLink"), 5: s("uid"),
        6: s("resourceVersion"), 7: i("generation"), 8: t("creationTimestamp"), 9: t("deletionTimestamp"),
        10: i("deletionGracePeriodSeconds", keep=True), 11: smap("labels"), 12: smap("annotations"),
        13: rm("ownerReferences", "OwnerReference"), 14: rs("finalizers"),
    },
    "OwnerReference": {
        5: s("apiVersion", keep=True), 1: s("kind", keep=True), 3: s("name", keep=True), 4: s("uid", keep=True),
        6: b("controller", keep=True), 7: b("blockOwnerDeletion", keep=True),
    },
    "LabelSelector": {1: smap("matchLabels"), 2: rm("matchExpressions", "LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: s("key", keep=True), 2: s("operator", keep=True), 3: rs("values")},
    "DeleteOptions": {
        1: i("gracePeriodSeconds", keep=True), 2: m("preconditions", "Preconditions"),
        3: b("orphanDependents", keep=True), 4: s("propagationPolicy", keep=True), 5: rs("dryRun"),
    },
    "Preconditions": {1: s("uid", keep=True), 2: s("resourceVersion", keep=True)},
}  # fmt: skip

_CORE_OBJECTS: Final[dict[str, Message]] = {
    "Namespace": {1: m("metadata", "ObjectMeta"), 2: m("spec", "NamespaceSpec"), 3: m("status", "NamespaceStatus")},
    "NamespaceSpec": {1: rs("finalizers")},
    "NamespaceStatus": {1: s("phase")},
    "ConfigMap": {
        1: m("metadata", "ObjectMeta"), 2: smap("data"), 3: Field("binaryData", "map", value="bytes"),
        4: b("immutable", keep=True),
    },
    "Secret": {
        1: m("metadata", "ObjectMeta"), 2: Field("data", "map", value="bytes"), 3: s("type"), 4: smap("stringData"),
        5: b("immutable", keep=True),
    },
    "ServiceAccount": {
        1: m("metadata", "ObjectMeta"), 2: rm("secrets", "ObjectReference"),
        3: rm("imagePullSecrets", "LocalObjectReference"), 4: b("automountServiceAccountToken", keep=True),
    },
    "ObjectReference": {
        1: s("kind"), 2: s("namespace"), 3: s("name"), 4: s("uid"), 5: s("apiVersion"), 6: s("resourceVersion"),
        7: s("fieldPath"),
    },
    "LocalObjectReference": {1: s("name")},
    "Service": {1: m("metadata", "ObjectMeta"), 2: m("spec", "ServiceSpec"), 3: m("status", "ServiceStatus")},
    "ServiceSpec": {
        1: rm("ports", "ServicePort"), 2: smap("selector"), 3: s("clusterIP"), 18: rs("clusterIPs"), 4: s("type"),
        5: rs("externalIPs"), 7: s("sessionAffinity"), 8: s("loadBalancerIP"), 9: rs("loadBalancerSourceRanges"),
        10: s("externalName"), 11: s("externalTrafficPolicy"), 12: i("healthCheckNodePort"),
        13: b("publishNotReadyAddresses"), 14: m("sessionAffinityConfig", "SessionAffinityConfig"),
        19: rs("ipFamilies"), 17: s("ipFamilyPolicy", keep=True), 20: b("allocateLoadBalancerNodePorts", keep=True),
        21: s("loadBalancerClass", keep=True), 22: s("internalTrafficPolicy", keep=True),
    },
    "ServicePort": {
        1: s("name"), 2: s("protocol"), 6: s("appProtocol", keep=True), 3: i("port", keep=True),
        4: ios("targetPort"), 5: i("nodePort"),
    },
    "SessionAffinityConfig": {1: m("clientIP", "ClientIPConfig")},
    "ClientIPConfig": {1: i("timeoutSeconds", keep=True)},
    "ServiceStatus": {1: m("loadBalancer", "LoadBalancerStatus")},
    "LoadBalancerStatus": {1: rm("ingress", "LoadBalancerIngress")},
    "LoadBalancerIngress": {1: s("ip"), 2: s("hostname")},
    "ResourceQuota": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "ResourceQuotaSpec"), 3: m("status", "ResourceQuotaStatus"),
    },
    "ResourceQuotaSpec": {1: qmap("hard"), 2: rs("scopes"), 3: m("scopeSelector", "ScopeSelector")},
    "ScopeSelector": {1: rm("matchExpressions", "ScopedResourceSelectorRequirement")},
    "ScopedResourceSelectorRequirement": {1: s("scopeName", keep=True), 2: s("operator", keep=True), 3: rs("values")},
    "ResourceQuotaStatus": {1: qmap("hard"), 2: qmap("used")},
}  # fmt: skip

_CORE_POD: Final[dict[str, Message]] = {
    "PodTemplateSpec": {1: m("metadata", "ObjectMeta"), 2: m("spec", "PodSpec")},
    "PodSpec": {
        1: rm("volumes", "Volume"), 20: rm("initContainers", "Container"), 2: rm("containers", "Container"),
        3: s("restartPolicy"), 4: i("terminationGracePeriodSeconds", keep=True),
        5: i("activeDeadlineSeconds", keep=True), 6: s("dnsPolicy"), 7: smap("nodeSelector"),
        8: s("serviceAccountName"), 9: s("serviceAccount"), 21: b("automountServiceAccountToken", keep=True),
        10: s("nodeName"), 11: b("hostNetwork"), 12: b("hostPID"), 13: b("hostIPC"),
        27: b("shareProcessNamespace", keep=True), 14: m("securityContext", "PodSecurityContext"),
        15: rm("imagePullSecrets", "LocalObjectReference"), 16: s("hostname"), 17: s("subdomain"),
        19: s("schedulerName"), 22: rm("tolerations", "Toleration"), 23: rm("hostAliases", "HostAlias"),
        24: s("priorityClassName"), 25: i("priority", keep=True), 29: s("runtimeClassName", keep=True),
        30: b("enableServiceLinks", keep=True), 31: s("preemptionPolicy", keep=True), 32: qmap("overhead"),
        35: b("setHostnameAsFQDN", keep=True), 36: m("os", "PodOS"), 37: b("hostUsers", keep=True),
        40: m("resources", "ResourceRequirements"), 41: s("hostnameOverride", keep=True),
    },
    "PodOS": {1: s("name", keep=True)},
    "Container": {
        1: s("name", keep=True), 2: s("image"), 3: rs("command"), 4: rs("args"), 5: s("workingDir"),
        6: rm("ports", "ContainerPort"), 19: rm("envFrom", "EnvFromSource"), 7: rm("env", "EnvVar"),
        8: m("resources", "ResourceRequirements"), 9: rm("volumeMounts", "VolumeMount"),
        10: m("livenessProbe", "Probe"), 11: m("readinessProbe", "Probe"), 22: m("startupProbe", "Probe"),
        12: m("lifecycle", "Lifecycle"), 13: s("terminationMessagePath"), 20: s("terminationMessagePolicy"),
        14: s("imagePullPolicy"), 15: m("securityContext", "SecurityContext"), 16: b("stdin"), 17: b("stdinOnce"),
        18: b("tty"), 24: s("restartPolicy", keep=True),
    },
    "ContainerPort": {
        1: s("name"), 2: i("hostPort"), 3: i("containerPort", keep=True), 4: s("protocol"), 5: s("hostIP"),
    },
    "EnvVar": {1: s("name", keep=True), 2: s("value"), 3: m("valueFrom", "EnvVarSource")},
    "EnvVarSource": {
        1: m("fieldRef", "ObjectFieldSelector"), 2: m("resourceFieldRef", "ResourceFieldSelector"),
        3: m("configMapKeyRef", "ConfigMapKeySelector"), 4: m("secretKeyRef", "SecretKeySelector"),
    },
    "ObjectFieldSelector": {1: s("apiVersion"), 2: s("fieldPath", keep=True)},
    "ResourceFieldSelector": {1: s("containerName"), 2: s("resource", keep=True), 3: q("divisor")},
    "ConfigMapKeySelector": {
        1: m("", "LocalObjectReference", inline=True), 2: s("key", keep=True), 3: b("optional", keep=True),
    },
    "SecretKeySelector": {
        1: m("", "LocalObjectReference", inline=True), 2: s("key", keep=True), 3: b("optional", keep=True),
    },
    "EnvFromSource": {
        1: s("prefix"), 2: m("configMapRef", "ConfigMapEnvSource"), 3: m("secretRef", "SecretEnvSource"),
    },
    "ConfigMapEnvSource": {1: m("", "LocalObjectReference", inline=True), 2: b("optional", keep=True)},
    "SecretEnvSource": {1: m("", "LocalObjectReference", inline=True), 2: b("optional", keep=True)},
    "ResourceRequirements": {1: qmap("limits"), 2: qmap("requests")},
    "VolumeMount": {
        1: s("name", keep=True), 2: b("readOnly"), 3: s("mountPath", keep=True), 4: s("subPath"),
        5: s("mountPropagation", keep=True), 6: s("subPathExpr"),
    },
    "Probe": {
        1: m("", "ProbeHandler", inline=True), 2: i("initialDelaySeconds"), 3: i("timeoutSeconds"),
        4: i("periodSeconds"), 5: i("successThreshold"), 6: i("failureThreshold"),
        7: i("terminationGracePeriodSeconds", keep=True),
    },
    "ProbeHandler": {
        1: m("exec", "ExecAction"), 2: m("httpGet", "HTTPGetAction"), 3: m("tcpSocket", "TCPSocketAction"),
        4: m("grpc", "GRPCAction"),
    },
    "Lifecycle": {1: m("postStart", "LifecycleHandler"), 2: m("preStop", "LifecycleHandler")},
    "LifecycleHandler": {
        1: m("exec", "ExecAction"), 2: m("httpGet", "HTTPGetAction"), 3: m("tcpSocket", "TCPSocketAction"),
    },
    "ExecAction": {1: rs("command")},
    "HTTPGetAction": {
        1: s("path"), 2: ios("port"), 3: s("host"), 4: s("scheme"), 5: rm("httpHeaders", "HTTPHeader"),
    },
    "HTTPHeader": {1: s("name", keep=True), 2: s("value", keep=True)},
    "TCPSocketAction": {1: ios("port"), 2: s("host")},
    "GRPCAction": {1: i("port", keep=True), 2: s("service", keep=True)},
    "SecurityContext": {
        1: m("capabilities", "Capabilities"), 2: b("privileged", keep=True), 4: i("runAsUser", keep=True),
        8: i("runAsGroup", keep=True), 5: b("runAsNonRoot", keep=True), 6: b("readOnlyRootFilesystem", keep=True),
        7: b("allowPrivilegeEscalation", keep=True), 9: s("procMount", keep=True),
        11: m("seccompProfile", "SeccompProfile"),
    },
    "Capabilities": {1: rs("add"), 2: rs("drop")},
    "SeccompProfile": {1: s("type", keep=True), 2: s("localhostProfile", keep=True)},
    "PodSecurityContext": {
        2: i("runAsUser", keep=True), 6: i("runAsGroup", keep=True), 3: b("runAsNonRoot", keep=True),
        4: Field("supplementalGroups", "int", repeated=True), 5: i("fsGroup", keep=True),
        9: s("fsGroupChangePolicy", keep=True), 10: m("seccompProfile", "SeccompProfile"),
    },
    "Toleration": {
        1: s("key"), 2: s("operator"), 3: s("value"), 4: s("effect"), 5: i("tolerationSeconds", keep=True),
    },
    "HostAlias": {1: s("ip"), 2: rs("hostnames")},
    "Volume": {1: s("name", keep=True), 2: m("", "VolumeSource", inline=True)},
    "VolumeSource": {
        1: m("hostPath", "HostPathVolumeSource"), 2: m("emptyDir", "EmptyDirVolumeSource"),
        6: m("secret", "SecretVolumeSource"), 10: m("persistentVolumeClaim", "PersistentVolumeClaimVolumeSource"),
        19: m("configMap", "ConfigMapVolumeSource"),
    },
    "HostPathVolumeSource": {1: s("path", keep=True), 2: s("type", keep=True)},
    "EmptyDirVolumeSource": {1: s("medium"), 2: q("sizeLimit")},
    "SecretVolumeSource": {
        1: s("secretName"), 2: rm("items", "KeyToPath"), 3: i("defaultMode", keep=True), 4: b("optional", keep=True),
    },
    "ConfigMapVolumeSource": {
        1: m("", "LocalObjectReference", inline=True), 2: rm("items", "KeyToPath"), 3: i("defaultMode", keep=True),
        4: b("optional", keep=True),
    },
    "KeyToPath": {1: s("key", keep=True), 2: s("path", keep=True), 3: i("mode", keep=True)},
    "PersistentVolumeClaimVolumeSource": {1: s("claimName", keep=True), 2: b("readOnly")},
}  # fmt: skip

_WORKLOADS: Final[dict[str, Message]] = {
    "Deployment": {1: m("metadata", "ObjectMeta"), 2: m("spec", "DeploymentSpec"), 3: m("status", "DeploymentStatus")},
    "DeploymentSpec": {
        1: i("replicas", keep=True), 2: m("selector", "LabelSelector"), 3: m("template", "PodTemplateSpec"),
        4: m("strategy", "DeploymentStrategy"), 5: i("minReadySeconds"), 6: i("revisionHistoryLimit", keep=True),
        7: b("paused"), 9: i("progressDeadlineSeconds", keep=True), 10: s("podReplacementPolicy", keep=True),
    },
    "DeploymentStrategy": {1: s("type"), 2: m("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ios("maxUnavailable"), 2: ios("maxSurge")},
    "DeploymentStatus": {
        1: i("observedGeneration"), 2: i("replicas"), 3: i("updatedReplicas"), 7: i("readyReplicas"),
        4: i("availableReplicas"), 5: i("unavailableReplicas"), 9: i("terminatingReplicas", keep=True),
        8: i("collisionCount", keep=True),
    },
    "Job": {1: m("metadata", "ObjectMeta"), 2: m("spec", "JobSpec"), 3: m("status", "JobStatus")},
    "JobSpec": {
        1: i("parallelism", keep=True), 2: i("completions", keep=True), 3: i("activeDeadlineSeconds", keep=True),
        7: i("backoffLimit", keep=True), 12: i("backoffLimitPerIndex", keep=True),
        13: i("maxFailedIndexes", keep=True), 4: m("selector", "LabelSelector"), 5: b("manualSelector", keep=True),
        6: m("template", "PodTemplateSpec"), 8: i("ttlSecondsAfterFinished", keep=True),
        9: s("completionMode", keep=True), 10: b("suspend", keep=True), 14: s("podReplacementPolicy", keep=True),
        15: s("managedBy", keep=True),
    },
    "JobStatus": {
        2: t("startTime"), 3: t("completionTime"), 4: i("active"), 5: i("succeeded"), 6: i("failed"),
        7: s("completedIndexes"), 10: s("failedIndexes", keep=True), 9: i("ready", keep=True),
        11: i("terminating", keep=True),
    },
    "CronJob": {1: m("metadata", "ObjectMeta"), 2: m("spec", "CronJobSpec"), 3: m("status", "CronJobStatus")},
    "CronJobSpec": {
        1: s("schedule", keep=True), 8: s("timeZone", keep=True), 2: i("startingDeadlineSeconds", keep=True),
        3: s("concurrencyPolicy"), 4: b("suspend", keep=True), 5: m("jobTemplate", "JobTemplateSpec"),
        6: i("successfulJobsHistoryLimit", keep=True), 7: i("failedJobsHistoryLimit", keep=True),
    },
    "JobTemplateSpec": {1: m("metadata", "ObjectMeta"), 2: m("spec", "JobSpec")},
    "CronJobStatus": {1: rm("active", "ObjectReference"), 4: t("lastScheduleTime"), 5: t("lastSuccessfulTime")},
    "PodDisruptionBudget": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "PodDisruptionBudgetSpec"),
        3: m("status", "PodDisruptionBudgetStatus"),
    },
    "PodDisruptionBudgetSpec": {
        1: ios("minAvailable"), 2: m("selector", "LabelSelector"), 3: ios("maxUnavailable"),
        4: s("unhealthyPodEvictionPolicy", keep=True),
    },
    "PodDisruptionBudgetStatus": {
        1: i("observedGeneration"), 3: i("disruptionsAllowed", keep=True), 4: i("currentHealthy", keep=True),
        5: i("desiredHealthy", keep=True), 6: i("expectedPods", keep=True),
    },
    "PriorityClass": {
        1: m("metadata", "ObjectMeta"), 2: i("value", keep=True), 3: b("globalDefault"), 4: s("description"),
        5: s("preemptionPolicy", keep=True),
    },
}  # fmt: skip

_ACCESS: Final[dict[str, Message]] = {
    "Role": {1: m("metadata", "ObjectMeta"), 2: rm("rules", "PolicyRule")},
    "ClusterRole": {
        1: m("metadata", "ObjectMeta"), 2: rm("rules", "PolicyRule"), 3: m("aggregationRule", "AggregationRule"),
    },
    "PolicyRule": {
        1: rs("verbs"), 2: rs("apiGroups"), 3: rs("resources"), 4: rs("resourceNames"), 5: rs("nonResourceURLs"),
    },
    "AggregationRule": {1: rm("clusterRoleSelectors", "LabelSelector")},
    "RoleBinding": {1: m("metadata", "ObjectMeta"), 2: rm("subjects", "Subject"), 3: m("roleRef", "RoleRef")},
    "Subject": {1: s("kind", keep=True), 2: s("apiGroup"), 3: s("name", keep=True), 4: s("namespace")},
    "RoleRef": {1: s("apiGroup", keep=True), 2: s("kind", keep=True), 3: s("name", keep=True)},
    "TokenRequest": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "TokenRequestSpec"), 3: m("status", "TokenRequestStatus"),
    },
    "TokenRequestSpec": {
        1: rs("audiences"), 4: i("expirationSeconds", keep=True), 3: m("boundObjectRef", "BoundObjectReference"),
    },
    "BoundObjectReference": {1: s("kind"), 2: s("apiVersion"), 3: s("name"), 4: s("uid")},
    "TokenRequestStatus": {1: s("token", keep=True), 2: t("expirationTimestamp")},
    "SelfSubjectReview": {1: m("metadata", "ObjectMeta"), 2: m("status", "SelfSubjectReviewStatus")},
    "SelfSubjectReviewStatus": {1: m("userInfo", "UserInfo")},
    "UserInfo": {1: s("username"), 2: s("uid"), 3: rs("groups"), 4: Field("extra", "map", value="strings")},
    "SelfSubjectAccessReview": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "SelfSubjectAccessReviewSpec"),
        3: m("status", "SubjectAccessReviewStatus"),
    },
    "SelfSubjectAccessReviewSpec": {
        1: m("resourceAttributes", "ResourceAttributes"), 2: m("nonResourceAttributes", "NonResourceAttributes"),
    },
    "ResourceAttributes": {
        1: s("namespace"), 2: s("verb"), 3: s("group"), 4: s("version"), 5: s("resource"), 6: s("subresource"),
        7: s("name"), 8: m("fieldSelector", "FieldSelectorAttributes"),
        9: m("labelSelector", "LabelSelectorAttributes"),
    },
    "FieldSelectorAttributes": {1: s("rawSelector"), 2: rm("requirements", "FieldSelectorRequirement")},
    "FieldSelectorRequirement": {1: s("key", keep=True), 2: s("operator", keep=True), 3: rs("values")},
    "LabelSelectorAttributes": {1: s("rawSelector"), 2: rm("requirements", "LabelSelectorRequirement")},
    "NonResourceAttributes": {1: s("path"), 2: s("verb")},
    "SubjectAccessReviewStatus": {
        1: b("allowed", keep=True), 4: b("denied"), 2: s("reason"), 3: s("evaluationError"),
    },
    "SelfSubjectRulesReview": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "SelfSubjectRulesReviewSpec"),
        3: m("status", "SubjectRulesReviewStatus"),
    },
    "SelfSubjectRulesReviewSpec": {1: s("namespace")},
    "SubjectRulesReviewStatus": {
        1: rm("resourceRules", "ResourceRule"), 2: rm("nonResourceRules", "NonResourceRule"),
        3: b("incomplete", keep=True), 4: s("evaluationError"),
    },
    "ResourceRule": {1: rs("verbs"), 2: rs("apiGroups"), 3: rs("resources"), 4: rs("resourceNames")},
    "NonResourceRule": {1: rs("verbs"), 2: rs("nonResourceURLs")},
}  # fmt: skip

_NETWORKING: Final[dict[str, Message]] = {
    "Ingress": {1: m("metadata", "ObjectMeta"), 2: m("spec", "IngressSpec"), 3: m("status", "IngressStatus")},
    "IngressSpec": {
        4: s("ingressClassName", keep=True), 1: m("defaultBackend", "IngressBackend"), 2: rm("tls", "IngressTLS"),
        3: rm("rules", "IngressRule"),
    },
    "IngressBackend": {4: m("service", "IngressServiceBackend"), 3: m("resource", "TypedLocalObjectReference")},
    "IngressServiceBackend": {1: s("name", keep=True), 2: m("port", "ServiceBackendPort")},
    "ServiceBackendPort": {1: s("name"), 2: i("number")},
    "TypedLocalObjectReference": {1: s("apiGroup", keep=True), 2: s("kind", keep=True), 3: s("name", keep=True)},
    "IngressTLS": {1: rs("hosts"), 2: s("secretName")},
    "IngressRule": {1: s("host"), 2: m("", "IngressRuleValue", inline=True)},
    "IngressRuleValue": {1: m("http", "HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: rm("paths", "HTTPIngressPath")},
    "HTTPIngressPath": {1: s("path"), 3: s("pathType", keep=True), 2: m("backend", "IngressBackend")},
    "IngressStatus": {1: m("loadBalancer", "IngressLoadBalancerStatus")},
    "IngressLoadBalancerStatus": {1: rm("ingress", "IngressLoadBalancerIngress")},
    "IngressLoadBalancerIngress": {1: s("ip"), 2: s("hostname")},
}  # fmt: skip

_AUTOSCALING: Final[dict[str, Message]] = {
    "CrossVersionObjectReference": {1: s("kind", keep=True), 2: s("name", keep=True), 3: s("apiVersion")},
    "HorizontalPodAutoscalerV1": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "HorizontalPodAutoscalerSpecV1"),
        3: m("status", "HorizontalPodAutoscalerStatusV1"),
    },
    "HorizontalPodAutoscalerSpecV1": {
        1: m("scaleTargetRef", "CrossVersionObjectReference"), 2: i("minReplicas", keep=True),
        3: i("maxReplicas", keep=True), 4: i("targetCPUUtilizationPercentage", keep=True),
    },
    "HorizontalPodAutoscalerStatusV1": {
        1: i("observedGeneration", keep=True), 2: t("lastScaleTime"), 3: i("currentReplicas", keep=True),
        4: i("desiredReplicas", keep=True), 5: i("currentCPUUtilizationPercentage", keep=True),
    },
    "HorizontalPodAutoscalerV2": {
        1: m("metadata", "ObjectMeta"), 2: m("spec", "HorizontalPodAutoscalerSpecV2"),
        3: m("status", "HorizontalPodAutoscalerStatusV2"),
    },
    "HorizontalPodAutoscalerSpecV2": {
        1: m("scaleTargetRef", "CrossVersionObjectReference"), 2: i("minReplicas", keep=True),
        3: i("maxReplicas", keep=True), 4: rm("metrics", "MetricSpec"),
        5: m("behavior", "HorizontalPodAutoscalerBehavior"),
    },
    "MetricSpec": {
        1: s("type", keep=True), 2: m("object", "ObjectMetricSource"), 3: m("pods", "PodsMetricSource"),
        4: m("resource", "ResourceMetricSource"), 7: m("containerResource", "ContainerResourceMetricSource"),
        5: m("external", "ExternalMetricSource"),
    },
    "ObjectMetricSource": {
        1: m("describedObject", "CrossVersionObjectReference"), 2: m("target", "MetricTarget"),
        3: m("metric", "MetricIdentifier"),
    },
    "PodsMetricSource": {1: m("metric", "MetricIdentifier"), 2: m("target", "MetricTarget")},
    "ResourceMetricSource": {1: s("name", keep=True), 2: m("target", "MetricTarget")},
    "ContainerResourceMetricSource": {
        1: s("name", keep=True), 2: m("target", "MetricTarget"), 3: s("container", keep=True),
    },
    "ExternalMetricSource": {1: m("metric", "MetricIdentifier"), 2: m("target", "MetricTarget")},
    "MetricIdentifier": {1: s("name", keep=True), 2: m("selector", "LabelSelector")},
    "MetricTarget": {
        1: s("type", keep=True), 2: q("value"), 3: q("averageValue"), 4: i("averageUtilization", keep=True),
    },
    "HorizontalPodAutoscalerBehavior": {1: m("scaleUp", "HPAScalingRules"), 2: m("scaleDown", "HPAScalingRules")},
    "HPAScalingRules": {
        3: i("stabilizationWindowSeconds", keep=True), 1: s("selectPolicy", keep=True),
        2: rm("policies", "HPAScalingPolicy"), 4: q("tolerance"),
    },
    "HPAScalingPolicy": {1: s("type", keep=True), 2: i("value", keep=True), 3: i("periodSeconds", keep=True)},
    "HorizontalPodAutoscalerStatusV2": {
        1: i("observedGeneration", keep=True), 2: t("lastScaleTime"), 3: i("currentReplicas"),
        4: i("desiredReplicas", keep=True),
    },
}  # fmt: skip

MESSAGES: Final[dict[str, Message]] = {
    **_META, **_CORE_OBJECTS, **_CORE_POD, **_WORKLOADS, **_ACCESS, **_NETWORKING, **_AUTOSCALING,
}  # fmt: skip

# (apiVersion, kind) of the envelope -> the table of the object in `raw`.
ROOTS: Final[dict[tuple[str, str], str]] = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "Service"): "Service",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("v1", "DeleteOptions"): "DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "RoleBinding",  # same fields, same numbers
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
    ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
    ("autoscaling/v1", "HorizontalPodAutoscaler"): "HorizontalPodAutoscalerV1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "HorizontalPodAutoscalerV2",
}
