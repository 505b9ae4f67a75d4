{{/*
Every permission kaido uses, in one place: exactly the verbs the code sends, nothing more
(tests/chart/test_agent_rbac.py runs the agent against these rules and checks both ways).
No secrets (the write token is a mounted file), no pods/exec, no wildcards.

`scope` says where a rule is granted (rbac.yaml strips it):
  cluster  cluster-scoped resources: in the ClusterRole; dropped in single-namespace mode,
           because a Role cannot grant them
  watched  namespaced resources kaido watches and acts on: in the ClusterRole in cluster mode,
           in a Role in `watchNamespace` in single-namespace mode
  own      the agent's own objects: always a Role in the release namespace
*/}}
{{- define "kaido.rbac.rules" -}}
# kube informers: the pod cache every component reads; remediate executor: RestartPod deletes the pod
- scope: watched
  apiGroups: [""]
  resources: [pods]
  verbs: [list, watch, delete]
# remediate executor: RestartPod with evict, so PodDisruptionBudgets are respected
- scope: watched
  apiGroups: [""]
  resources: [pods/eviction]
  verbs: [create]
# kube informers: node conditions and allocatable capacity for the monitor
- scope: cluster
  apiGroups: [""]
  resources: [nodes]
  verbs: [list, watch]
# remediate executor and alert channel: an Event on every object acted on (create); healer: the Events cache its diagnosis reads (list, watch)
- scope: watched
  apiGroups: [""]
  resources: [events]
  verbs: [list, watch, create]
# kube informers: Services, so the scaler finds the Service in front of a workload (its request rate)
- scope: watched
  apiGroups: [""]
  resources: [services]
  verbs: [list, watch]
# agent: the policy ConfigMap (hot reload), watched in the agent's own namespace only
- scope: own
  apiGroups: [""]
  resources: [configmaps]
  verbs: [list, watch]
# kube informers: Deployments; remediate executor: rollout restart, rollback, resources (get, patch)
- scope: watched
  apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, patch]
# remediate executor: Scale of a Deployment
- scope: watched
  apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [patch]
# kube informers: pod owners for the monitor; remediate executor: rollback revisions (list), and Scale of a
# ReplicaSet (patch: the scale, then kaido's annotation), which the API accepts as a target
- scope: watched
  apiGroups: [apps]
  resources: [replicasets]
  verbs: [list, watch, patch]
# remediate executor: Scale of a ReplicaSet
- scope: watched
  apiGroups: [apps]
  resources: [replicasets/scale]
  verbs: [patch]
# remediate executor: rollout restart, resources and Scale's annotation of StatefulSets
- scope: watched
  apiGroups: [apps]
  resources: [statefulsets]
  verbs: [get, patch]
# remediate executor: Scale of a StatefulSet
- scope: watched
  apiGroups: [apps]
  resources: [statefulsets/scale]
  verbs: [patch]
# remediate executor: rollout restart and resources of DaemonSets
- scope: watched
  apiGroups: [apps]
  resources: [daemonsets]
  verbs: [get, patch]
# remediate executor: ApplyHPA (get, then create or patch) and SetHPAMinReplicas (patch); scaler: the HPA informer (list, watch)
- scope: watched
  apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch]
# monitor: pod usage from metrics.k8s.io
- scope: watched
  apiGroups: [metrics.k8s.io]
  resources: [pods]
  verbs: [list]
# monitor: node usage from metrics.k8s.io
- scope: cluster
  apiGroups: [metrics.k8s.io]
  resources: [nodes]
  verbs: [list]
# agent leader election: the Lease named after the release, in its own namespace
- scope: own
  apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
{{- end -}}

{{/* The rules of the given scopes, in the order above, without the `scope` key. Argument: (list $ "scope" ...). */}}
{{- define "kaido.rbac.rulesFor" -}}
{{- $scopes := rest . -}}
{{- $rules := list -}}
{{- range (include "kaido.rbac.rules" (first .) | fromYamlArray) -}}
{{- if has .scope $scopes -}}
{{- $rules = append $rules (omit . "scope") -}}
{{- end -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
