//! `cargo xtask image`: the `FROM scratch` container image (one static multi-call binary,
//! `/gitops-status`, and `/status-server` and `/statusctl` as symbolic links to it; nothing
//! else), one per platform, built from the `cargo xtask dist` archives; and its smoke test.
//!
//! ```text
//! cargo xtask image [--platform linux/amd64[,linux/arm64]] [--tag NAME] [--no-build]
//!                   [--oci-archive PATH] [--docker-archive PATH] [--sbom PATH]
//!                   [--push REF [--digest-file PATH]] [--smoke]
//! ```
//!
//! The image holds exactly the released bytes: each platform's multi-call binary is taken out
//! of `target/dist/out/gitops-status-<version>-<target>.tar.gz` into a build context holding
//! only it and the links (`<arch>/gitops-status`, `<arch>/status-server -> gitops-status`,
//! `<arch>/statusctl -> gitops-status`; never the repository: `target/` is gigabytes), a
//! directory the Containerfile copies whole by `TARGETARCH`, links kept as links. One binary
//! instead of two: the programs share most of their code, and two static binaries would not fit
//! the budget (docs/release.md). Without `--no-build`, `cargo xtask dist`
//! first builds the host's archives; other platforms' archives come from their own machines (the
//! release workflow builds arm64 on an arm64 runner). Several platforms make a manifest list.
//!
//! The image carries OCI labels for the version, the source revision (`git rev-parse HEAD`) and
//! the commit time, which is also every file's time and the image's creation time
//! (`buildah --timestamp`): one commit gives one image digest.
//!
//! It is built with buildah (`--storage-driver vfs --isolation chroot` works offline, as root,
//! without a daemon), or with docker (one platform, no push) when buildah is missing and a
//! docker daemon answers. buildah is installed with apt-get when it is missing and we are root
//! on Debian. `--push` copies the image (or the manifest list, with every image in it) to a
//! registry (`docker://` is implied) and writes its digest to `--digest-file`, for signing.
//! `--sbom` writes an SPDX SBOM of everything in the image (of every platform; syft reads the
//! dependency lists the binaries carry), for the release's SBOM attestation.
//!
//! Every image built must fit [`IMAGE_BUDGET`]; `--smoke` runs the host's image as UID 65532.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::host::{
    self, ChildProcess, Recommends, free_port, http_get, is_root, set_mode, symlink, which,
};
use crate::{
    absolute, display, dist, git_revision, megabytes, project_root, run_cmd, source_date_epoch,
    target_dir, version,
};

const DEFAULT_TAG: &str = "gitops-status:dev";
/// The seed's image, for the size comparison in the report.
const BASELINE: &str = "nginxinc/nginx-unprivileged:1.25-alpine (about 40-45 MB uncompressed)";
/// The most an image may weigh, uncompressed (it was 13.1 MB before the release profile).
const IMAGE_BUDGET: u64 = 10_000_000;

/// An image platform this project releases, and the Rust target that builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Platform {
    /// `linux/amd64`, as OCI and `--platform` spell it.
    name: &'static str,
    /// `amd64`, as `TARGETARCH` spells it.
    arch: &'static str,
    target: &'static str,
}

const PLATFORMS: [Platform; 2] = [
    Platform {
        name: "linux/amd64",
        arch: "amd64",
        target: "x86_64-unknown-linux-gnu",
    },
    Platform {
        name: "linux/arm64",
        arch: "arm64",
        target: "aarch64-unknown-linux-gnu",
    },
];

impl Platform {
    fn parse(name: &str) -> Result<Platform> {
        PLATFORMS
            .iter()
            .find(|p| p.name == name)
            .copied()
            .with_context(|| {
                format!(
                    "unknown platform `{name}`: one of {}",
                    PLATFORMS.map(|p| p.name).join(", ")
                )
            })
    }

    /// The platform of the machine we run on, if it is one we build.
    fn host() -> Option<Platform> {
        let target = dist::host_target().ok()?;
        PLATFORMS.iter().find(|p| p.target == target).copied()
    }
}

#[derive(Debug)]
struct Options {
    platforms: Vec<Platform>,
    tag: String,
    oci_archive: Option<PathBuf>,
    docker_archive: Option<PathBuf>,
    push: Option<String>,
    digest_file: Option<PathBuf>,
    sbom: Option<PathBuf>,
    build_binaries: bool,
    smoke: bool,
}

const USAGE: &str = "usage: cargo xtask image [--platform linux/amd64[,linux/arm64]] [--tag NAME] [--no-build] \
[--oci-archive PATH] [--docker-archive PATH] [--sbom PATH] [--push REF [--digest-file PATH]] [--smoke]";

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        platforms: Vec::new(),
        tag: DEFAULT_TAG.to_owned(),
        oci_archive: None,
        docker_archive: None,
        push: None,
        digest_file: None,
        sbom: None,
        build_binaries: true,
        smoke: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--platform" => {
                for name in value("--platform")?.split(',') {
                    let platform = Platform::parse(name.trim())?;
                    if !options.platforms.contains(&platform) {
                        options.platforms.push(platform);
                    }
                }
            }
            "--tag" => options.tag = value("--tag")?,
            "--oci-archive" => options.oci_archive = Some(absolute(value("--oci-archive")?)),
            "--docker-archive" => {
                options.docker_archive = Some(absolute(value("--docker-archive")?));
            }
            "--push" => options.push = Some(value("--push")?),
            "--digest-file" => options.digest_file = Some(absolute(value("--digest-file")?)),
            "--sbom" => options.sbom = Some(absolute(value("--sbom")?)),
            "--no-build" => options.build_binaries = false,
            "--smoke" => options.smoke = true,
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    if options.platforms.is_empty() {
        options.platforms.push(
            Platform::host()
                .context("this machine is not linux/amd64 or linux/arm64: pass --platform")?,
        );
    }
    if options.digest_file.is_some() && options.push.is_none() {
        bail!("--digest-file needs --push");
    }
    if options.smoke
        && (options.platforms.len() != 1 || Some(options.platforms[0]) != Platform::host())
    {
        bail!("--smoke runs the image here: build the host's platform only");
    }
    if options.platforms.len() > 1 && options.docker_archive.is_some() {
        bail!("--docker-archive holds one image: use --oci-archive for several platforms");
    }
    Ok(options)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    let engine = Engine::find()?;
    build(&engine, &options)?;
    if let Some(path) = &options.sbom {
        sbom(path)?;
    }
    if let Some(path) = &options.oci_archive {
        engine.export(&options, "oci-archive", path)?;
    }
    if let Some(path) = &options.docker_archive {
        engine.export(&options, "docker-archive", path)?;
    }
    if let Some(reference) = &options.push {
        engine.push(&options, reference)?;
    }
    if options.smoke {
        smoke_with(&engine, &options.tag)?;
    }
    Ok(())
}

/// The smoke test `cargo xtask ci` runs after `cargo xtask dist`: build the host's image from
/// the archives dist wrote, serve a document from it as UID 65532 (`/status-server`), fetch it
/// over loopback HTTP (also through `/statusctl` inside the image, which resolves `localhost`
/// with the static binary's own resolver), run `--version` and `--help` by both names (each
/// prints its own) and the binary by its own name (a usage error), and check that both names
/// are links to the one binary.
pub(crate) fn smoke_from_dist() -> Result<()> {
    run(&["--no-build".to_owned(), "--smoke".to_owned()])
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

    fn export(&self, options: &Options, format: &str, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let _ = std::fs::remove_file(path);
        let tag = &options.tag;
        let destination = format!("{format}:{}:{tag}", path.display());
        match self {
            Engine::Buildah if options.platforms.len() > 1 => run_cmd(
                self.command()
                    .args(["manifest", "push", "--all", tag])
                    .arg(&destination),
            )?,
            Engine::Buildah => run_cmd(self.command().args(["push", tag]).arg(&destination))?,
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

    /// Copies the image, or the manifest list and every image in it, to a registry.
    fn push(&self, options: &Options, reference: &str) -> Result<()> {
        let Engine::Buildah = self else {
            bail!("--push needs buildah");
        };
        let destination = if reference.contains("://") || reference.starts_with("oci:") {
            reference.to_owned()
        } else {
            format!("docker://{reference}")
        };
        let digest_file = options
            .digest_file
            .clone()
            .unwrap_or_else(|| target_dir().join("image").join("digest"));
        if let Some(dir) = digest_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut cmd = self.command();
        if options.platforms.len() > 1 {
            cmd.args(["manifest", "push", "--all"]);
        } else {
            cmd.arg("push");
        }
        run_cmd(
            cmd.arg("--digestfile")
                .arg(&digest_file)
                .arg(&options.tag)
                .arg(&destination),
        )?;
        let digest = std::fs::read_to_string(&digest_file)
            .with_context(|| format!("reading {}", digest_file.display()))?;
        let digest = digest.trim();
        if !is_digest(digest) {
            bail!(
                "buildah wrote {digest:?} to {}, not a sha256 digest",
                digest_file.display()
            );
        }
        eprintln!("xtask image: pushed {destination} as {digest}");
        Ok(())
    }
}

/// The build context: each platform's binaries, in a directory named by its TARGETARCH.
fn context_dir() -> PathBuf {
    target_dir().join("image").join("context")
}

/// Writes an SPDX SBOM of the build context: every file of every platform's image.
fn sbom(path: &Path) -> Result<()> {
    let syft = crate::tools::install_python()?.join("syft");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    run_cmd(
        Command::new(syft)
            .arg("scan")
            .arg(format!("dir:{}", context_dir().display()))
            .args([
                "--quiet",
                "--source-name",
                "gitops-status",
                "--source-version",
                version(),
            ])
            .arg("-o")
            .arg(format!("spdx-json={}", path.display()))
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false"),
    )?;
    let packages = dist::count_spdx_packages(path)?;
    if packages < 10 {
        bail!(
            "{} lists {packages} packages: syft did not read the binaries' dependency lists",
            path.display()
        );
    }
    eprintln!("xtask image: SBOM {} ({packages} packages)", path.display());
    Ok(())
}

/// Whether a string is a `sha256:` digest as registries print it.
pub(crate) fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Runs a command with its output discarded; true when it succeeds.
fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds the image (one platform) or the manifest list (several) from the dist archives.
fn build(engine: &Engine, options: &Options) -> Result<()> {
    if options.build_binaries {
        let host = Platform::host();
        let targets: Vec<String> = options
            .platforms
            .iter()
            .filter(|p| Some(**p) == host)
            .flat_map(|p| ["--target".to_owned(), p.target.to_owned()])
            .collect();
        if !targets.is_empty() {
            dist::run(&targets)?;
        }
    }
    let context = context_dir();
    let _ = std::fs::remove_dir_all(&context);
    let mut binaries_size = Vec::new();
    for platform in &options.platforms {
        let dir = context.join(platform.arch);
        let binary = dist::MULTI_CALL;
        let archive = dist::out_dir().join(dist::archive_name(binary, platform.target));
        if !archive.exists() {
            bail!(
                "{} is missing: run `cargo xtask dist --target {}` (on a {} machine), or `cargo xtask image` without --no-build",
                archive.display(),
                platform.target,
                platform.name
            );
        }
        let bytes = dist::extract(&archive, binary)?;
        write_platform_context(&dir, &bytes)?;
        binaries_size.push((platform.name, bytes.len() as u64));
    }

    let containerfile = project_root().join("Containerfile");
    let epoch = source_date_epoch();
    let created = chrono::DateTime::from_timestamp(i64::try_from(epoch).unwrap_or(0), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let revision = git_revision().unwrap_or_else(|| "unknown".to_owned());
    let platforms = options
        .platforms
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(",");
    let many = options.platforms.len() > 1;
    let previous = if many {
        None
    } else {
        image_id(engine, &options.tag)
    };
    if let Engine::Buildah = engine {
        // `--manifest` adds to an existing list of that name, and a name cannot be both a
        // list and an image: start from neither (each is a no-op when the name is the other).
        let _ = quiet(engine.command().args(["manifest", "rm", &options.tag]));
        if many {
            let _ = quiet(engine.command().args(["rmi", &options.tag]));
        }
    }
    let mut cmd = engine.command();
    match engine {
        Engine::Buildah => {
            cmd.args(["bud", "--isolation", "chroot", "--layers=false"])
                .arg(format!("--timestamp={epoch}"));
        }
        Engine::Docker => {
            cmd.arg("build");
        }
    };
    cmd.arg("--platform").arg(&platforms);
    if many {
        cmd.args(["--manifest", &options.tag]);
    } else {
        // Set by buildah and BuildKit from --platform; given for docker's classic builder too.
        cmd.arg("--build-arg")
            .arg(format!("TARGETARCH={}", options.platforms[0].arch))
            .args(["-t", &options.tag]);
    }
    run_cmd(
        cmd.arg("--build-arg")
            .arg(format!("VERSION={}", version()))
            .arg("--build-arg")
            .arg(format!("REVISION={revision}"))
            .arg("--build-arg")
            .arg(format!("CREATED={created}"))
            .arg("-f")
            .arg(&containerfile)
            .arg(&context),
    )?;
    // Each build re-tags the name; drop our previous image instead of leaving it dangling (a
    // no-op when something still uses it).
    if let Some(previous) = previous
        && image_id(engine, &options.tag).is_some_and(|id| id != previous)
    {
        let _ = quiet(engine.command().args(["rmi", &previous]));
    }
    for (platform, binaries) in binaries_size {
        let image_size = match engine {
            Engine::Buildah if !many => image_size_buildah(&options.tag)?,
            // The one layer is the binary and two links (and a tar header each).
            _ => binaries,
        };
        eprintln!(
            "xtask image: built {} for {platform} — {} uncompressed (the multi-call binary {}); the seed's image: {BASELINE}",
            options.tag,
            megabytes(image_size),
            megabytes(binaries)
        );
        if image_size > IMAGE_BUDGET {
            bail!(
                "the {platform} image is {}, over its budget of {}: see docs/release.md for what was done to keep it small",
                megabytes(image_size),
                megabytes(IMAGE_BUDGET)
            );
        }
    }
    Ok(())
}

/// Writes one platform's directory of the build context: the multi-call binary, and a link
/// to it by each name it answers to.
fn write_platform_context(dir: &Path, binary: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(dist::MULTI_CALL);
    std::fs::write(&path, binary).with_context(|| format!("writing {}", path.display()))?;
    set_mode(&path, 0o755)?;
    // Relative links: they resolve inside the image, whatever the context's path here.
    for name in dist::MULTI_CALL_NAMES {
        symlink(Path::new(dist::MULTI_CALL), &dir.join(name))?;
    }
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

    // Each name the chart runs is its own program, by the link of that name.
    let mut versions = Vec::new();
    for name in dist::MULTI_CALL_NAMES {
        let path = format!("/{name}");
        let mut print_version = buildah_run(&container.0, &data);
        print_version.args([path.as_str(), "--version"]);
        let out = output_of(&mut print_version)?;
        let expected = format!("{name} {}", version());
        if !out.contains(&expected) {
            bail!("`{path} --version` printed {out:?}, expected {expected:?}");
        }
        let mut help = buildah_run(&container.0, &data);
        help.args([path.as_str(), "--help"]);
        let out = output_of(&mut help)?;
        if !out.contains(&format!("Usage: {name} ")) {
            bail!("`{path} --help` printed no `Usage: {name} ` line:\n{out}");
        }
        versions.push(expected);
    }
    // By its own name, the binary runs neither program: it says which names it answers to.
    let mut own_name = buildah_run(&container.0, &data);
    own_name.arg(format!("/{}", dist::MULTI_CALL));
    eprintln!("$ {}", display(&own_name));
    let out = own_name.output().context("buildah run")?;
    let printed = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || !printed.contains("a multi-call binary") {
        bail!(
            "`/{}` exited {} and printed {printed:?}, expected a usage error",
            dist::MULTI_CALL,
            out.status
        );
    }
    check_links(&container.0)?;
    eprintln!("xtask image: smoke test passed ({})", versions.join(", "));
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// Checks the image's root: the multi-call binary is a regular file, and each program's path a
/// symbolic link to it (what the budget counts on: a copy would double the image).
fn check_links(container: &str) -> Result<()> {
    let out = Engine::Buildah
        .command()
        .args(["mount", container])
        .output()
        .context("buildah mount")?;
    if !out.status.success() {
        bail!(
            "buildah mount {container}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let checked = (|| -> Result<()> {
        let binary = root.join(dist::MULTI_CALL);
        let metadata = std::fs::symlink_metadata(&binary)
            .with_context(|| format!("the image has no /{}", dist::MULTI_CALL))?;
        if !metadata.is_file() {
            bail!("/{} in the image is not a regular file", dist::MULTI_CALL);
        }
        for name in dist::MULTI_CALL_NAMES {
            let target = std::fs::read_link(root.join(name))
                .with_context(|| format!("/{name} in the image is not a symbolic link"))?;
            if target != Path::new(dist::MULTI_CALL) {
                bail!(
                    "/{name} in the image links to {}, not {}",
                    target.display(),
                    dist::MULTI_CALL
                );
            }
        }
        Ok(())
    })();
    let _ = quiet(Engine::Buildah.command().args(["umount", container]));
    checked?;
    eprintln!(
        "xtask image: /{} holds both programs; {} link to it",
        dist::MULTI_CALL,
        dist::MULTI_CALL_NAMES
            .map(|n| format!("/{n}"))
            .join(" and ")
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_context_is_the_binary_and_relative_links_to_it() {
        let context = tempfile::tempdir().unwrap();
        let dir = context.path().join("amd64");
        write_platform_context(&dir, b"binary bytes").unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["gitops-status", "status-server", "statusctl"]);
        let binary = dir.join("gitops-status");
        assert!(std::fs::symlink_metadata(&binary).unwrap().is_file());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&binary).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        for name in ["status-server", "statusctl"] {
            // Relative: an absolute link would name a path of this machine inside the image.
            assert_eq!(
                std::fs::read_link(dir.join(name)).unwrap(),
                Path::new("gitops-status")
            );
            assert_eq!(std::fs::read(dir.join(name)).unwrap(), b"binary bytes");
        }
    }
}
