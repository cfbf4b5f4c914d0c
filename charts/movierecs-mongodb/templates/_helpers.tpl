{{/* Names and labels. The chart, the image and app.kubernetes.io/name share one name (also when the umbrella
   chart aliases this chart, hence the literal instead of .Chart.Name). */}}
{{- define "movierecs-mongodb.name" -}}
{{- default "movierecs-mongodb" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name. Not derived from the release name: the sibling charts find each other by these fixed names
(see the umbrella chart's values), so override with fullnameOverride only together with the matching global values.
*/}}
{{- define "movierecs-mongodb.fullname" -}}
{{- .Values.global.mongodb.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-mongodb.chart" -}}
{{- printf "%s-%s" "movierecs-mongodb" .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-mongodb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "movierecs-mongodb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "movierecs-mongodb.labels" -}}
helm.sh/chart: {{ include "movierecs-mongodb.chart" . }}
{{ include "movierecs-mongodb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
{{- end -}}

{{/* Labels of a component inside this chart (e.g. a Job next to a CronJob). */}}
{{- define "movierecs-mongodb.componentLabels" -}}
{{ include "movierecs-mongodb.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Fail with a clear message unless the cluster serves the given API ("group/version/Kind"). */}}
{{- define "movierecs-mongodb.requireApi" -}}
{{- $api := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $hint := index . 2 -}}
{{- if not ($ctx.Capabilities.APIVersions.Has $api) -}}
{{- fail (printf "\n\n%s: the cluster does not serve %s. %s\nFor offline rendering pass it explicitly: helm template ... --api-versions %s\n" $ctx.Chart.Name $api $hint $api) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-mongodb.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-mongodb.containerSecurityContext" -}}
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

{{- define "movierecs-mongodb.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "movierecs-mongodb.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.global.imageRegistry -}}{{- $repo = printf "%s/%s" .Values.global.imageRegistry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "movierecs-mongodb.secretName" -}}
{{- .Values.global.mongodb.existingSecret | default (printf "%s-auth" (include "movierecs-mongodb.fullname" .)) -}}
{{- end -}}

{{/* Replica-set member addresses: stable pod DNS names behind the headless Service. */}}
{{- define "movierecs-mongodb.members" -}}
{{- $fullname := include "movierecs-mongodb.fullname" . -}}
{{- $members := list -}}
{{- range $i := until (int .Values.replicas) -}}
{{- $members = append $members (printf "%s-%d.%s.%s.svc.cluster.local:27017" $fullname $i $fullname $.Release.Namespace) -}}
{{- end -}}
{{- toJson $members -}}
{{- end -}}
