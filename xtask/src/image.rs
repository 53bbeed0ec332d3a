//! `cargo xtask image`: build the `FROM scratch` container image (static status-server and
//! statusctl, nothing else) and smoke-test it by running it.
//!
//! The binaries are static glibc builds (`-C target-feature=+crt-static`) in their own target
//! directory, so the flags never invalidate the normal build. The image is built from a context
//! holding only those two files (never the repository: `target/` is gigabytes) with buildah
//! (`--storage-driver vfs --isolation chroot` works offline, as root, without a daemon), or
//! with docker when buildah is missing and a docker daemon answers. buildah is installed with
//! apt-get when it is missing and we are root on Debian.
//!
//! ```text
//! cargo xtask image [--tag NAME] [--oci-archive PATH] [--docker-archive PATH] [--no-build] [--smoke]
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::host::{self, ChildProcess, Recommends, free_port, http_get, is_root, set_mode, which};
use crate::{cargo, display, project_root, run_cmd, target_dir};

const DEFAULT_TAG: &str = "gitops-status:dev";
const TARGET: &str = "x86_64-unknown-linux-gnu";
const BINARIES: [&str; 2] = ["status-server", "statusctl"];
/// The seed's image, for the size comparison in the report.
const BASELINE: &str = "nginxinc/nginx-unprivileged:1.25-alpine (about 40-45 MB uncompressed)";

#[derive(Debug)]
struct Options {
    tag: String,
    oci_archive: Option<PathBuf>,
    docker_archive: Option<PathBuf>,
    build_binaries: bool,
    smoke: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        tag: DEFAULT_TAG.to_owned(),
        oci_archive: None,
        docker_archive: None,
        build_binaries: true,
        smoke: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--tag" => options.tag = value("--tag")?,
            "--oci-archive" => options.oci_archive = Some(absolute(value("--oci-archive")?)),
            "--docker-archive" => {
                options.docker_archive = Some(absolute(value("--docker-archive")?));
            }
            "--no-build" => options.build_binaries = false,
            "--smoke" => options.smoke = true,
            other => bail!(
                "unknown argument `{other}`\nusage: cargo xtask image [--tag NAME] [--oci-archive PATH] [--docker-archive PATH] [--no-build] [--smoke]"
            ),
        }
    }
    Ok(options)
}

/// Paths are taken relative to where the user ran `cargo xtask`, not the project root.
fn absolute(path: String) -> PathBuf {
    let path = PathBuf::from(path);
    if path.is_absolute() {
        path
    } else {
        std::env::current_dir().map_or(path.clone(), |cwd| cwd.join(path))
    }
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    let engine = Engine::find()?;
    build(&engine, &options)?;
    if let Some(path) = &options.oci_archive {
        engine.export(&options.tag, "oci-archive", path)?;
    }
    if let Some(path) = &options.docker_archive {
        engine.export(&options.tag, "docker-archive", path)?;
    }
    if options.smoke {
        smoke_with(&engine, &options.tag)?;
    }
    Ok(())
}

/// The smoke test `cargo xtask ci` runs: build the image, serve a document from it as UID
/// 65532, fetch it over loopback HTTP (also through statusctl inside the image, which resolves
/// `localhost` with the static binary's own resolver), and run `statusctl --version`.
pub(crate) fn smoke() -> Result<()> {
    let options = parse(&[])?;
    let engine = Engine::find()?;
    build(&engine, &options)?;
    smoke_with(&engine, &options.tag)
}

fn smoke_with(engine: &Engine, tag: &str) -> Result<()> {
    match engine {
        Engine::Buildah => smoke_buildah(tag),
        Engine::Docker => bail!(
            "the image smoke test runs the image with buildah (`buildah run --isolation chroot`); install buildah"
        ),
    }
}

/// The container engine that builds (and for the smoke test, runs) the image.
enum Engine {
    Buildah,
    Docker,
}

impl Engine {
    fn find() -> Result<Engine> {
        if which("buildah").is_some() {
            return Ok(Engine::Buildah);
        }
        if which("docker").is_some() && quiet(Command::new("docker").arg("info")) {
            return Ok(Engine::Docker);
        }
        if is_root() && which("apt-get").is_some() {
            eprintln!("xtask image: buildah is missing; installing it with apt-get");
            // With its recommends: the set this project was verified with.
            host::apt_get_install(&["buildah"], Recommends::Install)?;
            return Ok(Engine::Buildah);
        }
        bail!(
            "no container engine: install buildah (Debian/Ubuntu: `apt-get install buildah`) or start a docker daemon"
        )
    }

    fn command(&self) -> Command {
        match self {
            Engine::Buildah => {
                let mut cmd = Command::new("buildah");
                // vfs needs no kernel overlay support (works in containers and CI sandboxes).
                cmd.args(["--storage-driver", "vfs"]);
                cmd
            }
            Engine::Docker => Command::new("docker"),
        }
    }

    fn export(&self, tag: &str, format: &str, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let _ = std::fs::remove_file(path);
        match self {
            Engine::Buildah => run_cmd(
                self.command()
                    .args(["push", tag])
                    .arg(format!("{format}:{}:{tag}", path.display())),
            )?,
            Engine::Docker if format == "docker-archive" => {
                run_cmd(self.command().args(["save", "-o"]).arg(path).arg(tag))?;
            }
            Engine::Docker => {
                bail!("--oci-archive needs buildah; use --docker-archive with docker")
            }
        }
        let size = std::fs::metadata(path)?.len();
        eprintln!(
            "xtask image: wrote {} ({})",
            path.display(),
            megabytes(size)
        );
        Ok(())
    }
}

/// Runs a command with its output discarded; true when it succeeds.
fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The static release binaries' directory.
fn binaries_dir() -> PathBuf {
    target_dir().join("image").join(TARGET).join("release")
}

fn build(engine: &Engine, options: &Options) -> Result<()> {
    if options.build_binaries {
        run_cmd(
            cargo()
                .args(["build", "--release", "--target", TARGET])
                .args(BINARIES.iter().flat_map(|b| ["-p", b]))
                .env("CARGO_TARGET_DIR", target_dir().join("image"))
                .env("RUSTFLAGS", "-C target-feature=+crt-static"),
        )?;
    }
    // The build context: the two binaries only.
    let context = target_dir().join("image").join("context");
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context)?;
    let mut binaries_size = 0;
    for name in BINARIES {
        let from = binaries_dir().join(name);
        if !from.exists() {
            bail!(
                "{} is missing: run `cargo xtask image` without --no-build",
                from.display()
            );
        }
        std::fs::copy(&from, context.join(name))
            .with_context(|| format!("copying {}", from.display()))?;
        binaries_size += std::fs::metadata(&from)?.len();
    }
    let containerfile = project_root().join("Containerfile");
    let version = env!("CARGO_PKG_VERSION");
    let previous = image_id(engine, &options.tag);
    let mut cmd = engine.command();
    match engine {
        Engine::Buildah => cmd.args(["bud", "--isolation", "chroot", "--layers=false"]),
        Engine::Docker => cmd.arg("build"),
    };
    run_cmd(
        cmd.arg("--build-arg")
            .arg(format!("VERSION={version}"))
            .arg("-f")
            .arg(&containerfile)
            .args(["-t", &options.tag])
            .arg(&context),
    )?;
    // Each build re-tags the name; drop our previous image instead of leaving it dangling (a
    // no-op when something still uses it).
    if let Some(previous) = previous
        && image_id(engine, &options.tag).is_some_and(|id| id != previous)
    {
        let _ = quiet(engine.command().args(["rmi", &previous]));
    }
    let image_size = match engine {
        Engine::Buildah => image_size_buildah(&options.tag)?,
        Engine::Docker => binaries_size,
    };
    eprintln!(
        "xtask image: built {} — {} uncompressed (binaries {}); the seed's image: {BASELINE}",
        options.tag,
        megabytes(image_size),
        megabytes(binaries_size)
    );
    Ok(())
}

/// The ID of the image a name points at, if any.
fn image_id(engine: &Engine, tag: &str) -> Option<String> {
    let Engine::Buildah = engine else {
        return None; // docker build leaves the old image <none>-tagged; `docker image prune` is the user's call
    };
    let out = engine
        .command()
        .args([
            "inspect",
            "--type",
            "image",
            "--format",
            "{{.FromImageID}}",
            tag,
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !id.is_empty()).then_some(id)
}

/// The uncompressed size of the image's layers: the sum over its manifest (`buildah images`
/// only gives a rounded, human-readable size).
fn image_size_buildah(tag: &str) -> Result<u64> {
    let out = Engine::Buildah
        .command()
        .args(["inspect", "--type", "image", tag])
        .output()
        .context("buildah inspect")?;
    let inspect: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("parsing `buildah inspect`")?;
    let manifest: serde_json::Value = inspect
        .get("Manifest")
        .and_then(serde_json::Value::as_str)
        .map(serde_json::from_str)
        .transpose()
        .context("parsing the image manifest")?
        .with_context(|| format!("no manifest for {tag} in `buildah inspect`"))?;
    let layers = manifest
        .get("layers")
        .and_then(serde_json::Value::as_array)
        .context("the manifest has no layers")?;
    Ok(layers
        .iter()
        .filter_map(|l| l.get("size").and_then(serde_json::Value::as_u64))
        .sum())
}

fn megabytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^52 bytes
    let mb = bytes as f64 / 1_000_000.0;
    format!("{mb:.1} MB")
}

/// A working container, removed when dropped.
struct WorkingContainer(String);

impl Drop for WorkingContainer {
    fn drop(&mut self) {
        let _ = quiet(Engine::Buildah.command().args(["rm", &self.0]));
    }
}

fn smoke_buildah(tag: &str) -> Result<()> {
    let out = Engine::Buildah
        .command()
        .args(["from", "--pull-never", tag])
        .output()
        .context("buildah from")?;
    if !out.status.success() {
        bail!(
            "buildah from {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let container = WorkingContainer(String::from_utf8_lossy(&out.stdout).trim().to_owned());

    // The image's own metadata: the user the chart relies on.
    let inspect = Engine::Buildah
        .command()
        .args([
            "inspect",
            "--type",
            "image",
            "--format",
            "{{.OCIv1.Config.User}}",
            tag,
        ])
        .output()
        .context("buildah inspect")?;
    let user = String::from_utf8_lossy(&inspect.stdout).trim().to_owned();
    if user != "65532:65532" {
        bail!("the image runs as `{user}`, not 65532:65532");
    }

    // A document bind-mounted read-only, readable by UID 65532.
    let data = tempfile_dir()?;
    let document = std::fs::read(project_root().join("examples/status.json"))?;
    std::fs::write(data.join("status.json"), &document)?;
    set_mode(&data, 0o755)?;
    set_mode(&data.join("status.json"), 0o644)?;

    let port = free_port()?;
    let listen = format!("127.0.0.1:{port}");
    let mut serve = buildah_run(&container.0, &data);
    serve.args([
        "/status-server",
        "--file",
        "/data/status.json",
        "--listen",
        &listen,
        "--log-format",
        "text",
    ]);
    eprintln!("$ {}", display(&serve));
    // The server's output (and buildah's, which reports the SIGTERM that stops it as
    // `Error: exit status 1`) goes to a file, shown only when the smoke test fails: a passing
    // run prints nothing that looks like an error.
    let log_path = data.with_extension("server.log");
    let log = std::fs::File::create(&log_path).context("the server's log file")?;
    serve
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("the server's log file")?)
        .stderr(log);
    // Stopped (SIGTERM, so `buildah run` removes its mounts) when dropped.
    let server = ChildProcess::new(serve.spawn().context("buildah run")?);
    let result = smoke_running(&container.0, &data, port, server, &document);
    if result.is_err() {
        let printed = std::fs::read_to_string(&log_path).unwrap_or_default();
        eprintln!("xtask image: the server in the image printed:\n{printed}");
    }
    let _ = std::fs::remove_file(&log_path);
    result?;

    let mut version = buildah_run(&container.0, &data);
    version.args(["/statusctl", "--version"]);
    let out = output_of(&mut version)?;
    let expected = format!("statusctl {}", env!("CARGO_PKG_VERSION"));
    if !out.contains(&expected) {
        bail!("`statusctl --version` printed {out:?}, expected {expected:?}");
    }
    eprintln!("xtask image: smoke test passed ({})", out.trim());
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// The checks made while the server runs in the image; the server is stopped before this
/// returns, whatever the outcome.
fn smoke_running(
    container: &str,
    data: &Path,
    port: u16,
    mut server: ChildProcess,
    document: &[u8],
) -> Result<()> {
    let listen = format!("127.0.0.1:{port}");
    let url = format!("http://{listen}/status.json");
    let body = fetch_until_ready(&url, &mut server)?;
    if body != document {
        bail!(
            "{url} served {} bytes that differ from examples/status.json",
            body.len()
        );
    }
    eprintln!("xtask image: {url} served examples/status.json from the image as UID 65532");

    // statusctl in the image, as the helm test pod runs it: by host name (the static binary
    // must resolve names itself: there is no libc in the image), not by address.
    let mut check = buildah_run(container, data);
    check.args([
        "/statusctl",
        "check",
        "--url",
        &format!("http://localhost:{port}"),
    ]);
    let out = output_of(&mut check)?;
    if !out.contains("healthy: production-apps") {
        bail!("`statusctl check` in the image printed:\n{out}");
    }
    drop(server);
    Ok(())
}

fn buildah_run(container: &str, data: &Path) -> Command {
    let mut cmd = Engine::Buildah.command();
    cmd.args([
        "run",
        "--isolation",
        "chroot",
        "--user",
        "65532:65532",
        "-v",
    ])
    .arg(format!("{}:/data:ro", data.display()))
    .arg(container)
    .arg("--");
    cmd
}

fn output_of(cmd: &mut Command) -> Result<String> {
    eprintln!("$ {}", display(cmd));
    let out = cmd
        .output()
        .with_context(|| format!("running {}", display(cmd)))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("`{}` failed ({}):\n{text}", display(cmd), out.status);
    }
    Ok(text)
}

/// GETs `url` until it answers 200 (the server starts in the background), for up to 30 s.
fn fetch_until_ready(url: &str, server: &mut ChildProcess) -> Result<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last_error = String::new();
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.try_wait() {
            bail!("the server in the image exited ({status}) before serving {url}");
        }
        match http_get(url, &[]) {
            Ok(response) if response.status == 200 => return Ok(response.body),
            Ok(response) => last_error = format!("HTTP {}", response.status),
            Err(e) => last_error = format!("{e:#}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("{url} did not answer 200 within 30 s: {last_error}")
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = target_dir()
        .join("image")
        .join(format!("smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
