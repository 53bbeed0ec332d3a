//! The routes for people and for `<img>` tags: a document's page and its badges, answered from
//! the renderings `pages.rs` made, and in their own kind when there is no document to show
//! (an HTML page, a "not found" or "invalid" badge; JSON for the shields.io endpoint).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use super::{Representation, never_valid, not_found_document, serve};
use crate::pages;
use crate::representation::{Body, Content, content_hash};
use crate::snapshot::{Document, Snapshot};

/// What a badge route answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadgeFormat {
    Svg,
    Shields,
}

/// The document key of `{name}{suffix}` (`name.json`), when it is one.
pub(super) fn html_key(rest: &str, suffix: &str) -> Option<String> {
    let name = rest.strip_suffix(suffix)?;
    let key = format!("{name}.json");
    status_core::is_document_key(&key).then_some(key)
}

/// `/status/{name}.html`: the document's page; an HTML page saying why when there is none.
pub(super) fn page(req: &HttpRequest, snapshot: &Snapshot, key: &str) -> HttpResponse {
    let name = key.trim_end_matches(".json");
    match snapshot.documents.get(key) {
        Some(Document {
            served: Some(served),
            ..
        }) => serve(
            req,
            served.pages.page(),
            &Representation::page(&pages::DOCUMENT_CSP),
        ),
        Some(Document {
            served: None,
            error: Some(err),
        }) => fixed(
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::from(pages::invalid_page(name, &err.message)),
            &Representation::page(&pages::ERROR_PAGE_CSP),
        ),
        _ => fixed(
            StatusCode::NOT_FOUND,
            Bytes::from_static(pages::NOT_FOUND_PAGE.as_slice()),
            &Representation::page(&pages::ERROR_PAGE_CSP),
        ),
    }
}

/// A badge: the SVG or the shields.io endpoint's JSON, with the document's label or `?label=`.
pub(super) fn badge(
    req: &HttpRequest,
    snapshot: &Snapshot,
    key: &str,
    format: BadgeFormat,
) -> HttpResponse {
    let rep = match format {
        BadgeFormat::Svg => Representation::badge(),
        BadgeFormat::Shields => Representation::shields(),
    };
    match snapshot.documents.get(key) {
        Some(Document {
            served: Some(served),
            ..
        }) => {
            let pages = &served.pages;
            let badges = pages.badges();
            let Some(label) = pages::label_of(req.query_string()) else {
                let body = match format {
                    BadgeFormat::Svg => &badges.svg,
                    BadgeFormat::Shields => &badges.shields,
                };
                return serve(req, body, &rep);
            };
            // The one rendering a request does: small, from cached parts, never compressed.
            let bytes = match format {
                BadgeFormat::Svg => pages.badge_labelled(&label),
                BadgeFormat::Shields => pages.shields_labelled(&label),
            };
            let hash = content_hash(&bytes);
            let content = Content::from_parts(bytes, None, hash);
            serve(
                req,
                &Body::new(Arc::new(content), badges.svg.modified),
                &rep,
            )
        }
        Some(Document {
            served: None,
            error: Some(err),
        }) => match format {
            BadgeFormat::Svg => fixed(
                StatusCode::SERVICE_UNAVAILABLE,
                Bytes::from_static(pages::INVALID_SVG.as_slice()),
                &rep,
            ),
            BadgeFormat::Shields => never_valid(key, err),
        },
        _ => match format {
            BadgeFormat::Svg => fixed(
                StatusCode::NOT_FOUND,
                Bytes::from_static(pages::NOT_FOUND_SVG.as_slice()),
                &rep,
            ),
            BadgeFormat::Shields => not_found_document(key.trim_end_matches(".json")),
        },
    }
}

/// A body that is not a document's (an error page or badge): no validators.
fn fixed(code: StatusCode, bytes: Bytes, rep: &Representation) -> HttpResponse {
    let mut response = HttpResponse::build(code).body(bytes);
    rep.apply(response.headers_mut(), true);
    response
}
