//! The overview at `/`: every document as a card (app or key, chips for sync and health,
//! when it was checked, repo, server, revision, drift with the drifted files, the message),
//! under a summary line, rendered once per snapshot that changed something.
//!
//! A card's parts that depend only on the document's bytes ([`Card`]) are rendered once per
//! change of those bytes, with the document's other renderings; a snapshot renders only what
//! moves with time or with other sources (the age, the stale marker, a rejected newer version)
//! and puts the page together, so a change to one document of thousands re-renders one card.

use std::collections::BTreeMap;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use status_core::{StatusDocument, SyncStatus};

use super::Listed;
use super::palette::{Tone, health_tone, sync_tone};
use super::text::{age, exact, machine, short_revision, truncate, utc};
use super::{Live, Settings, layout};

/// Files listed on a card; the rest are counted (the document's page lists them all).
const MAX_FILES: usize = 50;
/// Characters of a message shown on a card (the document's page shows all of it).
const MAX_MESSAGE: usize = 600;

/// A document's card but for its age: rendered once per change of the document's bytes.
#[derive(Debug)]
pub(crate) struct Card {
    /// The heading and the chips.
    top: String,
    /// The fields, the drift and the message.
    bottom: String,
    /// When it was checked.
    last_check: DateTime<Utc>,
    /// `last_check` for `<time datetime>` and for people (formatting dates is most of what a
    /// card would cost a snapshot).
    datetime: String,
    exact: String,
}

impl Card {
    pub(crate) fn new(name: &str, doc: &StatusDocument) -> Self {
        let sync = doc.sync_status();
        let top = html! {
            h2 {
                a href={ "status/" (name) ".html" } { (doc.app().unwrap_or(name)) }
                @if doc.app().is_some() { " " span.key.muted { "(" (name) ")" } }
            }
            p.chips {
                span class=(sync_tone(sync).class()) { (sync.as_str()) }
                @if let Some(health) = doc.health_status() {
                    span class=(health_tone(health).class()) { (health.as_str()) }
                }
            }
        }
        .into_string();
        let files: Vec<&str> = doc.file_names().collect();
        let bottom = html! {
            dl {
                dt { "Repo" } dd { (doc.repo()) }
                dt { "Server" } dd { (doc.server()) }
                @if let Some(environment) = doc.environment() {
                    dt { "Environment" } dd { (environment) }
                }
                @if let Some(revision) = doc.revision() {
                    dt { "Revision" } dd { code title=(revision) { (short_revision(revision)) } }
                }
                dt { "Drift" }
                dd {
                    @if files.is_empty() {
                        (doc.drift_count())
                    } @else {
                        details {
                            summary { (doc.drift_count()) " (" (files.len()) " " (if files.len() == 1 { "file" } else { "files" }) ")" }
                            ul {
                                @for file in files.iter().take(MAX_FILES) { li { code { (file) } } }
                            }
                            @if files.len() > MAX_FILES {
                                p.muted { "and " (files.len() - MAX_FILES) " more on " a href={ "status/" (name) ".html" } { "the document's page" } }
                            }
                        }
                    }
                }
            }
            @if let Some(message) = doc.message() {
                p.message { (truncate(message, MAX_MESSAGE)) }
            }
        }
        .into_string();
        let last_check = utc(&doc.last_check());
        Self {
            top,
            bottom,
            datetime: machine(&last_check),
            exact: exact(&last_check),
            last_check,
        }
    }
}

/// How many documents are in each state, for the summary line.
#[derive(Debug, Default)]
struct Counts {
    synced: usize,
    out_of_sync: usize,
    unknown: usize,
    error: usize,
    stale: usize,
    invalid: usize,
}

impl Counts {
    /// The colour of the whole: the worst state any document is in.
    fn worst(&self) -> Tone {
        if self.error + self.invalid > 0 {
            Tone::Bad
        } else if self.out_of_sync > 0 {
            Tone::Drifted
        } else if self.unknown + self.stale > 0 {
            Tone::Unknown
        } else if self.synced > 0 {
            Tone::Good
        } else {
            Tone::Neutral
        }
    }
}

/// The overview of `documents` at `stamp`: the page `/` serves. `statuses_etag` is the tag of
/// the `/statuses.json` of the same snapshot, which the page's script polls.
pub(crate) fn overview<D: Listed>(
    documents: &BTreeMap<String, D>,
    statuses_etag: &str,
    stamp: SystemTime,
    settings: Settings,
) -> String {
    let now: DateTime<Utc> = stamp.into();
    let stale_after = settings
        .stale_after
        .and_then(|d| chrono::Duration::from_std(d).ok());
    let mut counts = Counts::default();
    let mut cards = Vec::with_capacity(documents.len());
    for (key, document) in documents.iter() {
        let name = key.strip_suffix(".json").unwrap_or(key);
        match document.served() {
            Some(pages) => {
                let doc = &pages.entry.document;
                match doc.sync_status() {
                    SyncStatus::Synced => counts.synced += 1,
                    SyncStatus::OutOfSync => counts.out_of_sync += 1,
                    SyncStatus::Unknown => counts.unknown += 1,
                    SyncStatus::Error => counts.error += 1,
                }
                let card = pages.card();
                let stale = stale_after.is_some_and(|after| now - card.last_check > after);
                counts.stale += usize::from(stale);
                let rejected = document.rejected();
                cards.push(served_card(
                    card,
                    now,
                    stale,
                    stale_after.is_some(),
                    rejected,
                ));
            }
            None => {
                counts.invalid += 1;
                let message = document.rejected().unwrap_or_default();
                cards.push(invalid_card(name, message));
            }
        }
    }
    let total = cards.len();
    let content = html! {
        header {
            h1 { "GitOps status" }
            ul.summary aria-label="Summary" {
                li { strong { (counts.synced) } " synced" }
                li { strong { (counts.out_of_sync) } " out of sync" }
                li { strong { (counts.error) } " error" }
                @if counts.unknown > 0 { li { strong { (counts.unknown) } " unknown" } }
                @if stale_after.is_some() { li { strong id="stale-count" { (counts.stale) } " stale" } }
                @if counts.invalid > 0 { li { strong { (counts.invalid) } " invalid" } }
                li.muted { (total) " " (if total == 1 { "document" } else { "documents" }) }
            }
            @if !cards.is_empty() {
                p.muted id="freshness" {
                    "Ages as of " time datetime=(machine(&now)) { (exact(&now)) } ", when the documents last changed."
                }
            }
        }
        main {
            @if cards.is_empty() {
                p { "No documents are being served yet." }
            } @else {
                ul.cards { @for card in &cards { (card) } }
            }
        }
        footer.muted {
            p {
                "Data: " a href="statuses.json" { "statuses.json" } " · "
                a href="metrics" { "metrics" } " · "
                a href="readyz" { "readiness" }
            }
        }
    };
    layout(
        "GitOps status",
        counts.worst(),
        Some(Live {
            poll: Some(("statuses.json", statuses_etag)),
            root: "./",
            stale_after: stale_after.map(|d| d.num_seconds().max(0) as u64),
        }),
        content,
    )
}

/// A served document's card at `now`.
fn served_card(
    card: &Card,
    now: DateTime<Utc>,
    stale: bool,
    stale_tracked: bool,
    rejected: Option<&str>,
) -> Markup {
    let seconds = (now - card.last_check).num_seconds();
    html! {
        li.card data-doc {
            (PreEscaped(&card.top))
            p {
                "Checked "
                time datetime=(card.datetime) title=(card.exact) data-age { (age(seconds)) }
                @if stale_tracked {
                    " " span.chip.stale-chip hidden[!stale] { "stale" }
                }
            }
            (PreEscaped(&card.bottom))
            @if let Some(rejected) = rejected {
                p.message.problem { "Its latest version was rejected (the last good one is shown): " (truncate(rejected, MAX_MESSAGE)) }
            }
        }
    }
}

/// The card of a document that has never been valid.
fn invalid_card(name: &str, message: &str) -> Markup {
    html! {
        li.card {
            h2 { a href={ "status/" (name) ".json" } { (name) } }
            p.chips { span class=(Tone::Bad.class()) { "INVALID" } }
            p.message.problem { "Never valid since the server started; nothing is served for it: " (truncate(message, MAX_MESSAGE)) }
        }
    }
}
