//! Build the static probe program, and the case/result protocol it speaks.

use crate::{run, Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Build `polc-probe` as a static executable (glibc with `crt-static`) and return its path.
/// It is built in its own target directory so that the flags never mix with the
/// workspace's normal build.
pub fn build_static() -> Result<PathBuf> {
    let root = workspace_root();
    let target_dir = root.join("target").join("probe-static");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    run(Command::new(cargo)
        .current_dir(&root)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args([
            "build",
            "--quiet",
            // Small copies: several policies each attach their own.
            "--config",
            "profile.release.debug=0",
            "--config",
            "profile.release.strip=true",
            "--release",
            "-p",
            "polc-probe",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target-dir",
        ])
        .arg(&target_dir))?;
    let bin = target_dir.join("x86_64-unknown-linux-gnu/release/polc-probe");
    if !bin.is_file() {
        return Err(Error::Vm(format!(
            "the probe build left no {}",
            bin.display()
        )));
    }
    Ok(bin)
}

/// One operation to run in the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Unique id (no whitespace).
    pub id: String,
    /// Text written to `/proc/self/attr/exec` before exec (SELinux context, AppArmor `exec PROFILE`).
    pub exec_attr: Option<String>,
    /// The path executed (a copy of the probe; AppArmor attaches by it).
    pub exec_path: String,
    /// `op` arguments: the operation and its operands.
    pub op: Vec<String>,
}

/// What the guest observed for a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The operation ran and returned this errno (0 = success).
    Errno(i32),
    /// The probe could not even be executed (errno of execve).
    ExecFailed(i32),
    /// Writing the exec attribute failed.
    AttrFailed,
    /// The probe was killed by this signal.
    Signal(i32),
}

impl Case {
    /// The case file line.
    pub fn line(&self) -> String {
        let setup = self
            .exec_attr
            .as_ref()
            .map_or_else(|| "-".to_string(), |a| format!("attr:{a}"));
        let mut f = vec![self.id.clone(), setup, self.exec_path.clone()];
        f.extend(self.op.iter().cloned());
        f.join("\t")
    }
}

/// The case file for a batch.
pub fn case_file(cases: &[Case]) -> String {
    cases.iter().map(|c| c.line() + "\n").collect()
}

/// Parse `POLC-RESULT id value` lines from cleaned console output.
pub fn parse_results(console: &str) -> BTreeMap<String, Outcome> {
    let mut out = BTreeMap::new();
    for line in console.lines() {
        let Some(rest) = line.trim().strip_prefix("POLC-RESULT ") else {
            continue;
        };
        let mut it = rest.split_whitespace();
        let (Some(id), Some(v)) = (it.next(), it.next()) else {
            continue;
        };
        let outcome = if v == "attr-failed" {
            Outcome::AttrFailed
        } else if let Some(s) = v.strip_prefix("signal:") {
            Outcome::Signal(s.parse().unwrap_or(-1))
        } else if let Some(e) = v.strip_prefix("exec:") {
            Outcome::ExecFailed(e.parse().unwrap_or(-1))
        } else {
            Outcome::Errno(v.parse().unwrap_or(-1))
        };
        out.insert(id.to_string(), outcome);
    }
    out
}

/// Lines `TAG id rest` (e.g. `POLC-STATUS`, `POLC-LANDLOCK-ERROR`) by case id.
pub fn tagged_lines(console: &str, tag: &str) -> BTreeMap<String, String> {
    let prefix = format!("{tag} ");
    console
        .lines()
        .filter_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(id, rest)| (id.to_string(), rest.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip() {
        let c = "noise\r\nPOLC-RESULT a 0\nPOLC-RESULT b 13\nPOLC-RESULT c exec:13\nPOLC-RESULT d attr-failed\nPOLC-RESULT e signal:9\nPOLC-STATUS e {\"x\": 1}\n";
        let r = parse_results(c);
        assert_eq!(r.get("a"), Some(&Outcome::Errno(0)));
        assert_eq!(r.get("b"), Some(&Outcome::Errno(13)));
        assert_eq!(r.get("c"), Some(&Outcome::ExecFailed(13)));
        assert_eq!(r.get("d"), Some(&Outcome::AttrFailed));
        assert_eq!(r.get("e"), Some(&Outcome::Signal(9)));
        let st = tagged_lines(c, "POLC-STATUS");
        assert_eq!(st.get("e").map(String::as_str), Some("{\"x\": 1}"));
    }

    #[test]
    fn case_lines_are_tab_separated() {
        let c = Case {
            id: "x".into(),
            exec_attr: None,
            exec_path: "/p".into(),
            op: vec!["read".into(), "/a b".into()],
        };
        assert_eq!(c.line(), "x\t-\t/p\tread\t/a b");
    }
}
