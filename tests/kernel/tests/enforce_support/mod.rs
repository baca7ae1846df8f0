//! Shared by the enforcement tests: build the static guest program, put packages into the
//! guest, write its script, and read its results from the console.

use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::probe::workspace_root;
use polc_kernel_harness::{Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// Build `polc-enforce-guest` (and the probe) static, like the probe; return its path.
pub fn build_guest() -> Result<PathBuf> {
    let root = workspace_root();
    let target_dir = root.join("target").join("probe-static");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .current_dir(&root)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "polc-enforce-guest",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target-dir",
        ])
        .arg(&target_dir)
        .output()
        .map_err(|e| Error::Vm(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(Error::Command {
            command: "cargo build -p polc-enforce-guest (static)".into(),
            detail: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let bin = target_dir.join("x86_64-unknown-linux-gnu/release/polc-enforce-guest");
    if !bin.is_file() {
        return Err(Error::Vm(format!("the build left no {}", bin.display())));
    }
    Ok(bin)
}

/// A package as the guest program reads it from a directory.
pub struct Pkg<'a> {
    /// The policy's name.
    pub name: &'a str,
    /// `apparmor` or `selinux`.
    pub lsm: &'a str,
    /// The source text.
    pub source: &'a str,
    /// The IR as JSON.
    pub ir_json: String,
    /// The artifact's file name.
    pub artifact_file: &'a str,
    /// The artifact.
    pub artifact: String,
}

/// Add `pkg` to the guest under `dir`.
pub fn add_package(g: Guest, dir: &str, pkg: &Pkg<'_>) -> Guest {
    let meta = serde_json::json!({
        "name": pkg.name,
        "lsm": pkg.lsm,
        "source_name": "policy.pol",
        "artifact_file": pkg.artifact_file,
    });
    g.dir(dir)
        .file(
            &format!("{dir}/package.json"),
            0o644,
            meta.to_string().as_bytes(),
        )
        .file(&format!("{dir}/source"), 0o644, pkg.source.as_bytes())
        .file(&format!("{dir}/ir.json"), 0o644, pkg.ir_json.as_bytes())
        .file(&format!("{dir}/artifact"), 0o644, pkg.artifact.as_bytes())
}

/// A script for the guest program.
#[derive(Default)]
pub struct Script {
    lines: Vec<String>,
}

impl Script {
    /// Add a command (fields joined by tabs).
    pub fn cmd(&mut self, fields: &[&str]) -> &mut Script {
        self.lines.push(fields.join("\t"));
        self
    }

    /// The script's text.
    pub fn text(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// The guest's results: id → every (kind, value) it printed, in order.
pub type Results = BTreeMap<String, Vec<(String, String)>>;

/// Parse `POLC-E id kind value` lines.
pub fn results(console: &str) -> Results {
    let mut out: Results = BTreeMap::new();
    for line in console.lines() {
        let Some(i) = line.find("POLC-E ") else {
            continue;
        };
        let rest = line.get(i + 7..).unwrap_or("");
        let mut it = rest.splitn(3, ' ');
        if let (Some(id), Some(kind)) = (it.next(), it.next()) {
            out.entry(id.to_string())
                .or_default()
                .push((kind.to_string(), it.next().unwrap_or("").trim().to_string()));
        }
    }
    out
}

/// The value of `kind` printed for `id`, if any.
pub fn get<'a>(r: &'a Results, id: &str, kind: &str) -> Option<&'a str> {
    r.get(id)?
        .iter()
        .find(|(k, _)| k == kind)
        .map(|(_, v)| v.as_str())
}

/// Compare a list of (id, kind, expected value) with the results; the expected value is
/// matched exactly, or as a prefix when it ends with `*`. Returns every mismatch.
pub fn mismatches(r: &Results, expect: &[(String, &str, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (id, kind, want) in expect {
        let got = get(r, id, kind);
        let ok = match (got, want.strip_suffix('*')) {
            (Some(g), Some(prefix)) => g.starts_with(prefix),
            (Some(g), None) => g == want,
            (None, _) => false,
        };
        if !ok {
            bad.push(format!(
                "{id} {kind}: expected `{want}`, got {:?} (all: {:?})",
                got,
                r.get(id)
            ));
        }
    }
    bad
}
