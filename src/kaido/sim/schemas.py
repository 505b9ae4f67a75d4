"""Hand-written schemas of the built-in kinds, as compact text tables that `kaido.sim.openapi` parses.

`kubectl explain` prints these descriptions and client-side `kubectl apply` computes strategic merge
patches from the list merge keys, so both must be right, but the upstream documents run to megabytes.
The tables keep what kubectl and a reader need: the main fields, one line each, in our own words.

A type is a header line `NAME [kind] [keyword=value ...]: description`, followed by one indented line
per field, `field[!] TYPE [token ...]: description`, where `!` marks a required field. TYPE is
`string`, `integer` (int32), `int64`, `number`, `boolean`, `byte`, `object` (free-form), another
type's NAME, `[T]` (array of T) or `{T}` (map of T). NAMEs are short: `core.v1.Pod` stands for
`io.k8s.api.core.v1.Pod` and `meta.v1.Time` for `io.k8s.apimachinery.pkg.apis.meta.v1.Time`.
Field tokens mark how lists merge, as upstream does: `keyed=a,b` is a list map keyed by a and b and
patch-merged on a; `key=`, `patch=` and `list=atomic|set` set one aspect each; `enum=A,B` lists the
allowed values. `kind` on a header adds the apiVersion, kind and metadata fields every object has.
Lines indented by four spaces continue the description above them.
"""

from __future__ import annotations

from typing import Final

__all__ = ["API_TYPES"]

_CORE: Final = """
core.v1.Pod kind: Pod is a group of containers that share storage and network and run together on one node.
  spec core.v1.PodSpec: Desired behaviour of the pod.
  status core.v1.PodStatus: Most recently observed state of the pod. Read-only, written by the kubelet.
core.v1.PodTemplateSpec: The pods a controller creates from this template.
  metadata meta.v1.ObjectMeta: Metadata given to every pod created from the template, notably its labels.
  spec core.v1.PodSpec: Desired behaviour of the pods.
core.v1.PodSpec: Desired state of a pod: its containers, volumes and scheduling constraints.
  containers! [core.v1.Container] keyed=name: The containers of the pod; at least one. Fixed after creation.
  initContainers [core.v1.Container] keyed=name: Containers run one by one to completion before the others.
  volumes [core.v1.Volume] keyed=name patch=merge,retainKeys: Volumes the containers of the pod can mount.
  restartPolicy string enum=Always,OnFailure,Never: Restart policy for the containers. Default Always.
  terminationGracePeriodSeconds int64: Seconds between SIGTERM and SIGKILL when the pod is deleted. Default 30.
  activeDeadlineSeconds int64: Seconds the pod may run before the kubelet marks it failed.
  nodeSelector {string}: Labels a node must have for the pod to be scheduled onto it.
  nodeName string: Node the pod is bound to; set by the scheduler, or by hand to bypass it.
  serviceAccountName string: Service account whose identity the pod runs as.
  imagePullSecrets [core.v1.LocalObjectReference] keyed=name: Secrets used to pull private images.
  affinity object: Node affinity and pod (anti-)affinity scheduling rules.
  tolerations [core.v1.Toleration] list=atomic: Taints the pod tolerates.
  securityContext object: Pod-level security attributes, such as runAsUser and fsGroup.
  priorityClassName string: PriorityClass that gives the pod its scheduling priority.
  dnsPolicy string enum=ClusterFirst,ClusterFirstWithHostNet,Default,None: How the pod's DNS is configured.
  topologySpreadConstraints [object] keyed=topologyKey,whenUnsatisfiable: How to spread pods across zones or nodes.
core.v1.PodStatus: Observed state of a pod. It may lag behind the actual state of the system.
  phase string enum=Pending,Running,Succeeded,Failed,Unknown: Coarse summary of the pod's lifecycle.
  conditions [core.v1.PodCondition] keyed=type: Current service state of the pod, such as Ready.
  message string: Human-readable reason for the pod's condition.
  reason string: Brief CamelCase reason for the pod's condition, such as Evicted.
  hostIP string: IP address of the node the pod is bound to.
  podIP string: IP address allocated to the pod.
  startTime meta.v1.Time: When the kubelet acknowledged the pod, before pulling images.
  qosClass string enum=Guaranteed,Burstable,BestEffort: QoS class derived from the requests and limits.
  initContainerStatuses [core.v1.ContainerStatus] list=atomic: Status of each init container.
  containerStatuses [core.v1.ContainerStatus] list=atomic: Status of each app container.
core.v1.PodCondition: One aspect of a pod's state.
  type! string: Type of the condition: PodScheduled, Initialized, ContainersReady or Ready.
  status! string enum=True,False,Unknown: Status of the condition.
  lastTransitionTime meta.v1.Time: When the status last changed.
  reason string: CamelCase reason for the last transition.
  message string: Human-readable details about the last transition.
core.v1.ContainerStatus: Observed state of one container of a pod.
  name! string: Name of the container, as in the pod spec.
  image! string: Image the container is running.
  imageID! string: ID of the image, usually its digest.
  ready! boolean: Whether the container passes its readiness probe.
  restartCount! integer: Number of times the container has been restarted.
  state object: Current state: one of waiting (with reason), running or terminated (with exit code).
  lastState object: State of the previous run of the container, useful after a crash.
core.v1.Container: A single application container that runs within a pod.
  name! string: Name of the container, a DNS label unique within the pod. Cannot be updated.
  image string: Container image reference, such as nginx:1.27 or registry.example.com/app@sha256:....
  imagePullPolicy string enum=Always,Never,IfNotPresent: When to pull. Default Always for :latest, else IfNotPresent.
  command [string] list=atomic: Entrypoint array, not run in a shell. Replaces the image's ENTRYPOINT.
  args [string] list=atomic: Arguments to the entrypoint. Replace the image's CMD.
  workingDir string: Working directory of the container; defaults to the image's.
  ports [core.v1.ContainerPort] keyed=containerPort,protocol: Ports the container exposes (informational).
  env [core.v1.EnvVar] keyed=name: Environment variables to set in the container.
  envFrom [core.v1.EnvFromSource] list=atomic: ConfigMaps and Secrets whose keys all become variables.
  resources core.v1.ResourceRequirements: CPU and memory the container requests and is limited to.
  volumeMounts [core.v1.VolumeMount] keyed=mountPath: Pod volumes to mount into the container's filesystem.
  livenessProbe core.v1.Probe: Periodic check that the container is alive; it is restarted when the probe fails.
  readinessProbe core.v1.Probe: Periodic check that the container can serve; unready pods get no Service traffic.
  startupProbe core.v1.Probe: Check that the container has started; the other probes wait until it succeeds.
  lifecycle object: Actions run after the container starts (postStart) and before it stops (preStop).
  securityContext object: Container-level security options, such as runAsNonRoot and capabilities.
core.v1.ContainerPort: A network port of a single container.
  containerPort! integer: Port number on the pod's IP address, 1 to 65535.
  name string: IANA_SVC_NAME of the port, unique within the pod; Services may refer to it by name.
  protocol string enum=TCP,UDP,SCTP: Protocol of the port. Default TCP.
  hostPort integer: Port to expose on the node as well. Rarely needed.
core.v1.EnvVar: An environment variable of a container.
  name! string: Name of the variable.
  value string: Value of the variable. $(VAR) references to earlier variables are expanded.
  valueFrom core.v1.EnvVarSource: Source of the value; cannot be used together with value.
core.v1.EnvVarSource: Where the value of an environment variable comes from.
  configMapKeyRef core.v1.ConfigMapKeySelector: A key of a ConfigMap in the pod's namespace.
  secretKeyRef core.v1.SecretKeySelector: A key of a Secret in the pod's namespace.
  fieldRef object: A field of the pod, such as metadata.name or status.podIP (fieldPath).
  resourceFieldRef object: A request or limit of a container, such as limits.memory (resource).
core.v1.ConfigMapKeySelector: Selects one key of a ConfigMap.
  name string: Name of the ConfigMap.
  key! string: The key to select.
  optional boolean: Whether the ConfigMap or the key may be missing.
core.v1.SecretKeySelector: Selects one key of a Secret.
  name string: Name of the Secret.
  key! string: The key to select.
  optional boolean: Whether the Secret or the key may be missing.
core.v1.EnvFromSource: A source of a set of environment variables.
  prefix string: Prefix added to every key.
  configMapRef core.v1.LocalObjectReference: ConfigMap whose keys become variables.
  secretRef core.v1.LocalObjectReference: Secret whose keys become variables.
core.v1.LocalObjectReference: A reference to an object by name in the same namespace.
  name string: Name of the referent.
core.v1.ResourceRequirements: Compute resource requirements of a container.
  requests {resource.Quantity}: Minimum resources the container needs, such as cpu: 250m or memory: 64Mi. The
      scheduler places the pod only where they fit, and HPA utilisation is relative to them.
  limits {resource.Quantity}: Maximum resources the container may use. CPU above the limit is throttled;
      memory above it gets the container OOM-killed. Requests default to the limits.
core.v1.Probe: A health check the kubelet runs against a container, and how to judge its results.
  exec core.v1.ExecAction: Run a command inside the container; exit code 0 is success.
  httpGet core.v1.HTTPGetAction: HTTP GET against the container; a status from 200 to 399 is success.
  tcpSocket core.v1.TCPSocketAction: Open a TCP connection; success if it connects.
  grpc object: Call the gRPC health checking service on port.
  initialDelaySeconds integer: Seconds after the container starts before the first probe.
  periodSeconds integer: How often to probe, in seconds. Default 10.
  timeoutSeconds integer: Seconds after which the probe times out. Default 1.
  successThreshold integer: Consecutive successes to count as healthy after a failure. Default 1.
  failureThreshold integer: Consecutive failures to count as unhealthy. Default 3.
core.v1.ExecAction: A command run inside the container.
  command [string] list=atomic: Command and arguments; not run in a shell.
core.v1.HTTPGetAction: An HTTP GET request to the container.
  path string: Path to request, such as /healthz.
  port! intstr.IntOrString: Port number or name on the container.
  scheme string enum=HTTP,HTTPS: Scheme to use. Default HTTP.
  httpHeaders [object] list=atomic: Extra request headers, each with name and value.
core.v1.TCPSocketAction: A TCP connection to the container.
  port! intstr.IntOrString: Port number or name on the container.
core.v1.VolumeMount: Mounts a volume of the pod into a container.
  name! string: Name of the pod volume.
  mountPath! string: Path in the container at which to mount the volume; must not contain ':'.
  subPath string: Path within the volume to mount instead of its root.
  readOnly boolean: Mount read-only. Default false.
core.v1.Volume: A named volume of a pod that its containers can mount; exactly one source is set.
  name! string: Name of the volume, a DNS label unique within the pod.
  emptyDir core.v1.EmptyDirVolumeSource: A directory that starts empty and lives as long as the pod.
  configMap core.v1.ConfigMapVolumeSource: Files from the keys of a ConfigMap.
  secret core.v1.SecretVolumeSource: Files from the keys of a Secret.
  persistentVolumeClaim core.v1.PersistentVolumeClaimVolumeSource: A PersistentVolumeClaim in the namespace.
  hostPath object: A file or directory on the node (path, type). Use with care.
  projected object: Several sources (secrets, configMaps, downwardAPI, serviceAccountToken) in one directory.
core.v1.EmptyDirVolumeSource: A temporary directory that shares a pod's lifetime.
  medium string: Storage medium: "" (node default) or Memory (tmpfs).
  sizeLimit resource.Quantity: Maximum size of the directory.
core.v1.ConfigMapVolumeSource: Projects the keys of a ConfigMap into files.
  name string: Name of the ConfigMap.
  items [core.v1.KeyToPath] list=atomic: Keys to project and their paths; all keys when empty.
  defaultMode integer: Permission bits of the files. Default 0644.
  optional boolean: Whether the ConfigMap may be missing.
core.v1.SecretVolumeSource: Projects the keys of a Secret into files.
  secretName string: Name of the Secret.
  items [core.v1.KeyToPath] list=atomic: Keys to project and their paths; all keys when empty.
  defaultMode integer: Permission bits of the files. Default 0644.
  optional boolean: Whether the Secret may be missing.
core.v1.KeyToPath: Maps a key to a file path within a volume.
  key! string: The key to project.
  path! string: Relative path of the file.
  mode integer: Permission bits of this file.
core.v1.PersistentVolumeClaimVolumeSource: Mounts the volume bound to a PersistentVolumeClaim.
  claimName! string: Name of the claim in the pod's namespace.
  readOnly boolean: Mount read-only.
core.v1.Toleration: Lets a pod be scheduled onto (or keep running on) nodes with a matching taint.
  key string: Taint key to match; empty with operator Exists matches all taints.
  operator string enum=Exists,Equal: How key and value are compared. Default Equal.
  value string: Taint value to match when the operator is Equal.
  effect string enum=NoSchedule,PreferNoSchedule,NoExecute: Taint effect to match; empty matches all.
  tolerationSeconds int64: For NoExecute: how long the pod stays bound after the taint appears.
core.v1.Service kind: Service gives a set of pods, selected by labels, one stable virtual IP and DNS name.
  spec core.v1.ServiceSpec: Desired behaviour of the service.
  status core.v1.ServiceStatus: Most recently observed state of the service. Read-only.
core.v1.ServiceSpec: Desired state of a service.
  type string enum=ClusterIP,NodePort,LoadBalancer,ExternalName: How the service is exposed. Default ClusterIP.
  selector {string}: Pods with these labels receive the traffic; without it, endpoints are managed by hand.
  ports [core.v1.ServicePort] keyed=port,protocol: Ports the service exposes.
  clusterIP string: Virtual IP of the service, usually allocated by the server; "None" makes it headless.
  externalName string: DNS name returned as a CNAME for type ExternalName.
  sessionAffinity string enum=ClientIP,None: Keep each client on the same pod. Default None.
  externalTrafficPolicy string enum=Cluster,Local: Whether external traffic may leave the receiving node.
core.v1.ServicePort: A port of a service.
  name string: Name of the port, required when there is more than one.
  protocol string enum=TCP,UDP,SCTP: Protocol of the port. Default TCP.
  port! integer: Port the service listens on.
  targetPort intstr.IntOrString: Port number or name on the pods. Defaults to port.
  nodePort integer: Port on every node for NodePort and LoadBalancer services; allocated when empty.
core.v1.ServiceStatus: Observed state of a service.
  loadBalancer object: Ingress points of the load balancer, if any.
  conditions [meta.v1.Condition] keyed=type: Current conditions of the service.
core.v1.ConfigMap kind: ConfigMap holds non-confidential configuration as key/value pairs for pods.
  data {string}: UTF-8 configuration data. Keys consist of alphanumerics, '-', '_' and '.'.
  binaryData {byte}: Binary configuration data, base64-encoded. Keys must not repeat those of data.
  immutable boolean: If true, the data can no longer be changed; only deletion is possible.
core.v1.Secret kind: Secret holds a small amount of sensitive data, such as a password, token or key.
  data {byte}: Secret values, base64-encoded. Keys consist of alphanumerics, '-', '_' and '.'.
  stringData {string}: Write-only plain-text values, merged into data on write. Never returned on read.
  type string: Type used to validate the data, such as Opaque, kubernetes.io/tls or kubernetes.io/dockerconfigjson.
  immutable boolean: If true, the data can no longer be changed; only deletion is possible.
core.v1.Namespace kind: Namespace scopes names and policies; most objects live in one.
  spec core.v1.NamespaceSpec: Desired state of the namespace.
  status core.v1.NamespaceStatus: Observed state of the namespace. Read-only.
core.v1.NamespaceSpec: Desired state of a namespace.
  finalizers [string] list=atomic: Finalizers that must be cleared before the namespace is removed.
core.v1.NamespaceStatus: Observed state of a namespace.
  phase string enum=Active,Terminating: Whether the namespace is in use or being deleted.
  conditions [object] keyed=type: Current conditions of the namespace.
core.v1.Node kind: Node is a worker machine that runs pods. Each node has a unique name in the cluster.
  spec core.v1.NodeSpec: Desired configuration of the node.
  status core.v1.NodeStatus: Most recently observed state of the node, reported by its kubelet. Read-only.
core.v1.NodeSpec: Desired configuration of a node.
  unschedulable boolean: Stop new pods from being scheduled onto the node (kubectl cordon).
  taints [core.v1.Taint] list=atomic: Taints that repel pods without a matching toleration.
core.v1.Taint: Marks a node so that pods not tolerating the taint are kept off it.
  key! string: The taint key.
  value string: The taint value.
  effect! string enum=NoSchedule,PreferNoSchedule,NoExecute: What happens to pods that do not tolerate it.
  timeAdded meta.v1.Time: When a NoExecute taint was added.
core.v1.NodeStatus: Observed state of a node.
  capacity {resource.Quantity}: Total resources of the node.
  allocatable {resource.Quantity}: Resources available to pods; the scheduler uses these.
  conditions [core.v1.NodeCondition] keyed=type: Current conditions, such as Ready and MemoryPressure.
  addresses [core.v1.NodeAddress] keyed=type: Addresses of the node, such as InternalIP and Hostname.
  nodeInfo object: Versions and ids reported by the node: kubelet, OS, kernel, container runtime.
core.v1.NodeCondition: One aspect of a node's state.
  type! string: Type of the condition: Ready, MemoryPressure, DiskPressure, PIDPressure or NetworkUnavailable.
  status! string enum=True,False,Unknown: Status of the condition.
  lastHeartbeatTime meta.v1.Time: When the kubelet last reported the condition.
  lastTransitionTime meta.v1.Time: When the status last changed.
  reason string: CamelCase reason for the last transition.
  message string: Human-readable details about the last transition.
core.v1.NodeAddress: One address of a node.
  type! string enum=Hostname,InternalIP,ExternalIP,InternalDNS,ExternalDNS: Type of the address.
  address! string: The address.
core.v1.Event kind: Event reports something that happened to an object, such as a container crashing.
  involvedObject! core.v1.ObjectReference: The object the event is about.
  reason string: Short CamelCase reason, such as BackOff or ScalingReplicaSet.
  message string: Human-readable description of what happened.
  type string enum=Normal,Warning: Type of the event.
  source core.v1.EventSource: Component that reported the event.
  firstTimestamp meta.v1.Time: When the event was first recorded.
  lastTimestamp meta.v1.Time: When the event most recently occurred.
  count integer: How many times the event has occurred.
  reportingComponent string: Controller that emitted the event, such as kubelet.
core.v1.EventSource: The component that reported an event.
  component string: Name of the component.
  host string: Node the component runs on.
core.v1.ObjectReference: A reference to any object, with enough detail to find it.
  apiVersion string: API version of the referent.
  kind string: Kind of the referent.
  namespace string: Namespace of the referent.
  name string: Name of the referent.
  uid string: UID of the referent.
  fieldPath string: A part of the referent, such as spec.containers{web}.
"""

_WORKLOADS: Final = """
apps.v1.Deployment kind: Deployment keeps identical pods running and rolls out changes through ReplicaSets.
  spec apps.v1.DeploymentSpec: Desired behaviour of the deployment.
  status apps.v1.DeploymentStatus: Most recently observed state of the deployment. Read-only.
apps.v1.DeploymentSpec: Desired state of a deployment.
  replicas integer: Number of desired pods. Default 1. Leave unset when an autoscaler manages it.
  selector! meta.v1.LabelSelector: Label selector for the pods; must match the template's labels. Immutable.
  template! core.v1.PodTemplateSpec: Template of the pods; changing it starts a rollout.
  strategy apps.v1.DeploymentStrategy: The deployment strategy to use to replace existing pods with new ones.
  minReadySeconds integer: Seconds a new pod must be ready, without crashing, to count as available. Default 0.
  revisionHistoryLimit integer: Number of old ReplicaSets kept for rollback. Default 10.
  paused boolean: Pause rollouts: template changes are recorded but not rolled out.
  progressDeadlineSeconds integer: Seconds without progress before the rollout is reported failed. Default 600.
apps.v1.DeploymentStrategy: DeploymentStrategy describes how to replace existing pods with new ones.
  type string enum=Recreate,RollingUpdate: Recreate kills all old pods before creating new ones;
      RollingUpdate replaces them gradually. Default RollingUpdate.
  rollingUpdate apps.v1.RollingUpdateDeployment: Parameters of a rolling update; only with type RollingUpdate.
apps.v1.RollingUpdateDeployment: Bounds on how many pods a rolling update may take down or add at a time.
  maxUnavailable intstr.IntOrString: Pods that may be unavailable during the update, as a number or a
      percentage of the desired replicas (rounded down). Default 25%. Cannot be 0 if maxSurge is 0.
  maxSurge intstr.IntOrString: Pods that may be created above the desired replicas during the update, as a
      number or a percentage (rounded up). Default 25%. Cannot be 0 if maxUnavailable is 0.
apps.v1.DeploymentStatus: Observed state of a deployment.
  observedGeneration int64: The generation the controller last acted on.
  replicas integer: Pods targeted by the deployment, old and new.
  updatedReplicas integer: Pods that match the current template.
  readyReplicas integer: Pods with a Ready condition.
  availableReplicas integer: Pods ready for at least minReadySeconds.
  unavailableReplicas integer: Pods still needed for 100% availability.
  conditions [apps.v1.DeploymentCondition] keyed=type: Available, Progressing and ReplicaFailure.
apps.v1.DeploymentCondition: One aspect of a deployment's state.
  type! string enum=Available,Progressing,ReplicaFailure: Type of the condition.
  status! string enum=True,False,Unknown: Status of the condition.
  lastUpdateTime meta.v1.Time: When the condition was last updated.
  lastTransitionTime meta.v1.Time: When the status last changed.
  reason string: CamelCase reason, such as NewReplicaSetAvailable or ProgressDeadlineExceeded.
  message string: Human-readable details.
apps.v1.ReplicaSet kind: ReplicaSet keeps a number of identical pods running. Deployments manage them.
  spec apps.v1.ReplicaSetSpec: Desired behaviour of the replica set.
  status apps.v1.ReplicaSetStatus: Most recently observed state of the replica set. Read-only.
apps.v1.ReplicaSetSpec: Desired state of a replica set.
  replicas integer: Number of desired pods. Default 1.
  selector! meta.v1.LabelSelector: Label selector for the pods it owns; must match the template's labels.
  template core.v1.PodTemplateSpec: Template of the pods created when too few exist.
  minReadySeconds integer: Seconds a new pod must be ready to count as available.
apps.v1.ReplicaSetStatus: Observed state of a replica set.
  replicas! integer: Number of pods owned.
  readyReplicas integer: Pods with a Ready condition.
  availableReplicas integer: Pods ready for at least minReadySeconds.
  observedGeneration int64: The generation the controller last acted on.
  conditions [object] keyed=type: Current conditions, such as ReplicaFailure.
batch.v1.Job kind: Job runs pods until a number of them complete successfully.
  spec batch.v1.JobSpec: Desired behaviour of the job.
  status batch.v1.JobStatus: Most recently observed state of the job. Read-only.
batch.v1.JobSpec: Desired state of a job.
  template! core.v1.PodTemplateSpec: Template of the pods; restartPolicy must be Never or OnFailure.
  completions integer: Successful pods needed for the job to complete. Default 1.
  parallelism integer: Maximum pods running at once. Default 1.
  backoffLimit integer: Retries before the job is marked failed. Default 6.
  activeDeadlineSeconds int64: Seconds the job may run before it is terminated and marked failed.
  ttlSecondsAfterFinished integer: Seconds after the job finishes before it is deleted automatically.
  completionMode string enum=NonIndexed,Indexed: Whether each pod gets a completion index.
  suspend boolean: Suspend the job: running pods are deleted and no new ones are created.
  selector meta.v1.LabelSelector: Label selector for the pods; generated by the server by default.
batch.v1.JobStatus: Observed state of a job.
  conditions [batch.v1.JobCondition] key=type patch=merge list=atomic: Complete, Failed, Suspended and others.
  startTime meta.v1.Time: When the job controller started the job.
  completionTime meta.v1.Time: When the job completed successfully.
  active integer: Pods currently running or pending.
  succeeded integer: Pods that completed successfully.
  failed integer: Pods that failed.
  ready integer: Active pods with a Ready condition.
batch.v1.JobCondition: One aspect of a job's state.
  type! string: Type of the condition, such as Complete or Failed.
  status! string enum=True,False,Unknown: Status of the condition.
  lastProbeTime meta.v1.Time: When the condition was last checked.
  lastTransitionTime meta.v1.Time: When the status last changed.
  reason string: CamelCase reason, such as BackoffLimitExceeded.
  message string: Human-readable details.
batch.v1.CronJob kind: CronJob creates Jobs on a repeating schedule.
  spec batch.v1.CronJobSpec: Desired behaviour of the cron job, including the schedule.
  status batch.v1.CronJobStatus: Most recently observed state of the cron job. Read-only.
batch.v1.CronJobSpec: Desired state of a cron job.
  schedule! string: Schedule in cron format, such as "*/5 * * * *" or "@hourly".
  timeZone string: Time zone of the schedule, such as Etc/UTC; defaults to the controller's.
  jobTemplate! batch.v1.JobTemplateSpec: Template of the jobs to create.
  concurrencyPolicy string enum=Allow,Forbid,Replace: What to do when a run is due while one is active.
  startingDeadlineSeconds int64: Seconds after a missed scheduled time during which the job may still start.
  suspend boolean: Suspend future runs; running jobs are not affected.
  successfulJobsHistoryLimit integer: Finished successful jobs to keep. Default 3.
  failedJobsHistoryLimit integer: Failed jobs to keep. Default 1.
batch.v1.JobTemplateSpec: The jobs a cron job creates from this template.
  metadata meta.v1.ObjectMeta: Metadata of the created jobs.
  spec batch.v1.JobSpec: Desired behaviour of the jobs.
batch.v1.CronJobStatus: Observed state of a cron job.
  active [core.v1.ObjectReference] list=atomic: Jobs currently running.
  lastScheduleTime meta.v1.Time: When a job was last scheduled.
  lastSuccessfulTime meta.v1.Time: When a job last completed successfully.
policy.v1.PodDisruptionBudget kind: PodDisruptionBudget limits how many pods of a set voluntary disruptions,
    such as evictions during a node drain, may take down at once.
  spec policy.v1.PodDisruptionBudgetSpec: Desired behaviour of the budget.
  status policy.v1.PodDisruptionBudgetStatus: Most recently observed state of the budget. Read-only.
policy.v1.PodDisruptionBudgetSpec: Desired state of a budget. Set either minAvailable or maxUnavailable.
  selector meta.v1.LabelSelector: The pods the budget protects.
  minAvailable intstr.IntOrString: Pods that must stay available after an eviction, as a number or percentage.
  maxUnavailable intstr.IntOrString: Pods that may be unavailable after an eviction, as a number or percentage.
  unhealthyPodEvictionPolicy string enum=IfHealthyBudget,AlwaysAllow: When pods that are not ready may be evicted.
policy.v1.PodDisruptionBudgetStatus: Observed state of a pod disruption budget.
  disruptionsAllowed! integer: Evictions currently allowed.
  currentHealthy! integer: Healthy pods now.
  desiredHealthy! integer: Healthy pods the budget requires.
  expectedPods! integer: Pods the budget counts.
  observedGeneration int64: The generation the controller last acted on.
  conditions [meta.v1.Condition] keyed=type: DisruptionAllowed and others.
coordination.v1.Lease kind: Lease is a time-limited claim, used for leader election and node heartbeats.
  spec coordination.v1.LeaseSpec: Desired state of the lease.
coordination.v1.LeaseSpec: Who holds a lease and for how long.
  holderIdentity string: Identity of the current holder.
  leaseDurationSeconds integer: Seconds candidates wait after renewTime before they may take the lease over.
  acquireTime meta.v1.MicroTime: When the current holder acquired the lease.
  renewTime meta.v1.MicroTime: When the holder last renewed the lease.
  leaseTransitions integer: How many times the lease has changed holders.
"""

_AUTOSCALING: Final = """
autoscaling.v2.HorizontalPodAutoscaler kind: HorizontalPodAutoscaler scales a workload's replicas to keep
    metrics, such as average CPU utilisation, at their targets.
  spec autoscaling.v2.HorizontalPodAutoscalerSpec: Desired behaviour of the autoscaler.
  status autoscaling.v2.HorizontalPodAutoscalerStatus: Most recently observed state of the autoscaler.
autoscaling.v2.HorizontalPodAutoscalerSpec: Desired state of a horizontal pod autoscaler.
  scaleTargetRef! autoscaling.v2.CrossVersionObjectReference: The workload to scale, through its scale subresource.
  minReplicas integer: Lower bound of the replica count. Default 1.
  maxReplicas! integer: Upper bound of the replica count; cannot be lower than minReplicas.
  metrics [autoscaling.v2.MetricSpec] list=atomic: Metrics used to compute the desired replica count; the
      largest proposal wins. Default: 80% average CPU utilisation.
  behavior autoscaling.v2.HorizontalPodAutoscalerBehavior: Scaling rates and stabilisation windows, per direction.
autoscaling.v2.CrossVersionObjectReference: Identifies the target of an autoscaler.
  apiVersion string: API version of the target, such as apps/v1.
  kind! string: Kind of the target, such as Deployment.
  name! string: Name of the target.
autoscaling.v2.MetricSpec: One metric to scale on. Set type and the matching source field.
  type! string enum=ContainerResource,External,Object,Pods,Resource: Type of the metric source.
  resource autoscaling.v2.ResourceMetricSource: A resource (cpu, memory) of the pods, averaged over them.
  containerResource autoscaling.v2.ContainerResourceMetricSource: A resource of one container of the pods.
  pods autoscaling.v2.PodsMetricSource: A custom metric of the pods, averaged over them.
  object autoscaling.v2.ObjectMetricSource: A metric describing a single object, such as an Ingress.
  external autoscaling.v2.ExternalMetricSource: A metric from outside the cluster, such as a queue length.
autoscaling.v2.ResourceMetricSource: A resource metric known to the metrics API, averaged across the pods.
  name! string: Name of the resource, such as cpu or memory.
  target! autoscaling.v2.MetricTarget: Target value; Utilization is relative to the pods' requests.
autoscaling.v2.ContainerResourceMetricSource: A resource metric of one container in each pod.
  name! string: Name of the resource, such as cpu or memory.
  container! string: Name of the container.
  target! autoscaling.v2.MetricTarget: Target value.
autoscaling.v2.PodsMetricSource: A custom metric of each pod, averaged across the pods.
  metric! autoscaling.v2.MetricIdentifier: The metric.
  target! autoscaling.v2.MetricTarget: Target value; only AverageValue is supported.
autoscaling.v2.ObjectMetricSource: A metric describing one object.
  describedObject! autoscaling.v2.CrossVersionObjectReference: The object.
  metric! autoscaling.v2.MetricIdentifier: The metric.
  target! autoscaling.v2.MetricTarget: Target value.
autoscaling.v2.ExternalMetricSource: A metric not tied to any object in the cluster.
  metric! autoscaling.v2.MetricIdentifier: The metric.
  target! autoscaling.v2.MetricTarget: Target value.
autoscaling.v2.MetricIdentifier: Names a metric.
  name! string: Name of the metric.
  selector meta.v1.LabelSelector: Narrows the metric's series by their labels.
autoscaling.v2.MetricTarget: The target value of a metric. Set the field matching type.
  type! string enum=Utilization,Value,AverageValue: Kind of target.
  averageUtilization integer: Target average, as a percentage of the pods' requests; resource metrics only.
  averageValue resource.Quantity: Target value averaged across the pods.
  value resource.Quantity: Target value of the metric.
autoscaling.v2.HorizontalPodAutoscalerBehavior: Scaling behaviour in each direction.
  scaleUp autoscaling.v2.HPAScalingRules: Rules for scaling up. Default: no stabilisation window; every 15
      seconds, double the pods or add 4, whichever is more.
  scaleDown autoscaling.v2.HPAScalingRules: Rules for scaling down. Default: a 300 second stabilisation
      window, then any number of surplus pods may be removed at once.
autoscaling.v2.HPAScalingRules: Rules for scaling in one direction.
  stabilizationWindowSeconds integer: Seconds of past recommendations considered to avoid flapping; the
      safest one (the highest when scaling down) is used. 0 to 3600.
  selectPolicy string enum=Max,Min,Disabled: Which policy applies when several do. Default Max.
  policies [autoscaling.v2.HPAScalingPolicy] list=atomic: Limits on the change allowed per period.
  tolerance resource.Quantity: Relative deviation from the target tolerated without scaling. Default 0.1.
autoscaling.v2.HPAScalingPolicy: One limit on how fast the replica count may change.
  type! string enum=Pods,Percent: Whether value is a number of pods or a percentage of the current count.
  value! integer: Amount of change allowed; greater than zero.
  periodSeconds! integer: Window the limit applies to, 1 to 1800 seconds.
autoscaling.v2.HorizontalPodAutoscalerStatus: Observed state of a horizontal pod autoscaler.
  observedGeneration int64: The generation the autoscaler last acted on.
  lastScaleTime meta.v1.Time: When the replica count was last changed.
  currentReplicas integer: Replicas of the target as last seen.
  desiredReplicas! integer: Replicas the autoscaler last computed.
  currentMetrics [object] list=atomic: The last values read for each metric.
  conditions [autoscaling.v2.HorizontalPodAutoscalerCondition] keyed=type: AbleToScale, ScalingActive and others.
autoscaling.v2.HorizontalPodAutoscalerCondition: One aspect of an autoscaler's state.
  type! string enum=AbleToScale,ScalingActive,ScalingLimited: Type of the condition.
  status! string enum=True,False,Unknown: Status of the condition.
  lastTransitionTime meta.v1.Time: When the status last changed.
  reason string: CamelCase reason for the last transition.
  message string: Human-readable details.
autoscaling.v1.HorizontalPodAutoscaler kind: HorizontalPodAutoscaler scales a workload's replicas to keep its
    pods' average CPU utilisation at a target. autoscaling/v2 adds other metrics and scaling behaviour.
  spec autoscaling.v1.HorizontalPodAutoscalerSpec: Desired behaviour of the autoscaler.
  status autoscaling.v1.HorizontalPodAutoscalerStatus: Most recently observed state of the autoscaler.
autoscaling.v1.HorizontalPodAutoscalerSpec: Desired state of a horizontal pod autoscaler.
  scaleTargetRef! autoscaling.v1.CrossVersionObjectReference: The workload to scale.
  minReplicas integer: Lower bound of the replica count. Default 1.
  maxReplicas! integer: Upper bound of the replica count.
  targetCPUUtilizationPercentage integer: Target average CPU, as a percentage of requests. Default 80.
autoscaling.v1.HorizontalPodAutoscalerStatus: Observed state of a horizontal pod autoscaler.
  observedGeneration int64: The generation the autoscaler last acted on.
  lastScaleTime meta.v1.Time: When the replica count was last changed.
  currentReplicas! integer: Replicas of the target as last seen.
  desiredReplicas! integer: Replicas the autoscaler last computed.
  currentCPUUtilizationPercentage integer: Current average CPU, as a percentage of requests.
autoscaling.v1.CrossVersionObjectReference: Identifies the target of an autoscaler.
  apiVersion string: API version of the target, such as apps/v1.
  kind! string: Kind of the target, such as Deployment.
  name! string: Name of the target.
autoscaling.v1.Scale kind: Scale is the replica count of a scalable resource, read and written through its
    scale subresource.
  spec autoscaling.v1.ScaleSpec: Desired replica count.
  status autoscaling.v1.ScaleStatus: Current replica count. Read-only.
autoscaling.v1.ScaleSpec: Desired scale.
  replicas integer: Desired number of replicas.
autoscaling.v1.ScaleStatus: Observed scale.
  replicas! integer: Current number of replicas.
  selector string: Label selector of the pods, in string form, as used by autoscalers.
"""

API_TYPES: Final = _CORE + _WORKLOADS + _AUTOSCALING
