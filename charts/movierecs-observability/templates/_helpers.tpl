{{/* Names and labels. The chart, the image and app.kubernetes.io/name share one name (also when the umbrella
   chart aliases this chart, hence the literal instead of .Chart.Name). */}}
{{- define "movierecs-observability.name" -}}
{{- default "movierecs-observability" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name. Not derived from the release name: the sibling charts find each other by these fixed names
(see the umbrella chart's values), so override with fullnameOverride only together with the matching global values.
*/}}
{{- define "movierecs-observability.fullname" -}}
{{- default (include "movierecs-observability.name" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-observability.chart" -}}
{{- printf "%s-%s" "movierecs-observability" .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-observability.selectorLabels" -}}
app.kubernetes.io/name: {{ include "movierecs-observability.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "movierecs-observability.labels" -}}
helm.sh/chart: {{ include "movierecs-observability.chart" . }}
{{ include "movierecs-observability.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
{{- end -}}

{{/* Labels of a component inside this chart (e.g. a Job next to a CronJob). */}}
{{- define "movierecs-observability.componentLabels" -}}
{{ include "movierecs-observability.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Fail with a clear message unless the cluster serves the given API ("group/version/Kind"). */}}
{{- define "movierecs-observability.requireApi" -}}
{{- $api := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $hint := index . 2 -}}
{{- if not ($ctx.Capabilities.APIVersions.Has $api) -}}
{{- fail (printf "\n\n%s: the cluster does not serve %s. %s\nFor offline rendering pass it explicitly: helm template ... --api-versions %s\n" $ctx.Chart.Name $api $hint $api) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-observability.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-observability.containerSecurityContext" -}}
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

{{- define "movierecs-observability.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
