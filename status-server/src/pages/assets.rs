//! The pages' one stylesheet and one script, inlined into every page, and the
//! `Content-Security-Policy` of each kind of response, which allows exactly these two by their
//! SHA-256 hashes (no `'unsafe-inline'`, no external source): an injected `<script>` or
//! `onerror=` would not run even if it escaped the templates' escaping.
//!
//! The stylesheet's chip rules are written from the palette (`palette.rs`), so the pages and
//! the badges cannot disagree on a colour.

use std::fmt::Write as _;
use std::sync::LazyLock;

use actix_web::http::header::HeaderValue;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::palette::Tone;

/// The stylesheet, without the chip colours (see [`STYLE`]).
const BASE_STYLE: &str = r#":root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#57606a;--card:#f6f8fa;--line:#d0d7de;--link:#0550ae;--code:#eaeef2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9ea7b3;--card:#161b22;--line:#3d444d;--link:#4493f8;--code:#1f2630}}
*{box-sizing:border-box}
[hidden]{display:none !important}
body{margin:0;background:var(--bg);color:var(--fg);font-family:"DejaVu Sans",system-ui,sans-serif;font-size:clamp(15px,0.55vw + 11px,24px);line-height:1.5}
header,main,footer{max-width:120rem;margin:0 auto;padding:0 1rem}
footer{padding-bottom:1rem}
h1{font-size:1.5rem;margin:1rem 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:0 0 .25rem;overflow-wrap:anywhere}
a{color:var(--link)}
.muted,dt{color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0;margin:.5rem 0}
.summary strong{font-size:1.3em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr));gap:1rem;list-style:none;padding:0;margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;min-width:0}
.card.stale{border:2px dashed var(--fg)}
.key{font-size:.85em;font-weight:normal}
.chips{margin:.25rem 0}
.chip{display:inline-block;padding:0 .55rem;border-radius:1rem;font-size:.85em;font-weight:bold;margin:0 .25rem .25rem 0}
.chip.stale-chip{background:var(--bg);color:var(--fg);border:2px dashed var(--fg)}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1rem .75rem;margin:.5rem 0}
dd{margin:0;overflow-wrap:anywhere}
.message{white-space:pre-wrap;overflow-wrap:anywhere;border-left:3px solid var(--line);padding-left:.5rem;margin:.5rem 0 0}
.problem{border-left-color:#a72e26}
code,pre{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:.9em}
pre{background:var(--code);padding:.5rem .75rem;border-radius:.25rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0 1rem}
details ul{margin:.25rem 0;padding-left:1.25rem}
summary{cursor:pointer}
"#;

/// The stylesheet: [`BASE_STYLE`] and one rule per palette colour.
pub(crate) static STYLE: LazyLock<String> = LazyLock::new(|| {
    let mut style = BASE_STYLE.to_owned();
    for tone in Tone::ALL {
        let class = tone.class().replace("chip ", ".");
        let _ = writeln!(
            style,
            "{class}{{background:{};color:{}}}",
            tone.background(),
            tone.text()
        );
    }
    style
});

/// The script: ages that move with the clock (with the server's clock, read from the `Date`
/// of each poll), stale markers that appear when `--stale-after` passes, a poll of the page's
/// data with `If-None-Match` every 5 s that reloads the page when it changed, and the
/// snippets' absolute URLs from the page's own location (never from a Host header).
///
/// The age rules are `text::age`'s. It writes text with `textContent` only.
pub(crate) const SCRIPT: &str = r#"(function () {
  "use strict";
  var data = document.body.dataset;
  var staleAfter = Number(data.staleAfter || 0);
  var skew = 0;
  function age(s) {
    if (s < 0) return "in the future";
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 172800) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }
  function tick() {
    var now = Date.now() + skew;
    var stale = 0;
    document.querySelectorAll("time[data-age]").forEach(function (t) {
      var at = Date.parse(t.getAttribute("datetime"));
      if (isNaN(at)) return;
      var s = Math.floor((now - at) / 1000);
      t.textContent = age(s);
      var item = t.closest("[data-doc]");
      if (!item || !staleAfter) return;
      var isStale = s > staleAfter;
      item.classList.toggle("stale", isStale);
      var chip = item.querySelector(".stale-chip");
      if (chip) chip.hidden = !isStale;
      if (isStale) stale += 1;
    });
    var count = document.getElementById("stale-count");
    if (count) count.textContent = String(stale);
  }
  function say(text) {
    var freshness = document.getElementById("freshness");
    if (freshness) freshness.textContent = text;
  }
  function poll() {
    fetch(data.poll, { headers: { "If-None-Match": data.etag }, cache: "no-store" })
      .then(function (response) {
        var date = Date.parse(response.headers.get("Date") || "");
        if (!isNaN(date)) skew = date - Date.now();
        if (response.status === 200 || response.status === 404) {
          location.reload();
          return;
        }
        say("Live: ages count from now, and the page reloads when a document changes (checked every 5 s).");
        tick();
      })
      .catch(function () {
        say("Cannot reach the server; retrying every 5 s. Ages count from now.");
      })
      .finally(function () {
        setTimeout(poll, 5000);
      });
  }
  var root = new URL(data.root || "./", location.href).href;
  document.querySelectorAll("[data-template]").forEach(function (el) {
    el.textContent = el.getAttribute("data-template")
      .split("{base-encoded}").join(encodeURIComponent(root))
      .split("{base}").join(root);
  });
  tick();
  setInterval(tick, 1000);
  if (data.poll) poll();
})();
"#;

/// `'sha256-<base64>'` of `text`, as CSP writes a hash source.
pub(crate) fn hash_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// What every page forbids: no base URL, no form, no framing (clickjacking).
const PAGE_RESTRICTIONS: &str = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A header value built at start-up from constants; a value that could not be a header (it
/// cannot happen: all of it is ASCII) falls back to the strictest policy.
fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// The overview: its style and script, `connect-src 'self'` for the poll, and `img-src data:`
/// for its icon (a coloured dot).
pub(crate) static OVERVIEW_CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    header(&format!(
        "default-src 'none'; style-src {}; script-src {}; connect-src 'self'; img-src data:; {PAGE_RESTRICTIONS}",
        hash_source(&STYLE),
        hash_source(SCRIPT)
    ))
});

/// A document's page: the overview's, and `img-src 'self'` for its badge preview.
pub(crate) static DOCUMENT_CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    header(&format!(
        "default-src 'none'; style-src {}; script-src {}; connect-src 'self'; img-src 'self' data:; {PAGE_RESTRICTIONS}",
        hash_source(&STYLE),
        hash_source(SCRIPT)
    ))
});

/// The error pages (404, 503): the style and the icon; no script runs there.
pub(crate) static ERROR_PAGE_CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    header(&format!(
        "default-src 'none'; style-src {}; img-src data:; {PAGE_RESTRICTIONS}",
        hash_source(&STYLE)
    ))
});

/// A badge needs nothing at all: its colours and font are attributes, and opened on its own
/// (not through an `<img>`, where no script ever runs) it still may load or run nothing.
pub(crate) const BADGE_CSP: HeaderValue = HeaderValue::from_static("default-src 'none'");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_csp_hash_sources() {
        // The example of the CSP spec's tests: SHA-256 of "alert('Hello, world.');".
        assert_eq!(
            hash_source("alert('Hello, world.');"),
            "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
        );
        let csp = OVERVIEW_CSP.to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'; "), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(OVERVIEW_CSP.to_str().unwrap().contains("img-src data:;"));
        assert!(
            DOCUMENT_CSP
                .to_str()
                .unwrap()
                .contains("img-src 'self' data:;")
        );
        assert!(!ERROR_PAGE_CSP.to_str().unwrap().contains("script-src"));
    }

    #[test]
    fn the_inline_blocks_cannot_end_their_element() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
        for tone in Tone::ALL {
            assert!(STYLE.contains(&format!(
                "{}{{background:{};color:{}}}",
                tone.class().replace("chip ", "."),
                tone.background(),
                tone.text()
            )));
        }
    }
}
