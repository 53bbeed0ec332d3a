//! Argo CD's badge colours (argo-cd `server/badge/color.go`: the left box is the health, the
//! right box the sync status), used by the badges and by the pages' chips alike, and the text
//! colour each one takes.
//!
//! Argo CD writes white on every colour. White on OUT_OF_SYNC's `#bd7300` has a contrast
//! ratio of 3.7:1, under WCAG AA's 4.5:1 for text of a badge's or a chip's size, so that one
//! colour takes black text (5.6:1); the test below computes every ratio.

use status_core::{HealthStatus, SyncStatus};

/// One colour of the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Healthy, SYNCED: `#0b612a`.
    Good,
    /// OUT_OF_SYNC: `#bd7300`.
    Drifted,
    /// Degraded, and ERROR (which Argo CD does not have): `#a72e26`.
    Bad,
    /// Progressing: `#103d66`.
    Progressing,
    /// Missing, and Unknown (sync or health): `#731f4d`.
    Unknown,
    /// Suspended and anything else: `#29343d`.
    Neutral,
}

impl Tone {
    /// Every tone.
    pub(crate) const ALL: [Tone; 6] = [
        Tone::Good,
        Tone::Drifted,
        Tone::Bad,
        Tone::Progressing,
        Tone::Unknown,
        Tone::Neutral,
    ];

    /// The background colour (`#rrggbb`).
    pub(crate) fn background(self) -> &'static str {
        match self {
            Tone::Good => "#0b612a",
            Tone::Drifted => "#bd7300",
            Tone::Bad => "#a72e26",
            Tone::Progressing => "#103d66",
            Tone::Unknown => "#731f4d",
            Tone::Neutral => "#29343d",
        }
    }

    /// The text colour on it: white, but for the one colour where white fails WCAG AA.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Tone::Drifted => "#000000",
            _ => "#ffffff",
        }
    }

    /// The CSS class of a chip of this colour (the stylesheet in `assets.rs` defines each).
    pub(crate) fn class(self) -> &'static str {
        match self {
            Tone::Good => "chip t-good",
            Tone::Drifted => "chip t-drifted",
            Tone::Bad => "chip t-bad",
            Tone::Progressing => "chip t-progressing",
            Tone::Unknown => "chip t-unknown",
            Tone::Neutral => "chip t-neutral",
        }
    }
}

/// The colour of a sync status (Argo CD's right box).
pub(crate) fn sync_tone(sync: SyncStatus) -> Tone {
    match sync {
        SyncStatus::Synced => Tone::Good,
        SyncStatus::OutOfSync => Tone::Drifted,
        SyncStatus::Unknown => Tone::Unknown,
        SyncStatus::Error => Tone::Bad,
    }
}

/// The colour of a health status (Argo CD's left box).
pub(crate) fn health_tone(health: HealthStatus) -> Tone {
    match health {
        HealthStatus::Healthy => Tone::Good,
        HealthStatus::Progressing => Tone::Progressing,
        HealthStatus::Degraded => Tone::Bad,
        HealthStatus::Missing | HealthStatus::Unknown => Tone::Unknown,
        _ => Tone::Neutral,
    }
}

/// The one colour of a document, where only one fits (the shields.io endpoint): the sync
/// status's, unless the document is SYNCED and has a health, which then says more.
pub(crate) fn document_tone(sync: SyncStatus, health: Option<HealthStatus>) -> Tone {
    match (sync, health) {
        (SyncStatus::Synced, Some(health)) => health_tone(health),
        _ => sync_tone(sync),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// WCAG 2.x relative luminance of `#rrggbb`.
    pub(crate) fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if v <= 0.040_45 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }

    /// WCAG 2.x contrast ratio of two `#rrggbb` colours.
    pub(crate) fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_tone_passes_wcag_aa_for_normal_text() {
        for tone in Tone::ALL {
            let ratio = contrast(tone.background(), tone.text());
            assert!(ratio >= 4.5, "{tone:?}: {ratio:.2}:1");
        }
        // The exception, and why it is one.
        assert!(contrast(Tone::Drifted.background(), "#ffffff") < 4.5);
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    }

    #[test]
    fn the_palette_is_argo_cds() {
        let sync: Vec<&str> = SyncStatus::ALL
            .iter()
            .map(|s| sync_tone(*s).background())
            .collect();
        assert_eq!(sync, ["#0b612a", "#bd7300", "#731f4d", "#a72e26"]);
        let health: Vec<&str> = HealthStatus::ALL
            .iter()
            .map(|h| health_tone(*h).background())
            .collect();
        // Healthy, Progressing, Degraded, Suspended, Missing, Unknown.
        assert_eq!(
            health,
            [
                "#0b612a", "#103d66", "#a72e26", "#29343d", "#731f4d", "#731f4d"
            ]
        );
        assert_eq!(
            document_tone(SyncStatus::Synced, Some(HealthStatus::Degraded)),
            Tone::Bad
        );
        assert_eq!(
            document_tone(SyncStatus::OutOfSync, Some(HealthStatus::Healthy)),
            Tone::Drifted
        );
    }
}
