{{/* Names and labels. The chart, the image and app.kubernetes.io/name share one name (also when the umbrella
   chart aliases this chart, hence the literal instead of .Chart.Name). */}}
{{- define "movierecs-trainer.name" -}}
{{- default "movierecs-trainer" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name. Not derived from the release name: the sibling charts find each other by these fixed names
(see the umbrella chart's values), so override with fullnameOverride only together with the matching global values.
*/}}
{{- define "movierecs-trainer.fullname" -}}
{{- default (include "movierecs-trainer.name" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-trainer.chart" -}}
{{- printf "%s-%s" "movierecs-trainer" .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-trainer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "movierecs-trainer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "movierecs-trainer.labels" -}}
helm.sh/chart: {{ include "movierecs-trainer.chart" . }}
{{ include "movierecs-trainer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
{{- end -}}

{{/* Labels of a component inside this chart (e.g. a Job next to a CronJob). */}}
{{- define "movierecs-trainer.componentLabels" -}}
{{ include "movierecs-trainer.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Fail with a clear message unless the cluster serves the given API ("group/version/Kind"). */}}
{{- define "movierecs-trainer.requireApi" -}}
{{- $api := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $hint := index . 2 -}}
{{- if not ($ctx.Capabilities.APIVersions.Has $api) -}}
{{- fail (printf "\n\n%s: the cluster does not serve %s. %s\nFor offline rendering pass it explicitly: helm template ... --api-versions %s\n" $ctx.Chart.Name $api $hint $api) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-trainer.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-trainer.containerSecurityContext" -}}
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

{{- define "movierecs-trainer.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "movierecs-trainer.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.global.imageRegistry -}}{{- $repo = printf "%s/%s" .Values.global.imageRegistry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Connection settings shared by the API, the streaming job and the trainer (MOVIERECS_* env). */}}
{{- define "movierecs-trainer.kafkaBootstrap" -}}
{{- printf "%s-kafka-bootstrap:%d" .Values.global.kafka.clusterName (int .Values.global.kafka.port) -}}
{{- end -}}

{{- define "movierecs-trainer.mongoSecretName" -}}
{{- .Values.global.mongodb.existingSecret | default (printf "%s-auth" .Values.global.mongodb.name) -}}
{{- end -}}

{{- define "movierecs-trainer.connectionEnv" -}}
- name: MOVIERECS_KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "movierecs-trainer.kafkaBootstrap" . | quote }}
- name: MOVIERECS_EVENTS_TOPIC
  value: {{ .Values.global.kafka.eventsTopic | quote }}
- name: MOVIERECS_MONGO_DB
  value: {{ .Values.global.mongodb.database | quote }}
# Declared before MOVIERECS_MONGO_URI so that $(MONGO_PASSWORD) is expanded by the kubelet.
- name: MONGO_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "movierecs-trainer.mongoSecretName" . }}
      key: mongodb-password
- name: MOVIERECS_MONGO_URI
  value: {{ printf "mongodb://%s:$(MONGO_PASSWORD)@%s:27017/%s?replicaSet=%s&authSource=admin" .Values.global.mongodb.username .Values.global.mongodb.name .Values.global.mongodb.database .Values.global.mongodb.replicaSet | quote }}
- name: MOVIERECS_MODEL_DIR
  value: {{ .Values.global.model.mountPath | quote }}
- name: MOVIERECS_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{/* The pod spec shared by the CronJob and the bootstrap Job. Call with (dict "ctx" $ "command" list). */}}
{{- define "movierecs-trainer.podSpec" -}}
{{- $ := .ctx -}}
restartPolicy: Never
automountServiceAccountToken: false
{{- with include "movierecs-trainer.imagePullSecrets" $ }}
{{ . }}
{{- end }}
securityContext:
  {{- include "movierecs-trainer.podSecurityContext" $ | nindent 2 }}
containers:
  - name: trainer
    image: {{ include "movierecs-trainer.image" $ | quote }}
    imagePullPolicy: {{ $.Values.image.pullPolicy }}
    command:
      {{- toYaml .command | nindent 6 }}
    env:
      {{- include "movierecs-trainer.connectionEnv" $ | nindent 6 }}
      - name: MOVIERECS_KAFKA_IDEMPOTENCE
        value: "true"
      - name: MOVIERECS_TORCH_THREADS
        value: {{ $.Values.torchThreads | quote }}
      - name: MOVIERECS_TRAIN_TIME_BUDGET_S
        value: {{ $.Values.timeBudgetSeconds | quote }}
      - name: MOVIERECS_KEEP_VERSIONS
        value: {{ $.Values.keepVersions | quote }}
      - name: HOME
        value: /tmp
      - name: MPLCONFIGDIR
        value: /tmp/matplotlib
      {{- with $.Values.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    resources:
      {{- toYaml $.Values.resources | nindent 6 }}
    securityContext:
      {{- include "movierecs-trainer.containerSecurityContext" $ | nindent 6 }}
    volumeMounts:
      - name: models
        mountPath: {{ $.Values.global.model.mountPath }}
      - name: tmp
        mountPath: /tmp
volumes:
  - name: models
    persistentVolumeClaim:
      claimName: {{ $.Values.global.model.claimName }}
  - name: tmp
    emptyDir:
      sizeLimit: 2Gi
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
