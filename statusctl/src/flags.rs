//! Value parsers that several subcommands' flags share.

use std::time::Duration;

/// A timeout (`--timeout`, `--wait-timeout`): status-core's duration grammar (whole numbers
/// with units, at most 10 years), and more than zero: a timeout of zero would give up before
/// anything was tried.
pub(crate) fn timeout(text: &str) -> Result<Duration, String> {
    let duration = status_core::duration::parse(text).map_err(|e| e.to_string())?;
    if duration.is_zero() {
        return Err(format!(
            "`{text}` is no time at all: a timeout must be longer than zero (such as 500ms, 30s, 2m)"
        ));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_refused_and_the_grammar_is_status_cores() {
        assert_eq!(timeout("90"), Ok(Duration::from_secs(90)));
        assert_eq!(timeout("1ms"), Ok(Duration::from_millis(1)));
        for zero in ["0", "0s", "0ms", "0m0s"] {
            assert!(
                timeout(zero).unwrap_err().contains("longer than zero"),
                "{zero}"
            );
        }
        assert!(timeout("3651d").unwrap_err().contains("10 years"));
    }
}
