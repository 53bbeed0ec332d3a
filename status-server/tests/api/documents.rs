//! Serving: byte-for-byte bodies, named documents, the array, conditional requests, gzip, HEAD,
//! and the JSON error responses.

use std::io::Read;

use reqwest::header;

use crate::helpers::{doc, doc_of_size, headers_for_snapshot, spawn, write};

#[tokio::test]
async fn status_json_is_served_byte_for_byte_with_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anything.json");
    let body = doc("production-apps", 2);
    write(&path, &body);
    let server = spawn(&["--file", path.to_str().unwrap()]).await;

    let response = server.get("/status.json").await;
    assert_eq!(response.status(), 200);
    let headers = headers_for_snapshot(&response);
    let etag = response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );
    assert_eq!(response.bytes().await.unwrap(), body.as_bytes());
    insta::assert_snapshot!(headers, @r#"
    cache-control: no-cache
    content-length: 198
    content-type: application/json
    date: [date]
    etag: [etag]
    last-modified: [date]
    vary: accept-encoding
    x-content-type-options: nosniff
    "#);

    // The ETag is the content's: a second server on the same bytes gives the same one.
    let other_dir = tempfile::tempdir().unwrap();
    write(&other_dir.path().join("status.json"), &body);
    let other = spawn(&["--dir", other_dir.path().to_str().unwrap()]).await;
    let response = other.get("/status.json").await;
    assert_eq!(response.headers()[header::ETAG], etag.as_str());
}

#[tokio::test]
async fn named_documents_and_the_sorted_array() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("primary", 0));
    write(&dir.path().join("b-staging.json"), &doc("staging", 1));
    write(&dir.path().join("a-prod.json"), &doc("prod", 0));
    write(&dir.path().join("README.md"), "not a document");
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;

    assert_eq!(
        server.get_text("/status/b-staging.json").await,
        (200, doc("staging", 1))
    );
    assert_eq!(
        server.get_text("/status/status.json").await,
        (200, doc("primary", 0))
    );
    let (status, body) = server.get_text("/statuses.json").await;
    assert_eq!(status, 200);
    let all: Vec<serde_json::Value> = serde_json::from_str(&body).expect("valid JSON array");
    let repos: Vec<&str> = all.iter().map(|d| d["repo"].as_str().unwrap()).collect();
    assert_eq!(repos, ["prod", "staging", "primary"], "sorted by key name");
    assert_eq!(
        body,
        format!(
            "[{},{},{}]",
            doc("prod", 0),
            doc("staging", 1),
            doc("primary", 0)
        ),
        "the documents as stored"
    );
    assert_eq!(server.get_text("/status/README.json").await.0, 404);
}

#[tokio::test]
async fn conditional_requests_get_304() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    let first = server.get("/status.json").await;
    let etag = first.headers()[header::ETAG].clone();
    let last_modified = first.headers()[header::LAST_MODIFIED].clone();

    let response = server
        .client
        .get(server.url("/status.json"))
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    assert_eq!(response.headers()[header::ETAG], etag);
    assert!(response.bytes().await.unwrap().is_empty());

    let response = server
        .client
        .get(server.url("/status.json"))
        .header(header::IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let response = server
        .client
        .get(server.url("/status.json"))
        .header(header::IF_MODIFIED_SINCE, last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);

    let response = server
        .client
        .get(server.url("/status.json"))
        .header(header::IF_MODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn gzip_when_accepted_decompresses_to_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let body = doc("gzipped", 40);
    write(&dir.path().join("status.json"), &body);
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;

    for path in ["/status.json", "/statuses.json"] {
        let response = server
            .client
            .get(server.url(path))
            .header(header::ACCEPT_ENCODING, "br;q=1.0, gzip;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(response.headers()[header::VARY], "accept-encoding");
        let compressed = response.bytes().await.unwrap();
        assert!(
            compressed.len() < body.len(),
            "{path}: compressed is smaller"
        );
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut plain)
            .unwrap();
        let expected = if path == "/status.json" {
            body.clone()
        } else {
            format!("[{body}]")
        };
        assert_eq!(plain, expected, "{path}");
    }

    let response = server
        .client
        .get(server.url("/status.json"))
        .header(header::ACCEPT_ENCODING, "gzip;q=0, identity")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(response.text().await.unwrap(), body);
}

#[tokio::test]
async fn head_has_the_headers_and_no_body() {
    let dir = tempfile::tempdir().unwrap();
    let small = doc("r", 3);
    // Large bodies are sent in slices: same Content-Length, same bytes.
    let large = doc_of_size("large", 300 * 1024);
    write(&dir.path().join("status.json"), &small);
    write(&dir.path().join("large.json"), &large);
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    for (path, body) in [("/status.json", &small), ("/status/large.json", &large)] {
        let response = server.client.head(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()[header::CONTENT_LENGTH],
            body.len().to_string().as_str()
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert!(response.bytes().await.unwrap().is_empty());
        assert_eq!(server.get_text(path).await, (200, body.clone()), "{path}");
    }
}

#[tokio::test]
async fn errors_are_json_with_the_right_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;

    let response = server.get("/nope").await;
    assert_eq!(response.status(), 404);
    let snapshot = format!(
        "{}\n\n{}",
        headers_for_snapshot(&response),
        response.text().await.unwrap()
    );
    insta::assert_snapshot!("unknown_route_404", snapshot);

    let response = server.get("/status/missing.json").await;
    assert_eq!(response.status(), 404);
    insta::assert_snapshot!("unknown_document_404", response.text().await.unwrap());

    let response = server
        .client
        .post(server.url("/status.json"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
    let snapshot = format!(
        "{}\n\n{}",
        headers_for_snapshot(&response),
        response.text().await.unwrap()
    );
    insta::assert_snapshot!("post_405", snapshot);

    for path in ["/statuses.json", "/healthz", "/readyz", "/metrics"] {
        let response = server.client.delete(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 405, "{path}");
    }
    assert!(
        !server
            .get("/status.json")
            .await
            .headers()
            .contains_key(header::SERVER),
        "no Server header, so no version either"
    );
}

#[tokio::test]
async fn probes() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("r", 0));
    let server = spawn(&["--dir", dir.path().to_str().unwrap()]).await;
    assert_eq!(
        server.get_text("/healthz").await,
        (200, "{\"status\":\"ok\"}\n".into())
    );
    assert_eq!(
        server.get_text("/readyz").await,
        (
            200,
            "{\"status\":\"ready\",\"sources\":[{\"source\":\"files\",\"healthy\":true,\"documents\":1}]}\n"
                .into()
        )
    );
}

#[tokio::test]
async fn a_missing_file_is_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let config = status_server::Config::try_parse_from([
        "status-server",
        "--listen",
        "127.0.0.1:0",
        "--file",
        missing.to_str().unwrap(),
    ])
    .unwrap();
    let err = status_server::Application::build(config).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("--file {}: no such file", missing.display())
    );
}
