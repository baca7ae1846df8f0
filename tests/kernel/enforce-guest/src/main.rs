//! `polc-enforce-guest`: the program the enforcement tests run inside the VM, built static.
//!
//! It reads a script (one command a line, fields separated by tabs) and prints one line
//! per result on the console, `POLC-E <id> <kind> <value>`, which the test on the host
//! compares with what it expects. It never stops at a failed step: every step reports.
//!
//! ```text
//! install ID PKGDIR [STEP N]   install the package in PKGDIR through polc's store with the
//!                              real loader; with STEP N, the N-th (from 0) store step of
//!                              that kind fails (fault injection)
//! installsrc ID FILE           load, compile (AppArmor) and install the policy source FILE
//!                              here, as a runtime does (an app's plugs are recorded)
//! connect ID NAME PLUG         connect (disconnect ID NAME PLUG: disconnect) an installed
//!                              app's plug: a new generation, loaded by the real loader
//! rollback ID NAME / remove ID NAME
//! loadpolicy ID FILE           write a binary SELinux policy to /sys/fs/selinux/load
//! setlabel ID PATH CONTEXT     set a file's SELinux label / label ID PATH: print it
//! enforce ID 0|1               SELinux enforcing mode
//! self ID PATH                 this (unconfined) process reads PATH: prints the errno
//! exists ID PATH               prints yes or no
//! run ID LSM NAME THEN ARGV... confine ARGV on LSM (apparmor, selinux, auto: the active
//!                              one) as policy NAME through polc's Command extension; if
//!                              THEN is `remove`, remove NAME from the store before the
//!                              spawn; then spawn (even after a confinement error, to show
//!                              that the command is poisoned) and print the exit code
//! ```
//!
//! The SELinux loader here is the route for a kernel without SELinux userspace (no
//! semodule, as in the VM): the store's artifact is the CIL module, and the loader writes
//! to `/sys/fs/selinux/load` the binary policy compiled ahead of time by `secilc` from the
//! test base policy and that module, found in `/etc/polc/selinux/<fnv64 of the CIL>.policy`;
//! unloading loads `/etc/polc/selinux/base.policy` (the base policy alone).
#![allow(clippy::indexing_slicing)]

use polc::confine::{active_lsm, CommandExt, Lsm, Options, Target};
use polc::lang::ir::PolicyName;
use polc::store::{
    AppArmorLoader, FaultInjector, Loader, Package, Step, Store, StoreConfig, StoreError,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const STORE: &str = "/var/lib/polc";
const SELINUX_POLICIES: &str = "/etc/polc/selinux";

fn say(id: &str, kind: &str, value: &str) {
    println!("POLC-E {id} {kind} {}", value.replace('\n', " "));
}

/// FNV-1a, 64 bits: names a precompiled policy by its module's bytes.
fn fnv64(b: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in b {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn load_binary(file: &Path) -> Result<(), String> {
    let body = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    std::fs::write("/sys/fs/selinux/load", body).map_err(|e| format!("load: {e}"))
}

/// SELinux through selinuxfs with policies compiled ahead of time (see the crate docs).
struct SelinuxfsLoader;

impl Loader for SelinuxfsLoader {
    fn lsm(&self) -> Lsm {
        Lsm::SeLinux
    }
    fn load(&self, _name: &PolicyName, artifact: &Path) -> Result<(), String> {
        let cil = std::fs::read(artifact).map_err(|e| e.to_string())?;
        let bin = Path::new(SELINUX_POLICIES).join(format!("{}.policy", fnv64(&cil)));
        if !bin.is_file() {
            return Err(format!(
                "no binary policy was compiled for this module ({})",
                bin.display()
            ));
        }
        load_binary(&bin)
    }
    fn unload(&self, _name: &PolicyName, _artifact: &Path) -> Result<(), String> {
        load_binary(&Path::new(SELINUX_POLICIES).join("base.policy"))
    }
}

/// Fails the `n`-th step named `step`.
struct FailAt {
    step: String,
    n: usize,
    seen: AtomicUsize,
}

impl FaultInjector for FailAt {
    fn before(&self, step: Step) -> std::io::Result<()> {
        if format!("{step:?}") == self.step && self.seen.fetch_add(1, Ordering::SeqCst) == self.n {
            return Err(std::io::Error::other("injected fault"));
        }
        Ok(())
    }
}

fn open(faults: Option<Arc<dyn FaultInjector>>) -> Result<Store, StoreError> {
    let mut cfg = StoreConfig::new(STORE);
    cfg.faults = faults;
    Store::open(
        cfg,
        vec![
            Box::new(AppArmorLoader {
                parser: Some(PathBuf::from("/sbin/apparmor_parser")),
            }),
            Box::new(SelinuxfsLoader),
        ],
    )
}

fn read_package(dir: &Path) -> Result<Package, String> {
    let meta = std::fs::read_to_string(dir.join("package.json")).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_str(&meta).map_err(|e| e.to_string())?;
    let field = |k: &str| v[k].as_str().map(str::to_string).ok_or(format!("no `{k}`"));
    let lsm: Lsm = field("lsm")?.parse().map_err(|e| format!("{e}"))?;
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    Ok(Package {
        name: PolicyName::new(&field("name")?).map_err(|e| e.to_string())?,
        lsm,
        source_name: field("source_name")?,
        source: read("source")?,
        ir_json: read("ir.json")?,
        artifact_file: field("artifact_file")?,
        artifact: read("artifact")?.into_bytes(),
        plugs: None,
        vars: Default::default(),
    })
}

/// Load, compile for AppArmor and install a policy source, as a runtime does.
fn install_source(file: &str) -> Result<u64, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let loaded = polc::load(
        &polc::Source::new(file, text),
        &polc::LoadOptions::default(),
    )
    .map_err(|f| format!("{:?}", f.diagnostics))?;
    let opts = polc::compile::CompileOptions::default();
    let artifact =
        polc::compile::compile(&loaded.policy, Lsm::AppArmor, &opts).map_err(|e| e.to_string())?;
    let pkg = Package::new(&loaded, file, artifact);
    open(None)
        .and_then(|s| s.install(&pkg))
        .map_err(|e| e.to_string())
}

/// Connect (`on`) or disconnect an installed app's plug.
fn set_plug(app: &str, plug: &str, on: bool) -> Result<String, String> {
    let app = name(app)?;
    let store = open(None).map_err(|e| e.to_string())?;
    let (load, opts) = (
        polc::LoadOptions::default(),
        polc::compile::CompileOptions::default(),
    );
    let changed = if on {
        polc::connect::connect(&store, &app, plug, &load, &opts)
    } else {
        polc::connect::disconnect(&store, &app, plug, &load, &opts)
    }
    .map_err(|e| e.to_string())?;
    Ok(changed
        .generation
        .map_or_else(|| "unchanged".to_string(), |g| g.to_string()))
}

fn name(s: &str) -> Result<PolicyName, String> {
    PolicyName::new(s).map_err(|e| e.to_string())
}

fn errno_of(e: &std::io::Error) -> String {
    e.raw_os_error()
        .map_or_else(|| e.to_string(), |n| n.to_string())
}

fn label(path: &str) -> String {
    match polc::store::Labeler::get(&polc::store::Xattrs::default(), Path::new(path)) {
        Ok(Some(l)) => l,
        Ok(None) => "none".into(),
        Err(e) => format!("error:{}", errno_of(&e)),
    }
}

fn run(id: &str, f: &[&str]) {
    let (lsm, policy, then, argv) = match f {
        [lsm, policy, then, argv @ ..] if !argv.is_empty() => (*lsm, *policy, *then, argv),
        _ => return say(id, "bad-command", &f.join(" ")),
    };
    let policy = match name(policy) {
        Ok(n) => n,
        Err(e) => return say(id, "bad-command", &e),
    };
    let opts = Options::default();
    let lsm = match lsm {
        "apparmor" => Lsm::AppArmor,
        "selinux" => Lsm::SeLinux,
        _ => match active_lsm(&opts.securityfs) {
            Ok(l) => l,
            Err(e) => return say(id, "confine-error", &e.to_string()),
        },
    };
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    let target = match lsm {
        Lsm::AppArmor => Target::AppArmor(&policy),
        Lsm::SeLinux => Target::SeLinux(&policy),
        Lsm::Landlock => return say(id, "bad-command", "landlock is tested on the host"),
    };
    match cmd.confine_as(target, &opts) {
        Ok(s) => say(
            id,
            "status",
            &format!(
                "{} {} {}",
                s.lsm,
                s.name,
                if s.enforcing {
                    "enforcing"
                } else {
                    "not-enforcing"
                }
            ),
        ),
        Err(e) => say(id, "confine-error", &format!("{e:?}")),
    }
    if then == "remove" {
        match open(None).and_then(|s| s.remove(&policy)) {
            Ok(()) => say(id, "removed", "ok"),
            Err(e) => say(id, "removed", &format!("error {e}")),
        }
    }
    match cmd.status() {
        Ok(st) => say(
            id,
            "exit",
            &st.code().map_or("signal".into(), |c| c.to_string()),
        ),
        Err(e) => say(id, "spawn-error", &errno_of(&e)),
    }
}

fn step(line: &str) {
    let f: Vec<&str> = line.split('\t').collect();
    let (cmd, id, rest) = match f.as_slice() {
        [cmd, id, rest @ ..] => (*cmd, *id, rest),
        _ => return,
    };
    match (cmd, rest) {
        ("install", [dir, fault @ ..]) => {
            let faults: Option<Arc<dyn FaultInjector>> = match fault {
                [s, n] => Some(Arc::new(FailAt {
                    step: (*s).to_string(),
                    n: n.parse().unwrap_or(0),
                    seen: AtomicUsize::new(0),
                })),
                _ => None,
            };
            let r = read_package(Path::new(dir)).and_then(|p| {
                open(faults)
                    .and_then(|s| s.install(&p))
                    .map_err(|e| e.to_string())
            });
            match r {
                Ok(g) => say(id, "installed", &g.to_string()),
                Err(e) => say(id, "install-error", &e),
            }
        }
        ("installsrc", [file]) => match install_source(file) {
            Ok(g) => say(id, "installed", &g.to_string()),
            Err(e) => say(id, "install-error", &e),
        },
        ("connect" | "disconnect", [app, plug]) => match set_plug(app, plug, cmd == "connect") {
            Ok(g) => say(id, cmd, &g),
            Err(e) => say(id, "connect-error", &e),
        },
        ("rollback", [n]) => match name(n).and_then(|n| {
            open(None)
                .and_then(|s| s.rollback(&n))
                .map_err(|e| e.to_string())
        }) {
            Ok(g) => say(id, "rolled-back", &g.to_string()),
            Err(e) => say(id, "rollback-error", &e),
        },
        ("remove", [n]) => match name(n).and_then(|n| {
            open(None)
                .and_then(|s| s.remove(&n))
                .map_err(|e| e.to_string())
        }) {
            Ok(()) => say(id, "removed", "ok"),
            Err(e) => say(id, "remove-error", &e),
        },
        ("loadpolicy", [file]) => match load_binary(Path::new(file)) {
            Ok(()) => say(id, "loaded", "ok"),
            Err(e) => say(id, "load-error", &e),
        },
        ("setlabel", [path, ctx]) => {
            match polc::store::Labeler::set(
                &polc::store::Xattrs::default(),
                Path::new(path),
                Some(ctx),
            ) {
                Ok(()) => say(id, "set", "ok"),
                Err(e) => say(id, "set-error", &e.to_string()),
            }
        }
        ("label", [path]) => say(id, "label", &label(path)),
        ("enforce", [v]) => match std::fs::write("/sys/fs/selinux/enforce", v) {
            Ok(()) => say(id, "enforce", v),
            Err(e) => say(id, "enforce-error", &e.to_string()),
        },
        ("self", [path]) => match std::fs::read(path) {
            Ok(_) => say(id, "errno", "0"),
            Err(e) => say(id, "errno", &errno_of(&e)),
        },
        ("exists", [path]) => say(
            id,
            "exists",
            if Path::new(path).exists() {
                "yes"
            } else {
                "no"
            },
        ),
        ("run", f) => run(id, f),
        // a child started without polc: the kernel's own transitions decide its domain
        ("plain", [exe, args @ ..]) => match Command::new(exe).args(args).status() {
            Ok(st) => say(
                id,
                "exit",
                &st.code().map_or("signal".into(), |c| c.to_string()),
            ),
            Err(e) => say(id, "spawn-error", &errno_of(&e)),
        },
        _ => say(id, "bad-command", line),
    }
}

fn main() {
    let script = std::env::args().nth(1).unwrap_or_else(|| "/script".into());
    match std::fs::read_to_string(&script) {
        Ok(text) => {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                step(line);
            }
            println!("POLC-E end done -");
        }
        Err(e) => println!("POLC-E script read-error {e}"),
    }
}
