//! The badges: an SVG (shields.io's flat shape: a grey label, then the sync status and the
//! health in Argo CD's colours) and the shields.io endpoint JSON, for one document.
//!
//! Both are rendered once per change of the document's bytes. `?label=` is the one rendering
//! that depends on a request: the message half of the SVG is kept pre-rendered and
//! position-independent ([`Message`]), so a custom label costs one measurement and one tiny
//! template, with the label cut to [`MAX_LABEL`] characters and escaped like every string.

use std::borrow::Cow;
use std::sync::LazyLock;

use maud::{PreEscaped, html};
use serde::Serialize;
use status_core::{StatusDocument, SyncStatus};

use super::palette::{Tone, document_tone, health_tone, sync_tone};
use super::text::{text_width, truncate, xml_safe};

/// The longest label shown, in characters (a longer `?label=`, app or repo is cut, with `…`).
pub(crate) const MAX_LABEL: usize = 64;

/// The label box's colour (shields.io's), with white text (7.5:1).
pub(crate) const LABEL_BACKGROUND: &str = "#555555";

/// The font the widths are measured in comes first; the others are what a system without it
/// draws instead (`textLength` keeps the boxes right either way).
const FONT_FAMILY: &str = "DejaVu Sans,Verdana,Geneva,sans-serif";

/// Space left and right of each text, in pixels.
const PADDING: u32 = 6;

/// How long shields.io may cache the endpoint's answer (its floor for endpoint badges).
const SHIELDS_CACHE_SECONDS: u32 = 300;

/// The message half of a badge, rendered with its left edge at 0.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    /// The SVG elements (boxes and texts), escaped.
    markup: String,
    /// Its width in pixels.
    width: u32,
    /// The message as words, for the title and `aria-label`.
    text: String,
}

impl Message {
    /// The segments side by side: each text in its tone's box.
    fn new(segments: &[(&str, Tone)]) -> Self {
        let mut x = 0;
        let mut parts = Vec::new();
        for (text, tone) in segments {
            let width = box_width(text);
            parts.push((x, width, *text, *tone));
            x += width;
        }
        let markup = html! {
            @for (x, width, text, tone) in &parts {
                rect x=(x) width=(width) height="20" fill=(tone.background()) {}
                text x=(f64::from(*x) + f64::from(*width) / 2.0) y="14" fill=(tone.text())
                    textLength=(format!("{:.1}", text_width(text))) { (text) }
            }
        }
        .into_string();
        let text = segments
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>()
            .join(" | ");
        Self {
            markup,
            width: x,
            text,
        }
    }
}

/// The width of a box holding `text`.
fn box_width(text: &str) -> u32 {
    // Whole pixels, rounded up: the SVG's width is an integer, as an <img> reports it.
    text_width(text).ceil() as u32 + 2 * PADDING
}

/// The width of a whole badge: what `<img>.naturalWidth` reports.
#[cfg(test)]
pub(crate) fn badge_width(label: &str, message_segments: &[&str]) -> u32 {
    box_width(label) + message_segments.iter().map(|m| box_width(m)).sum::<u32>()
}

/// A badge: `label` in grey, then the message.
pub(crate) fn svg(label: &str, message: &Message) -> String {
    let label = truncate(label, MAX_LABEL);
    let label = xml_safe(&label);
    let label_width = box_width(&label);
    let width = label_width + message.width;
    let title = format!("{label}: {}", message.text);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(width) height="20" viewBox={"0 0 " (width) " 20"}
            role="img" aria-label=(title) {
            title { (title) }
            clipPath id="r" { rect width=(width) height="20" rx="3" fill="#fff" {} }
            g clip-path="url(#r)" font-family=(FONT_FAMILY) font-size="11" text-anchor="middle" {
                rect width=(label_width) height="20" fill=(LABEL_BACKGROUND) {}
                text x=(f64::from(label_width) / 2.0) y="14" fill="#ffffff"
                    textLength=(format!("{:.1}", text_width(&label))) { (label) }
                g transform={"translate(" (label_width) " 0)"} { (PreEscaped(&message.markup)) }
            }
        }
    }
    .into_string()
}

/// The shields.io endpoint schema (<https://shields.io/badges/endpoint-badge>): these keys and
/// no other, since shields.io rejects unknown ones.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Shields {
    schema_version: u8,
    label: String,
    message: String,
    /// Hex without `#`, which shields.io reads as a colour.
    color: &'static str,
    label_color: &'static str,
    /// Only for a document whose check failed (ERROR): shields.io then keeps the colour.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_error: bool,
    cache_seconds: u32,
}

impl Shields {
    /// The JSON, with another label.
    pub(crate) fn labelled(&self, label: &str) -> Vec<u8> {
        let mut shields = self.clone();
        shields.label = truncate(label, MAX_LABEL).into_owned();
        shields.to_json()
    }

    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A document's badges, as rendered for its default label.
#[derive(Debug)]
pub(crate) struct Badge {
    /// The default label: the app, else the repo.
    pub(crate) label: String,
    /// The message half of the SVG.
    pub(crate) message: Message,
    /// The SVG with the default label.
    pub(crate) svg: Vec<u8>,
    /// The shields.io endpoint answer.
    pub(crate) shields: Shields,
}

impl Badge {
    /// The badges of `doc`.
    pub(crate) fn new(doc: &StatusDocument) -> Self {
        let label = doc.app().unwrap_or(doc.repo()).to_owned();
        let sync = doc.sync_status();
        let health = doc.health_status();
        let mut segments: Vec<(&str, Tone)> = vec![(sync.as_str(), sync_tone(sync))];
        if let Some(health) = health {
            segments.push((health.as_str(), health_tone(health)));
        }
        let message = Message::new(&segments);
        let shields = Shields {
            schema_version: 1,
            label: truncate(&label, MAX_LABEL).into_owned(),
            message: message.text.clone(),
            color: hex(document_tone(sync, health).background()),
            label_color: hex(LABEL_BACKGROUND),
            is_error: sync == SyncStatus::Error,
            cache_seconds: SHIELDS_CACHE_SECONDS,
        };
        Self {
            svg: svg(&label, &message).into_bytes(),
            label,
            message,
            shields,
        }
    }

    /// The SVG with `label` instead of the default (`?label=`).
    pub(crate) fn svg_labelled(&self, label: &str) -> Vec<u8> {
        svg(label, &self.message).into_bytes()
    }
}

fn hex(colour: &'static str) -> &'static str {
    colour.trim_start_matches('#')
}

/// The badge of a document that is not served: "status | not found", in the neutral colour.
pub(crate) static NOT_FOUND_SVG: LazyLock<Vec<u8>> =
    LazyLock::new(|| svg("status", &Message::new(&[("not found", Tone::Neutral)])).into_bytes());

/// The badge of a document that has never been valid: "status | invalid", in ERROR's colour.
pub(crate) static INVALID_SVG: LazyLock<Vec<u8>> =
    LazyLock::new(|| svg("status", &Message::new(&[("invalid", Tone::Bad)])).into_bytes());

/// The `?label=` of a query string, decoded (`%XX`, `+`); `None` when absent or empty.
pub(crate) fn label_of(query: &str) -> Option<Cow<'_, str>> {
    if query.is_empty() {
        return None;
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "label")
        .map(|(_, v)| v)
        .filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests;
