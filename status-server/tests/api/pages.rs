//! The pages and badges over HTTP: headers (CSP, caching, types), 304, HEAD, gzip, the error
//! shapes of each kind of route, `?label=`, and the overview following a change.

use reqwest::header;

use crate::helpers::{doc, headers_for_snapshot, spawn, write};

/// Two documents (`status.json`, synced; `web.json`, out of sync) and a never-valid one.
async fn server() -> (tempfile::TempDir, crate::helpers::TestServer) {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("status.json"), &doc("platform", 0));
    write(&dir.path().join("web.json"), &doc("web", 2));
    write(&dir.path().join("broken.json"), "{\"repo\": 1}");
    let server = spawn(&["--dir", dir.path().to_str().unwrap(), "--stale-after", "1h"]).await;
    (dir, server)
}

/// The CSP of a response, split into its directives.
fn csp(response: &reqwest::Response) -> Vec<String> {
    response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .split("; ")
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_overview_is_html_with_a_strict_policy() {
    let (_dir, server) = server().await;
    let response = server.get("/").await;
    assert_eq!(response.status(), 200);
    let directives = csp(&response);
    assert_eq!(directives[0], "default-src 'none'");
    for needed in [
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(directives.iter().any(|d| d == needed), "{directives:?}");
    }
    assert!(
        directives
            .iter()
            .any(|d| d.starts_with("script-src 'sha256-"))
    );
    assert!(
        directives
            .iter()
            .any(|d| d.starts_with("style-src 'sha256-"))
    );
    assert!(!directives.iter().any(|d| d.contains("unsafe")));
    let headers = headers_for_snapshot(&response)
        .lines()
        .filter(|l| !l.starts_with("content-security-policy") && !l.starts_with("content-length"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(headers, @r"
    cache-control: no-cache
    content-type: text/html; charset=utf-8
    date: [date]
    etag: [etag]
    last-modified: [date]
    referrer-policy: no-referrer
    vary: accept-encoding
    x-content-type-options: nosniff
    ");
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(html.contains("<strong>1</strong> synced"), "{html}");
    assert!(html.contains("<strong>1</strong> out of sync"));
    assert!(html.contains("<strong>1</strong> invalid"));
    assert!(html.contains("href=\"status/web.html\""));
}

#[tokio::test]
async fn pages_and_badges_revalidate_with_304_and_answer_head() {
    let (_dir, server) = server().await;
    for path in [
        "/",
        "/status/web.html",
        "/badge.svg",
        "/badge/web.svg",
        "/badge.json",
        "/badge/web.json",
        "/badge/web.svg?label=my+app",
        "/badge/web.json?label=my+app",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let etag = response.headers()[header::ETAG].clone();
        let length = response.bytes().await.unwrap().len();
        let again = server
            .client
            .get(server.url(path))
            .header(header::IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.bytes().await.unwrap().is_empty());
        let head = server.client.head(server.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(head.headers()[header::ETAG], etag, "{path}");
        assert_eq!(
            head.headers()[header::CONTENT_LENGTH],
            length.to_string().as_str(),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty());
    }
    // The page is compressed once, and served compressed to a client that asks.
    let gz = server
        .client
        .get(server.url("/"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn badges_are_svg_and_shields_json_with_a_short_lifetime() {
    let (_dir, server) = server().await;
    let response = server.get("/badge/web.svg").await;
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "image/svg+xml; charset=utf-8"
    );
    assert_eq!(response.headers()[header::CACHE_CONTROL], "max-age=60");
    assert_eq!(
        response.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'"
    );
    let svg = response.text().await.unwrap();
    assert!(svg.contains(">web</text>"), "{svg}");
    assert!(svg.contains(">OUT_OF_SYNC</text>"));
    assert!(svg.contains("fill=\"#bd7300\""));

    let response = server.get("/badge.json").await;
    assert_eq!(response.headers()[header::CACHE_CONTROL], "max-age=60");
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        json,
        serde_json::json!({"schemaVersion": 1, "label": "platform", "message": "SYNCED",
                           "color": "0b612a", "labelColor": "555555", "cacheSeconds": 300})
    );

    let labelled = server
        .get_text("/badge/web.svg?label=%3Cb%3Eteam%3C%2Fb%3E")
        .await;
    assert_eq!(labelled.0, 200);
    assert!(
        labelled.1.contains(">&lt;b&gt;team&lt;/b&gt;</text>"),
        "{}",
        labelled.1
    );
    let labelled = server.get_text("/badge/web.json?label=team+web").await;
    assert!(
        labelled.1.contains("\"label\":\"team web\""),
        "{}",
        labelled.1
    );
}

#[tokio::test]
async fn unknown_and_invalid_documents_answer_in_the_routes_kind() {
    let (_dir, server) = server().await;
    // A badge is still an image, so an <img> shows why.
    let response = server.get("/badge/nope.svg").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "image/svg+xml; charset=utf-8"
    );
    assert!(response.text().await.unwrap().contains(">not found</text>"));
    let response = server.get("/badge/broken.svg").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains(">invalid</text>"));
    // The shields.io endpoint, JSON like every JSON route.
    let (status, body) = server.get_text("/badge/nope.json").await;
    assert_eq!(status, 404);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "not_found");
    assert_eq!(json["document"], "nope");
    let (status, body) = server.get_text("/badge/broken.json").await;
    assert_eq!(status, 503);
    assert!(body.contains("\"error\":\"document_invalid\""), "{body}");
    // A page, for people.
    let response = server.get("/status/nope.html").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert!(!csp(&response).iter().any(|d| d.starts_with("script-src")));
    assert!(response.text().await.unwrap().contains("No such document"));
    let (status, body) = server.get_text("/status/broken.html").await;
    assert_eq!(status, 503);
    assert!(body.contains("Invalid document: broken"), "{body}");
    // Not routes at all.
    for path in [
        "/status/web.htm",
        "/badge/web.png",
        "/badge/.x.svg",
        "/badge/",
        "/index.html",
    ] {
        assert_eq!(server.get(path).await.status(), 404, "{path}");
    }
    let response = server.client.post(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn the_overview_follows_a_change() {
    let (dir, server) = server().await;
    let before = server.get("/").await.headers()[header::ETAG].clone();
    write(&dir.path().join("web.json"), &doc("web", 0));
    server
        .eventually("/", "two synced documents", |_, body| {
            body.contains("<strong>2</strong> synced")
        })
        .await;
    assert_ne!(server.get("/").await.headers()[header::ETAG], before);
    server
        .eventually("/badge/web.svg", "the new status", |_, body| {
            body.contains(">SYNCED</text>")
        })
        .await;
}
