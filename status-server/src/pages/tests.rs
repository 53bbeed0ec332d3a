//! Tests of the pages as bytes: escaping of hostile documents, the CSP hashes against the
//! inline blocks actually rendered, and what the overview counts. (How a browser takes them
//! is `tests/api/browser.rs`.)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::*;
use crate::snapshot::{Document, Served};

/// 2026-04-21T12:30:00Z.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_776_774_600)
}

const HOSTILE: &str = r#"{"repo":"<script>window.__pwned=1</script>","server":"\"><img src=x onerror=\"window.__pwned=2\">","app":"a&b 'quoted' </style>","sync_status":"OUT_OF_SYNC","drift_count":2,"files":["<b>bold</b>.yaml","x\u0001y"],"last_check":"2026-04-21T12:00:00Z","message":"</script><script>alert(1)</script>","revision":"\"><svg onload=alert(1)>"}"#;

const PLAIN: &str = r#"{"repo":"platform","server":"prod-cluster-01","sync_status":"SYNCED","health_status":"Healthy","drift_count":0,"files":[],"last_check":"2026-04-21T12:20:00Z","revision":"4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f"}"#;

fn served(key: &str, json: &str, settings: Settings) -> Arc<Served> {
    let entry = crate::layer::check(
        String::new,
        json.as_bytes().to_vec(),
        SystemTime::UNIX_EPOCH,
    )
    .unwrap_or_else(|e| panic!("{}", e.message));
    Arc::new(Served::new(key, entry, t0(), settings))
}

fn text(body: &Body) -> String {
    String::from_utf8(body.content.bytes.to_vec()).unwrap()
}

/// The text between the first `open` and the next `close`.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find(close).unwrap();
    &html[start..end]
}

/// Assertions every page rendered from [`HOSTILE`] must pass: its strings are text, never
/// markup.
fn assert_inert(html: &str) {
    // Our own script and style, once each, and nothing else of the kind.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert_eq!(html.matches("</script>").count(), 1, "{html}");
    assert_eq!(html.matches("<style").count(), 1, "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(!html.contains("<svg onload"), "{html}");
    assert!(!html.contains("<b>bold"), "{html}");
    // ...shown as text instead.
    assert!(
        html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;"));
    assert!(html.contains("a&amp;b 'quoted' &lt;/style&gt;"));
}

#[test]
fn hostile_strings_are_text_on_every_page() {
    let settings = Settings::default();
    let hostile = served("evil.json", HOSTILE, settings);
    assert_inert(&text(&hostile.pages.page));

    let documents: BTreeMap<String, Document> = [(
        "evil.json".to_owned(),
        Document {
            served: Some(hostile.clone()),
            error: None,
        },
    )]
    .into();
    let all = Body::new(Arc::new(crate::representation::empty_array()), t0());
    let overview = overview_body(&documents, &all, t0(), settings);
    assert_inert(&text(&overview));

    // The badges: XML-escaped, and the control character replaced (XML forbids it).
    let svg = String::from_utf8(hostile.pages.badge.svg.clone()).unwrap();
    assert!(svg.contains("a&amp;b 'quoted' &lt;/style&gt;"), "{svg}");
    assert!(!svg.contains("</style>"));
    let labelled = String::from_utf8(
        hostile
            .pages
            .badge_labelled("<script>x</script>\u{1}")
            .to_vec(),
    )
    .unwrap();
    assert!(
        labelled.contains("&lt;script&gt;x&lt;/script&gt;\u{FFFD}"),
        "{labelled}"
    );
    assert!(!labelled.contains("<script"));
}

#[test]
fn the_csp_allows_exactly_the_inline_blocks_rendered() {
    let page = served("platform.json", PLAIN, Settings::default());
    let documents: BTreeMap<String, Document> = [(
        "platform.json".to_owned(),
        Document {
            served: Some(page.clone()),
            error: None,
        },
    )]
    .into();
    let all = Body::new(Arc::new(crate::representation::empty_array()), t0());
    let overview = text(&overview_body(&documents, &all, t0(), Settings::default()));
    for (html, csp) in [
        (overview, &*OVERVIEW_CSP),
        (text(&page.pages.page), &*DOCUMENT_CSP),
    ] {
        let csp = csp.to_str().unwrap();
        let style = assets::hash_source(between(&html, "<style>", "</style>"));
        let script = assets::hash_source(between(&html, "<script>", "</script>"));
        assert!(csp.contains(&format!("style-src {style};")), "{csp}");
        assert!(csp.contains(&format!("script-src {script};")), "{csp}");
    }
    let error = String::from_utf8(NOT_FOUND_PAGE.clone()).unwrap();
    let style = assets::hash_source(between(&error, "<style>", "</style>"));
    let csp = ERROR_PAGE_CSP.to_str().unwrap();
    assert!(csp.contains(&format!("style-src {style};")), "{csp}");
    assert!(!error.contains("<script"));
}

#[test]
fn the_overview_counts_and_marks_stale_documents() {
    let settings = Settings {
        stale_after: Some(Duration::from_secs(15 * 60)),
    };
    let fresh = served("platform.json", PLAIN, settings);
    let stale = served("evil.json", HOSTILE, settings);
    let mut documents: BTreeMap<String, Document> = BTreeMap::new();
    for (key, served) in [("platform.json", fresh), ("evil.json", stale)] {
        documents.insert(
            key.to_owned(),
            Document {
                served: Some(served),
                error: None,
            },
        );
    }
    documents.insert(
        "broken.json".to_owned(),
        Document {
            served: None,
            error: Some(Arc::new(crate::layer::LoadError {
                origin: "test".into(),
                message: "E005 missing-field at $.repo".into(),
                findings: Vec::new(),
                content: None,
            })),
        },
    );
    let all = Body::new(Arc::new(crate::representation::empty_array()), t0());
    let html = text(&overview_body(&documents, &all, t0(), settings));
    assert!(html.contains("<strong>1</strong> synced"), "{html}");
    assert!(html.contains("<strong>1</strong> out of sync"), "{html}");
    assert!(html.contains("<strong>0</strong> error"), "{html}");
    assert!(
        html.contains("<strong id=\"stale-count\">1</strong> stale"),
        "{html}"
    );
    assert!(html.contains("<strong>1</strong> invalid"), "{html}");
    // 30 min old (stale, marker shown) and 10 min old (fresh, marker hidden).
    assert!(
        html.contains(">30 min ago</time> <span class=\"chip stale-chip\">stale</span>"),
        "{html}"
    );
    assert!(
        html.contains(">10 min ago</time> <span class=\"chip stale-chip\" hidden>stale</span>"),
        "{html}"
    );
    assert!(html.contains("data-stale-after=\"900\""));
    assert!(html.contains(
        "Ages as of <time datetime=\"2026-04-21T12:30:00Z\">2026-04-21 12:30:00 UTC</time>"
    ));
    // The revision, short, with the whole of it on hover; links stay relative.
    assert!(
        html.contains("<code title=\"4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f\">4f2a9c1</code>")
    );
    assert!(html.contains("href=\"status/platform.html\""));
    assert!(
        !html.contains("href=\"/"),
        "absolute links break behind a path prefix"
    );
}

#[test]
fn the_document_page_has_snippets_without_a_host() {
    let page = served("platform.json", PLAIN, Settings::default());
    let html = text(&page.pages.page);
    assert!(
        html.contains("data-template=\"![status]({base}badge/platform.svg)\""),
        "{html}"
    );
    assert!(html.contains("![status](http://STATUS-SERVER/badge/platform.svg)"));
    assert!(html.contains("curl -s http://STATUS-SERVER/status/platform.json"));
    assert!(html.contains(
        "https://img.shields.io/endpoint?url=http%3A%2F%2FSTATUS-SERVER%2Fbadge/platform.json"
    ));
    assert!(html.contains("<img src=\"../badge/platform.svg\""));
    assert!(html.contains("data-poll=\"platform.json\""));
    let etag = page
        .body
        .content
        .etag
        .to_str()
        .unwrap()
        .replace('"', "&quot;");
    assert!(html.contains(&format!("data-etag=\"{etag}\"")), "{html}");
}

#[test]
#[ignore = "a measurement, not a check: cargo test -p status-server --lib overview_cost -- --ignored --nocapture"]
fn overview_cost_at_fleet_scale() {
    let settings = Settings {
        stale_after: Some(Duration::from_secs(3600)),
    };
    let documents: BTreeMap<String, Document> = (0..2000)
        .map(|i| {
            let key = format!("app-{i:04}.json");
            let json = PLAIN.replace(
                "platform",
                &format!("https://git.example.com/team-{}/app-{i}.git", i % 40),
            );
            let served = served(&key, &json, settings);
            (
                key,
                Document {
                    served: Some(served),
                    error: None,
                },
            )
        })
        .collect();
    let all = Body::new(Arc::new(crate::representation::empty_array()), t0());
    let etag = all.content.etag.to_str().unwrap();
    let started = std::time::Instant::now();
    let html = overview::overview(&documents, etag, t0(), settings);
    let render = started.elapsed();
    let started = std::time::Instant::now();
    let content = Content::new(Bytes::from(html.clone()));
    let gzip = started.elapsed();
    eprintln!(
        "2000 cards: {} bytes, gzip {} bytes; render {render:?}, gzip {gzip:?}",
        html.len(),
        content.gzip.as_ref().map_or(0, |g| g.len())
    );
}
