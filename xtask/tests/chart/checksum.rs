//! `checksum/config` changes when `statusJson` or `extraStatusFiles` change, and only then.

use crate::cases::{EXTRA_STAGING as EXTRA, SEED_CUSTOM_STATUS};
use crate::support::{Install, checksum, render};

fn checksum_of(release: &str, namespace: &str, values: &str) -> String {
    checksum(&render(&Install {
        release,
        namespace,
        values,
    }))
}

#[test]
fn checksum_changes_when_a_document_changes() {
    let base = checksum_of("gitops-status", "default", SEED_CUSTOM_STATUS);
    let changed: [(&str, &str); 4] = [
        (
            "drift_count",
            "statusJson:\n  repo: production-apps\n  server: prod-cluster-01\n  sync_status: SYNCED\n  drift_count: 3\n  files: [deployment.yaml, service.yaml]\n  last_check: \"2026-04-21T12:30:00Z\"\n",
        ),
        (
            "a file",
            "statusJson:\n  repo: production-apps\n  server: prod-cluster-01\n  sync_status: SYNCED\n  drift_count: 2\n  files: [deployment.yaml]\n  last_check: \"2026-04-21T12:30:00Z\"\n",
        ),
        ("an extra file", EXTRA),
        (
            "the default document",
            "statusJson:\n  repo: my-repo\n  server: my-server\n  sync_status: UNKNOWN\n  drift_count: 0\n  files: []\n  last_check: \"2026-04-21T10:00:00Z\"\n",
        ),
    ];
    for (what, values) in changed {
        let sum = checksum_of("gitops-status", "default", values);
        if what == "an extra file" {
            // EXTRA leaves statusJson at the chart default: compare with the default's checksum too.
            let defaults = checksum_of("gitops-status", "default", "");
            assert_ne!(sum, defaults, "adding {what} did not change the checksum");
        }
        assert_ne!(sum, base, "changing {what} did not change the checksum");
    }
    // Changing an extra file's content changes it too.
    let edited = EXTRA.replace("drift_count: 0", "drift_count: 1");
    assert_ne!(
        checksum_of("gitops-status", "default", EXTRA),
        checksum_of("gitops-status", "default", &edited)
    );
}

#[test]
fn checksum_ignores_everything_but_the_documents() {
    let base = checksum_of("gitops-status", "default", SEED_CUSTOM_STATUS);
    let unrelated: [(&str, &str, &str); 7] = [
        ("gitops-status", "default", "replicaCount: 3\n"),
        ("gitops-status", "default", "image:\n  tag: \"9.9.9\"\n"),
        ("gitops-status", "default", "commonLabels:\n  team: a\n"),
        ("gitops-status", "default", "podAnnotations:\n  a: b\n"),
        ("gitops-status", "default", "service:\n  port: 8081\n"),
        ("other-release", "default", ""),
        ("gitops-status", "monitoring", ""),
    ];
    for (release, namespace, extra) in unrelated {
        let values = format!("{SEED_CUSTOM_STATUS}{extra}");
        assert_eq!(
            checksum_of(release, namespace, &values),
            base,
            "checksum changed for release {release}, namespace {namespace}, values {extra:?}"
        );
    }
    // The same document written with its keys in another order is the same document.
    let reordered = "statusJson:\n  last_check: \"2026-04-21T12:30:00Z\"\n  files: [deployment.yaml, service.yaml]\n  drift_count: 2\n  sync_status: SYNCED\n  server: prod-cluster-01\n  repo: production-apps\n";
    assert_eq!(
        checksum_of("gitops-status", "default", reordered),
        base,
        "reordering keys changed the checksum"
    );
}
