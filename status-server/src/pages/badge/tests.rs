//! Badge tests: the SVG and the shields.io JSON as bytes (snapshots), the endpoint schema's
//! keys, widths, and `?label=`.

use super::*;

fn doc(json: &str) -> StatusDocument {
    status_core::validate(json.as_bytes())
        .into_document()
        .expect("a valid document")
}

const WITH_HEALTH: &str = r#"{"repo":"platform","app":"guestbook","server":"prod","sync_status":"SYNCED","health_status":"Degraded","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z"}"#;
const ERRORED: &str = r#"{"repo":"platform","server":"prod","sync_status":"ERROR","drift_count":0,"files":[],"last_check":"2026-04-21T12:30:00Z","message":"git fetch failed"}"#;

#[test]
fn svg_badge() {
    let badge = Badge::new(&doc(WITH_HEALTH));
    insta::assert_snapshot!(String::from_utf8(badge.svg).unwrap());
}

#[test]
fn shields_endpoint_json() {
    let badge = Badge::new(&doc(WITH_HEALTH));
    insta::assert_snapshot!(String::from_utf8(badge.shields.labelled(&badge.label)).unwrap());
    let errored = Badge::new(&doc(ERRORED));
    insta::assert_snapshot!(
        "shields_endpoint_json_error",
        String::from_utf8(errored.shields.labelled(&errored.label)).unwrap()
    );
}

#[test]
fn shields_json_has_only_the_schemas_keys() {
    // shields.io rejects a key it does not know.
    let allowed = [
        "schemaVersion",
        "label",
        "message",
        "color",
        "labelColor",
        "isError",
        "namedLogo",
        "logoSvg",
        "logoColor",
        "logoWidth",
        "style",
        "cacheSeconds",
    ];
    for json in [WITH_HEALTH, ERRORED] {
        let badge = Badge::new(&doc(json));
        let value: serde_json::Value =
            serde_json::from_slice(&badge.shields.labelled("x")).unwrap();
        let object = value.as_object().unwrap();
        for key in object.keys() {
            assert!(allowed.contains(&key.as_str()), "{key}");
        }
        assert_eq!(object["schemaVersion"], 1);
        assert_eq!(object["label"], "x");
        for required in ["label", "message", "color"] {
            assert!(object[required].is_string(), "{required}");
        }
        let colour = object["color"].as_str().unwrap();
        assert!(colour.len() == 6 && colour.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(object.contains_key("isError"), json == ERRORED);
    }
}

#[test]
fn the_svg_is_as_wide_as_its_measured_texts() {
    let badge = Badge::new(&doc(WITH_HEALTH));
    let svg = String::from_utf8(badge.svg.clone()).unwrap();
    let width = badge_width("guestbook", &["SYNCED", "Degraded"]);
    assert!(svg.starts_with(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"20\""
    )));
    // Each box: the text's measured width rounded up, and 6 px either side.
    assert_eq!(
        width,
        (text_width("guestbook").ceil()
            + text_width("SYNCED").ceil()
            + text_width("Degraded").ceil()) as u32
            + 36
    );
    // A longer label makes a wider badge by exactly the difference.
    let labelled = String::from_utf8(badge.svg_labelled("a much longer label")).unwrap();
    let wider = badge_width("a much longer label", &["SYNCED", "Degraded"]);
    assert!(labelled.contains(&format!("width=\"{wider}\"")));
    assert!(labelled.contains(">a much longer label</text>"));
}

#[test]
fn labels_are_capped_and_decoded() {
    let badge = Badge::new(&doc(WITH_HEALTH));
    let long = "x".repeat(10_000);
    let svg = String::from_utf8(badge.svg_labelled(&long)).unwrap();
    assert!(svg.len() < 2_000, "{}", svg.len());
    assert!(svg.contains(&format!(">{}…</text>", "x".repeat(MAX_LABEL - 1))));
    assert_eq!(label_of("label=my+app%21").as_deref(), Some("my app!"));
    assert_eq!(label_of("style=flat&label=%3Cb%3E").as_deref(), Some("<b>"));
    assert_eq!(label_of("label="), None);
    assert_eq!(label_of("other=1"), None);
    assert_eq!(label_of(""), None);
}

#[test]
fn error_badges() {
    insta::assert_snapshot!(String::from_utf8(NOT_FOUND_SVG.clone()).unwrap());
    let invalid = String::from_utf8(INVALID_SVG.clone()).unwrap();
    assert!(invalid.contains("fill=\"#a72e26\""), "{invalid}");
}
