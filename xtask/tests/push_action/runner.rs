//! A small stand-in for GitHub's runner, enough to run the composite push action here: the
//! steps are read from `push/action.yml` with serde_yaml, each `run:` script is run by
//! `bash --noprofile --norc -eo pipefail` (what `shell: bash` means), with the step's `env:`
//! evaluated, the runner's files (`GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`) in a temp dir and applied between steps as the runner applies them.
//!
//! Only the expressions the action uses are known (`inputs.*` in step `env:`, `steps.*.outputs.*`
//! in `outputs:`); any other expression, an `if:`, a `uses:` step or a shell other than bash
//! fails the test, so the harness never silently runs something differently from GitHub.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

/// The action under test.
pub(crate) fn action_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .join("push")
}

/// One run of the action.
pub(crate) struct Run<'a> {
    /// `with:` inputs.
    pub(crate) inputs: BTreeMap<&'a str, String>,
    /// The job's environment (what earlier steps or the workflow set: KUBECONFIG, ...).
    pub(crate) env: BTreeMap<&'a str, String>,
    /// Directories on PATH before the system's (`/usr/bin:/bin`).
    pub(crate) path: Vec<PathBuf>,
    /// Replaces a value of a step's `env:` (by name), e.g. the release download URL.
    pub(crate) step_env_overrides: BTreeMap<&'a str, String>,
}

/// What a run left behind.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The exit code of the step that failed, or 0.
    pub(crate) code: i32,
    /// The names of the steps that ran.
    pub(crate) steps_run: Vec<String>,
    /// Everything the steps printed (stdout then stderr, per step).
    pub(crate) log: String,
    /// The workflow commands (`::error ...`, `::warning ...`) printed on stdout.
    pub(crate) annotations: Vec<String>,
    /// The job summary (GITHUB_STEP_SUMMARY of every step, in order).
    pub(crate) summary: String,
    /// The action's `outputs:`, evaluated.
    pub(crate) outputs: BTreeMap<String, String>,
    /// The directories the steps added to PATH for the job's later steps (GITHUB_PATH).
    pub(crate) path_added: Vec<String>,
    /// The temp dir of the run (RUNNER_TEMP is in it), kept until the outcome is dropped.
    pub(crate) temp: tempfile::TempDir,
}

impl Run<'_> {
    pub(crate) fn execute(&self) -> Outcome {
        let action: Value = serde_yaml::from_str(
            &std::fs::read_to_string(action_dir().join("action.yml")).expect("read action.yml"),
        )
        .expect("action.yml parses");
        assert_eq!(action["runs"]["using"].as_str(), Some("composite"));

        // Inputs: given, else the default; a required input must be given.
        let mut inputs = BTreeMap::new();
        for (name, spec) in action["inputs"].as_mapping().expect("inputs") {
            let name = name.as_str().expect("input name");
            let value = match self.inputs.get(name) {
                Some(v) => v.clone(),
                None => {
                    assert!(
                        spec["required"].as_bool() != Some(true),
                        "the required input {name} was not given"
                    );
                    spec["default"].as_str().unwrap_or_default().to_owned()
                }
            };
            inputs.insert(name.to_owned(), value);
        }
        for name in self.inputs.keys() {
            assert!(inputs.contains_key(*name), "the action has no input {name}");
        }

        let temp = tempfile::tempdir().expect("tempdir");
        let runner_temp = temp.path().join("runner-temp");
        let home = temp.path().join("home");
        std::fs::create_dir_all(&runner_temp).expect("mkdir");
        std::fs::create_dir_all(&home).expect("mkdir");
        let github_env = temp.path().join("github_env");
        let github_path = temp.path().join("github_path");
        std::fs::write(&github_env, "").expect("write");
        std::fs::write(&github_path, "").expect("write");

        let mut job_env: BTreeMap<String, String> = self
            .env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let mut added_path: Vec<String> = Vec::new();
        let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut outcome = Outcome {
            code: 0,
            steps_run: Vec::new(),
            log: String::new(),
            annotations: Vec::new(),
            summary: String::new(),
            outputs: BTreeMap::new(),
            path_added: Vec::new(),
            temp,
        };

        let steps = action["runs"]["steps"].as_sequence().expect("steps");
        for (index, step) in steps.iter().enumerate() {
            let name = step["name"].as_str().unwrap_or("?").to_owned();
            assert!(step["if"].is_null(), "step {name}: `if:` is not emulated");
            assert!(
                step["uses"].is_null(),
                "step {name}: `uses:` is not emulated"
            );
            assert_eq!(step["shell"].as_str(), Some("bash"), "step {name}: shell");
            let script = step["run"].as_str().expect("run");
            assert!(
                !script.contains("${{"),
                "step {name}: an expression in run:"
            );

            let script_file = outcome.temp.path().join(format!("step-{index}.sh"));
            std::fs::write(&script_file, script).expect("write script");
            let output_file = outcome.temp.path().join(format!("output-{index}"));
            let summary_file = outcome.temp.path().join(format!("summary-{index}"));
            std::fs::write(&output_file, "").expect("write");
            std::fs::write(&summary_file, "").expect("write");

            let mut path: Vec<String> = added_path.iter().rev().cloned().collect();
            path.extend(self.path.iter().map(|p| p.display().to_string()));
            path.extend(["/usr/bin".to_owned(), "/bin".to_owned()]);

            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_file)
                .current_dir(outcome.temp.path())
                .env_clear()
                .env("PATH", path.join(":"))
                .env("HOME", &home)
                .env("RUNNER_TEMP", &runner_temp)
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", action_dir())
                .env("GITHUB_ENV", &github_env)
                .env("GITHUB_PATH", &github_path)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary_file)
                .envs(&job_env);
            for (key, value) in step["env"].as_mapping().into_iter().flatten() {
                let key = key.as_str().expect("env name");
                let value = match self.step_env_overrides.get(key) {
                    Some(v) => v.clone(),
                    None => evaluate(scalar(value), &|expr| {
                        expr.strip_prefix("inputs.")
                            .and_then(|n| inputs.get(n).cloned())
                    }),
                };
                cmd.env(key, value);
            }
            let out = cmd.output().expect("run bash");
            outcome.steps_run.push(name.clone());
            let stdout = String::from_utf8_lossy(&out.stdout);
            outcome.log.push_str(&format!(
                "--- {name}\n{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            ));
            outcome.annotations.extend(
                stdout
                    .lines()
                    .filter(|l| l.starts_with("::error") || l.starts_with("::warning"))
                    .map(str::to_owned),
            );
            outcome
                .summary
                .push_str(&std::fs::read_to_string(&summary_file).expect("read summary"));
            if let Some(id) = step["id"].as_str() {
                step_outputs.insert(
                    id.to_owned(),
                    parse_file_commands(&std::fs::read_to_string(&output_file).expect("read")),
                );
            }
            // What the step asked the runner to carry into the next steps.
            job_env.extend(parse_file_commands(
                &std::fs::read_to_string(&github_env).expect("read"),
            ));
            added_path = std::fs::read_to_string(&github_path)
                .expect("read")
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            if !out.status.success() {
                outcome.code = out.status.code().unwrap_or(-1);
                break;
            }
        }
        outcome.path_added = added_path;
        let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
        for (name, spec) in action["outputs"].as_mapping().into_iter().flatten() {
            let value = evaluate(scalar(&spec["value"]), &|expr| {
                let rest = expr.strip_prefix("steps.")?;
                let (id, output) = rest.split_once(".outputs.")?;
                // A step that did not run (an earlier one failed) has empty outputs, as on
                // GitHub; a step id the action does not declare is a mistake.
                ids.contains(&id).then(|| {
                    step_outputs
                        .get(id)
                        .and_then(|o| o.get(output))
                        .cloned()
                        .unwrap_or_default()
                })
            });
            outcome
                .outputs
                .insert(name.as_str().expect("output name").to_owned(), value);
        }
        outcome
    }
}

fn scalar(value: &Value) -> &str {
    value.as_str().expect("a string")
}

/// Replaces every `${{ expr }}` with what `known` says; an unknown expression fails the test.
fn evaluate(text: &str, known: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .expect("an unterminated expression")
            + start;
        let expr = rest[start + 3..end].trim();
        let value = known(expr)
            .unwrap_or_else(|| panic!("the harness does not know the expression `{expr}`"));
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `NAME=value` lines and `NAME<<DELIMITER` blocks, as in GITHUB_ENV and GITHUB_OUTPUT.
fn parse_file_commands(text: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            values.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            values.insert(name.to_owned(), value.to_owned());
        }
    }
    values
}

#[test]
fn file_commands_parse_as_the_runner_reads_them() {
    let parsed = parse_file_commands("A=1\nB<<EOF\ntwo\nlines\nEOF\nC=x=y\n");
    assert_eq!(parsed["A"], "1");
    assert_eq!(parsed["B"], "two\nlines");
    assert_eq!(parsed["C"], "x=y");
}

#[test]
#[should_panic(expected = "does not know the expression `github.token`")]
fn an_unknown_expression_fails_instead_of_expanding_to_nothing() {
    evaluate("${{ github.token }}", &|_| None);
}
