//! `gitops-status`: status-server and statusctl in one binary, run as the name it was called
//! by (`argv[0]`'s file name), as busybox is. The image holds it once, with `/status-server`
//! and `/statusctl` as symbolic links to it: the two programs share most of their code (tokio,
//! hyper, rustls, kube, serde, clap, tracing), which two static binaries would each carry,
//! and the image would not fit its 10 MB budget (docs/release.md).
//!
//! Each name runs exactly what its own binary's `main` runs (`status_server::main_with`,
//! `statusctl::main_with`), with every argument, the name included: clap prints that name
//! in `--help`, `--version` and usage errors. Any other name is a usage error (exit 2).

#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::ExitCode;

/// What this binary runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Program {
    StatusServer,
    Statusctl,
}

impl Program {
    /// Every program, with the name it answers to and what it is for (the usage message).
    const ALL: [(Program, &'static str, &'static str); 2] = [
        (
            Program::StatusServer,
            "status-server",
            "serve GitOps status documents over HTTP",
        ),
        (
            Program::Statusctl,
            "statusctl",
            "validate, render and push status documents; check a running status-server",
        ),
    ];

    /// The program a path names by its file name (`/status-server`, `./statusctl`,
    /// `statusctl`); none for any other name, for a name that is not UTF-8, or for no name.
    fn called(argv0: Option<&OsStr>) -> Option<Program> {
        let name = Path::new(argv0?).file_name()?.to_str()?;
        Program::ALL
            .iter()
            .find(|(_, known, _)| *known == name)
            .map(|(program, _, _)| *program)
    }

    fn main_with(self, args: Vec<OsString>) -> ExitCode {
        match self {
            Program::StatusServer => status_server::main_with(args),
            Program::Statusctl => statusctl::main_with(args),
        }
    }
}

/// The exit code of a usage error, as both programs give it.
const USAGE_EXIT: u8 = 2;

/// What is printed when this binary is called by a name it does not answer to.
fn usage(called: &OsStr) -> String {
    let mut text = format!(
        "gitops-status {}: a multi-call binary, called as `{}`; run it by one of these names \
         (a symbolic link to it, as /status-server and /statusctl in the image):\n",
        env!("CARGO_PKG_VERSION"),
        called.to_string_lossy().escape_debug(),
    );
    for (_, name, about) in Program::ALL {
        text.push_str(&format!("  {name:<14} {about}\n"));
    }
    text
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(OsString::as_os_str);
    match Program::called(argv0) {
        Some(program) => program.main_with(args),
        None => {
            eprint!("{}", usage(argv0.unwrap_or_default()));
            ExitCode::from(USAGE_EXIT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn called(name: &str) -> Option<Program> {
        Program::called(Some(OsStr::new(name)))
    }

    #[test]
    fn the_file_name_of_argv0_chooses_the_program() {
        for path in [
            "/status-server",
            "status-server",
            "./status-server",
            "/a/b/status-server",
        ] {
            assert_eq!(called(path), Some(Program::StatusServer), "{path}");
        }
        for path in ["/statusctl", "statusctl", "../bin/statusctl"] {
            assert_eq!(called(path), Some(Program::Statusctl), "{path}");
        }
    }

    #[test]
    fn any_other_name_is_none() {
        for path in [
            "",
            "/",
            "gitops-status",
            "/gitops-status",
            "statusctl-0.1.0",
            "StatusCtl",
            "status-server.exe",
            "/status-server/..",
            "status",
        ] {
            assert_eq!(called(path), None, "{path:?}");
        }
        assert_eq!(Program::called(None), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_none() {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(
            Program::called(Some(OsStr::from_bytes(b"status\xff"))),
            None
        );
    }

    #[test]
    fn the_usage_lists_both_names_and_escapes_the_called_name() {
        let text = usage(OsStr::new("bad\nname"));
        assert!(text.contains("called as `bad\\nname`"), "{text}");
        assert!(text.contains("\n  status-server  serve"), "{text}");
        assert!(text.contains("\n  statusctl      validate"), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
    }
}
