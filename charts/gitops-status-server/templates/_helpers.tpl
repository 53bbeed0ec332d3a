{{/*
The chart name, or nameOverride. Used for app.kubernetes.io/name.
*/}}
{{- define "gitops-status-server.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of every resource: Service, ConfigMap, Deployment, ...

Rule (a variation on `helm create`, so that the seed's commands work as written):
  1. fullnameOverride, when set, wins.
  2. When the release name is contained in the chart name (`gitops-status`, `gitops-status-server`,
     `status`), the chart name alone: `helm install gitops-status ./charts/gitops-status-server`
     and an Argo CD Application named `gitops-status-server` both give `gitops-status-server`.
  3. When the chart name is contained in the release name (`prod-gitops-status-server`), the
     release name alone (as `helm create` does).
  4. Otherwise `<release>-<chart>` (`team-a` gives `team-a-gitops-status-server`).
Truncated to 63 characters (DNS label). Two releases whose names are both contained in the chart
name would collide in one namespace: give one of them a fullnameOverride.
*/}}
{{- define "gitops-status-server.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains .Release.Name $name }}
{{- $name | trunc 63 | trimSuffix "-" }}
{{- else if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The live ConfigMap: written by `statusctl push`, never rendered by this chart, mounted optional.
*/}}
{{- define "gitops-status-server.liveConfigMapName" -}}
{{- printf "%s-live" (include "gitops-status-server.fullname" .) }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "gitops-status-server.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "gitops-status-server.labels" -}}
helm.sh/chart: {{ include "gitops-status-server.chart" . }}
{{ include "gitops-status-server.selectorLabels" . }}
app.kubernetes.io/version: {{ include "gitops-status-server.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gitops-status
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels (immutable on a Deployment: never add to these).
*/}}
{{- define "gitops-status-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gitops-status-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The server's ServiceAccount.
*/}}
{{- define "gitops-status-server.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gitops-status-server.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The ServiceAccount that may push to the live ConfigMap (the PostSync Job, in-cluster CI runners).
*/}}
{{- define "gitops-status-server.pushServiceAccountName" -}}
{{- if .Values.push.serviceAccount.create }}
{{- default (printf "%s-push" (include "gitops-status-server.fullname" .)) .Values.push.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.push.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Whether the server reads the Kubernetes API: it watches ConfigMaps (watch.enabled) or Argo CD's
Applications (argocd.watch.enabled). "true", or empty. Its API token and its NetworkPolicy's
egress to the API server follow this, and nothing else.
*/}}
{{- define "gitops-status-server.readsApi" -}}
{{- if or .Values.watch.enabled .Values.argocd.watch.enabled }}true{{ end }}
{{- end }}

{{/*
The Argo CD Application the PostSync Job collects: postSyncJob.application, or the release name
(an Argo CD Application that installs this chart names the release after itself).
*/}}
{{- define "gitops-status-server.postSyncApplication" -}}
{{- default .Release.Name .Values.postSyncJob.application }}
{{- end }}

{{/*
The prefix of the Roles and RoleBindings this release puts in argocd.namespace. That namespace
holds every release's: the release namespace in the name keeps two releases of the same name
(in two namespaces) apart.
*/}}
{{- define "gitops-status-server.argocdRbacPrefix" -}}
{{- printf "%s-%s" (include "gitops-status-server.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
The image tag: image.tag, or the chart's appVersion.
*/}}
{{- define "gitops-status-server.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/*
The image reference: repository:tag, and @digest when image.digest is set (the runtime pulls by
digest; the tag stays for people reading the manifest).
*/}}
{{- define "gitops-status-server.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "gitops-status-server.imageTag" .) }}
{{- if .Values.image.digest }}
{{- $ref = printf "%s@%s" $ref .Values.image.digest }}
{{- end }}
{{- $ref }}
{{- end }}

{{/*
The data of the default ConfigMap: statusJson as `status.json`, then every extraStatusFiles key.
The checksum/config annotation hashes exactly this, so pods roll on `helm upgrade` when a
document changes, and only then (not on label, image or chart-version changes).
*/}}
{{- define "gitops-status-server.configData" -}}
status.json: |
{{ toPrettyJson .Values.statusJson | indent 2 }}
{{- range $key, $doc := .Values.extraStatusFiles }}
{{ $key }}: |
{{ toPrettyJson $doc | indent 2 }}
{{- end }}
{{- end }}

{{/*
The restricted container security context, shared by every container the chart runs.
*/}}
{{- define "gitops-status-server.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/*
Labels of the chart's helper pods (PostSync Job, helm test). They must NOT carry the server's
selector labels: the Service, PodDisruptionBudget and NetworkPolicy would select those pods too.
Call with (dict "root" $ "component" "test").
*/}}
{{- define "gitops-status-server.helperLabels" -}}
helm.sh/chart: {{ include "gitops-status-server.chart" .root }}
app.kubernetes.io/name: {{ printf "%s-%s" (include "gitops-status-server.name" .root) .component | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: gitops-status
{{- end }}
