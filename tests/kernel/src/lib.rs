//! # polc-kernel-harness: compiled policies against real kernels
//!
//! The harness fetches Debian's cloud kernel (resolved through the
//! `linux-image-cloud-amd64` metapackage) and caches it outside the source tree, builds an
//! initramfs holding busybox, the static `polc-probe`, `apparmor_parser` with its
//! libraries and the policies under test, boots it under `qemu-system-x86_64 -accel tcg`
//! with the chosen LSM, runs a batch of cases in one boot and parses the results from the
//! serial console.
//!
//! Nothing here skips: a missing tool or kernel is an [`Error`] that says how to install it.

pub mod cpio;
pub mod differential;
pub mod guest;
pub mod kernel;
pub mod policy;
pub mod probe;
pub mod vm;

use std::path::PathBuf;

/// What can go wrong while setting up or running a VM.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A host tool is missing.
    #[error("`{tool}` is not installed: {hint}")]
    MissingTool {
        /// The tool.
        tool: String,
        /// How to install it.
        hint: String,
    },
    /// A command failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and stderr.
        detail: String,
    },
    /// File I/O failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The VM did not produce the expected output.
    #[error("the VM {0}")]
    Vm(String),
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// The cache directory for kernels and built probes: `$POLC_TEST_CACHE`, else
/// `/var/cache/polc-tests` (outside the source tree, kept between runs).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("POLC_TEST_CACHE")
        .map_or_else(|| PathBuf::from("/var/cache/polc-tests"), PathBuf::from)
}

/// Run a command, returning its stdout, or an error with its stderr.
pub(crate) fn run(cmd: &mut std::process::Command) -> Result<Vec<u8>> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| Error::Command {
        command: shown.clone(),
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(Error::Command {
            command: shown,
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(out.stdout)
}

/// Fail with an install hint unless `tool` is on the PATH.
pub fn require_tool(tool: &str, package: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]) {
        let p = dir.join(tool);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::MissingTool {
        tool: tool.to_string(),
        hint: format!("install the Debian package `{package}` (apt-get install {package}), or run tests/run-all.sh which installs it"),
    })
}
