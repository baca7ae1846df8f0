//! Helpers shared by the integration tests: policies from text through the front end
//! (`policy`), and for what text cannot express (hostile names, paths and signals) a
//! builder of IR that merges and sorts rules as the front end's lowering does, its values
//! from the shared `ir_support`; the real `apparmor_parser`; and a rendering of fidelity
//! reports for snapshots.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use polc_apparmor::Parser;
use polc_lang::fidelity::{FidelityReport, Subject};
use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    Attach, FileRule, Mode, NetOp, NetRule, Origin, Policy, PolicyName, PortRange, Proto,
    RightsOrigin, SignalDir,
};
use polc_lang::rights::Rights;

// The language's one builder of IR values for tests.
#[path = "../../../../policy-lang/tests/ir_support/mod.rs"]
pub mod ir_support;

#[allow(unused_imports)] // not every test binary builds from text
pub use ir_support::from_lines as policy;

/// Builds an IR policy statement by statement.
pub struct PolicyBuilder {
    policy: Policy,
    line: usize,
}

pub fn name(s: &str) -> PolicyName {
    PolicyName::new(s).unwrap_or_else(|e| panic!("bad test name {s}: {e}"))
}

/// Rights from keywords separated by spaces (`"read write"`), implications applied.
pub fn rights(words: &str) -> Rights {
    words
        .split_whitespace()
        .map(|w| Rights::from_keyword(w).unwrap_or_else(|| panic!("unknown right {w}")))
        .fold(Rights::EMPTY, Rights::union)
}

impl PolicyBuilder {
    pub fn new(n: &str) -> Self {
        PolicyBuilder {
            policy: ir_support::policy(n),
            line: 1,
        }
    }

    fn origin(&mut self) -> Origin {
        self.line += 1;
        ir_support::at("test.pol", self.line)
    }

    pub fn version(mut self, v: u64) -> Self {
        self.policy.version = Some(v);
        self
    }

    pub fn attach(mut self, path: &str) -> Self {
        let origin = self.origin();
        self.policy.attach = Some(Attach {
            path: path.into(),
            origin,
        });
        self
    }

    pub fn complain(mut self) -> Self {
        self.policy.mode = Mode::Complain;
        self
    }

    pub fn owns(mut self, glob: &str) -> Self {
        let origin = self.origin();
        self.policy.owns.push(ir_support::owned(glob, origin));
        self
    }

    pub fn file(mut self, effect: Effect, rs: &str, globs: &[&str], exec_as: Option<&str>) -> Self {
        let origin = self.origin();
        let r = rights(rs);
        for g in globs {
            // A trailing `/`: a directory-only rule.
            let (glob, dir_only) =
                Glob::parse_path(g).unwrap_or_else(|e| panic!("bad glob {g}: {e:?}"));
            let exec_as = exec_as.map(name);
            let ro = RightsOrigin {
                rights: r,
                origin: origin.clone(),
            };
            match self.policy.files.iter_mut().find(|f| {
                f.effect == effect
                    && f.glob == glob
                    && f.exec_as == exec_as
                    && f.dir_only == dir_only
            }) {
                Some(f) => {
                    f.rights = f.rights.union(r);
                    f.origins.push(ro);
                }
                None => self.policy.files.push(FileRule {
                    dir_only,
                    ..ir_support::file_rule(
                        effect,
                        glob.as_str(),
                        r,
                        exec_as.as_ref().map(PolicyName::as_str),
                        ro.origin,
                    )
                }),
            }
        }
        self
    }

    pub fn allow(self, rs: &str, glob: &str) -> Self {
        self.file(Effect::Allow, rs, &[glob], None)
    }

    pub fn deny(self, rs: &str, glob: &str) -> Self {
        self.file(Effect::Deny, rs, &[glob], None)
    }

    pub fn allow_as(self, rs: &str, glob: &str, target: &str) -> Self {
        self.file(Effect::Allow, rs, &[glob], Some(target))
    }

    pub fn net(self, effect: Effect, op: NetOp, proto: Proto, ports: Option<(u16, u16)>) -> Self {
        self.net_on(effect, op, proto, None, ports)
    }

    /// A network rule of one IP version (`family`), or of both.
    pub fn net_on(
        mut self,
        effect: Effect,
        op: NetOp,
        proto: Proto,
        family: Option<polc_lang::ir::IpFamily>,
        ports: Option<(u16, u16)>,
    ) -> Self {
        let origin = self.origin();
        let ports = ports.map_or(PortRange::ALL, |(lo, hi)| PortRange { lo, hi });
        match self.policy.net.iter_mut().find(|n| {
            n.effect == effect
                && n.op == op
                && n.proto == proto
                && n.family == family
                && n.ports == ports
        }) {
            Some(n) => n.origins.push(origin),
            None => self.policy.net.push(NetRule {
                family,
                ..ir_support::net_rule(effect, op, proto, ports.lo, ports.hi, origin)
            }),
        }
        self
    }

    pub fn cap(mut self, effect: Effect, names: &[&str]) -> Self {
        let origin = self.origin();
        for n in names {
            match self
                .policy
                .capabilities
                .iter_mut()
                .find(|c| c.effect == effect && c.capability == *n)
            {
                Some(c) => c.origins.push(origin.clone()),
                None => {
                    self.policy
                        .capabilities
                        .push(ir_support::cap_rule(effect, n, origin.clone()))
                }
            }
        }
        self
    }

    pub fn signal(
        mut self,
        effect: Effect,
        direction: SignalDir,
        signals: &[&str],
        peer: &str,
    ) -> Self {
        let origin = self.origin();
        let rule = ir_support::signal_rule(effect, direction, peer, signals, origin);
        match self.policy.signals.iter_mut().find(|s| {
            s.effect == rule.effect
                && s.direction == rule.direction
                && s.peer == rule.peer
                && s.signals == rule.signals
        }) {
            Some(s) => s.origins.extend(rule.origins),
            None => self.policy.signals.push(rule),
        }
        self
    }

    pub fn build(mut self) -> Policy {
        let p = &mut self.policy;
        p.files.sort_by(|a, b| {
            (a.effect, a.glob.as_str(), &a.exec_as).cmp(&(b.effect, b.glob.as_str(), &b.exec_as))
        });
        p.net.sort_by(|a, b| {
            (a.effect, a.op, a.proto, a.ports).cmp(&(b.effect, b.op, b.proto, b.ports))
        });
        p.capabilities
            .sort_by(|a, b| (a.effect, &a.capability).cmp(&(b.effect, &b.capability)));
        p.signals.sort_by(|a, b| {
            (a.effect, a.direction, &a.peer, &a.signals).cmp(&(
                b.effect,
                b.direction,
                &b.peer,
                &b.signals,
            ))
        });
        for f in &mut p.files {
            f.origins.sort();
        }
        self.policy
    }
}

/// The `apparmor_parser` of this machine, compiling for the AppArmor 3.0 kernel ABI (so
/// that signal and network rules are compiled too, not skipped as unsupported by the
/// missing kernel). Fails, never skips, when the parser is missing.
pub fn parser() -> Parser {
    match Parser::find() {
        Ok(p) => p.kernel_features("/etc/apparmor.d/abi/3.0"),
        Err(e) => panic!("{e} (the tests need apparmor_parser: `apt-get install apparmor`)"),
    }
}

/// Validate a profile and fail with the parser's message and the text.
pub fn assert_accepted(text: &str) {
    if let Err(e) = parser().validate(text) {
        panic!("{e}\n--- profile ---\n{text}");
    }
}

/// A fidelity report, one line per entry, for snapshots.
pub fn render_report(r: &FidelityReport) -> String {
    let mut out = format!("{} {}\n", r.backend, r.target);
    for e in &r.entries {
        let subject = match e.subject {
            Subject::Rule { list, index } => format!("{list:?}[{index}]").to_lowercase(),
            Subject::Mode => "mode".into(),
            Subject::Attach => "attach".into(),
            Subject::Owns { index } => format!("owns[{index}]"),
            Subject::Child { child } => format!("child[{child}]"),
            Subject::ChildRule { child, list, index } => {
                format!("child[{child}].{list:?}[{index}]").to_lowercase()
            }
        };
        let rights = e.rights.map_or(String::new(), |r| format!(" ({r})"));
        let origins: Vec<String> = e.origins.iter().map(|o| o.to_string()).collect();
        out.push_str(&format!(
            "{subject}{rights}: {} — {} [{}]",
            e.fidelity,
            e.rule,
            origins.join(", ")
        ));
        if !e.reason.is_empty() {
            out.push_str(&format!("\n    {}", e.reason));
        }
        out.push('\n');
    }
    out
}
