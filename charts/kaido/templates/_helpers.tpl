{{/*
Names and labels shared by every template.
*/}}

{{/* The release's base name, cut to 63 characters (the DNS label limit for names and label values). */}}
{{- define "kaido.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A name derived from the base name, e.g. "<release>-kaido-leader"; the base is shortened to fit. */}}
{{- define "kaido.name.with" -}}
{{- $suffix := index . 1 -}}
{{- $base := include "kaido.fullname" (index . 0) | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $base $suffix -}}
{{- end -}}

{{- define "kaido.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kaido.labels" -}}
{{ include "kaido.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "kaido.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The policy ConfigMap's name; the agent watches it for hot reload. */}}
{{- define "kaido.policyConfigMap" -}}
{{- include "kaido.name.with" (list . "policy") -}}
{{- end -}}

{{/* The Lease the replicas elect a leader on, in the release namespace. */}}
{{- define "kaido.leaseName" -}}
{{- include "kaido.fullname" . -}}
{{- end -}}

{{/* Where the write token Secret is mounted, and the file the agent reads. */}}
{{- define "kaido.writeTokenDir" -}}
/var/run/secrets/kaido/write-token
{{- end -}}

{{- define "kaido.writeTokenFile" -}}
{{- printf "%s/%s" (include "kaido.writeTokenDir" .) .Values.writeToken.key -}}
{{- end -}}
