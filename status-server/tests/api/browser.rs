//! The pages in a real browser: Debian's Chromium, driven by `tests/browser/pages.mjs`
//! (playwright-core from npm, installed with axe-core by `cargo xtask tools`), against the
//! real server. The script observes; this test judges: what a person sees (text, chips,
//! counts, the stale marker), that hostile strings run nothing, that no request leaves the
//! server, that the CSP blocks nothing (so it allows exactly what the pages use), that the
//! open page follows a change, that a badge loads in an `<img>` as wide as the width table
//! says (and that the table agrees with the font Chromium draws), and axe-core's verdict.
//!
//! Screenshots (desktop, dark, 390 px, a document's page) go to `target/tmp/screenshots`;
//! with `UPDATE_SCREENSHOTS=1` also to `docs/images/`, to be committed.
//!
//! Chromium or the npm packages missing is a failure, never a skip.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::helpers::{spawn, write};

/// The system Chromium; `GITOPS_STATUS_CHROMIUM` overrides it.
fn chromium() -> PathBuf {
    let path = std::env::var_os("GITOPS_STATUS_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.is_file(),
        "{} not found: the browser tests need Debian's chromium; run `cargo xtask tools`",
        path.display()
    );
    path
}

/// Where `cargo xtask tools` installed playwright-core and axe-core.
fn node_modules() -> PathBuf {
    let dir = fake_apiserver::tools::dir()
        .parent()
        .map(|tools| tools.join("browser/node_modules"))
        .unwrap_or_default();
    for package in ["playwright-core", "axe-core"] {
        assert!(
            dir.join(package).is_dir(),
            "{} not found: run `cargo xtask tools`",
            dir.join(package).display()
        );
    }
    dir
}

fn rfc3339(ago: Duration) -> String {
    let t: chrono::DateTime<chrono::Utc> = (SystemTime::now() - ago).into();
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn document(fields: &str, ago: Duration) -> String {
    format!(
        "{{{fields}, \"server\": \"prod-cluster-01\", \"last_check\": \"{}\"}}\n",
        rfc3339(ago)
    )
}

const MIN: Duration = Duration::from_secs(60);

/// The documents a person would see on a real day: synced, out of sync with files, an error
/// with its message, a stale one, and one whose every string is an attack.
fn documents(dir: &Path) {
    let files = [
        (
            "status.json",
            document(
                r#""repo": "platform", "app": "guestbook", "sync_status": "SYNCED", "health_status": "Healthy", "drift_count": 0, "files": [], "revision": "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f", "environment": "production""#,
                2 * MIN,
            ),
        ),
        (
            "web.json",
            document(
                r#""repo": "web", "sync_status": "OUT_OF_SYNC", "health_status": "Progressing", "drift_count": 3, "files": ["apps/web/deployment.yaml", "apps/web/service.yaml", "apps/web/ingress.yaml"]"#,
                5 * MIN,
            ),
        ),
        (
            "db.json",
            document(
                r#""repo": "databases", "sync_status": "ERROR", "drift_count": 0, "files": [], "message": "git fetch failed: authentication required""#,
                MIN,
            ),
        ),
        (
            "old.json",
            document(
                r#""repo": "legacy", "sync_status": "SYNCED", "drift_count": 0, "files": []"#,
                3 * 60 * MIN,
            ),
        ),
        (
            "evil.json",
            document(
                r#""repo": "<script>window.__pwned=1</script>", "app": "\"><img src=x onerror=\"window.__pwned=2\">", "sync_status": "OUT_OF_SYNC", "drift_count": 1, "files": ["<img src=y onerror=alert(1)>"], "message": "</style><script>alert(document.domain)</script>""#,
                MIN,
            ),
        ),
    ];
    for (key, body) in files {
        write(&dir.join(key), &body);
    }
}

/// `attr="..."` of the first element of `svg` that has it, after `after`.
fn attribute<'a>(svg: &'a str, after: &str, attr: &str) -> &'a str {
    let from = svg.find(after).unwrap_or(0);
    let rest = &svg[from..];
    let start = rest.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
    &rest[start..start + rest[start..].find('"').unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_in_chromium() {
    let chromium = chromium();
    let node_modules = node_modules();
    let dir = tempfile::tempdir().unwrap();
    documents(dir.path());
    let server = spawn(&["--dir", dir.path().to_str().unwrap(), "--stale-after", "1h"]).await;
    let base = server.url("/");
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/pages.mjs");
    let updated = document(
        r#""repo": "web", "sync_status": "SYNCED", "health_status": "Healthy", "drift_count": 0, "files": []"#,
        Duration::ZERO,
    );

    // The badge as the page will load it (the script changes web.json at its end).
    let svg = server.get_text("/badge/web.svg").await.1;
    let output = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new("node")
            .arg(&script)
            .env("BASE_URL", &base)
            .env("DOCS_DIR", dir.path())
            .env("UPDATED_WEB", &updated)
            .env("CHROMIUM", &chromium)
            .env("NODE_MODULES", &node_modules)
            .env("SCREENSHOTS", &screenshots)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser script finishes within 90 s")
    .expect("node runs (is it installed?)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser script failed: {}\n{}\n{stdout}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim()).expect("one JSON report");

    // Nothing ran that the server did not write, and nothing was blocked or fetched elsewhere.
    assert_eq!(report["dialogs"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["pageErrors"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["cspViolations"], serde_json::json!([]), "{report:#}");
    let console: Vec<&str> = report["console"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|m| m.contains(": error: ") || m.contains("Content Security Policy"))
        .collect();
    assert!(
        console.is_empty(),
        "console errors: {console:#?}\n{:#}",
        report["requests"]
    );
    let requests: Vec<&str> = report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(requests.len() >= 5, "{requests:?}");
    for url in &requests {
        assert!(
            url.starts_with(&base),
            "a request outside the server: {url}"
        );
    }
    for page in ["overview", "document", "evil"] {
        let pwned = if page == "overview" {
            &report["overview"]["pwned"]
        } else {
            &report[page]["pwned"]
        };
        assert_eq!(pwned, "undefined", "{page}: an injected script ran");
    }

    // What a person sees.
    let overview = &report["overview"];
    assert_eq!(overview["title"], "GitOps status");
    assert_eq!(
        overview["summary"], "2 synced 2 out of sync 1 error 1 stale 5 documents",
        "{overview:#}"
    );
    assert!(overview["freshness"].as_str().unwrap().starts_with("Live"));
    let cards = overview["cards"].as_array().unwrap();
    let card = |title: &str| {
        cards
            .iter()
            .find(|c| c["title"].as_str().unwrap().starts_with(title))
            .unwrap_or_else(|| panic!("no card {title}: {cards:#?}"))
    };
    assert_eq!(
        card("guestbook")["chips"],
        serde_json::json!(["SYNCED", "Healthy"])
    );
    assert_eq!(card("guestbook")["title"], "guestbook (status)");
    assert_eq!(card("guestbook")["age"], "2 min ago");
    assert_eq!(
        card("web")["chips"],
        serde_json::json!(["OUT_OF_SYNC", "Progressing"])
    );
    assert_eq!(card("web")["age"], "5 min ago");
    assert!(
        card("web")["text"]
            .as_str()
            .unwrap()
            .contains("3 (3 files)")
    );
    assert_eq!(card("db")["chips"], serde_json::json!(["ERROR"]));
    assert!(
        card("db")["text"]
            .as_str()
            .unwrap()
            .contains("git fetch failed: authentication required")
    );
    assert_eq!(card("old")["stale"], true);
    assert_eq!(card("old")["age"], "3 h ago");
    for fresh in ["db", "web", "guestbook", "\"><img"] {
        assert_eq!(card(fresh)["stale"], false, "{fresh}");
    }
    let evil = card("\"><img");
    assert_eq!(
        evil["title"],
        "\"><img src=x onerror=\"window.__pwned=2\"> (evil)"
    );
    let evil_text = evil["text"].as_str().unwrap();
    assert!(
        evil_text.contains("<script>window.__pwned=1</script>"),
        "{evil_text}"
    );
    assert!(evil_text.contains("</style><script>alert(document.domain)</script>"));
    assert_eq!(
        report["webFiles"],
        "apps/web/deployment.yaml\napps/web/service.yaml\napps/web/ingress.yaml"
    );
    assert!(overview["scrollWidth"].as_u64().unwrap() <= 1280);
    assert!(
        report["mobile"]["scrollWidth"].as_u64().unwrap() <= 390,
        "the overview scrolls sideways at 390 px: {}",
        report["mobile"]
    );
    assert!(report["mobile"]["documentScrollWidth"].as_u64().unwrap() <= 390);

    // Without JavaScript the page is all there, and says when its ages were true.
    assert_eq!(report["noScript"]["cards"], 5);
    assert!(
        report["noScript"]["freshness"]
            .as_str()
            .unwrap()
            .starts_with("Ages as of ")
    );
    assert_eq!(report["noScript"]["summary"], overview["summary"]);

    // The document's page: its badge as an image, as wide as the table measures.
    let document = &report["document"];
    let width: u64 = attribute(&svg, "<svg", "width").parse().unwrap();
    assert_eq!(document["img"]["naturalWidth"], width, "{document:#}");
    assert_eq!(document["img"]["naturalHeight"], 20);
    assert!((60..400).contains(&width), "{width}");
    assert!(document["img"]["src"].as_str().unwrap().starts_with(&base));
    // The table's widths (each text's textLength) are what Chromium measures in the font.
    for text in ["web", "OUT_OF_SYNC", "Progressing"] {
        let end = svg.find(&format!(">{text}</text>")).unwrap();
        let start = svg[..end].rfind("textLength=\"").unwrap() + "textLength=\"".len();
        let table: f64 = svg[start..start + svg[start..].find('"').unwrap()]
            .parse()
            .unwrap();
        let measured = document["widths"][text].as_f64().unwrap();
        assert!(
            (measured - table).abs() <= 0.06,
            "{text}: Chromium draws {measured} px, the table says {table}"
        );
    }
    let snippets: Vec<&str> = document["snippets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        snippets.contains(&format!("{base}status/web.json").as_str()),
        "{snippets:?}"
    );
    assert!(snippets.contains(&format!("![status]({base}badge/web.svg)").as_str()));
    assert!(snippets.contains(&format!("curl -s {base}status/web.json").as_str()));
    assert!(snippets.iter().any(|s| s.starts_with("https://img.shields.io/endpoint?url=http%3A%2F%2F127.0.0.1%3A")));
    assert_eq!(
        report["evil"]["images"],
        serde_json::json!(["../badge/evil.svg"])
    );
    assert!(report["evil"]["badgeWidth"].as_u64().unwrap() > 100);

    // The open page followed the change by itself.
    let updated = &report["updated"];
    assert_eq!(
        updated["summary"], "3 synced 1 out of sync 1 error 1 stale 5 documents",
        "{updated:#}"
    );
    let web = updated["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "web")
        .unwrap();
    assert_eq!(web["chips"], serde_json::json!(["SYNCED", "Healthy"]));
    assert!(updated["afterMs"].as_u64().unwrap() < 15_000);

    // axe-core: no serious or critical violations, light and dark, desktop and phone.
    let serious: Vec<&Value> = report["axe"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(serious.is_empty(), "axe-core: {serious:#?}");
    if !report["axe"].as_array().unwrap().is_empty() {
        eprintln!("axe-core, minor and moderate: {:#}", report["axe"]);
    }

    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/images");
        std::fs::create_dir_all(&docs).unwrap();
        for name in [
            "overview.png",
            "overview-dark.png",
            "overview-mobile.png",
            "document.png",
        ] {
            std::fs::copy(screenshots.join(name), docs.join(name)).unwrap();
        }
    }
}
