//! Assembling the profile text and the fidelity report from the IR.

use crate::files::{self, Letters};
use crate::{aare, names, net, Config, Error};
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject};
use polc_lang::ir::Effect;
use polc_lang::ir::{FileRule, Mode, NetOp, Origin, Policy, PolicyName, Proto, SignalDir};
use polc_lang::rights::Rights;
use std::collections::BTreeMap;

/// Names AppArmor gives a meaning of its own: a policy cannot use them as its profile name,
/// as an exec target or as a signal peer.
const RESERVED: [&str; 1] = ["unconfined"];

/// The AppArmor profile name of a policy: the policy name itself (see the docs).
pub(crate) fn profile_name(name: &PolicyName) -> Result<String, Error> {
    if RESERVED.contains(&name.as_str()) {
        return Err(Error::ReservedName {
            name: name.as_str().to_string(),
        });
    }
    Ok(name.as_str().to_string())
}

/// How an allowed exec runs the executable.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Transition {
    Inherit,
    Profile(String),
}

#[derive(Default)]
struct FileLine {
    letters: Letters,
    transition: Option<Transition>,
}

/// A string in the language's own syntax, on one line (for reports and errors).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// [`quote`], cut to its first 60 characters (with `…`) for messages: a pattern of
/// 16 KiB is not repeated in an error.
pub(crate) fn quote_short(s: &str) -> String {
    const KEEP: usize = 60;
    match s.char_indices().nth(KEEP) {
        Some((i, _)) => format!(
            "{}…\"",
            quote(s.get(..i).unwrap_or(s)).trim_end_matches('"')
        ),
        None => quote(s),
    }
}

fn file_rule_text(r: &FileRule) -> String {
    let mut s = format!(
        "{} {} {}",
        r.effect.keyword(),
        r.rights,
        quote(r.glob.as_str())
    );
    if let Some(n) = &r.exec_as {
        s.push_str(" as ");
        s.push_str(n.as_str());
    }
    s
}

fn entry(
    list: RuleListKind,
    index: usize,
    rights: Option<Rights>,
    fidelity: Fidelity,
    reason: String,
    rule: String,
    origins: Vec<Origin>,
) -> RuleFidelity {
    RuleFidelity {
        subject: Subject::Rule { list, index },
        rights,
        fidelity,
        reason,
        rule,
        origins,
    }
}

fn files(
    policy: &Policy,
    lines: &mut BTreeMap<(bool, String), FileLine>,
    report: &mut Vec<RuleFidelity>,
) -> Result<(), Error> {
    for (index, rule) in policy.files.iter().enumerate() {
        let deny = rule.effect == Effect::Deny;
        let refused = |r: aare::Refusal| Error::UnsafeGlob {
            glob: rule.glob.as_str().to_string(),
            reason: r.0,
            origin: rule.origins.first().map(|o| Box::new(o.origin.clone())),
        };
        let forms = aare::glob_forms(rule.glob.as_str()).map_err(refused)?;
        let inherit = rule.exec_as.is_none();
        let fl = files::letters(deny, rule.rights, inherit);
        let transition = match (&rule.exec_as, deny) {
            (_, true) => None,
            (Some(n), false) => Some(Transition::Profile(profile_name(n)?)),
            (None, false) => Some(Transition::Inherit),
        };
        for (letters, pattern) in [(fl.file, &forms.file), (fl.dir, &forms.dir)] {
            let Some(pattern) = pattern else { continue };
            if letters.is_empty() {
                continue;
            }
            aare::check_length(pattern).map_err(refused)?;
            let line = lines.entry((deny, pattern.clone())).or_default();
            line.letters = line.letters.union(letters);
            if letters.contains(Letters::X) {
                if let Some(t) = &transition {
                    match &line.transition {
                        Some(old) if old != t => {
                            return Err(Error::ConflictingExec {
                                glob: rule.glob.as_str().to_string(),
                            })
                        }
                        _ => line.transition = Some(t.clone()),
                    }
                }
            }
        }
        let parts = if deny {
            files::deny_parts(rule.rights)
        } else {
            files::allow_parts(rule.rights, inherit)
        };
        for mut p in parts {
            if forms.repeat && p.fidelity == Fidelity::Exact {
                // A run longer than MAX_REPEAT is not matched.
                p.fidelity = if deny {
                    Fidelity::Widened
                } else {
                    Fidelity::Narrowed
                };
                p.reason = format!(
                    "AppArmor has no repetition: `[...]+` matches at most {} characters here{}",
                    aare::MAX_REPEAT,
                    if deny {
                        ", so longer runs are not denied"
                    } else {
                        ""
                    }
                );
            }
            let origins = rule
                .origins
                .iter()
                .filter(|o| !o.rights.intersection(p.rights).is_empty())
                .map(|o| o.origin.clone())
                .collect();
            report.push(entry(
                RuleListKind::File,
                index,
                Some(p.rights),
                p.fidelity,
                p.reason,
                file_rule_text(rule),
                origins,
            ));
        }
    }
    Ok(())
}

fn render_file_line(deny: bool, pattern: &str, line: &FileLine) -> String {
    let mut mode = line.letters.mode();
    if line.letters.contains(Letters::X) {
        match (&line.transition, deny) {
            (_, true) | (None, false) => mode.push('x'),
            (Some(Transition::Inherit), false) => mode.push_str("ix"),
            (Some(Transition::Profile(p)), false) => {
                mode.push_str("px -> ");
                mode.push_str(&quote(p));
            }
        }
    }
    let q = if deny { "deny " } else { "" };
    // `pattern` is already escaped for AppArmor: only the quotes are added here.
    format!("{q}\"{pattern}\" {mode},")
}

fn net_rule_text(r: &polc_lang::ir::NetRule) -> String {
    let op = match r.op {
        NetOp::Connect => "connect",
        NetOp::Bind => "bind",
    };
    let proto = match r.proto {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    };
    let mut s = format!("{} net {op} {proto}", r.effect.keyword());
    if r.ports != polc_lang::ir::PortRange::ALL {
        s.push_str(&format!(" {}", r.ports));
    }
    s
}

fn capabilities(policy: &Policy, lines: &mut Vec<String>, report: &mut Vec<RuleFidelity>) {
    for (index, rule) in policy.capabilities.iter().enumerate() {
        let text = format!(
            "{} capability {}",
            rule.effect.keyword(),
            rule.capability.escape_default()
        );
        let (fidelity, reason) = match names::capability(&rule.capability) {
            Some(name) => {
                let q = if rule.effect == Effect::Deny {
                    "deny "
                } else {
                    ""
                };
                lines.push(format!("{q}capability {name},"));
                (Fidelity::Exact, String::new())
            }
            None => (
                Fidelity::Unsupported,
                format!(
                    "AppArmor has no capability `{}`",
                    rule.capability.escape_default()
                ),
            ),
        };
        report.push(entry(
            RuleListKind::Capability,
            index,
            None,
            fidelity,
            reason,
            text,
            rule.origins.clone(),
        ));
    }
}

fn signals(
    policy: &Policy,
    lines: &mut Vec<String>,
    report: &mut Vec<RuleFidelity>,
) -> Result<(), Error> {
    for (index, rule) in policy.signals.iter().enumerate() {
        let peer = profile_name(&rule.peer)?;
        let (dir, word) = match rule.direction {
            SignalDir::Send => ("send", "to"),
            SignalDir::Receive => ("receive", "from"),
        };
        let listed: Vec<String> = rule
            .signals
            .iter()
            .map(|s| s.escape_default().to_string())
            .collect();
        let text = if listed.is_empty() {
            format!("{} signal {dir} {word} {peer}", rule.effect.keyword())
        } else {
            format!(
                "{} signal {dir} {} {word} {peer}",
                rule.effect.keyword(),
                listed.join(", ")
            )
        };
        let mut known: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for s in &rule.signals {
            match names::signal(s) {
                Some(n) => known.push(n),
                None => unknown.push(format!("`{}`", s.escape_default())),
            }
        }
        known.sort();
        known.dedup();
        let q = if rule.effect == Effect::Deny {
            "deny "
        } else {
            ""
        };
        let peer_q = quote(&peer);
        if rule.signals.is_empty() {
            lines.push(format!("{q}signal ({dir}) peer={peer_q},"));
        } else if !known.is_empty() {
            lines.push(format!(
                "{q}signal ({dir}) set=({}) peer={peer_q},",
                known.join(" ")
            ));
        }
        let (fidelity, reason) = if unknown.is_empty() {
            (Fidelity::Exact, String::new())
        } else {
            (
                Fidelity::Unsupported,
                format!("AppArmor has no signal {}", unknown.join(", ")),
            )
        };
        report.push(entry(
            RuleListKind::Signal,
            index,
            None,
            fidelity,
            reason,
            text,
            rule.origins.clone(),
        ));
    }
    Ok(())
}

/// The profile text and the fidelity report.
pub(crate) fn build(policy: &Policy, config: &Config) -> Result<(String, FidelityReport), Error> {
    let name = profile_name(&policy.name)?;
    let mut report: Vec<RuleFidelity> = Vec::new();

    // AppArmor's deny rules are quiet, and a quiet refusal is returned before complain mode
    // would turn it into a logged success: they stay enforced in complain mode.
    let has_deny = policy.files.iter().any(|r| r.effect == Effect::Deny)
        || policy.net.iter().any(|r| r.effect == Effect::Deny)
        || policy.capabilities.iter().any(|r| r.effect == Effect::Deny)
        || policy.signals.iter().any(|r| r.effect == Effect::Deny);
    let (fidelity, reason) = if policy.mode == Mode::Complain && has_deny {
        (
            Fidelity::Narrowed,
            "AppArmor still enforces deny rules in complain mode, without logging them".into(),
        )
    } else {
        (Fidelity::Exact, String::new())
    };
    report.push(RuleFidelity {
        subject: Subject::Mode,
        rights: None,
        fidelity,
        reason,
        rule: match policy.mode {
            Mode::Enforce => "mode enforce".into(),
            Mode::Complain => "mode complain".into(),
        },
        origins: Vec::new(),
    });
    let attachment = match &policy.attach {
        Some(a) => {
            let p = aare::literal_path(&a.path).map_err(|r| Error::UnsafeAttach {
                path: a.path.clone(),
                reason: r.0,
                origin: Some(Box::new(a.origin.clone())),
            })?;
            report.push(RuleFidelity {
                subject: Subject::Attach,
                rights: None,
                fidelity: Fidelity::Exact,
                reason: String::new(),
                rule: format!("attach {}", quote(&a.path)),
                origins: vec![a.origin.clone()],
            });
            Some(p)
        }
        None => None,
    };
    for (index, o) in policy.owns.iter().enumerate() {
        report.push(RuleFidelity {
            subject: Subject::Owns { index },
            rights: None,
            fidelity: Fidelity::Exact,
            reason: String::new(),
            rule: format!("owns {}", quote(o.glob.as_str())),
            origins: o.origins.clone(),
        });
    }

    let mut file_lines = BTreeMap::new();
    files(policy, &mut file_lines, &mut report)?;

    let (mut net_lines, net_fidelity) = net::compile(&policy.net, config.abi);
    for ((index, rule), (fidelity, reason)) in policy.net.iter().enumerate().zip(net_fidelity) {
        report.push(entry(
            RuleListKind::Net,
            index,
            None,
            fidelity,
            reason,
            net_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    net_lines.sort();
    net_lines.dedup();

    let mut cap_lines = Vec::new();
    capabilities(policy, &mut cap_lines, &mut report);
    cap_lines.sort();
    cap_lines.dedup();

    let mut signal_lines = Vec::new();
    signals(policy, &mut signal_lines, &mut report)?;
    signal_lines.sort();
    signal_lines.dedup();

    let file_lines: Vec<String> = file_lines
        .iter()
        .map(|((deny, pattern), line)| render_file_line(*deny, pattern, line))
        .collect();

    let mut text = String::new();
    text.push_str(&format!(
        "# AppArmor profile of the polc policy {name}{}.\n",
        policy
            .version
            .map_or(String::new(), |v| format!(", version {v}"))
    ));
    text.push_str(&format!(
        "# Generated by polc {} for AppArmor ABI {}: do not edit, compile the policy again.\n",
        env!("CARGO_PKG_VERSION"),
        config.abi
    ));
    text.push_str(&format!("abi <abi/{}>,\n\n", config.abi));
    text.push_str(&format!("profile {}", quote(&name)));
    if let Some(p) = attachment {
        text.push_str(&format!(" \"{p}\""));
    }
    if policy.mode == Mode::Complain {
        text.push_str(" flags=(complain)");
    }
    text.push_str(" {\n");
    let sections = [file_lines, net_lines, cap_lines, signal_lines];
    let mut first = true;
    for section in sections.iter().filter(|s| !s.is_empty()) {
        if !first {
            text.push('\n');
        }
        first = false;
        for l in section {
            text.push_str("  ");
            text.push_str(l);
            text.push('\n');
        }
    }
    text.push_str("}\n");

    Ok((
        text,
        FidelityReport {
            backend: "apparmor".into(),
            target: format!("abi {}", config.abi),
            entries: report,
            unrestricted: net::unrestricted(&policy.net, config.abi),
        },
    ))
}
