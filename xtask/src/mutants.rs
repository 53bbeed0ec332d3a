//! `cargo xtask mutants [-p CRATE] [--shard K/N]`: mutation testing with cargo-mutants, niced
//! and one job at a time, over what `.cargo/mutants.toml` examines: all of status-core, and
//! the logic that guards data in statusctl (push) and status-server (store, snapshot).
//!
//! Each crate's mutants run against the tests that can see them: status-core's unit and
//! integration tests (not its doc tests, which compile one program each, nor its examples), statusctl's unit tests and
//! its Kubernetes tests (push against the fake API server), status-server's unit tests and
//! its API tests. A report per run lands in `target/mutants/<crate>[-K-of-N]/`.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{display, project_root, target_dir, tools};

const CARGO_MUTANTS: (&str, &str) = ("cargo-mutants", "27.1.0");

/// The crates examined, and the test targets their mutants run against.
const CRATES: [(&str, &[&str]); 3] = [
    ("status-core", &["--lib", "--tests"]),
    ("statusctl", &["--lib", "--test", "kube"]),
    ("status-server", &["--lib", "--test", "api"]),
];

const USAGE: &str = "cargo xtask mutants [-p CRATE] [--shard K/N] [-- CARGO-MUTANTS-ARGS]   (crates: status-core, statusctl, status-server; e.g. -- --re 'src/locate\\.rs')";

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut only = None;
    let mut shard = None;
    let mut extra: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--" => extra.extend(args.by_ref().cloned()),
            "-p" | "--package" => only = Some(args.next().context(USAGE)?.clone()),
            "--shard" => {
                let value = args.next().context(USAGE)?;
                let valid = value
                    .split_once('/')
                    .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                    .is_some_and(|(k, n)| k < n);
                if !valid {
                    bail!("--shard {value}: expected K/N with K < N, such as 0/4\n{USAGE}");
                }
                shard = Some(value.clone());
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    if let Some(name) = &only
        && !CRATES.iter().any(|(c, _)| c == name)
    {
        bail!("`{name}` is not examined by .cargo/mutants.toml\n{USAGE}");
    }
    let path = tools::path_with(&tools::cargo_tool(CARGO_MUTANTS.0, CARGO_MUTANTS.1)?)?;
    let mut summaries = Vec::new();
    for (krate, test_args) in CRATES {
        if only.as_deref().is_some_and(|o| o != krate) {
            continue;
        }
        let label = match &shard {
            Some(s) => format!("{krate}-{}", s.replace('/', "-of-")),
            None => krate.to_owned(),
        };
        let out = target_dir().join("mutants").join(&label);
        std::fs::create_dir_all(&out)?;
        // `-- --in-place` mutates the working tree itself (one job; no copy of the tree or of
        // target/, for a disk too small for one): commit nothing while it runs.
        let in_place = extra.iter().any(|a| a == "--in-place");
        let mut cmd = Command::new("nice");
        cmd.args(["-n", "10", "cargo", "mutants", "--package", krate]);
        if !in_place {
            cmd.args(["--jobs", "1"]);
        }
        cmd.args(["--jobserver-tasks", "1", "--output"]).arg(&out);
        if let Some(shard) = &shard {
            cmd.args(["--shard", shard]);
        }
        for arg in test_args {
            cmd.arg(format!("--cargo-test-arg={arg}"));
        }
        cmd.args(&extra);
        // The build directory starts from a copy of target/ where the crate's dependencies are
        // heavy (kube, actix: a cold build on one core takes longer than many mutants);
        // status-core's few build faster than target/ copies. Tests that drive kubectl find it
        // where `tools` put it. A property test needs to fail once, not to search hard: fewer
        // cases per mutant (a mutant only a long search finds shows as missed, and gets a
        // pinned test).
        if !in_place {
            cmd.arg(format!("--copy-target={}", krate != "status-core"));
        }
        cmd.env("PROPTEST_CASES", "64")
            .env("PATH", &path)
            .env("GITOPS_STATUS_TOOLS", target_dir().join("tools/bin"))
            .env("INSTA_UPDATE", "no")
            .current_dir(project_root());
        eprintln!("$ {}", display(&cmd));
        // cargo-mutants exits 2 when mutants survive: the summary says so, the run did not fail.
        let status = cmd.status().context("running cargo mutants")?;
        let summary = summary(&out.join("mutants.out/outcomes.json"))
            .unwrap_or_else(|e| format!("no outcomes ({e:#})"));
        summaries.push(format!("{label}: {summary}"));
        if !matches!(status.code(), Some(0 | 2 | 3)) {
            bail!(
                "cargo mutants failed on {krate} ({status}); see {}",
                out.display()
            );
        }
    }
    for summary in summaries {
        eprintln!("xtask mutants: {summary}");
    }
    Ok(())
}

/// "258 mutants: 191 caught, 34 missed, 7 timeouts, 26 unviable", from cargo-mutants' report.
fn summary(outcomes: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(outcomes)?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let n = |key: &str| json[key].as_u64().unwrap_or(0);
    Ok(format!(
        "{} mutants: {} caught, {} missed, {} timeouts, {} unviable",
        n("total_mutants"),
        n("caught"),
        n("missed"),
        n("timeout"),
        n("unviable")
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_examined_files_are_the_crates_mutated() {
        let config =
            std::fs::read_to_string(super::project_root().join(".cargo/mutants.toml")).unwrap();
        for (krate, _) in super::CRATES {
            assert!(config.contains(&format!("\"{krate}/src/")), "{krate}");
        }
    }
}
