//! Shared helpers of the SELinux backend's tests: hand-built IR policies, the minimal base
//! policy, and the real tools (secilc, seinfo, sesearch) as judges.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use polc_lang::ir::Effect;
use polc_lang::ir::{Attach, Mode, NetOp, Origin, Policy, PolicyName, Proto, SignalDir};
use polc_lang::{load, LoadOptions, Source};
use polc_selinux::{AllowRule, Compiled, Config, FileContexts, PortContexts};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A tool the tests need, with the Debian package that ships it.
pub fn tool(name: &str) -> PathBuf {
    let pkg = match name {
        "secilc" => "secilc",
        "sesearch" | "seinfo" => "setools",
        "semodule" => "policycoreutils",
        "matchpathcon" => "selinux-utils",
        _ => "?",
    };
    for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("`{name}` is not installed: run `apt-get install {pkg}` (the SELinux tests need it)");
}

/// Run a command; panic with its output on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The policy files of the corpus and the examples, relative to the workspace, sorted.
pub fn policy_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["tests/corpus/ok", "examples"] {
        let Ok(entries) = std::fs::read_dir(workspace().join(dir)) else {
            continue;
        };
        for e in entries {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".pol") {
                out.push(format!("{dir}/{name}"));
            }
        }
    }
    out.sort();
    out
}

/// A fidelity report, one line per entry.
pub fn report_text(c: &Compiled) -> String {
    let mut s = String::new();
    for e in &c.report.entries {
        let rights = e.rights.map(|r| format!(" [{r}]")).unwrap_or_default();
        s.push_str(&format!("{}{}: {}", e.rule, rights, e.fidelity));
        if !e.reason.is_empty() {
            s.push_str(&format!(": {}", e.reason));
        }
        s.push('\n');
    }
    s
}

pub fn base_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/selinux-base")
}

pub fn base_cil() -> PathBuf {
    base_dir().join("base.cil")
}

/// The minimal base's file and port contexts, as secilc and seinfo write them.
pub fn base_contexts() -> &'static (String, String) {
    static CTX: OnceLock<(String, String)> = OnceLock::new();
    CTX.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pol = dir.path().join("policy.33");
        let fc = dir.path().join("file_contexts");
        run(Command::new(tool("secilc"))
            .args(["-M", "false", "-c", "33", "-o"])
            .arg(&pol)
            .arg("-f")
            .arg(&fc)
            .arg(base_cil()));
        let ports = run(Command::new(tool("seinfo"))
            .args(["--portcon", "--initialsid", "-x"])
            .arg(&pol));
        (std::fs::read_to_string(&fc).unwrap(), ports)
    })
}

/// A configuration for the minimal base.
pub fn base_config() -> Config {
    let (fc, ports) = base_contexts();
    Config {
        strict: false,
        file_contexts: Some(FileContexts::parse(fc).unwrap()),
        port_contexts: Some(PortContexts::parse(ports).unwrap()),
        ..Config::default()
    }
}

/// Debian's reference policy's file contexts (`selinux-policy-default`).
pub const DEBIAN_FC: &str = "/etc/selinux/default/contexts/files/file_contexts";

/// Debian's file contexts with their home-directory entries and aliases, as libselinux
/// loads them.
pub fn debian_fc() -> FileContexts {
    let read = |p: &str| {
        std::fs::read_to_string(p).unwrap_or_else(|e| {
            panic!("cannot read {p} ({e}): run `apt-get install selinux-policy-default`")
        })
    };
    FileContexts::parse(&read(DEBIAN_FC))
        .unwrap()
        .with_extra(
            &read(&format!("{DEBIAN_FC}.homedirs")),
            "file_contexts.homedirs",
        )
        .unwrap()
        .with_substitutions(&read(&format!("{DEBIAN_FC}.subs_dist")))
        .unwrap()
}

/// A configuration for Debian's reference policy: its file contexts and port contexts.
pub fn debian_config() -> Config {
    let ports = run(Command::new(tool("seinfo"))
        .args(["--portcon", "--initialsid", "-x"])
        .arg("/etc/selinux/default/policy/policy.33"));
    Config {
        strict: false,
        file_contexts: Some(debian_fc()),
        port_contexts: Some(PortContexts::parse(&ports).unwrap()),
        ..Config::default()
    }
}

// The language's one builder of IR values for tests.
#[path = "../../../../policy-lang/tests/ir_support/mod.rs"]
pub mod ir_support;

#[allow(unused_imports)] // not every test binary builds from text
pub use ir_support::from_lines as policy;

/// An origin at `test.pol:LINE:5`.
pub fn origin(line: usize) -> Origin {
    ir_support::at("test.pol", line)
}

/// A policy under construction: IR built directly, for what text cannot express (random
/// and hostile policies); the values come from the shared builder.
pub struct P(pub Policy);

impl P {
    pub fn new(name: &str) -> P {
        P(ir_support::policy(name))
    }
    pub fn attach(mut self, path: &str) -> P {
        self.0.attach = Some(Attach {
            path: path.into(),
            origin: origin(2),
        });
        self
    }
    pub fn complain(mut self) -> P {
        self.0.mode = Mode::Complain;
        self
    }
    pub fn owns(mut self, glob: &str) -> P {
        self.0.owns.push(ir_support::owned(glob, origin(3)));
        self
    }
    fn file(mut self, effect: Effect, rights: &str, glob: &str, exec_as: Option<&str>) -> P {
        let rights = ir_support::rights(&rights.split_whitespace().collect::<Vec<_>>());
        let line = 10 + self.0.files.len();
        self.0.files.push(ir_support::file_rule(
            effect,
            glob,
            rights,
            exec_as,
            origin(line),
        ));
        self
    }
    pub fn allow(self, rights: &str, glob: &str) -> P {
        self.file(Effect::Allow, rights, glob, None)
    }
    pub fn deny(self, rights: &str, glob: &str) -> P {
        self.file(Effect::Deny, rights, glob, None)
    }
    pub fn exec_as(self, glob: &str, target: &str) -> P {
        self.file(Effect::Allow, "exec", glob, Some(target))
    }
    /// `allow exec GLOB as child NAME`.
    pub fn exec_child(mut self, glob: &str, child: &str) -> P {
        self = self.file(Effect::Allow, "exec", glob, Some(child));
        if let Some(r) = self.0.files.last_mut() {
            r.exec_mode = polc_lang::ir::ExecMode::Child;
        }
        self
    }
    /// `child NAME { ... }` (`hat` when `hat`) with the rules of `body`, in the parent's
    /// mode.
    pub fn child(mut self, name: &str, hat: bool, body: P) -> P {
        let mut policy = body.0;
        policy.name = PolicyName::new(name).unwrap();
        policy.mode = self.0.mode;
        self.0.children.push(polc_lang::ir::Child {
            kind: if hat {
                polc_lang::ir::ChildKind::Hat
            } else {
                polc_lang::ir::ChildKind::Child
            },
            policy,
            origin: origin(100 + self.0.children.len()),
        });
        self.0
            .children
            .sort_by(|a, b| a.policy.name.cmp(&b.policy.name));
        self
    }
    pub fn net(mut self, effect: Effect, op: NetOp, proto: Proto, lo: u16, hi: u16) -> P {
        let o = origin(40 + self.0.net.len());
        self.0
            .net
            .push(ir_support::net_rule(effect, op, proto, lo, hi, o));
        self
    }
    pub fn cap(mut self, effect: Effect, name: &str) -> P {
        let o = origin(60 + self.0.capabilities.len());
        self.0
            .capabilities
            .push(ir_support::cap_rule(effect, name, o));
        self
    }
    pub fn signal(mut self, effect: Effect, dir: SignalDir, sigs: &[&str], peer: &str) -> P {
        let o = origin(80 + self.0.signals.len());
        self.0
            .signals
            .push(ir_support::signal_rule(effect, dir, peer, sigs, o));
        self
    }
    pub fn build(self) -> Policy {
        self.0
    }
}

/// A webapp-like policy exercising every construct.
pub fn webapp() -> Policy {
    ir_support::from_parts(
        "org.example.webapp",
        &[
            r#"attach "/usr/bin/webapp""#,
            r#"owns "/var/lib/webapp/**""#,
        ],
        ir_support::WEBAPP_RULES,
    )
}

/// The converter the webapp runs `as`.
pub fn converter() -> Policy {
    policy(
        "org.example.converter",
        &[
            r#"attach "/usr/bin/convert""#,
            r#"allow read "/etc/ImageMagick-6/**""#,
            r#"allow read write create "/tmp/**""#,
        ],
    )
}

/// `allow S T:C { p q };` lines, as sesearch prints them.
pub fn allow_lines(allows: &[AllowRule]) -> BTreeSet<String> {
    allows
        .iter()
        .map(|a| {
            let perms: Vec<&str> = a.perms.iter().map(String::as_str).collect();
            let perms = if perms.len() == 1 {
                perms[0].to_string()
            } else {
                format!("{{ {} }}", perms.join(" "))
            };
            format!("allow {} {}:{} {};", a.source, a.target, a.class, perms)
        })
        .collect()
}

/// Compile modules together with the minimal base (one secilc run); on failure, find
/// and name the modules secilc refuses (one run each, in parallel).
pub fn secilc_batch(modules: &[(String, String)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, cil) in modules {
        let p = dir.path().join(format!("{name}.cil"));
        std::fs::write(&p, cil).unwrap();
        files.push(p);
    }
    let pol = dir.path().join("policy.33");
    let out = Command::new(tool("secilc"))
        .args(["-M", "false", "-c", "33", "-o"])
        .arg(&pol)
        .arg("-f")
        .arg(dir.path().join("file_contexts"))
        .arg(base_cil())
        .args(&files)
        .output()
        .unwrap();
    if !out.status.success() {
        let refused: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = modules
                .chunks(modules.len().div_ceil(2).max(1))
                .map(|chunk| {
                    let dir = dir.path();
                    s.spawn(move || {
                        let mut bad = Vec::new();
                        for (name, cil) in chunk {
                            let f = dir.join(format!("{name}.cil"));
                            let o = Command::new(tool("secilc"))
                                .args(["-M", "false", "-c", "33", "-o"])
                                .arg(dir.join(format!("{name}.33")))
                                .arg("-f")
                                .arg(dir.join(format!("{name}.fc")))
                                .arg(base_cil())
                                .arg(&f)
                                .output()
                                .unwrap();
                            if !o.status.success() {
                                bad.push(format!(
                                    "--- {name}\n{}\n{cil}",
                                    String::from_utf8_lossy(&o.stderr)
                                ));
                            }
                        }
                        bad
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        panic!(
            "secilc refused the batch:\n{}\nrefused modules:\n{}",
            String::from_utf8_lossy(&out.stderr),
            refused.join("\n")
        );
    }
    (dir, pol)
}

/// Every allow rule of a binary policy.
pub fn sesearch_allows(policy: &Path) -> BTreeSet<String> {
    run(Command::new(tool("sesearch")).arg("-A").arg(policy))
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("allow "))
        .collect()
}

/// The allow rules of `lines` that mention a type of `block`.
pub fn of_block(lines: &BTreeSet<String>, block: &str) -> BTreeSet<String> {
    let needle = format!("{block}.");
    lines
        .iter()
        .filter(|l| {
            l.split_whitespace().take(3).any(|w| {
                w.starts_with(&needle)
                    || w.split(':').next().is_some_and(|t| t.starts_with(&needle))
            })
        })
        .cloned()
        .collect()
}

/// The allow rules promised by modules installed together (rules whose peer is not
/// installed are left out), merged per (source, target, class) as in the binary policy.
pub fn promised<'a>(
    modules: impl IntoIterator<Item = &'a Compiled>,
    installed: &[&str],
) -> BTreeSet<String> {
    let mut merged: std::collections::BTreeMap<(String, String, String), BTreeSet<String>> =
        Default::default();
    for c in modules {
        for a in &c.allows {
            if a.requires
                .as_ref()
                .is_none_or(|r| installed.contains(&r.as_str()))
            {
                merged
                    .entry((a.source.clone(), a.target.clone(), a.class.clone()))
                    .or_default()
                    .extend(a.perms.iter().cloned());
            }
        }
    }
    let allows: Vec<AllowRule> = merged
        .into_iter()
        .map(|((source, target, class), perms)| AllowRule {
            source,
            target,
            class,
            perms,
            requires: None,
        })
        .collect();
    allow_lines(&allows)
}

/// Load a policy file of the workspace; `None` for a file of abstractions only.
pub fn load_policy(rel: &str) -> Option<polc_lang::ir::Policy> {
    let text = std::fs::read_to_string(workspace().join(rel)).unwrap();
    let abstractions = std::fs::read_dir(workspace().join("examples/abstractions"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    let p = e.path();
                    Source::new(
                        p.display().to_string(),
                        std::fs::read_to_string(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let opts = LoadOptions {
        abstractions,
        ..LoadOptions::default()
    };
    match load(&Source::new(rel, text), &opts) {
        Ok(l) => Some(l.policy),
        Err(f)
            if f.diagnostics
                .iter()
                .all(|d| d.code == polc_lang::diagnostics::Code::PolicyCount) =>
        {
            None
        }
        Err(f) => panic!(
            "{rel} does not load: {:?}",
            f.diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
        ),
    }
}
