{{/*
Every permission kaido uses, in one place: exactly the verbs the code sends, nothing more.
No secrets (the write token is a mounted file), no pods/exec, no wildcards.

`scope` says where a rule is granted (rbac.yaml strips it):
  cluster  cluster-scoped resources: in the ClusterRole; dropped in single-namespace mode,
           because a Role cannot grant them
  watched  namespaced resources kaido watches and acts on: in the ClusterRole in cluster mode,
           in a Role in `watchNamespace` in single-namespace mode
  own      the agent's own objects: always a Role in the release namespace
*/}}
{{- define "kaido.rbac.rules" -}}
# kube informers: the cache every controller reads; healer: restart a crash-looping pod (delete)
- scope: watched
  apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, delete]
# remediate executor: evict instead of delete where a PodDisruptionBudget applies
- scope: watched
  apiGroups: [""]
  resources: [pods/eviction]
  verbs: [create]
# logwatch and diagnose: read container logs (current and previous)
- scope: watched
  apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
# monitor and diagnosis: node conditions and allocatable capacity
- scope: cluster
  apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
# remediate executor: an Event on every object it acts on; diagnosis: read recent Events
- scope: watched
  apiGroups: [""]
  resources: [events]
  verbs: [create, patch, list, watch]
# reloader: the policy ConfigMap (hot reload) and configs workloads mount; own namespace only
- scope: own
  apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
# kube informers: namespace allow/deny lists and the kaido.io/ignore annotation on namespaces
- scope: cluster
  apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
# diagnosis: pods pending on unbound claims
- scope: watched
  apiGroups: [""]
  resources: [persistentvolumeclaims]
  verbs: [list, watch]
# scaler: map Services to workloads for per-Service load
- scope: watched
  apiGroups: [""]
  resources: [services]
  verbs: [list, watch]
# healer and rollout guard: rollout restart, rollback, raise memory (patch)
- scope: watched
  apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, patch]
# scaler and healer: direct scaling, scale down/up
- scope: watched
  apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, patch]
# rollout guard: revisions to roll back to
- scope: watched
  apiGroups: [apps]
  resources: [replicasets]
  verbs: [get, list, watch]
# healer and rightsizer: rollout restart and resources of StatefulSets
- scope: watched
  apiGroups: [apps]
  resources: [statefulsets]
  verbs: [get, list, watch, patch]
# scaler: direct scaling of StatefulSets
- scope: watched
  apiGroups: [apps]
  resources: [statefulsets/scale]
  verbs: [get, patch]
# healer and rightsizer: rollout restart and resources of DaemonSets
- scope: watched
  apiGroups: [apps]
  resources: [daemonsets]
  verbs: [get, list, watch, patch]
# monitor and diagnosis: failed Jobs and the CronJobs that own them
- scope: watched
  apiGroups: [batch]
  resources: [jobs, cronjobs]
  verbs: [list, watch]
# scaler: HPAs managed from policy; predictive scaling raises minReplicas
- scope: watched
  apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch, create, patch]
# remediate guards: respect PodDisruptionBudgets before disrupting pods
- scope: watched
  apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [list, watch]
# metrics collector: pod usage from metrics.k8s.io
- scope: watched
  apiGroups: [metrics.k8s.io]
  resources: [pods]
  verbs: [get, list]
# metrics collector: node usage from metrics.k8s.io
- scope: cluster
  apiGroups: [metrics.k8s.io]
  resources: [nodes]
  verbs: [get, list]
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
