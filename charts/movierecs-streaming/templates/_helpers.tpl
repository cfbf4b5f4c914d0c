{{/* Names and labels. The chart, the image and app.kubernetes.io/name share one name (also when the umbrella
   chart aliases this chart, hence the literal instead of .Chart.Name). */}}
{{- define "movierecs-streaming.name" -}}
{{- default "movierecs-streaming" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name. Not derived from the release name: the sibling charts find each other by these fixed names
(see the umbrella chart's values), so override with fullnameOverride only together with the matching global values.
*/}}
{{- define "movierecs-streaming.fullname" -}}
{{- default (include "movierecs-streaming.name" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-streaming.chart" -}}
{{- printf "%s-%s" "movierecs-streaming" .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "movierecs-streaming.selectorLabels" -}}
app.kubernetes.io/name: {{ include "movierecs-streaming.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "movierecs-streaming.labels" -}}
helm.sh/chart: {{ include "movierecs-streaming.chart" . }}
{{ include "movierecs-streaming.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.global.partOf }}
{{- end -}}

{{/* Labels of a component inside this chart (e.g. a Job next to a CronJob). */}}
{{- define "movierecs-streaming.componentLabels" -}}
{{ include "movierecs-streaming.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Fail with a clear message unless the cluster serves the given API ("group/version/Kind"). */}}
{{- define "movierecs-streaming.requireApi" -}}
{{- $api := index . 0 -}}
{{- $ctx := index . 1 -}}
{{- $hint := index . 2 -}}
{{- if not ($ctx.Capabilities.APIVersions.Has $api) -}}
{{- fail (printf "\n\n%s: the cluster does not serve %s. %s\nFor offline rendering pass it explicitly: helm template ... --api-versions %s\n" $ctx.Chart.Name $api $hint $api) -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-streaming.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: restricted Pod Security Standard. */}}
{{- define "movierecs-streaming.containerSecurityContext" -}}
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

{{- define "movierecs-streaming.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "movierecs-streaming.image" -}}
{{- $repo := .Values.image.repository -}}
{{- if .Values.global.imageRegistry -}}{{- $repo = printf "%s/%s" .Values.global.imageRegistry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Connection settings shared by the API, the streaming job and the trainer (MOVIERECS_* env). */}}
{{- define "movierecs-streaming.kafkaBootstrap" -}}
{{- printf "%s-kafka-bootstrap:%d" .Values.global.kafka.clusterName (int .Values.global.kafka.port) -}}
{{- end -}}

{{- define "movierecs-streaming.mongoSecretName" -}}
{{- .Values.global.mongodb.existingSecret | default (printf "%s-auth" .Values.global.mongodb.name) -}}
{{- end -}}

{{- define "movierecs-streaming.connectionEnv" -}}
- name: MOVIERECS_KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "movierecs-streaming.kafkaBootstrap" . | quote }}
- name: MOVIERECS_EVENTS_TOPIC
  value: {{ .Values.global.kafka.eventsTopic | quote }}
- name: MOVIERECS_MONGO_DB
  value: {{ .Values.global.mongodb.database | quote }}
# Declared before MOVIERECS_MONGO_URI so that $(MONGO_PASSWORD) is expanded by the kubelet.
- name: MONGO_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "movierecs-streaming.mongoSecretName" . }}
      key: mongodb-password
- name: MOVIERECS_MONGO_URI
  value: {{ printf "mongodb://%s:$(MONGO_PASSWORD)@%s:27017/%s?replicaSet=%s&authSource=admin" .Values.global.mongodb.username .Values.global.mongodb.name .Values.global.mongodb.database .Values.global.mongodb.replicaSet | quote }}
- name: MOVIERECS_MODEL_DIR
  value: {{ .Values.global.model.mountPath | quote }}
- name: MOVIERECS_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{- define "movierecs-streaming.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (printf "%s-spark" (include "movierecs-streaming.fullname" .)) -}}
{{- else -}}
{{- required "streaming.serviceAccount.name is required when serviceAccount.create=false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "movierecs-streaming.env" -}}
{{ include "movierecs-streaming.connectionEnv" . }}
# The Kafka connector is in the image: fail loudly instead of falling back to the Python source.
- name: MOVIERECS_SOURCE
  value: kafka
- name: MOVIERECS_SHUFFLE_PARTITIONS
  value: {{ index .Values.sparkConf "spark.sql.shuffle.partitions" | default "6" | quote }}
- name: MOVIERECS_CHECKPOINT_LOCATION
  value: {{ printf "%s/%s" .Values.checkpoint.mountPath (include "movierecs-streaming.fullname" .) | quote }}
- name: MOVIERECS_TRIGGER_INTERVAL
  value: {{ .Values.streaming.triggerInterval | quote }}
- name: MOVIERECS_MAX_RECORDS_PER_TRIGGER
  value: {{ .Values.streaming.maxRecordsPerTrigger | quote }}
- name: MOVIERECS_EVENTS_PER_TRANSACTION
  value: {{ .Values.streaming.eventsPerTransaction | quote }}
- name: MOVIERECS_STARTING_OFFSETS
  value: {{ .Values.streaming.startingOffsets | quote }}
- name: MOVIERECS_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: HOME
  value: /tmp
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "movierecs-streaming.volumeMounts" -}}
- name: checkpoints
  mountPath: {{ .Values.checkpoint.mountPath }}
- name: tmp
  mountPath: /tmp
- name: work-dir
  mountPath: /opt/spark/work-dir
{{- end -}}
