{{/* Names and labels. The chart, the image and app.kubernetes.io/name share one name (also when the umbrella
   chart aliases this chart, hence the literal instead of .Chart.Name). */}}
{{- define "movierecs-kafka.name" -}}
{{- default "movierecs-kafka" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name. Not derived from the release name: the sibling charts find each other by these fixed names
(see the umbrella chart's values), so override with fullnameOverride only together with the matching global values.
*/}}
{{- define "movierecs-kafka.fullname" -}}
{{- default (include "movierecs-kafka.name" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-kafka.chart" -}}
{{- printf "%s-%s" "movierecs-kafka" .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-kafka.selectorLabels" -}}
app.kubernetes.io/name: {{ include "movierecs-kafka.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "movierecs-kafka.labels" -}}
helm.sh/chart: {{ include "movierecs-kafka.chart" . }}
{{ include "movierecs-kafka.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
{{- end -}}

{{/* Labels of a component inside this chart (e.g. a Job next to a CronJob). */}}
{{- define "movierecs-kafka.componentLabels" -}}
{{ include "movierecs-kafka.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Fail with a clear message unless the cluster serves the given API ("group/version/Kind"). */}}
{{- define "movierecs-kafka.requireApi" -}}
{{- $api := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $hint := index . 2 -}}
{{- if not ($ctx.Capabilities.APIVersions.Has $api) -}}
{{- fail (printf "\n\n%s: the cluster does not serve %s. %s\nFor offline rendering pass it explicitly: helm template ... --api-versions %s\n" $ctx.Chart.Name $api $hint $api) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-kafka.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-kafka.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "movierecs-kafka.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The restricted Pod Security Standard for containers managed by Strimzi (the images need a writable root fs). */}}
{{- define "movierecs-kafka.strimziContainerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  runAsNonRoot: true
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "movierecs-kafka.strimziPodSecurity" -}}
securityContext:
  runAsNonRoot: true
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "movierecs-kafka.clusterName" -}}
{{- .Values.global.kafka.clusterName -}}
{{- end -}}

{{- define "movierecs-kafka.requireStrimzi" -}}
{{- include "movierecs-kafka.requireApi" (list .api .ctx "Install the Strimzi cluster operator >= 0.49 (it serves kafka.strimzi.io/v1) first, see docs/kubernetes.md, or set kafka.enabled=false and point global.kafka at your own cluster.") -}}
{{- end -}}
