//! The values matrix every render, lint and validation test runs over.

use crate::support::Install;

/// The seed's Argo CD Application `helm.values` (the Application is named `gitops-status-server`,
/// so that is the release name, in namespace `monitoring`).
pub(crate) const SEED_ARGOCD_VALUES: &str = r#"
statusJson:
  repo: "my-repo"
  server: "my-server"
  sync_status: "SYNCED"
  drift_count: 0
  files: []
  last_check: "2026-04-21T10:00:00Z"
"#;

/// The seed's "Custom Status JSON" section.
/// One more document, `staging.json`, through `extraStatusFiles` (statusJson left as it is).
pub(crate) const EXTRA_STAGING: &str = r#"
extraStatusFiles:
  staging.json:
    repo: staging-apps
    server: staging-cluster-01
    sync_status: SYNCED
    drift_count: 0
    files: []
    last_check: "2026-04-21T12:00:00Z"
"#;

pub(crate) const SEED_CUSTOM_STATUS: &str = r#"
statusJson:
  repo: "production-apps"
  server: "prod-cluster-01"
  sync_status: "SYNCED"
  drift_count: 2
  files:
    - "deployment.yaml"
    - "service.yaml"
  last_check: "2026-04-21T12:30:00Z"
"#;

/// The values of `ALL_FEATURES`, as a literal so that `concat!` can extend them.
macro_rules! all_features {
    () => {
        r#"
replicaCount: 2
image:
  repository: registry.example.com/platform/gitops-status
  tag: "0.1.0-rc.1"
  pullPolicy: Always
imagePullSecrets:
  - name: regcred
commonLabels:
  team: platform
statusJson:
  repo: "production-apps"
  server: "prod-cluster-01"
  sync_status: "OUT_OF_SYNC"
  drift_count: 2
  files: ["deployment.yaml", "service.yaml"]
  last_check: "2026-04-21T12:30:00Z"
  environment: production
  revision: 4f2a9c1
  health_status: Progressing
extraStatusFiles:
  staging.json:
    repo: "staging-apps"
    server: "staging-cluster-01"
    sync_status: "SYNCED"
    drift_count: 0
    files: []
    last_check: "2026-04-21T12:00:00Z"
server:
  logFormat: text
  staleAfter: 2h
  extraArgs: ["--workers", "2"]
  extraEnv:
    - name: RUST_LOG
      value: info
podAnnotations:
  example.com/owner: platform
podLabels:
  tier: observability
priorityClassName: low-priority
nodeSelector:
  kubernetes.io/os: linux
tolerations:
  - key: dedicated
    operator: Equal
    value: monitoring
    effect: NoSchedule
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        app.kubernetes.io/name: gitops-status-server
push:
  rbac:
    extraSubjects:
      - kind: ServiceAccount
        name: ci-runner
        namespace: ci
  serviceAccount:
    annotations:
      eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/gitops-status-push
postSyncJob:
  enabled: true
  application: storefront
serviceMonitor:
  enabled: true
  labels:
    release: kube-prometheus-stack
grafanaDashboard:
  enabled: true
  annotations:
    grafana_folder: GitOps
networkPolicy:
  enabled: true
  from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: grafana
podDisruptionBudget:
  enabled: true
"#
    };
}

/// Every optional feature on (watch aside: `WATCH_ALL_FEATURES` adds it, so that the two
/// renders differ by watching alone).
pub(crate) const ALL_FEATURES: &str = all_features!();

/// `ALL_FEATURES` and watching through the API.
pub(crate) const WATCH_ALL_FEATURES: &str = concat!(all_features!(), "watch:\n  enabled: true\n");

/// Watching by name only (the chart's default watch).
pub(crate) const WATCH: &str = "watch:\n  enabled: true\n";

/// Watching by name and by a label selector, with a NetworkPolicy that names the API server's
/// endpoints and allows DNS.
pub(crate) const WATCH_SELECTOR_NETWORK_POLICY: &str = r#"
watch:
  enabled: true
  selector: "gitops-status.io/documents=true,team in (payments,platform)"
networkPolicy:
  enabled: true
  apiServer:
    cidrs: ["10.0.0.10/32", "10.0.0.11/32", "fd00:10::a/128"]
    ports: [6443]
  dns:
    enabled: true
"#;

/// The server watching Argo CD's Applications (some, by label) in a namespace of their own,
/// the PostSync Job collecting the release's Application there, and a NetworkPolicy.
pub(crate) const ARGOCD: &str = r#"
argocd:
  namespace: argo
  watch:
    enabled: true
    selector: "team in (payments,platform)"
postSyncJob:
  enabled: true
networkPolicy:
  enabled: true
"#;

/// One row of the matrix.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) install: Install<'static>,
}

/// The matrix: defaults, the seed's two value sets, everything on, three replicas, a namespace,
/// watching through the API (by name; with a selector and a NetworkPolicy; with everything on),
/// Argo CD (the live watch and the PostSync Job), a fullname override.
pub(crate) fn matrix() -> Vec<Case> {
    vec![
        Case {
            name: "defaults",
            install: Install::default(),
        },
        Case {
            name: "seed_argocd_application",
            install: Install {
                release: "gitops-status-server",
                namespace: "monitoring",
                values: SEED_ARGOCD_VALUES,
            },
        },
        Case {
            name: "seed_custom_status_json",
            install: Install {
                values: SEED_CUSTOM_STATUS,
                ..Install::default()
            },
        },
        Case {
            name: "all_features",
            install: Install {
                namespace: "monitoring",
                values: ALL_FEATURES,
                ..Install::default()
            },
        },
        Case {
            name: "replicas_3",
            install: Install {
                values: "replicaCount: 3\npodDisruptionBudget:\n  enabled: true\n  minAvailable: 2\n",
                ..Install::default()
            },
        },
        Case {
            name: "namespace_monitoring",
            install: Install {
                namespace: "monitoring",
                ..Install::default()
            },
        },
        Case {
            name: "watch",
            install: Install {
                namespace: "monitoring",
                values: WATCH,
                ..Install::default()
            },
        },
        Case {
            name: "watch_selector_network_policy",
            install: Install {
                namespace: "monitoring",
                values: WATCH_SELECTOR_NETWORK_POLICY,
                ..Install::default()
            },
        },
        Case {
            name: "watch_all_features",
            install: Install {
                namespace: "monitoring",
                values: WATCH_ALL_FEATURES,
                ..Install::default()
            },
        },
        Case {
            name: "argocd",
            install: Install {
                namespace: "monitoring",
                values: ARGOCD,
                ..Install::default()
            },
        },
        Case {
            name: "fullname_override",
            install: Install {
                release: "team-a",
                values: "fullnameOverride: status\nservice:\n  port: 8080\n  targetPort: 9090\n",
                ..Install::default()
            },
        },
    ]
}

/// Values that must be refused, with what Helm 3 and Helm 4 must say (the field's name).
pub(crate) struct BadCase {
    pub(crate) name: &'static str,
    pub(crate) values: &'static str,
    pub(crate) helm3_says: &'static str,
    pub(crate) helm4_says: &'static str,
}

pub(crate) fn bad_values() -> Vec<BadCase> {
    vec![
        BadCase {
            name: "sync_status_bogus",
            values: "statusJson:\n  sync_status: BOGUS\n",
            helm3_says: "statusJson.sync_status",
            helm4_says: "/statusJson/sync_status",
        },
        BadCase {
            name: "repo_only_white_space",
            values: "statusJson:\n  repo: \"   \"\n",
            helm3_says: "statusJson.repo",
            helm4_says: "/statusJson/repo",
        },
        BadCase {
            name: "drift_count_negative",
            values: "statusJson:\n  drift_count: -1\n",
            helm3_says: "statusJson.drift_count",
            helm4_says: "/statusJson/drift_count",
        },
        BadCase {
            name: "last_check_not_a_timestamp",
            values: "statusJson:\n  last_check: yesterday\n",
            helm3_says: "statusJson.last_check",
            helm4_says: "/statusJson/last_check",
        },
        BadCase {
            name: "files_empty_name",
            values: "statusJson:\n  files: [\"\"]\n",
            helm3_says: "statusJson.files.0",
            helm4_says: "/statusJson/files/0",
        },
        BadCase {
            name: "extra_file_missing_fields",
            values: "extraStatusFiles:\n  staging.json:\n    repo: staging\n",
            helm3_says: "extraStatusFiles.staging.json",
            helm4_says: "/extraStatusFiles/staging.json",
        },
        BadCase {
            name: "extra_file_bad_key",
            values: "extraStatusFiles:\n  staging.yaml:\n    repo: r\n    server: s\n    sync_status: SYNCED\n    drift_count: 0\n    files: []\n    last_check: \"2026-04-21T10:00:00Z\"\n",
            helm3_says: "staging.yaml",
            // Helm 4 reports a bad property name at '' but names the key.
            helm4_says: "'staging.yaml' does not match pattern",
        },
        BadCase {
            name: "typo_top_level",
            values: "replicas: 3\n",
            helm3_says: "replicas",
            helm4_says: "replicas",
        },
        BadCase {
            // status-server's duration grammar has no fractions (the pattern is status-core's).
            name: "stale_after_fraction",
            values: "server:\n  staleAfter: 1.5h\n",
            helm3_says: "server.staleAfter",
            helm4_says: "/server/staleAfter",
        },
        BadCase {
            name: "watch_selector_a_map",
            values: "watch:\n  enabled: true\n  selector:\n    app: x\n",
            helm3_says: "watch.selector",
            helm4_says: "/watch/selector",
        },
        BadCase {
            // A bare address is not a CIDR: Kubernetes would refuse the NetworkPolicy.
            name: "api_server_cidr_without_prefix",
            values: "networkPolicy:\n  apiServer:\n    cidrs: [10.0.0.10]\n",
            helm3_says: "networkPolicy.apiServer.cidrs.0",
            helm4_says: "/networkPolicy/apiServer/cidrs/0",
        },
        BadCase {
            name: "argocd_namespace_not_a_name",
            values: "argocd:\n  namespace: Argo_CD\n",
            helm3_says: "argocd.namespace",
            helm4_says: "/argocd/namespace",
        },
        BadCase {
            // The Job collects what Argo CD observed: it no longer takes a status to assert.
            name: "post_sync_job_sync_status",
            values: "postSyncJob:\n  syncStatus: Synced\n",
            helm3_says: "syncStatus",
            helm4_says: "syncStatus",
        },
        BadCase {
            name: "service_port_string",
            values: "service:\n  port: http\n",
            helm3_says: "service.port",
            helm4_says: "/service/port",
        },
    ]
}
