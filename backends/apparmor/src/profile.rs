//! Assembling the profile text and the fidelity report from the IR.

use crate::files::{self, Letters};
use crate::{aare, names, net, Config, Error};
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject};
use polc_lang::hash::FastMap;
use polc_lang::ir::text::quote_line;
use polc_lang::ir::Effect;
use polc_lang::ir::{ChildKind, ExecMode, FileRule, Mode, Policy, PolicyName, SignalDir};
use polc_lang::rights::{Right, Rights};
use std::collections::BTreeMap;

mod join;

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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Transition {
    Inherit,
    Profile(String),
    /// `cx -> CHILD`: a child profile of this profile.
    Child(String),
    /// `pix -> NAME`: NAME when loaded, else inherit.
    Fallback(String),
    /// `ux`.
    Unconfined,
}

#[derive(Default)]
struct FileLine {
    letters: Letters,
    transition: Option<Transition>,
}

impl FileLine {
    /// What the line grants as written: its mode letters (where `w` also holds `a`),
    /// whether it executes, and how.
    fn grants(&self) -> (String, bool, Option<&Transition>) {
        (
            self.letters.mode(),
            self.letters.contains(Letters::X),
            self.transition.as_ref(),
        )
    }
}

/// [`quote`], cut to its first 60 characters (with `…`) for messages: a pattern of
/// 16 KiB is not repeated in an error.
pub(crate) fn quote_short(s: &str) -> String {
    const KEEP: usize = 60;
    match s.char_indices().nth(KEEP) {
        Some((i, _)) => format!(
            "{}…\"",
            quote_line(s.get(..i).unwrap_or(s)).trim_end_matches('"')
        ),
        None => quote_line(s),
    }
}

/// The AppArmor qualifiers of a rule line: `audit` and `deny`.
fn prefix(audit: bool, deny: bool) -> &'static str {
    match (audit, deny) {
        (false, false) => "",
        (false, true) => "deny ",
        (true, false) => "audit ",
        (true, true) => "audit deny ",
    }
}

/// `audit ` before the policy text of a rule, when audited.
fn audited(audit: bool, text: String) -> String {
    if audit {
        format!("audit {text}")
    } else {
        text
    }
}

/// The policy text of a file rule, for its report entries; `rights` is the rule's
/// rights as text.
fn file_rule_text(r: &FileRule, rights: &str) -> String {
    let path = quote_line(&r.path_text());
    let mut s = String::with_capacity(path.len() + rights.len() + 24);
    if r.audit {
        s.push_str("audit ");
    }
    s.push_str(r.effect.keyword());
    if r.owner {
        s.push_str(" owner");
    }
    s.push(' ');
    s.push_str(rights);
    s.push(' ');
    s.push_str(&path);
    if r.exec_as.is_some() || r.exec_mode == ExecMode::Unconfined {
        s.push_str(&r.exec_mode.suffix(r.exec_as.as_ref()));
    }
    s
}

/// A file line's key: deny, audit, owner (AppArmor's qualifiers, which a line carries as
/// a whole) and the pattern. The profile writes the lines in the order of their keys.
type LineKey = (bool, bool, bool, String);

/// The file lines of a profile, by key (sorted when written).
type Lines = FastMap<LineKey, FileLine>;

/// The file rules: each rule's letters merged into the lines of its patterns, and its
/// report entries.
fn files(policy: &Policy, lines: &mut Lines, report: &mut Vec<RuleFidelity>) -> Result<(), Error> {
    let mut parts = PartsMemo::default();
    let mut wholes: BTreeMap<LineKey, (String, String)> = BTreeMap::new();
    for (index, rule) in policy.files.iter().enumerate() {
        let forms = aare::glob_forms(rule.glob.as_str()).map_err(refused(rule))?;
        file_lines(rule, &forms, lines)?;
        file_entries(index, rule, forms.repeat, &mut parts, report);
        if let (Some(whole), Some(file), Some(dir)) = (forms.whole, forms.file, forms.dir) {
            let deny = rule.effect == Effect::Deny;
            wholes.insert((deny, rule.audit, rule.owner, whole), (file, dir));
        }
    }
    join_forms(&wholes, policy.mode == Mode::Enforce, lines);
    Ok(())
}

/// Write a file form and a directory form as the one pattern of their glob
/// (`"/srv/**" r,` for `"/srv/**[^/]" r,` and `"/srv/**[^/]/" r,`), which matches exactly
/// their union on valid paths (see `aare::whole_form`) and keeps `apparmor_parser`'s
/// automaton smaller, when the two lines carry the same letters, transition and
/// qualifiers; then that pattern `Q/**` and the line of the directory `Q/` itself as
/// `Q/{,**}` (AppArmor makes a `**` after a `/` match at least one byte, one in a group
/// any run: the union again, on valid paths), when they carry the same letters.
///
/// Deny lines of an enforced profile (`enforced`) also join when the directories' line
/// lacks only letters of [`Letters::NOT_ON_DIRECTORIES`]: the joined line denies
/// directories those letters too, which no allow line gives them, so no operation's
/// outcome changes (in complain mode it would: what no line allows is let through there,
/// a flock on a directory say). `deny "/x/{,**}" rwlkm,` is written as AppArmor's own
/// abstractions write it instead of three lines.
///
/// Lines merge after every rule is in, so two rules that give a glob's files and its
/// directories the same letters between them join too. Exact whatever other lines say: a
/// profile's lines of one kind (allow or deny) are a union.
fn join_forms(wholes: &BTreeMap<LineKey, (String, String)>, enforced: bool, lines: &mut Lines) {
    // The letters of `wide` may stand for those of `dirs` on the directories of a line.
    let covers = |deny: bool, wide: &FileLine, dirs: &FileLine| {
        let (w, d) = (wide.letters.written(), dirs.letters.written());
        wide.grants() == dirs.grants()
            || (deny
                && enforced
                && wide.transition == dirs.transition
                && w.contains(d)
                && w.minus(d).minus(Letters::NOT_ON_DIRECTORIES).is_empty())
    };
    let mut joined: Vec<&LineKey> = Vec::new();
    for (kw, (file, dir)) in wholes {
        let key = |p: &String| (kw.0, kw.1, kw.2, p.clone());
        let (kf, kd) = (key(file), key(dir));
        let joinable = match (lines.get(&kf), lines.get(&kd)) {
            (Some(f), Some(d)) => {
                covers(kw.0, f, d) && lines.get(kw).is_none_or(|w| w.transition == f.transition)
            }
            _ => false,
        };
        if !joinable {
            continue;
        }
        let (Some(f), Some(_)) = (lines.remove(&kf), lines.remove(&kd)) else {
            continue;
        };
        let w = lines.entry(kw.clone()).or_default();
        w.letters = w.letters.union(f.letters);
        w.transition = f.transition;
        joined.push(kw);
    }
    for kw in joined {
        let Some(q) = kw.3.strip_suffix("**").filter(|q| q.ends_with('/')) else {
            continue;
        };
        let kq = (kw.0, kw.1, kw.2, q.to_string());
        let kj = (kw.0, kw.1, kw.2, format!("{q}{{,**}}"));
        let joinable = match (lines.get(kw), lines.get(&kq)) {
            (Some(w), Some(d)) => {
                covers(kw.0, w, d) && lines.get(&kj).is_none_or(|j| j.transition == w.transition)
            }
            _ => false,
        };
        if !joinable || aare::check_length(&kj.3).is_err() {
            continue;
        }
        let (Some(w), Some(_)) = (lines.remove(kw), lines.remove(&kq)) else {
            continue;
        };
        let j = lines.entry(kj).or_default();
        j.letters = j.letters.union(w.letters);
        j.transition = w.transition;
    }
}

/// The fidelity parts of each combination of rights a policy's rules use: they depend on
/// the rights, the effect, whether an exec inherits and whether the rule is for
/// directories only, not on the glob, and a large policy repeats few combinations.
/// The rules' rights as text are kept the same way.
#[derive(Default)]
struct PartsMemo {
    parts: FastMap<(bool, Rights, bool, bool), Vec<files::Part>>,
    texts: FastMap<Rights, String>,
}

impl PartsMemo {
    fn rights_text(&mut self, rights: Rights) -> &str {
        self.texts
            .entry(rights)
            .or_insert_with(|| rights.to_string())
    }

    fn of(&mut self, rule: &FileRule) -> Vec<files::Part> {
        let deny = rule.effect == Effect::Deny;
        let inherit = !deny && inherits(rule);
        self.parts
            .entry((deny, rule.rights, inherit, rule.dir_only))
            .or_insert_with(|| {
                if deny {
                    files::deny_parts(rule.rights, rule.dir_only)
                } else {
                    files::allow_parts(rule.rights, inherit, rule.dir_only)
                }
            })
            .clone()
    }
}

/// The refusal of a rule's glob that AppArmor cannot match safely.
fn refused(rule: &FileRule) -> impl Fn(aare::Refusal) -> Error + '_ {
    |r: aare::Refusal| Error::UnsafeGlob {
        glob: rule.glob.as_str().to_string(),
        reason: r.0,
        origin: rule.origins.first().map(|o| Box::new(o.origin.clone())),
    }
}

/// Whether an allowed exec may stay in this profile (`ix`, `pix`), which AppArmor
/// compiles with `m`.
fn inherits(rule: &FileRule) -> bool {
    match rule.exec_mode {
        ExecMode::Plain => rule.exec_as.is_none(),
        ExecMode::Fallback => true,
        ExecMode::Child | ExecMode::Unconfined => false,
    }
}

/// How an allow rule's exec runs the executable (none for a deny rule).
fn transition(rule: &FileRule) -> Result<Option<Transition>, Error> {
    Ok(match (&rule.exec_as, rule.exec_mode, rule.effect) {
        (_, _, Effect::Deny) => None,
        (_, ExecMode::Unconfined, Effect::Allow) => Some(Transition::Unconfined),
        (Some(n), ExecMode::Child, Effect::Allow) => Some(Transition::Child(profile_name(n)?)),
        (Some(n), ExecMode::Fallback, Effect::Allow) => {
            Some(Transition::Fallback(profile_name(n)?))
        }
        (Some(n), _, Effect::Allow) => Some(Transition::Profile(profile_name(n)?)),
        (None, _, Effect::Allow) => Some(Transition::Inherit),
    })
}

/// A rule's letters on its file and directory forms (a directory-only rule: the
/// directory form only), merged into the line of the same qualifiers and pattern; two
/// rules that exec one pattern differently are refused.
fn file_lines(rule: &FileRule, forms: &aare::Forms, lines: &mut Lines) -> Result<(), Error> {
    let deny = rule.effect == Effect::Deny;
    let fl = files::letters(deny, rule.rights, inherits(rule), rule.dir_only);
    let transition = transition(rule)?;
    for (letters, pattern) in [(fl.file, &forms.file), (fl.dir, &forms.dir)] {
        let Some(pattern) = pattern else { continue };
        if letters.is_empty() {
            continue;
        }
        aare::check_length(pattern).map_err(refused(rule))?;
        let key = (deny, rule.audit, rule.owner, pattern.clone());
        let line = lines.entry(key).or_default();
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
    Ok(())
}

/// The report entries of file rule `index`, one per group of rights with one
/// fidelity; a glob with a repetition (`repeat`) matches bounded runs only, and an
/// unconfined exec is widened.
fn file_entries(
    index: usize,
    rule: &FileRule,
    repeat: bool,
    memo: &mut PartsMemo,
    report: &mut Vec<RuleFidelity>,
) {
    let deny = rule.effect == Effect::Deny;
    let text = file_rule_text(rule, memo.rights_text(rule.rights));
    for mut p in memo.of(rule) {
        if repeat && p.fidelity == Fidelity::Exact {
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
        if !deny && rule.exec_mode == ExecMode::Unconfined && p.rights.contains(Right::Exec) {
            p.fidelity = p.fidelity.max(Fidelity::Widened);
            if !p.reason.is_empty() {
                p.reason.push_str("; ");
            }
            p.reason
                .push_str("the executed program runs unconfined (`ux`): nothing restricts it");
        }
        let origins = rule
            .origins
            .iter()
            .filter(|o| !o.rights.intersection(p.rights).is_empty())
            .map(|o| o.origin.clone())
            .collect();
        report.push(
            RuleFidelity::rule(
                RuleListKind::File,
                index,
                p.fidelity,
                p.reason,
                text.clone(),
                origins,
            )
            .for_rights(Some(p.rights)),
        );
    }
}

fn render_file_line(key: &LineKey, line: &FileLine) -> String {
    let (deny, audit, owner, pattern) = (key.0, key.1, key.2, key.3.as_str());
    let q = prefix(audit, deny);
    let o = if owner { "owner " } else { "" };
    let mut text = String::with_capacity(q.len() + o.len() + pattern.len() + 16);
    text.push_str(q);
    text.push_str(o);
    // `pattern` is already escaped for AppArmor: only the quotes are added here.
    text.push('"');
    text.push_str(pattern);
    text.push_str("\" ");
    let mut mode = line.letters.mode();
    if line.letters.contains(Letters::X) {
        match (&line.transition, deny) {
            (_, true) | (None, false) => mode.push('x'),
            (Some(Transition::Inherit), false) => mode.push_str("ix"),
            (Some(Transition::Profile(p)), false) => {
                mode.push_str("px -> ");
                mode.push_str(&quote_line(p));
            }
            (Some(Transition::Child(p)), false) => {
                mode.push_str("cx -> ");
                mode.push_str(&quote_line(p));
            }
            (Some(Transition::Fallback(p)), false) => {
                mode.push_str("pix -> ");
                mode.push_str(&quote_line(p));
            }
            (Some(Transition::Unconfined), false) => mode.push_str("ux"),
        }
    }
    text.push_str(&mode);
    text.push(',');
    text
}

fn capabilities(policy: &Policy, lines: &mut Vec<String>, report: &mut Vec<RuleFidelity>) {
    for (index, rule) in policy.capabilities.iter().enumerate() {
        let text = audited(
            rule.audit,
            format!(
                "{} capability {}",
                rule.effect.keyword(),
                rule.capability.escape_default()
            ),
        );
        let (fidelity, reason) = match names::capability(&rule.capability) {
            Some(name) => {
                let q = prefix(rule.audit, rule.effect == Effect::Deny);
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
        report.push(RuleFidelity::rule(
            RuleListKind::Capability,
            index,
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
        let peer = rule.peer.as_str();
        let peer_q = crate::ipc::peer_clause(&rule.peer)?;
        let (dir, word) = match rule.direction {
            SignalDir::Send => ("send", "to"),
            SignalDir::Receive => ("receive", "from"),
        };
        let listed: Vec<String> = rule
            .signals
            .iter()
            .map(|s| s.escape_default().to_string())
            .collect();
        let text = audited(
            rule.audit,
            if listed.is_empty() {
                format!("{} signal {dir} {word} {peer}", rule.effect.keyword())
            } else {
                format!(
                    "{} signal {dir} {} {word} {peer}",
                    rule.effect.keyword(),
                    listed.join(", ")
                )
            },
        );
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
        let q = prefix(rule.audit, rule.effect == Effect::Deny);
        if rule.signals.is_empty() {
            lines.push(format!("{q}signal ({dir}){peer_q},"));
        } else if !known.is_empty() {
            lines.push(format!(
                "{q}signal ({dir}) set=({}){peer_q},",
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
        report.push(RuleFidelity::rule(
            RuleListKind::Signal,
            index,
            fidelity,
            reason,
            text,
            rule.origins.clone(),
        ));
    }
    Ok(())
}

/// The rule lines of a profile body (files, network, capabilities, signals), with one
/// fidelity entry per rule in `report`.
fn rules(
    policy: &Policy,
    config: &Config,
    report: &mut Vec<RuleFidelity>,
) -> Result<[Vec<String>; 7], Error> {
    let mut file_lines = Lines::default();
    files(policy, &mut file_lines, report)?;

    let (mut net_lines, net_fidelity) = net::compile(&policy.net, config.abi);
    for ((index, rule), (fidelity, reason)) in policy.net.iter().enumerate().zip(net_fidelity) {
        report.push(RuleFidelity::rule(
            RuleListKind::Net,
            index,
            fidelity,
            reason,
            polc_lang::ir::text::net_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    crate::unix::family_rules(policy, &mut net_lines, report);
    net_lines.sort();
    net_lines.dedup();

    let mut cap_lines = Vec::new();
    capabilities(policy, &mut cap_lines, report);
    cap_lines.sort();
    cap_lines.dedup();

    let mut signal_lines = Vec::new();
    signals(policy, &mut signal_lines, report)?;
    signal_lines.sort();
    signal_lines.dedup();

    let mut unix_lines = Vec::new();
    crate::unix::unix_rules(policy, &mut unix_lines, report)?;
    unix_lines.sort();
    unix_lines.dedup();

    let mut ptrace_lines = Vec::new();
    crate::ipc::ptrace(policy, &mut ptrace_lines, report)?;
    ptrace_lines.sort();
    ptrace_lines.dedup();

    let mut dbus_lines = Vec::new();
    crate::dbus::dbus_rules(policy, &mut dbus_lines, report)?;
    dbus_lines.sort();
    dbus_lines.dedup();

    let mut file_lines = join::join_middles(join::join_heads(file_lines));
    file_lines.sort_by(|a, b| a.0.cmp(&b.0));
    let file_lines: Vec<String> = file_lines
        .iter()
        .map(|(key, line)| render_file_line(key, line))
        .collect();
    Ok([
        file_lines,
        net_lines,
        cap_lines,
        signal_lines,
        unix_lines,
        ptrace_lines,
        dbus_lines,
    ])
}

/// Write the sections of a body, one blank line between them, at `indent`.
fn write_sections(text: &mut String, sections: &[Vec<String>], indent: &str) {
    let mut first = true;
    for section in sections.iter().filter(|s| !s.is_empty()) {
        if !first {
            text.push('\n');
        }
        first = false;
        for l in section {
            text.push_str(indent);
            text.push_str(l);
            text.push('\n');
        }
    }
}

/// A child profile (`profile NAME { ... }`, entered by `cx -> NAME`) or a hat (`^NAME { ... }`,
/// entered by `change_hat`) inside its parent, with its rules' fidelity entries as
/// [`Subject::ChildRule`] and one [`Subject::Child`] entry.
fn child_block(
    i: usize,
    parent: &str,
    child: &polc_lang::ir::Child,
    config: &Config,
    report: &mut Vec<RuleFidelity>,
) -> Result<(String, Vec<polc_lang::fidelity::Unrestricted>), Error> {
    let name = profile_name(&child.policy.name)?;
    let mut own = Vec::new();
    let mut sections = rules(&child.policy, config, &mut own)?;
    // The child's `self` (its own name in its rules) is the label `PARENT//CHILD` in
    // the kernel: peers written as the bare name are rewritten to it.
    let label = quote_line(&format!("{parent}//{name}"));
    let rewrites = [
        (
            format!("peer={}", quote_line(&name)),
            format!("peer={label}"),
        ),
        (
            format!("label={}", quote_line(&name)),
            format!("label={label}"),
        ),
    ];
    for line in sections.iter_mut().flatten() {
        for (bare, full) in &rewrites {
            if line.contains(bare.as_str()) {
                *line = line.replace(bare.as_str(), full);
            }
        }
    }
    let label = format!("{} {}", child.kind.keyword(), child.policy.name);
    report.push(RuleFidelity::new(
        Subject::Child { child: i },
        Fidelity::Exact,
        "",
        label.clone(),
        vec![child.origin.clone()],
    ));
    for mut e in own {
        if let Subject::Rule { list, index } = e.subject {
            e.subject = Subject::ChildRule {
                child: i,
                list,
                index,
            };
        }
        e.rule = format!("{label}: {}", e.rule);
        report.push(e);
    }
    let mut text = String::from("\n");
    match child.kind {
        ChildKind::Child => text.push_str(&format!("  profile {}", quote_line(&name))),
        ChildKind::Hat => text.push_str(&format!("  ^{}", quote_line(&name))),
    }
    if child.policy.mode == Mode::Complain {
        text.push_str(" flags=(complain)");
    }
    text.push_str(" {\n");
    write_sections(&mut text, &sections, "    ");
    text.push_str("  }\n");
    Ok((text, net::unrestricted(&child.policy.net, config.abi)))
}

/// The profile text and the fidelity report.
pub(crate) fn build(policy: &Policy, config: &Config) -> Result<(String, FidelityReport), Error> {
    let name = profile_name(&policy.name)?;
    let mut report: Vec<RuleFidelity> = vec![mode_entry(policy)];
    let attachment = attachment(policy, &mut report)?;
    owns_entries(policy, &mut report);
    let sections = rules(policy, config, &mut report)?;
    let mut unrestricted = net::unrestricted(&policy.net, config.abi);
    let mut nested = String::new();
    for (i, child) in policy.children.iter().enumerate() {
        let (text, more) = child_block(i, &name, child, config, &mut report)?;
        nested.push_str(&text);
        for u in more {
            if !unrestricted.contains(&u) {
                unrestricted.push(u);
            }
        }
    }
    let profile = Profile {
        name: &name,
        attachment: attachment.as_deref(),
        sections: &sections,
        nested: &nested,
    };
    Ok((
        profile.text(policy, config),
        FidelityReport {
            backend: "apparmor".into(),
            target: format!("abi {}", config.abi),
            entries: report,
            unrestricted,
        },
    ))
}

/// The report entry of the mode: complain mode is narrowed when the policy has deny
/// rules, as AppArmor's deny rules are quiet, and a quiet refusal is returned before
/// complain mode would turn it into a logged success: they stay enforced.
fn mode_entry(policy: &Policy) -> RuleFidelity {
    let has_deny = policy.files.iter().any(|r| r.effect == Effect::Deny)
        || policy.net.iter().any(|r| r.effect == Effect::Deny)
        || policy.capabilities.iter().any(|r| r.effect == Effect::Deny)
        || policy.signals.iter().any(|r| r.effect == Effect::Deny)
        || policy.unix.iter().any(|r| r.effect == Effect::Deny)
        || policy.net_families.iter().any(|r| r.effect == Effect::Deny)
        || policy.ptrace.iter().any(|r| r.effect == Effect::Deny)
        || policy.dbus.iter().any(|r| r.effect == Effect::Deny);
    let (fidelity, reason) = if policy.mode == Mode::Complain && has_deny {
        (
            Fidelity::Narrowed,
            "AppArmor still enforces deny rules in complain mode, without logging them".into(),
        )
    } else {
        (Fidelity::Exact, String::new())
    };
    RuleFidelity::mode(policy.mode, fidelity, reason)
}

/// The attachment path (escaped for AppArmor) and its report entry; a path AppArmor
/// cannot match literally is refused.
fn attachment(policy: &Policy, report: &mut Vec<RuleFidelity>) -> Result<Option<String>, Error> {
    let Some(a) = &policy.attach else {
        return Ok(None);
    };
    let p = aare::literal_path(&a.path).map_err(|r| Error::UnsafeAttach {
        path: a.path.clone(),
        reason: r.0,
        origin: Some(Box::new(a.origin.clone())),
    })?;
    report.push(RuleFidelity::new(
        Subject::Attach,
        Fidelity::Exact,
        "",
        format!("attach {}", quote_line(&a.path)),
        vec![a.origin.clone()],
    ));
    Ok(Some(p))
}

/// The report entries of the `owns` statements, all exact.
fn owns_entries(policy: &Policy, report: &mut Vec<RuleFidelity>) {
    for (index, o) in policy.owns.iter().enumerate() {
        report.push(RuleFidelity::new(
            Subject::Owns { index },
            Fidelity::Exact,
            "",
            format!("owns {}", quote_line(o.glob.as_str())),
            o.origins.clone(),
        ));
    }
}

/// The parts of the profile text, once lowered.
struct Profile<'a> {
    /// The profile name.
    name: &'a str,
    /// The attachment path, escaped.
    attachment: Option<&'a str>,
    /// The body's sections of rules.
    sections: &'a [Vec<String>],
    /// The child profiles and hats, as text.
    nested: &'a str,
}

impl Profile<'_> {
    /// The profile text: the header comments, the ABI, the profile line (attachment,
    /// complain flag), the body's sections, then the children (right after the opening
    /// line when the body is empty).
    fn text(&self, policy: &Policy, config: &Config) -> String {
        let name = self.name;
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
        text.push_str(&format!("profile {}", quote_line(name)));
        if let Some(p) = self.attachment {
            text.push_str(&format!(" \"{p}\""));
        }
        if policy.mode == Mode::Complain {
            text.push_str(" flags=(complain)");
        }
        text.push_str(" {\n");
        write_sections(&mut text, self.sections, "  ");
        if self.sections.iter().all(Vec::is_empty) {
            text.push_str(self.nested.trim_start_matches('\n'));
        } else {
            text.push_str(self.nested);
        }
        text.push_str("}\n");
        text
    }
}
