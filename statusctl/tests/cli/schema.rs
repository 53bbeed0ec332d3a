//! `statusctl schema`: the JSON Schema of status-core, printed for people and tools.

use crate::support::{fixtures, run, statusctl};

#[test]
fn schema_prints_status_cores_schema() {
    let r = run(statusctl(&fixtures()).arg("schema"));
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let printed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(printed, status_core::json_schema());
    assert!(r.stdout.starts_with("{\n  \""), "indented");
    assert!(r.stdout.ends_with("}\n"));
}
