//! The assembled array: its bytes, a gzip form every decoder reads back to them, and the reuse
//! of chunks whose documents did not change.

use std::io::Read;

use super::*;
use crate::snapshot::Served;

fn doc(repo: &str) -> String {
    format!(
        r#"{{"repo":"{repo}","server":"prod","sync_status":"SYNCED","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}}"#
    )
}

fn document(repo: &str) -> Document {
    let entry =
        crate::layer::check(String::new, doc(repo).into_bytes(), SystemTime::UNIX_EPOCH).unwrap();
    Document {
        served: Some(Arc::new(Served::new(
            &format!("{repo}.json"),
            entry,
            SystemTime::UNIX_EPOCH,
            Default::default(),
        ))),
        error: None,
    }
}

fn fleet(n: usize) -> BTreeMap<String, Document> {
    (0..n)
        .map(|i| (format!("app-{i:04}.json"), document(&format!("repo-{i}"))))
        .collect()
}

fn expected(documents: &BTreeMap<String, Document>) -> String {
    let parts: Vec<String> = documents
        .values()
        .filter_map(|d| d.served.as_ref())
        .map(|s| String::from_utf8(s.body.content.bytes.to_vec()).unwrap())
        .collect();
    format!("[{}]", parts.join(","))
}

fn gunzip(gz: &[u8]) -> String {
    // GzDecoder reads one member and checks its CRC-32 and length.
    let mut out = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn empty_body() -> Arc<Body> {
    crate::snapshot::Snapshot::empty(Default::default()).all
}

fn check(body: &Body, documents: &BTreeMap<String, Document>) {
    let expected = expected(documents);
    assert_eq!(std::str::from_utf8(&body.content.bytes).unwrap(), expected);
    let gz = body
        .content
        .gzip
        .as_ref()
        .expect("a large array compresses");
    assert_eq!(gunzip(gz), expected);
}

#[test]
fn the_array_is_the_documents_joined_and_its_gzip_reads_back() {
    let mut statuses = Statuses::default();
    let documents = fleet(300);
    let body = statuses.assemble(&documents, &empty_body(), SystemTime::now());
    check(&body, &documents);
    assert!(
        statuses.chunks.len() > 4,
        "{} chunks",
        statuses.chunks.len()
    );
    serde_json::from_slice::<serde_json::Value>(&body.content.bytes).unwrap();

    // The same documents: the same body (same validators).
    let again = statuses.assemble(&documents, &body, SystemTime::now());
    assert!(Arc::ptr_eq(&again, &body));
}

#[test]
fn one_change_recompresses_one_chunk() {
    let mut statuses = Statuses::default();
    let mut documents = fleet(300);
    let first = statuses.assemble(&documents, &empty_body(), SystemTime::now());
    let chunks = statuses.chunks.len() as u64;
    assert_eq!(statuses.compressed, chunks);

    documents.insert("app-0150.json".into(), document("changed"));
    let second = statuses.assemble(&documents, &first, SystemTime::now());
    check(&second, &documents);
    assert_ne!(second.content.etag, first.content.etag);
    assert_eq!(
        statuses.compressed,
        chunks + 1,
        "one chunk compressed again"
    );

    // A document added, one removed (the first: the next chunk now opens the array): each
    // touches one chunk, or two where a cut moves.
    documents.insert("app-0150a.json".into(), document("new"));
    documents.remove("app-0000.json");
    let third = statuses.assemble(&documents, &second, SystemTime::now());
    check(&third, &documents);
    let again = statuses.compressed - chunks - 1;
    assert!((2..=4).contains(&again), "{again} chunks compressed again");
}

#[test]
fn other_decoders_read_the_assembled_gzip() {
    let Ok(gzip) = which("gzip") else {
        return; // not every machine has gzip; flate2 has checked the member already
    };
    let mut statuses = Statuses::default();
    let documents = fleet(100);
    let body = statuses.assemble(&documents, &empty_body(), SystemTime::now());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("statuses.json.gz");
    std::fs::write(&path, body.content.gzip.as_ref().unwrap()).unwrap();
    let output = std::process::Command::new(gzip)
        .arg("-dc")
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        expected(&documents)
    );
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn no_documents_is_an_empty_array_and_invalid_keys_are_left_out() {
    let mut statuses = Statuses::default();
    let mut documents = fleet(2);
    documents.insert(
        "bad.json".into(),
        Document {
            served: None,
            error: None,
        },
    );
    let body = statuses.assemble(&documents, &empty_body(), SystemTime::now());
    assert_eq!(
        std::str::from_utf8(&body.content.bytes).unwrap(),
        expected(&documents)
    );
    let none = statuses.assemble(&BTreeMap::new(), &body, SystemTime::now());
    assert_eq!(&none.content.bytes[..], b"[]");
    assert!(none.content.gzip.is_none());
}
