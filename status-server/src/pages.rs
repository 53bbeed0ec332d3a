//! Surfaces for people: the overview at `/`, one page per document at
//! `/status/{name}.html`, SVG badges and shields.io endpoint answers (`/badge.svg`,
//! `/badge/{name}.svg`, `/badge.json`, `/badge/{name}.json`).
//!
//! Everything here is rendered when it is first asked for, and then kept as long as what it
//! shows is served: a document's page, badges and overview card once per version of its bytes
//! ([`DocumentPages`], held by that version's `Served`), the overview once per overview the
//! publisher decides on (at most once a second, [`Overview`]). A fleet under churn changes
//! thousands of documents that nobody looks at in between: rendering (and compressing) every
//! page of every version up front was most of the server's CPU and memory, for bytes that were
//! mostly never sent. What is rendered is a pure function of the version and the time the
//! publisher gave it (its `stamp`), never of when or by whom it was asked for, so the bytes and
//! their ETags are the same whenever they are rendered. The HTTP layer serves the bytes with
//! their ETags and gzip forms, like the JSON bodies. A badge's `?label=` is rendered per
//! request from the cached message half (`badge.rs`).
//!
//! Templates are maud's (compile-time, every interpolation escaped); the one stylesheet and
//! script are inline and allowed by hash in each response's CSP (`assets.rs`); nothing is
//! loaded from anywhere else; every page works without JavaScript. Links are relative, so the
//! pages work behind a proxy that serves the server under a path prefix, and no request's
//! `Host` header ever reaches the cached bytes.

mod assets;
mod badge;
mod document_page;
mod font_widths;
mod overview;
mod palette;
mod text;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use actix_web::web::Bytes;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::layer::Entry;
use crate::representation::{Body, Content};
use palette::Tone;

pub(crate) use assets::{BADGE_CSP, DOCUMENT_CSP, ERROR_PAGE_CSP, OVERVIEW_CSP};
pub(crate) use badge::{INVALID_SVG, NOT_FOUND_SVG, label_of};

/// One key as the overview lists it: the version served, if any (its pages), and why the
/// latest version is not served. The snapshot's documents are such keys; the pages name no
/// type of the snapshot, which holds them.
pub(crate) trait Listed {
    /// The pages of the version served; none when no version is (the key answers 503).
    fn served(&self) -> Option<&DocumentPages>;
    /// Why the latest version is refused, if it is.
    fn rejected(&self) -> Option<&str>;
}

/// The overview of `documents` (whose `/statuses.json` is `all`) as the body `/` serves,
/// rendered at `stamp`.
pub(crate) fn overview_body<D: Listed>(
    documents: &BTreeMap<String, D>,
    all: &Body,
    stamp: SystemTime,
    settings: Settings,
) -> Arc<Body> {
    let etag = all.content.etag.to_str().unwrap_or_default();
    let html = overview::overview(documents, etag, stamp, settings);
    Arc::new(Body::new(Arc::new(Content::new(Bytes::from(html))), stamp))
}

/// The overview of one set of documents at one time, rendered by the first request for it.
///
/// The publisher makes one when the documents changed (at most once a second); the bytes are
/// what [`overview_body`] gives for them, whenever they are rendered.
#[derive(Debug)]
pub(crate) struct Overview<D> {
    documents: Arc<BTreeMap<String, D>>,
    all: Arc<Body>,
    settings: Settings,
    /// When the overview is as of (its `Last-Modified`, the ages it shows).
    pub(crate) stamp: SystemTime,
    body: OnceLock<Arc<Body>>,
}

impl<D: Listed> Overview<D> {
    /// The overview of `documents`, whose `/statuses.json` is `all`, as of `stamp`.
    pub(crate) fn new(
        documents: Arc<BTreeMap<String, D>>,
        all: Arc<Body>,
        stamp: SystemTime,
        settings: Settings,
    ) -> Self {
        Self {
            documents,
            all,
            settings,
            stamp: crate::representation::truncate_to_seconds(stamp),
            body: OnceLock::new(),
        }
    }

    /// The page: rendered on the first call, kept after.
    pub(crate) fn body(&self) -> &Arc<Body> {
        self.body
            .get_or_init(|| overview_body(&self.documents, &self.all, self.stamp, self.settings))
    }
}

/// What the pages need to know beyond the documents.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Settings {
    /// `--stale-after`: a document whose `last_check` is older is marked stale.
    pub(crate) stale_after: Option<Duration>,
}

/// A document's badges as served with the default label, and what `?label=` renders from.
#[derive(Debug)]
pub(crate) struct Badges {
    /// `/badge/{name}.svg`.
    pub(crate) svg: Arc<Body>,
    /// `/badge/{name}.json`.
    pub(crate) shields: Arc<Body>,
    /// The label and message halves.
    pub(crate) badge: badge::Badge,
}

/// A document version's renderings: each made on first use and kept with the version.
#[derive(Debug)]
pub(crate) struct DocumentPages {
    /// The name (the key without `.json`).
    name: String,
    /// The version.
    entry: Arc<Entry>,
    /// When the version was first served: the time the page's ages are as of.
    stamp: SystemTime,
    /// Its `Last-Modified`.
    modified: SystemTime,
    settings: Settings,
    page: OnceLock<Arc<Body>>,
    badges: OnceLock<Badges>,
    card: OnceLock<overview::Card>,
}

impl DocumentPages {
    /// The renderings of `entry`, served under `key`, first served at `stamp` (`modified`
    /// dates them). Nothing is rendered here.
    pub(crate) fn new(
        key: &str,
        entry: Arc<Entry>,
        stamp: SystemTime,
        modified: SystemTime,
        settings: Settings,
    ) -> Self {
        Self {
            name: key.strip_suffix(".json").unwrap_or(key).to_owned(),
            entry,
            stamp,
            modified,
            settings,
            page: OnceLock::new(),
            badges: OnceLock::new(),
            card: OnceLock::new(),
        }
    }

    fn body(&self, bytes: Vec<u8>) -> Arc<Body> {
        Arc::new(Body::new(
            Arc::new(Content::new(Bytes::from(bytes))),
            self.modified,
        ))
    }

    /// `/status/{name}.html`.
    pub(crate) fn page(&self) -> &Arc<Body> {
        self.page.get_or_init(|| {
            let (doc, json) = (&self.entry.document, &self.entry.content);
            let html = document_page::render(&self.name, doc, json, self.stamp, self.settings);
            self.body(html.into_bytes())
        })
    }

    /// The badges with the default label.
    pub(crate) fn badges(&self) -> &Badges {
        self.badges.get_or_init(|| {
            let badge = badge::Badge::new(&self.entry.document);
            Badges {
                svg: self.body(badge.svg.clone()),
                shields: self.body(badge.shields.labelled(&badge.label)),
                badge,
            }
        })
    }

    /// The document's card on the overview, but for what moves with time.
    pub(crate) fn card(&self) -> &overview::Card {
        self.card
            .get_or_init(|| overview::Card::new(&self.name, &self.entry.document))
    }

    /// The SVG badge with another label (`?label=`): rendered now, never compressed.
    pub(crate) fn badge_labelled(&self, label: &str) -> Bytes {
        Bytes::from(self.badges().badge.svg_labelled(label))
    }

    /// The shields.io answer with another label (`?label=`).
    pub(crate) fn shields_labelled(&self, label: &str) -> Bytes {
        Bytes::from(self.badges().badge.shields.labelled(label))
    }
}

/// The data attributes of a page's `<body>`, which the script reads.
#[derive(Debug, Default)]
struct Live<'a> {
    /// The URL to poll (relative to the page), and the ETag the page was rendered from.
    poll: Option<(&'a str, &'a str)>,
    /// The server's root, relative to the page (`./`, `../`).
    root: &'a str,
    /// `--stale-after`, in seconds.
    stale_after: Option<u64>,
}

/// The page around `content`: the inline style, and (when `live`) the inline script, and a
/// refresh every 30 s for browsers without JavaScript.
fn layout(title: &str, tone: Tone, live: Option<Live<'_>>, content: Markup) -> String {
    let script = live.is_some();
    let live = live.unwrap_or_default();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                // The tab shows the status at a glance (and the browser does not ask for a
                // /favicon.ico that is not there).
                link rel="icon" href=(icon(tone));
                style { (PreEscaped(assets::STYLE.as_str())) }
                @if script {
                    noscript { meta http-equiv="refresh" content="30"; }
                }
            }
            body data-poll=[live.poll.map(|p| p.0)] data-etag=[live.poll.map(|p| p.1)]
                data-root=(live.root) data-stale-after=[live.stale_after] {
                (content)
                @if script {
                    script { (PreEscaped(assets::SCRIPT)) }
                }
            }
        }
    }
    .into_string()
}

/// A dot of `tone`'s colour, as an SVG `data:` URL (the pages' CSP allows `img-src data:`).
fn icon(tone: Tone) -> String {
    format!(
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23{}'/%3E%3C/svg%3E",
        tone.background().trim_start_matches('#')
    )
}

/// The page for a document name that is not served.
pub(crate) static NOT_FOUND_PAGE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    layout(
        "Not found",
        Tone::Neutral,
        None,
        html! {
            main {
                h1 { "No such document" }
                p { "No document by that name is being served. It may have been deleted, or never existed." }
                p { a href="../" { "All documents" } }
            }
        },
    )
    .into_bytes()
});

/// The page for a document that has never been valid (503): its JSON URL has the findings.
pub(crate) fn invalid_page(name: &str, message: &str) -> Vec<u8> {
    layout(
        "Invalid document",
        Tone::Bad,
        None,
        html! {
            main {
                h1 { "Invalid document: " (name) }
                p { "This document has never been valid since the server started, so nothing is served for it. Its JSON URL answers with every finding." }
                p.message.problem { (message) }
                p { a href={ (name) ".json" } { (name) ".json" } " · " a href="../" { "All documents" } }
            }
        },
    )
    .into_bytes()
}

#[cfg(test)]
mod tests;
