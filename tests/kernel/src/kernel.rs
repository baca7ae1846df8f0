//! Fetch and cache Debian's cloud kernel.
//!
//! The version is resolved through the `linux-image-cloud-amd64` metapackage every time
//! (so a version the mirror dropped is never pinned); the package is downloaded with
//! `apt-get download` and unpacked with `dpkg -x` into the cache directory.

use crate::{cache_dir, io, require_tool, run, Error, Result};
use std::path::PathBuf;
use std::process::Command;

/// The metapackage that names the current cloud kernel.
pub const METAPACKAGE: &str = "linux-image-cloud-amd64";

/// A kernel ready to boot.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The package it came from, e.g. `linux-image-6.1.0-56-cloud-amd64`.
    pub package: String,
    /// The bootable image.
    pub vmlinuz: PathBuf,
}

/// Resolve the metapackage to the kernel image package it depends on.
pub fn resolve() -> Result<String> {
    require_tool("apt-cache", "apt")?;
    let out = run(Command::new("apt-cache").args(["depends", METAPACKAGE]))?;
    let text = String::from_utf8_lossy(&out);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|p| p.starts_with("linux-image-") && p.ends_with("-cloud-amd64"))
        .map(str::to_string)
        .ok_or_else(|| Error::Command {
            command: format!("apt-cache depends {METAPACKAGE}"),
            detail: format!(
                "no kernel image dependency in its output (run `apt-get update` first?): {}",
                text.trim()
            ),
        })
}

/// The cloud kernel, downloaded and unpacked into the cache if not there yet.
pub fn fetch() -> Result<Kernel> {
    let package = resolve()?;
    let dir = cache_dir().join("kernel").join(&package);
    let version = package.trim_start_matches("linux-image-");
    let vmlinuz = dir.join("boot").join(format!("vmlinuz-{version}"));
    if vmlinuz.is_file() {
        return Ok(Kernel { package, vmlinuz });
    }
    require_tool("apt-get", "apt")?;
    require_tool("dpkg", "dpkg")?;
    let dl = cache_dir().join("download");
    std::fs::create_dir_all(&dl).map_err(io(format!("creating {}", dl.display())))?;
    run(Command::new("apt-get")
        .arg("download")
        .arg(&package)
        .current_dir(&dl))?;
    let deb = std::fs::read_dir(&dl)
        .map_err(io(format!("listing {}", dl.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
        })
        .ok_or_else(|| {
            Error::Vm(format!(
                "apt-get download {package} left no .deb in {}",
                dl.display()
            ))
        })?;
    let parent = cache_dir().join("kernel");
    std::fs::create_dir_all(&parent).map_err(io(format!("creating {}", parent.display())))?;
    let tmp = parent.join(format!("{package}.partial"));
    let _ = std::fs::remove_dir_all(&tmp);
    run(Command::new("dpkg").arg("-x").arg(&deb).arg(&tmp))?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(io(format!("moving the kernel into {}", dir.display())))?;
    let _ = std::fs::remove_file(&deb);
    if !vmlinuz.is_file() {
        return Err(Error::Vm(format!("{package} has no {}", vmlinuz.display())));
    }
    Ok(Kernel { package, vmlinuz })
}
