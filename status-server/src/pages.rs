//! Surfaces for people: the overview at `/`, one page per document at
//! `/status/{name}.html`, SVG badges and shields.io endpoint answers (`/badge.svg`,
//! `/badge/{name}.svg`, `/badge.json`, `/badge/{name}.json`).
//!
//! Everything here is rendered by the publisher, never by a request: a document's page, badges
//! and overview card once per change of its bytes ([`DocumentPages`], built in
//! `Served::new`), the overview once per snapshot that changed something ([`overview`], next to
//! `/statuses.json`). The HTTP layer serves the bytes with their ETags and gzip forms, like
//! the JSON bodies. The one exception is a badge's `?label=`, rendered per request from the
//! cached message half (`badge.rs`).
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

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_web::web::Bytes;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use status_core::StatusDocument;

use crate::representation::{Body, Content};
use palette::Tone;

pub(crate) use assets::{BADGE_CSP, DOCUMENT_CSP, ERROR_PAGE_CSP, OVERVIEW_CSP};
pub(crate) use badge::{INVALID_SVG, NOT_FOUND_SVG, label_of};

/// The overview of `documents` (whose `/statuses.json` is `all`) as the body `/` serves,
/// rendered at `stamp`.
pub(crate) fn overview_body(
    documents: &std::collections::BTreeMap<String, crate::snapshot::Document>,
    all: &Body,
    stamp: SystemTime,
    settings: Settings,
) -> Arc<Body> {
    let etag = all.content.etag.to_str().unwrap_or_default();
    let html = overview::overview(documents, etag, stamp, settings);
    Arc::new(Body::new(Arc::new(Content::new(Bytes::from(html))), stamp))
}

/// What the pages need to know beyond the documents.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Settings {
    /// `--stale-after`: a document whose `last_check` is older is marked stale.
    pub(crate) stale_after: Option<Duration>,
}

/// A document's renderings, built once per change of its bytes.
#[derive(Debug)]
pub(crate) struct DocumentPages {
    /// `/status/{name}.html`.
    pub(crate) page: Arc<Body>,
    /// `/badge/{name}.svg`, with the default label.
    pub(crate) badge_svg: Arc<Body>,
    /// `/badge/{name}.json`, with the default label.
    pub(crate) shields: Arc<Body>,
    /// What `?label=` renders from.
    pub(crate) badge: badge::Badge,
    /// The document's card on the overview, but for what moves with time.
    pub(crate) card: overview::Card,
}

impl DocumentPages {
    /// The renderings of `document`, served under `key` with the JSON `json`, first served at
    /// `stamp` (`modified` dates them).
    pub(crate) fn new(
        key: &str,
        document: &StatusDocument,
        json: &Content,
        stamp: SystemTime,
        modified: SystemTime,
        settings: Settings,
    ) -> Self {
        let name = key.strip_suffix(".json").unwrap_or(key);
        let badge = badge::Badge::new(document);
        let body = |bytes: Vec<u8>| {
            Arc::new(Body::new(
                Arc::new(Content::new(Bytes::from(bytes))),
                modified,
            ))
        };
        Self {
            page: body(document_page::render(name, document, json, stamp, settings).into_bytes()),
            badge_svg: body(badge.svg.clone()),
            shields: body(badge.shields.labelled(&badge.label)),
            card: overview::Card::new(name, document),
            badge,
        }
    }

    /// The SVG badge with another label (`?label=`): rendered now, never compressed.
    pub(crate) fn badge_labelled(&self, label: &str) -> Bytes {
        Bytes::from(self.badge.svg_labelled(label))
    }

    /// The shields.io answer with another label (`?label=`).
    pub(crate) fn shields_labelled(&self, label: &str) -> Bytes {
        Bytes::from(self.badge.shields.labelled(label))
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
