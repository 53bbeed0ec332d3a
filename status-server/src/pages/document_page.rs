//! `/status/{name}.html`: one document for people: every field, every drifted file, its badge,
//! and what to paste elsewhere (its JSON URL, the badge's Markdown, the shields.io endpoint
//! URL, a `curl` line).
//!
//! The snippets need the server's address, which the cached bytes must not take from a
//! request's `Host` header (anyone can send one, and caches would keep it). They hold a
//! placeholder, and the page's script fills in the address the browser itself used; without
//! JavaScript the placeholder stays, with a note.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use maud::html;
use status_core::StatusDocument;

use super::palette::{document_tone, health_tone, sync_tone};
use super::text::{age, exact, machine, utc};
use super::{Live, Settings, layout};
use crate::representation::Content;

/// What the snippets show for the server's address until the script fills it in.
const PLACEHOLDER: &str = "http://STATUS-SERVER/";

/// Files listed (a document may hold thousands; the JSON has them all).
const MAX_FILES: usize = 1000;

/// The page of document `name`, whose JSON body is `json`, rendered at `stamp`.
pub(crate) fn render(
    name: &str,
    doc: &StatusDocument,
    json: &Content,
    stamp: SystemTime,
    settings: Settings,
) -> String {
    let now: DateTime<Utc> = stamp.into();
    let last_check = utc(&doc.last_check());
    let seconds = (now - last_check).num_seconds();
    let stale_after = settings.stale_after.map(|d| d.as_secs());
    let stale = stale_after.is_some_and(|after| seconds > i64::try_from(after).unwrap_or(i64::MAX));
    let sync = doc.sync_status();
    let title = doc.app().unwrap_or(name);
    let files: Vec<&str> = doc.file_names().collect();
    let json_path = format!("status/{name}.json");
    let badge_path = format!("badge/{name}.svg");
    let shields_path = format!("badge/{name}.json");
    let etag = json.etag.to_str().unwrap_or_default();
    let snippets = [
        ("JSON", format!("{{base}}{json_path}")),
        (
            "Badge (Markdown)",
            format!("![status]({{base}}{badge_path})"),
        ),
        (
            "Badge (HTML)",
            format!("<img src=\"{{base}}{badge_path}\" alt=\"status\">"),
        ),
        (
            "shields.io",
            format!("https://img.shields.io/endpoint?url={{base-encoded}}{shields_path}"),
        ),
        ("curl", format!("curl -s {{base}}{json_path}")),
    ];
    let content = html! {
        header {
            p { a href="../" { "All documents" } }
            h1 { (title) }
            p.chips {
                span class=(sync_tone(sync).class()) { (sync.as_str()) }
                @if let Some(health) = doc.health_status() {
                    span class=(health_tone(health).class()) { (health.as_str()) }
                }
            }
        }
        main data-doc {
            p {
                "Checked "
                time datetime=(machine(&last_check)) title=(exact(&last_check)) data-age { (age(seconds)) }
                @if stale_after.is_some() {
                    " " span.chip.stale-chip hidden[!stale] { "stale" }
                }
            }
            p.muted id="freshness" {
                "Age as of " time datetime=(machine(&now)) { (exact(&now)) } ", when this version was first served."
            }
            dl {
                dt { "Document" } dd { code { (name) ".json" } }
                @if let Some(app) = doc.app() { dt { "App" } dd { (app) } }
                dt { "Repo" } dd { (doc.repo()) }
                dt { "Server" } dd { (doc.server()) }
                @if let Some(environment) = doc.environment() { dt { "Environment" } dd { (environment) } }
                dt { "Sync status" } dd { (sync.as_str()) }
                @if let Some(health) = doc.health_status() { dt { "Health" } dd { (health.as_str()) } }
                dt { "Drift count" } dd { (doc.drift_count()) }
                @if let Some(revision) = doc.revision() { dt { "Revision" } dd { code { (revision) } } }
                dt { "Last check" } dd { (exact(&last_check)) " (" (doc.last_check().to_rfc3339()) ")" }
            }
            @if let Some(message) = doc.message() {
                h2 { "Message" }
                p.message { (message) }
            }
            @if !files.is_empty() {
                h2 { "Drifted files (" (files.len()) ")" }
                ul {
                    @for file in files.iter().take(MAX_FILES) { li { code { (file) } } }
                }
                @if files.len() > MAX_FILES {
                    p.muted { "and " (files.len() - MAX_FILES) " more in " a href={ (name) ".json" } { "the JSON" } }
                }
            }
            h2 { "Badge" }
            p { img src={ "../" (badge_path) } alt={ "status: " (sync.as_str()) }; }
            h2 { "Use it elsewhere" }
            p.muted {
                "Addresses below are relative to this server; "
                code { (PLACEHOLDER) } " stands for the address you reach it at (with JavaScript, the page fills it in). "
                "shields.io needs an address it can reach from the internet. "
                "Append " code { "?label=TEXT" } " to a badge's address for another label."
            }
            @for (what, template) in &snippets {
                h3 { (what) }
                pre { code data-template=(template) { (fill(template, PLACEHOLDER)) } }
            }
        }
        footer.muted {
            p { a href={ (name) ".json" } { "JSON" } " · " a href="../" { "All documents" } }
        }
    };
    layout(
        title,
        document_tone(sync, doc.health_status()),
        Some(Live {
            poll: Some((&format!("{name}.json"), etag)),
            root: "../",
            stale_after,
        }),
        content,
    )
}

/// A snippet with `base` for the server's address (what the script does with the real one).
fn fill(template: &str, base: &str) -> String {
    template
        .replace("{base-encoded}", &encode_component(base))
        .replace("{base}", base)
}

/// `encodeURIComponent`, for the placeholder (the script uses the browser's own).
fn encode_component(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
