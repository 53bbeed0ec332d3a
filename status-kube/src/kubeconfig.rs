//! Reading a kubeconfig file as people write them, and saying what is wrong with one without
//! ever quoting it.
//!
//! - Encodings as kubectl reads them: UTF-8, with or without a byte order mark, and UTF-16
//!   with one (what PowerShell's `>` writes). kube's own reader panics on a UTF-16 file with
//!   an odd number of bytes; this one decodes the bytes itself and says what is wrong (cut
//!   short, UTF-16 without a byte order mark, not UTF-8).
//! - Errors never hold a value of the file: a kubeconfig holds tokens and keys, and a value in
//!   the wrong place (`user: <token>`, a string where a map belongs) is exactly where a parser
//!   quotes it (`invalid type: string "<token>"`, and a snippet of the lines around it). A
//!   problem is told by its line and column and what was expected there, from words of the
//!   parser's own vocabulary.
//! - Relative paths in the file (`certificate-authority`, `client-certificate`, `client-key`,
//!   `tokenFile`, an `exec` command with a `/`) are made relative to the file's directory, as
//!   kube's `Kubeconfig::read_from` and client-go do.

use std::path::Path;

use kube::config::{Kubeconfig, KubeconfigError};

use crate::Error;

/// The most read of a kubeconfig, or of a file it names (a CA, a client certificate or key, a
/// token): far more than any of them holds, so that a wrong path (`/dev/zero`, a log) fails
/// instead of filling memory. A pipe (`--kubeconfig <(...)`) is read like a file.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The bytes of `path`, at most [`MAX_FILE_BYTES`]; more is an error.
pub(crate) fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "it is larger than {} MiB, more than any kubeconfig, certificate or token",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// `bytes` in base64, as a kubeconfig's `*-data` fields hold them (k8s-openapi's encoding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    serde_json::to_value(k8s_openapi::ByteString(bytes.to_vec()))
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Reads and parses the kubeconfig at `path`; `kubeconfig` is how messages name it.
pub(crate) fn read(path: &Path, kubeconfig: &str) -> Result<Kubeconfig, Error> {
    let bytes = read_bounded(path).map_err(|e| Error::KubeconfigUnreadable {
        kubeconfig: kubeconfig.to_owned(),
        source: KubeconfigError::ReadConfig(e, path.to_owned()),
    })?;
    let mut config = parse(&bytes).map_err(|problem| problem.into_error(kubeconfig))?;
    if let Some(dir) = path.parent() {
        make_paths_absolute(&mut config, dir);
    }
    Ok(config)
}

/// Why the bytes of a kubeconfig are not one.
#[derive(Debug)]
pub(crate) enum Unparsed {
    /// The encoding or the YAML is wrong: what, and where, without a value of the file.
    Invalid(String),
    /// Several documents in one file that cannot be merged.
    Unmergeable(KubeconfigError),
}

impl Unparsed {
    /// The error that says it; `kubeconfig` is how messages name the file.
    pub(crate) fn into_error(self, kubeconfig: &str) -> Error {
        match self {
            Unparsed::Invalid(problem) => Error::KubeconfigInvalid {
                kubeconfig: kubeconfig.to_owned(),
                problem,
            },
            Unparsed::Unmergeable(source) => Error::KubeconfigUnreadable {
                kubeconfig: kubeconfig.to_owned(),
                source,
            },
        }
    }
}

/// The kubeconfig in `bytes` (the fuzz targets call this, through `crate::fuzzing`).
pub(crate) fn parse(bytes: &[u8]) -> Result<Kubeconfig, Unparsed> {
    let text = decode(bytes).map_err(Unparsed::Invalid)?;
    match Kubeconfig::from_yaml(&text) {
        Ok(config) => Ok(config),
        Err(KubeconfigError::Parse(e)) => Err(Unparsed::Invalid(describe(&e, &text))),
        Err(source) => Err(Unparsed::Unmergeable(source)),
    }
}

/// A kubeconfig that was read but cannot be used, as an [`Error`]; a `*-data` field that is not
/// base64 is told without the decoder's detail, which quotes a character of the value.
pub(crate) fn unusable(source: KubeconfigError, kubeconfig: &str) -> Error {
    use kube::config::LoadDataError::DecodeBase64;
    let field = match &source {
        KubeconfigError::LoadCertificateAuthority(DecodeBase64(_)) => {
            "the cluster's certificate-authority-data"
        }
        KubeconfigError::LoadClientCertificate(DecodeBase64(_)) => {
            "the user's client-certificate-data"
        }
        KubeconfigError::LoadClientKey(DecodeBase64(_)) => "the user's client-key-data",
        _ => {
            return Error::KubeconfigUnusable {
                kubeconfig: kubeconfig.to_owned(),
                source,
            };
        }
    };
    Error::KubeconfigInvalid {
        kubeconfig: kubeconfig.to_owned(),
        problem: format!("{field} is not valid base64 (the value is not shown)"),
    }
}

/// The text of a kubeconfig file, or what is wrong with its encoding.
fn decode(bytes: &[u8]) -> Result<String, String> {
    match bytes {
        [0xef, 0xbb, 0xbf, rest @ ..] => utf8(rest),
        [0xff, 0xfe, rest @ ..] => utf16(rest, u16::from_le_bytes, "UTF-16 LE"),
        [0xfe, 0xff, rest @ ..] => utf16(rest, u16::from_be_bytes, "UTF-16 BE"),
        _ => utf8(bytes),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let hint = if looks_like_utf16(bytes) {
            "; it looks like UTF-16 without a byte order mark: save it as UTF-8"
        } else {
            "; save it as UTF-8"
        };
        format!(
            "it is not UTF-8 text (byte {} is not valid UTF-8){hint}",
            e.valid_up_to() + 1
        )
    })?;
    if text.contains('\0') {
        let hint = if looks_like_utf16(bytes) {
            "it looks like UTF-16 without a byte order mark: save it as UTF-8"
        } else {
            "it holds NUL bytes: it is not a text file"
        };
        return Err(hint.to_owned());
    }
    Ok(text.to_owned())
}

/// Text in UTF-16 without a byte order mark: mostly ASCII, so every other byte is NUL.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64)];
    let nul_at = |parity: usize| {
        head.iter()
            .enumerate()
            .filter(|(i, b)| i % 2 == parity && **b == 0)
            .count()
    };
    let pairs = head.len() / 2;
    pairs > 0 && (nul_at(0) * 4 >= pairs * 3 || nul_at(1) * 4 >= pairs * 3)
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, name: &str) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(format!(
            "it is {name} by its byte order mark, but has an odd number of bytes ({}): the file is cut short",
            bytes.len() + 2
        ));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| format!("it is {name} by its byte order mark, but not valid {name}"))
}

/// What is wrong with the YAML in `source`, told without a value of it: where, and what the
/// parser expected there.
fn describe(error: &serde_saphyr::Error, source: &str) -> String {
    use serde_saphyr::Error as E;
    let mut error = error;
    while let E::WithSnippet { error: inner, .. } | E::AliasError { error: inner, .. } = error {
        error = inner;
    }
    // Only fields that hold the parser's or serde's own words (`expected`: a type's name or a
    // token's) are used; those that can hold the file's text (`unexpected`, keys) never.
    let what = match error {
        E::SerdeInvalidType { expected, .. } | E::SerdeInvalidValue { expected, .. } => {
            format!("a value of the wrong type: expected {expected}")
        }
        E::SerdeInvalidLength { expected, .. } => {
            format!("a list of the wrong length: expected {expected}")
        }
        E::SerdeMissingField { field, .. } => format!("the field `{field}` is missing"),
        E::Unexpected { expected, .. } => format!("expected {expected}"),
        E::Eof { .. } => "the file ends in the middle of a value".to_owned(),
        E::DuplicateMappingKey { .. } => "a key is given twice in one map".to_owned(),
        E::UnknownAnchor { .. } => "an alias (`*name`) refers to no anchor".to_owned(),
        // The YAML scanner's and parser's messages are their own fixed words ("unclosed
        // quote"); one is kept only when none of its words is in the file, in case one day
        // a message quotes it.
        E::ExternalMessage { msg, .. } if !quotes(msg, source) => msg.clone(),
        _ => "not valid YAML, or a value that does not belong there".to_owned(),
    };
    let at = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
        .unwrap_or_default();
    format!("{at}{what} (the file's content is not shown: a kubeconfig holds credentials)")
}

/// Whether `message` has a word (three characters or more) that is also in `source`.
fn quotes(message: &str, source: &str) -> bool {
    message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 3)
        .any(|word| source.contains(word))
}

/// Paths in the file, relative to its directory, as kube's `Kubeconfig::read_from` makes them.
fn make_paths_absolute(config: &mut Kubeconfig, dir: &Path) {
    let absolute = |path: &mut String| {
        if Path::new(path.as_str()).is_relative()
            && let Some(joined) = dir.join(path.as_str()).to_str()
        {
            *path = joined.to_owned();
        }
    };
    for cluster in config
        .clusters
        .iter_mut()
        .filter_map(|c| c.cluster.as_mut())
    {
        if let Some(path) = &mut cluster.certificate_authority {
            absolute(path);
        }
    }
    for user in config
        .auth_infos
        .iter_mut()
        .filter_map(|u| u.auth_info.as_mut())
    {
        for path in [
            &mut user.client_certificate,
            &mut user.client_key,
            &mut user.token_file,
        ]
        .into_iter()
        .flatten()
        {
            absolute(path);
        }
        // A bare command (`aws`) is looked up on PATH, as client-go does; one with a
        // separator is a path.
        if let Some(command) = user.exec.as_mut().and_then(|e| e.command.as_mut())
            && command.contains(std::path::MAIN_SEPARATOR)
        {
            absolute(command);
        }
    }
}

#[cfg(test)]
mod tests;
