//! `cargo xtask dist`: the release binaries, as they are published.
//!
//! ```text
//! cargo xtask dist [--target TRIPLE]... [--out DIR] [--sbom] [--no-build]
//! ```
//!
//! For each target (default: the host's), one release build of status-server, statusctl and
//! gitops-status (statusctl only for non-Linux targets: the server is a Linux server), then one
//! archive per binary, `<binary>-<version>-<target>.tar.gz`, holding the binary, `LICENSE` and
//! `README.md`. gitops-status is the image's multi-call binary (both programs in one, run as
//! the name it is called by); the standalone binaries are what users and pipelines download.
//! The three are one cargo invocation, so every dependency is compiled once for all of them.
//! Then `SHA256SUMS` (the `sha256sum` format) over every archive of this version in the output
//! directory (`target/dist/out`), so the release job can collect the archives of all targets
//! into one directory and run `--no-build --sbom` there once.
//!
//! - Static: Linux glibc targets link with `-C target-feature=+crt-static` (musl targets are
//!   static anyway); a binary that still names a dynamic loader fails the build.
//! - Auditable: built with `cargo auditable` (installed by `tools`), so the dependency list is
//!   embedded in a `.dep-v0` section that syft, trivy and grype read; a binary without it fails.
//! - Reproducible: paths of the checkout and of the cargo home are remapped out of the binary,
//!   and archive entries carry the commit's time, uid/gid 0 and fixed modes.
//! - `--sbom`: an SPDX SBOM per archive (`<archive stem>.spdx.json`, syft reading the embedded
//!   dependency list), included in `SHA256SUMS`.
//!
//! The build uses its own target directory (`target/dist/build`), so its flags never invalidate
//! the normal build; `cargo xtask image` builds the image from these archives.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::host::symlink;
use crate::{project_root, run_cmd, source_date_epoch, target_dir, tools, version};

/// The binaries of a Linux release; other targets get statusctl only (`binaries`).
const LINUX_BINARIES: [&str; 3] = ["statusctl", "status-server", MULTI_CALL];

/// The multi-call binary the image holds (the `gitops-status` crate).
pub(crate) const MULTI_CALL: &str = "gitops-status";

/// The names the multi-call binary answers to: the programs it holds, each also a binary of
/// its own.
pub(crate) const MULTI_CALL_NAMES: [&str; 2] = ["status-server", "statusctl"];

/// The files shipped beside each binary in its archive.
const EXTRA_FILES: [&str; 2] = ["LICENSE", "README.md"];

/// The name of the checksum file.
pub(crate) const SHA256SUMS: &str = "SHA256SUMS";

const USAGE: &str =
    "usage: cargo xtask dist [--target TRIPLE]... [--out DIR] [--sbom] [--no-build]";

#[derive(Debug)]
struct Options {
    targets: Vec<String>,
    out: PathBuf,
    sbom: bool,
    build: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        targets: Vec::new(),
        out: out_dir(),
        sbom: false,
        build: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--target" => options.targets.push(value("--target")?),
            "--out" => options.out = crate::absolute(value("--out")?),
            "--sbom" => options.sbom = true,
            "--no-build" => options.build = false,
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    if options.targets.is_empty() {
        options.targets.push(host_target()?);
    }
    Ok(options)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    if options.build {
        for target in &options.targets {
            build(target, &options.out)?;
        }
    }
    if options.sbom {
        sboms(&options.out)?;
    }
    write_checksums(&options.out)?;
    Ok(())
}

/// Where archives, SBOMs and `SHA256SUMS` are written by default.
pub(crate) fn out_dir() -> PathBuf {
    target_dir().join("dist").join("out")
}

/// The binaries released for a target.
pub(crate) fn binaries(target: &str) -> &'static [&'static str] {
    if target.contains("-linux-") {
        &LINUX_BINARIES
    } else {
        &LINUX_BINARIES[..1]
    }
}

/// The archive of one binary for one target, at the workspace version.
pub(crate) fn archive_name(binary: &str, target: &str) -> String {
    format!("{binary}-{}-{target}.tar.gz", version())
}

/// The host's target triple, as rustc reports it.
pub(crate) fn host_target() -> Result<String> {
    let out = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-vV")
        .output()
        .context("running `rustc -vV`")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` printed no host")
}

/// Builds, checks and archives the binaries of one target.
fn build(target: &str, out: &Path) -> Result<()> {
    let binaries = binaries(target);
    let auditable = tools::cargo_auditable()?;
    let cargo_target = target_dir().join("dist").join("build");
    let mut rustflags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if target.ends_with("-linux-gnu") {
        rustflags.push_str(" -C target-feature=+crt-static");
    }
    // Build paths out of the binaries (panic locations name source files): the same source
    // gives the same bytes on any machine, and no runner's home directory is published.
    rustflags.push_str(&format!(
        " --remap-path-prefix={}=/build",
        project_root().display()
    ));
    if let Some(home) = cargo_home() {
        rustflags.push_str(&format!(" --remap-path-prefix={}=/cargo", home.display()));
    }
    run_cmd(
        Command::new(&auditable)
            .args([
                "auditable",
                "build",
                "--release",
                "--locked",
                "--target",
                target,
            ])
            .args(binaries.iter().flat_map(|b| ["-p", b]))
            .env("CARGO_TARGET_DIR", &cargo_target)
            .env("RUSTFLAGS", rustflags.trim()),
    )?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mtime = source_date_epoch();
    for binary in binaries {
        let path = cargo_target.join(target).join("release").join(binary);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        check_binary(binary, target, &bytes)?;
        if target == host_target()? {
            if *binary == MULTI_CALL {
                // It answers only to its programs' names: run it by each, as the image does.
                let names = cargo_target.join("multi-call-names");
                let _ = std::fs::remove_dir_all(&names);
                std::fs::create_dir_all(&names)?;
                for name in MULTI_CALL_NAMES {
                    let link = names.join(name);
                    symlink(&path, &link)?;
                    check_version(&link, name)?;
                }
                let _ = std::fs::remove_dir_all(&names);
            } else {
                check_version(&path, binary)?;
            }
        }
        let archive = out.join(archive_name(binary, target));
        write_archive(&archive, binary, &bytes, mtime)?;
        eprintln!(
            "xtask dist: {} ({} binary, {} archive)",
            archive.display(),
            crate::megabytes(bytes.len() as u64),
            crate::megabytes(std::fs::metadata(&archive)?.len())
        );
    }
    Ok(())
}

/// Runs `path --version`, which must print `name` and the workspace version.
fn check_version(path: &Path, name: &str) -> Result<()> {
    let output = Command::new(path)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", path.display()))?;
    let printed = String::from_utf8_lossy(&output.stdout);
    let expected = format!("{name} {}", version());
    if !output.status.success() || !printed.contains(&expected) {
        bail!(
            "`{} --version` printed {printed:?}, expected {expected:?}",
            path.display()
        );
    }
    Ok(())
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// What a release binary must be: for Linux, a static ELF of the target's machine; for every
/// target, one that carries its dependency list (cargo auditable's `.dep-v0` section).
fn check_binary(binary: &str, target: &str, bytes: &[u8]) -> Result<()> {
    if target.contains("-linux-") {
        let elf = Elf::parse(bytes).with_context(|| format!("{binary} for {target}"))?;
        let machine = match target.split('-').next() {
            Some("x86_64") => Some(EM_X86_64),
            Some("aarch64") => Some(EM_AARCH64),
            _ => None,
        };
        if let Some(machine) = machine
            && elf.machine != machine
        {
            bail!(
                "{binary} for {target} is for ELF machine {:#x}, not {machine:#x}",
                elf.machine
            );
        }
        if elf.interpreter {
            bail!("{binary} for {target} is dynamically linked (it names a program interpreter)");
        }
    }
    if !contains(bytes, b".dep-v0") {
        bail!(
            "{binary} for {target} has no `.dep-v0` section: it was not built by cargo auditable"
        );
    }
    Ok(())
}

const EM_X86_64: u16 = 0x3e;
const EM_AARCH64: u16 = 0xb7;

/// The little of an ELF header this task needs.
#[derive(Debug, PartialEq, Eq)]
struct Elf {
    machine: u16,
    /// Whether a `PT_INTERP` program header names a dynamic loader.
    interpreter: bool,
}

impl Elf {
    /// Reads a 64-bit little-endian ELF file's machine and program headers.
    fn parse(bytes: &[u8]) -> Result<Elf> {
        let field = |offset: usize, len: usize| {
            bytes
                .get(offset..offset + len)
                .context("the ELF header is truncated")
        };
        if field(0, 4)? != b"\x7fELF" {
            bail!("not an ELF file");
        }
        if field(4, 2)? != [2, 1] {
            bail!("not a 64-bit little-endian ELF file");
        }
        let u16_at = |offset| field(offset, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let u32_at =
            |offset| field(offset, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let u64_at = |offset| {
            field(offset, 8).map(|b| {
                let mut word = [0; 8];
                word.copy_from_slice(b);
                u64::from_le_bytes(word)
            })
        };
        let machine = u16_at(0x12)?;
        let phoff = usize::try_from(u64_at(0x20)?).context("program header offset")?;
        let phentsize = usize::from(u16_at(0x36)?);
        let phnum = usize::from(u16_at(0x38)?);
        const PT_INTERP: u32 = 3;
        let mut interpreter = false;
        for i in 0..phnum {
            if u32_at(phoff + i * phentsize)? == PT_INTERP {
                interpreter = true;
            }
        }
        Ok(Elf {
            machine,
            interpreter,
        })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Writes a gzip-compressed tar of the binary (mode 0755) and [`EXTRA_FILES`] (0644), every
/// entry owned by 0:0 and dated `mtime`, so the same inputs give the same bytes.
fn write_archive(path: &Path, binary: &str, bytes: &[u8], mtime: u64) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .write(file, flate2::Compression::best());
    let mut tar = tar::Builder::new(gzip);
    let mut append = |name: &str, mode: u32, data: &[u8]| -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, data)
            .with_context(|| format!("adding {name} to {}", path.display()))
    };
    append(binary, 0o755, bytes)?;
    for extra in EXTRA_FILES {
        let data = std::fs::read(project_root().join(extra))
            .with_context(|| format!("reading {extra}"))?;
        append(extra, 0o644, &data)?;
    }
    let gzip = tar.into_inner().context("finishing the tar stream")?;
    gzip.finish()
        .and_then(|mut file| file.flush())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Reads one file out of a `.tar.gz` archive.
pub(crate) fn extract(archive: &Path, name: &str) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar
        .entries()
        .with_context(|| format!("reading {}", archive.display()))?
    {
        let mut entry = entry.with_context(|| format!("reading {}", archive.display()))?;
        if entry.path().is_ok_and(|p| p == Path::new(name)) {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes)
                .with_context(|| format!("reading {name} in {}", archive.display()))?;
            return Ok(bytes);
        }
    }
    bail!("{} holds no {name}", archive.display())
}

/// The archives of this version in `dir`, by name.
fn archives(dir: &Path) -> Result<Vec<PathBuf>> {
    let infix = format!("-{}-", version());
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".tar.gz") && n.contains(&infix))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        bail!(
            "no archives of version {} in {}: run `cargo xtask dist` first",
            version(),
            dir.display()
        );
    }
    Ok(found)
}

/// The SBOM written beside an archive.
fn sbom_path(archive: &Path) -> PathBuf {
    let name = archive
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    archive.with_file_name(format!("{}.spdx.json", name.trim_end_matches(".tar.gz")))
}

/// Writes an SPDX SBOM for each archive: syft reads the dependency list the binary carries.
fn sboms(dir: &Path) -> Result<()> {
    let syft = tools::install_python()?.join("syft");
    let scratch = target_dir().join("dist").join("sbom");
    for archive in archives(dir)? {
        let name = archive
            .file_name()
            .and_then(|n| n.to_str())
            .context("archive name")?;
        let binary = name
            .split(&format!("-{}-", version()))
            .next()
            .unwrap_or(name);
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch)?;
        let path = scratch.join(binary);
        std::fs::write(&path, extract(&archive, binary)?)?;
        let sbom = sbom_path(&archive);
        run_cmd(
            Command::new(&syft)
                .arg("scan")
                .arg(format!("file:{}", path.display()))
                .args([
                    "--quiet",
                    "--source-name",
                    binary,
                    "--source-version",
                    version(),
                ])
                .arg("-o")
                .arg(format!("spdx-json={}", sbom.display()))
                // Offline and quiet: no update check, no network.
                .env("SYFT_CHECK_FOR_APP_UPDATE", "false"),
        )?;
        let packages = count_spdx_packages(&sbom)?;
        // The binary itself is one package; its dependencies are the rest. Linux binaries are
        // what runs in clusters and is scanned there: theirs must be complete. syft's reading
        // of Mach-O audit data is not exercised anywhere but in the release job, so a thin
        // macOS SBOM is reported, not fatal to a release that has already pushed its image.
        if packages < 10 {
            let problem = format!(
                "{} lists {packages} packages: syft did not read the binary's dependency list",
                sbom.display()
            );
            if name.contains("-linux-") {
                bail!("{problem}");
            }
            eprintln!("xtask dist: warning: {problem}");
        }
        eprintln!("xtask dist: {} ({packages} packages)", sbom.display());
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

pub(crate) fn count_spdx_packages(path: &Path) -> Result<usize> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let sbom: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(sbom
        .get("packages")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len))
}

/// Writes `SHA256SUMS` over the archives of this version in `dir` and their SBOMs.
fn write_checksums(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    for archive in archives(dir)? {
        let sbom = sbom_path(&archive);
        files.push(archive);
        if sbom.exists() {
            files.push(sbom);
        }
    }
    let mut sums = String::new();
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .context("file name")?;
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    let path = dir.join(SHA256SUMS);
    std::fs::write(&path, &sums).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("xtask dist: {} ({} files)", path.display(), files.len());
    Ok(())
}

/// The lowercase hex SHA-256 of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal 64-bit little-endian ELF header with program headers of the given types.
    fn elf(machine: u16, program_headers: &[u32]) -> Vec<u8> {
        let mut bytes = vec![0; 64 + 56 * program_headers.len()];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        bytes[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&(program_headers.len() as u16).to_le_bytes());
        for (i, kind) in program_headers.iter().enumerate() {
            let at = 64 + 56 * i;
            bytes[at..at + 4].copy_from_slice(&kind.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn a_program_interpreter_means_dynamically_linked() {
        // PT_LOAD, PT_DYNAMIC: a static-pie binary has a dynamic section but no interpreter.
        let static_pie = Elf::parse(&elf(EM_X86_64, &[1, 2])).unwrap();
        assert_eq!(
            static_pie,
            Elf {
                machine: EM_X86_64,
                interpreter: false
            }
        );
        let dynamic = Elf::parse(&elf(EM_AARCH64, &[6, 3, 1])).unwrap();
        assert!(dynamic.interpreter);
        assert_eq!(dynamic.machine, EM_AARCH64);
    }

    #[test]
    fn check_binary_refuses_what_must_not_be_released() {
        let mut good = elf(EM_X86_64, &[1]);
        good.extend_from_slice(b"\0.dep-v0\0");
        check_binary("statusctl", "x86_64-unknown-linux-gnu", &good).unwrap();

        let wrong_machine = check_binary("statusctl", "aarch64-unknown-linux-gnu", &good);
        assert!(format!("{:#}", wrong_machine.unwrap_err()).contains("not 0xb7"));

        let mut dynamic = elf(EM_X86_64, &[3, 1]);
        dynamic.extend_from_slice(b"\0.dep-v0\0");
        let error = check_binary("statusctl", "x86_64-unknown-linux-gnu", &dynamic).unwrap_err();
        assert!(format!("{error:#}").contains("dynamically linked"));

        let unaudited = elf(EM_X86_64, &[1]);
        let error = check_binary("statusctl", "x86_64-unknown-linux-gnu", &unaudited).unwrap_err();
        assert!(format!("{error:#}").contains("cargo auditable"));

        // Not ELF, and not truncated mid-header without an error.
        assert!(Elf::parse(b"\x7fELF\x02\x01").is_err());
        assert!(Elf::parse(b"#!/bin/sh\n").is_err());
    }

    #[test]
    fn archives_are_reproducible_and_hold_the_binary_and_its_licence() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a.tar.gz");
        let second = dir.path().join("b.tar.gz");
        write_archive(&first, "statusctl", b"binary bytes", 1_700_000_000).unwrap();
        write_archive(&second, "statusctl", b"binary bytes", 1_700_000_000).unwrap();
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );
        assert_eq!(extract(&first, "statusctl").unwrap(), b"binary bytes");
        assert!(
            String::from_utf8(extract(&first, "LICENSE").unwrap())
                .unwrap()
                .contains("Apache License")
        );
        assert!(extract(&first, "missing").is_err());

        let file = std::fs::File::open(&first).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        for entry in tar.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.uid().unwrap(), 0);
            assert_eq!(header.mtime().unwrap(), 1_700_000_000);
            let expected = if entry.path().unwrap() == Path::new("statusctl") {
                0o755
            } else {
                0o644
            };
            assert_eq!(header.mode().unwrap(), expected);
        }
    }

    #[test]
    fn linux_releases_the_multi_call_binary_beside_the_two_programs() {
        assert_eq!(
            binaries("x86_64-unknown-linux-gnu"),
            ["statusctl", "status-server", "gitops-status"]
        );
        assert_eq!(binaries("aarch64-unknown-linux-musl").len(), 3);
        // Elsewhere the CLI only: the server (and so the image's binary) is a Linux server.
        assert_eq!(binaries("aarch64-apple-darwin"), ["statusctl"]);
        // Every name the multi-call binary answers to is released on its own too.
        for name in MULTI_CALL_NAMES {
            assert!(binaries("x86_64-unknown-linux-gnu").contains(&name));
        }
    }

    #[test]
    fn sha256_matches_the_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
