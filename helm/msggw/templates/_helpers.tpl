{{/* Chart name, truncated to the 63 characters Kubernetes allows in names and labels. */}}
{{- define "msggw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "msggw.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "msggw.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "msggw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "msggw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "msggw.labels" -}}
helm.sh/chart: {{ include "msggw.chart" . }}
{{ include "msggw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "msggw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "msggw.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the pods read: the one you named, or the one this chart creates. */}}
{{- define "msggw.secretName" -}}
{{- .Values.secret.existingSecret | default (include "msggw.fullname" .) }}
{{- end }}

{{- define "msggw.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
Fails the render with one message listing every missing setting, so an install never starts
nodes that would each fall back to embedded mode (in-memory bus, local PGlite).
*/}}
{{- define "msggw.validate" -}}
{{- $missing := list }}
{{- if not .Values.secret.existingSecret }}
{{- if not .Values.nats.url }}{{ $missing = append $missing "nats.url" }}{{ end }}
{{- if not .Values.redis.url }}{{ $missing = append $missing "redis.url" }}{{ end }}
{{- if not .Values.secret.encryptionKey }}{{ $missing = append $missing "secret.encryptionKey" }}{{ end }}
{{- if not .Values.secret.apiKey }}{{ $missing = append $missing "secret.apiKey" }}{{ end }}
{{- if not .Values.secret.databaseUrl }}{{ $missing = append $missing "secret.databaseUrl" }}{{ end }}
{{- end }}
{{- if $missing }}
{{- fail (printf "msggw: set %s (or secret.existingSecret, a Secret holding ENCRYPTION_KEY, API_KEY, DATABASE_URL and, when nats.url / redis.url are empty, NATS_URL / REDIS_URL)" (join ", " $missing)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "msggw: autoscaling.maxReplicas must be >= autoscaling.minReplicas" }}
{{- end }}
{{- if lt (int (include "msggw.shutdownTimeoutSeconds" .)) 1 }}
{{- fail "msggw: terminationGracePeriodSeconds must exceed lifecycle.preStopSleepSeconds by more than 5 s, or no time is left for the drain" }}
{{- end }}
{{- end }}

{{/*
SHUTDOWN_TIMEOUT_SECS: what the kubelet's grace leaves after the preStop sleep, less 5 s so the
node exits (non-zero if a component was stuck) before the kubelet's SIGKILL.
*/}}
{{- define "msggw.shutdownTimeoutSeconds" -}}
{{- sub (sub (int .Values.terminationGracePeriodSeconds) (int .Values.lifecycle.preStopSleepSeconds)) 5 -}}
{{- end }}
