//! The field manager a push applies under: one per key, within the API's 128 characters.
//!
//! Server-side apply removes the fields a manager stops applying, so pipelines pushing
//! different keys must apply under different managers, and a pipeline must keep its key's
//! manager from one push to the next (or it would conflict with its own earlier push). The
//! rule, documented in docs/ci.md:
//!
//! - `statusctl:<key>` when that fits in 128 characters (keys up to 118 characters): the name
//!   every earlier version used, so existing keys keep their owner.
//! - Otherwise `statusctl:<the key's first 101 characters>#<16 hex digits>`, exactly 128
//!   characters, the digits a 64-bit FNV-1a hash of the whole key: readable in
//!   `managedFields`, stable across versions and machines, different for keys that share their
//!   first 101 characters, and never equal to a name of the first form (a key has no `#`).

/// The longest field manager the API server (and kube, before sending) accepts.
pub(crate) const MAX_LEN: usize = 128;

const PREFIX: &str = "statusctl:";

/// The default field manager for `key`, by the rule in the module documentation.
pub(crate) fn for_key(key: &str) -> String {
    let plain = format!("{PREFIX}{key}");
    if plain.len() <= MAX_LEN {
        return plain;
    }
    let hash = format!("#{:016x}", fnv1a(key.as_bytes()));
    let room = MAX_LEN - PREFIX.len() - hash.len();
    // Keys are ASCII (the API's rule): any byte index is a character boundary.
    let head = key.get(..room).unwrap_or(key);
    format!("{PREFIX}{head}{hash}")
}

/// `--field-manager`: what the API server accepts, 1 to 128 printable characters.
pub(crate) fn parse(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > MAX_LEN {
        return Err(format!(
            "a field manager has 1 to {MAX_LEN} characters (this one has {}); keep one per key",
            text.len()
        ));
    }
    if text.chars().any(char::is_control) {
        return Err("a field manager has printable characters only".to_owned());
    }
    Ok(text.to_owned())
}

/// The 64-bit FNV-1a hash: tiny, and the same everywhere and in every version, which is what
/// a name kept in the cluster across pushes needs (std's hasher promises neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_keep_the_plain_name() {
        assert_eq!(for_key("status.json"), "statusctl:status.json");
        let key = "k".repeat(118);
        assert_eq!(for_key(&key), format!("statusctl:{key}"));
    }

    #[test]
    fn long_keys_get_a_prefix_and_a_hash_that_fit() {
        for len in 119..=253 {
            let key = "k".repeat(len);
            let manager = for_key(&key);
            assert_eq!(manager.len(), MAX_LEN, "{len}");
            assert!(manager.starts_with(&format!("statusctl:{}", &key[..101])));
            assert!(parse(&manager).is_ok());
        }
        let (a, b) = ("a".repeat(200) + "x", "a".repeat(200) + "y");
        assert_ne!(for_key(&a), for_key(&b));
        // Stable: the same name in every version, or a key would conflict with itself.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            for_key(&"k".repeat(200)),
            format!(
                "statusctl:{}#{:016x}",
                "k".repeat(101),
                fnv1a("k".repeat(200).as_bytes())
            )
        );
    }

    #[test]
    fn a_given_field_manager_is_checked() {
        assert!(parse("ci").is_ok());
        assert!(parse("").is_err());
        assert!(parse(&"m".repeat(129)).unwrap_err().contains("129"));
        assert!(parse("a\nb").is_err());
    }
}
