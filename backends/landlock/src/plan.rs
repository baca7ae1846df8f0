//! The plan: what polc asks Landlock for, and how exactly that expresses the policy.

use crate::access::{fs_bits, FsAccess, NetAccess, Scopes};
use crate::files::{self, FileAnalysis, PathType, Verdict};
use crate::fsview::FsView;
use crate::others;
use crate::Error;
use polc_lang::fidelity::{
    AccessClass, Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject, Unrestricted,
};
use polc_lang::ir::Effect;
use polc_lang::ir::{ExecMode, FileRule, Mode, NetOp, Policy, PortRange, SignalDir};
use polc_lang::rights::{Right, Rights};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The highest Landlock ABI polc targets.
pub const MAX_ABI: u8 = 7;

/// What to do when the policy cannot be enforced exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compatibility {
    /// Refuse: planning fails on anything `widened` or `unsupported`, on expansions
    /// against the filesystem, on complain mode and on what the target ABI cannot
    /// restrict; enforcement fails when the running kernel cannot give the plan.
    #[default]
    Strict,
    /// Do what the kernel can and report exactly what is missing.
    BestEffort,
}

/// How to plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The Landlock ABI to target, 1 to [`MAX_ABI`].
    pub abi: u8,
    /// Strict or best effort.
    pub compatibility: Compatibility,
    /// The root of the filesystem that globs and denies are resolved against (`/` for
    /// the running system; an image's root at install time).
    pub root: PathBuf,
}

impl Default for Config {
    /// ABI [`MAX_ABI`], strict, root `/`.
    fn default() -> Self {
        Config {
            abi: MAX_ABI,
            compatibility: Compatibility::Strict,
            root: PathBuf::from("/"),
        }
    }
}

/// A path-beneath rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRule {
    /// The path (symlinks resolved at plan time), opened when the ruleset is built.
    pub path: String,
    /// What must be there: a rule whose path holds something else is left out.
    #[serde(rename = "type")]
    pub path_type: PathType,
    /// The rights granted on it and, for a directory, on everything beneath it.
    pub access: FsAccess,
    /// The IR file rules (indices) it comes from.
    pub rules: Vec<usize>,
}

/// A network port rule (one Landlock rule per port when enforced).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRule {
    /// The ports.
    pub ports: PortRange,
    /// The rights granted on them.
    pub access: NetAccess,
}

/// Why something the policy refuses is allowed anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GapKind {
    /// No Landlock ABI polc targets can restrict it.
    Inherent,
    /// A newer ABI than the target (or the running kernel's) restricts it.
    Abi,
    /// The policy's own rules make it unrestrictable (see the widened entries).
    Policy,
}

/// Something the policy refuses (by default deny) that the kernel will allow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// What, e.g. `lock`, `net connect udp`, `signal receive`.
    pub what: String,
    /// Why it cannot be restricted.
    pub kind: GapKind,
    /// The requests it lets through, when they form a class `explain --target` can
    /// match (network operations); the report's `unrestricted` lists these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessClass>,
    /// For [`GapKind::Abi`]: the ABI that restricts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_abi: Option<u8>,
    /// One line.
    pub reason: String,
}

/// How the report changes on a kernel with an older ABI than the plan's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelFallback {
    /// The kernel's ABI (0: no Landlock).
    pub abi: u8,
    /// The report's entries for every subject whose entries differ from the plan's.
    pub entries: Vec<RuleFidelity>,
    /// What is not restricted on such a kernel.
    pub unrestricted: Vec<Gap>,
}

/// The Landlock ruleset polc builds for a policy, with its fidelity report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The policy's name.
    pub policy: String,
    /// The target ABI.
    pub abi: u8,
    /// Strict or best effort (also applied when enforcing).
    pub compatibility: Compatibility,
    /// The root globs were resolved against.
    pub root: String,
    /// Filesystem rights the ruleset handles (refused unless a path rule grants them).
    pub handled_fs: FsAccess,
    /// Network rights the ruleset handles.
    pub handled_net: NetAccess,
    /// Scopes (ABI ≥ 6).
    pub scopes: Scopes,
    /// Path-beneath rules, sorted by path.
    pub paths: Vec<PathRule>,
    /// Port rules, sorted.
    pub ports: Vec<PortRule>,
    /// Capabilities the confined process may keep; every other is dropped.
    pub capabilities: Vec<String>,
    /// What the policy refuses but the kernel will allow, at the target ABI.
    pub unrestricted: Vec<Gap>,
    /// Per rule: how exactly it is enforced at the target ABI.
    pub report: FidelityReport,
    /// How the report degrades on kernels with an older ABI (only ABIs that differ).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub older_kernels: Vec<KernelFallback>,
}

impl Plan {
    /// The stable JSON form (pretty, with a trailing newline).
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        match self.write_json(&mut out) {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
        }
    }

    /// Write [`Plan::to_json`]'s text to `w` as it is serialised, without holding it
    /// whole: the JSON of a large policy's plan is as large as the plan itself.
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        w.write_all(b"\n")
    }

    /// The report and the gaps on a kernel of ABI `abi` (0: no Landlock).
    pub fn report_for(&self, abi: u8) -> (FidelityReport, Vec<Gap>) {
        if abi >= self.abi {
            return (self.report.clone(), self.unrestricted.clone());
        }
        let Some(fb) = self.older_kernels.iter().find(|f| f.abi == abi) else {
            return (self.report.clone(), self.unrestricted.clone());
        };
        let changed: BTreeSet<Subject> = fb.entries.iter().map(|e| e.subject).collect();
        let mut entries: Vec<RuleFidelity> = self
            .report
            .entries
            .iter()
            .filter(|e| !changed.contains(&e.subject))
            .cloned()
            .collect();
        entries.extend(fb.entries.iter().cloned());
        entries.sort_by_key(|e| e.subject);
        let report = FidelityReport {
            backend: self.report.backend.clone(),
            target: format!("abi {abi}"),
            entries,
            unrestricted: unrestricted(&fb.unrestricted),
        };
        (report, fb.unrestricted.clone())
    }
}

/// The entries of a report grouped by subject, each group in the report's order.
fn by_subject(entries: &[RuleFidelity]) -> BTreeMap<Subject, Vec<&RuleFidelity>> {
    let mut groups: BTreeMap<Subject, Vec<&RuleFidelity>> = BTreeMap::new();
    for e in entries {
        groups.entry(e.subject).or_default().push(e);
    }
    groups
}

/// Plan the Landlock ruleset for `policy`.
pub fn plan(policy: &Policy, config: &Config) -> Result<Plan, Error> {
    if !(1..=MAX_ABI).contains(&config.abi) {
        return Err(Error::UnsupportedAbi { abi: config.abi });
    }
    let fs = FsView::new(&config.root);
    let files = files::analyse(policy, &fs)?;
    let target = render(policy, &files, config.abi, Detail::Plan);
    let planned = by_subject(&target.report.entries);
    let mut older = Vec::new();
    for abi in (0..config.abi).rev() {
        // The entries of every subject whose entries differ from the plan's, in the
        // report's order: the file rules' first, made and compared one rule at a time.
        let mut entries: Vec<RuleFidelity> = Vec::new();
        for (i, rule) in policy.files.iter().enumerate() {
            let mine = file_rule_entries(&files, abi, i, rule);
            let subject = Subject::Rule {
                list: RuleListKind::File,
                index: i,
            };
            let differs = planned
                .get(&subject)
                .is_none_or(|p| !p.iter().copied().eq(&mine));
            if !mine.is_empty() && differs {
                entries.extend(mine);
            }
        }
        let r = render(policy, &files, abi, Detail::Fallback);
        let fallback = by_subject(&r.report.entries);
        entries.extend(
            r.report
                .entries
                .iter()
                .filter(|e| fallback.get(&e.subject) != planned.get(&e.subject))
                .cloned(),
        );
        if !entries.is_empty() || r.gaps != target.gaps {
            older.push(KernelFallback {
                abi,
                entries,
                unrestricted: r.gaps,
            });
        }
    }
    let plan = Plan {
        policy: policy.name.to_string(),
        abi: config.abi,
        compatibility: config.compatibility,
        root: config.root.display().to_string(),
        handled_fs: target.handled_fs,
        handled_net: target.handled_net,
        scopes: target.scopes,
        paths: target.paths,
        ports: target.ports,
        capabilities: target.capabilities,
        unrestricted: target.gaps,
        report: target.report,
        older_kernels: older,
    };
    if config.compatibility == Compatibility::Strict {
        let mut problems = strict_problems(&plan.report, &plan.unrestricted);
        if policy.mode == Mode::Complain {
            problems.push("complain mode: Landlock cannot only log violations".to_string());
        }
        for e in &files.expansions {
            problems.push(format!(
                "`{}` would be expanded against the filesystem at plan time",
                e.glob
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Strict { problems });
        }
    }
    Ok(plan)
}

/// What strict mode refuses in a report and its gaps.
pub(crate) fn strict_problems(report: &FidelityReport, gaps: &[Gap]) -> Vec<String> {
    let mut out: Vec<String> = report
        .strict_violations()
        .map(|e| {
            let at = e
                .origins
                .first()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default();
            format!("{} `{}`{at}: {}", e.fidelity, e.rule, e.reason)
        })
        .collect();
    for g in gaps.iter().filter(|g| g.kind == GapKind::Abi) {
        out.push(format!("{} is not restricted: {}", g.what, g.reason));
    }
    out
}

struct Rendered {
    handled_fs: FsAccess,
    handled_net: NetAccess,
    scopes: Scopes,
    paths: Vec<PathRule>,
    ports: Vec<PortRule>,
    capabilities: Vec<String>,
    gaps: Vec<Gap>,
    report: FidelityReport,
}

/// How much of a ruleset [`render`] makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Everything: the plan's ruleset and report.
    Plan,
    /// For an older kernel: the report and the gaps, without the path rules and the
    /// file rules' entries, which are compared rule by rule instead of held whole.
    Fallback,
}

/// The ruleset and its report at ABI `abi` (0: a kernel without Landlock).
fn render(policy: &Policy, files: &FileAnalysis, abi: u8, detail: Detail) -> Rendered {
    let paths = match detail {
        Detail::Plan => path_rules(policy, files, abi),
        Detail::Fallback => Vec::new(),
    };
    let net = others::net(policy, abi);
    let mut sig = others::signals(policy, abi);
    let ux = crate::unix::plan(policy, abi);
    if !ux.abstract_scoped {
        sig.scopes = sig
            .scopes
            .difference(crate::access::Scopes::ABSTRACT_UNIX_SOCKET);
    }
    let (capabilities, cap_verdicts) = others::capabilities(policy);
    let mut gaps = file_gaps(policy, abi);
    gaps.extend(net.gaps);
    gaps.extend(sig.gaps);
    gaps.extend(ux.gaps);
    gaps.extend(crate::dbus::gaps(policy));

    let mut entries = match detail {
        Detail::Plan => file_entries(policy, files, abi),
        Detail::Fallback => Vec::new(),
    };
    entries.extend(net_entries(policy, net.verdicts, abi));
    entries.extend(capability_entries(policy, cap_verdicts, abi));
    entries.extend(signal_entries(policy, sig.verdicts, abi));
    entries.extend(socket_entries(policy, ux.unix, ux.families, abi));
    entries.extend(mode_entries(policy, abi));
    entries.extend(child_entries(policy));
    let report_unrestricted = unrestricted(&gaps);
    let (handled_fs, handled_net) = if abi == 0 {
        (FsAccess::EMPTY, NetAccess::EMPTY)
    } else {
        (FsAccess::all(abi), net.handled)
    };
    Rendered {
        handled_fs,
        handled_net,
        scopes: sig.scopes,
        paths,
        ports: net
            .ports
            .into_iter()
            .map(|(ports, access)| PortRule { ports, access })
            .collect(),
        capabilities,
        gaps,
        report: FidelityReport {
            backend: "landlock".into(),
            target: format!("abi {abi}"),
            entries,
            unrestricted: report_unrestricted,
        },
    }
}

/// The path-beneath rules: per granted path, the union of the Landlock rights of the
/// rules that grant it (a file keeps only the rights a file can take); a path left
/// with no right gets no rule, and a kernel without Landlock (ABI 0) gets none.
fn path_rules(policy: &Policy, files: &FileAnalysis, abi: u8) -> Vec<PathRule> {
    if abi == 0 {
        return Vec::new();
    }
    let mut paths = Vec::new();
    for ((path, ty), from) in &files.grants {
        let mut access = FsAccess::EMPTY;
        for (rule, rights) in from {
            // A directory-only rule makes and removes directories only.
            let dir_only = policy.files.get(*rule).is_some_and(|f| f.dir_only);
            for r in rights.iter() {
                access |= fs_bits(r, abi) & dir_bits(dir_only);
            }
        }
        if *ty == PathType::File {
            access = access & FsAccess::FILE_ONLY;
        }
        if access.is_empty() {
            continue;
        }
        paths.push(PathRule {
            path: path.clone(),
            path_type: *ty,
            access,
            rules: from.keys().copied().collect(),
        });
    }
    paths
}

/// The report entries of the file rules: per rule, its rights grouped by verdict (the
/// analysis's verdict adjusted to the ABI and the rule's qualifiers), one entry per
/// group, citing the origins that name one of the group's rights.
fn file_entries(policy: &Policy, files: &FileAnalysis, abi: u8) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    for (i, rule) in policy.files.iter().enumerate() {
        entries.extend(file_rule_entries(files, abi, i, rule));
    }
    entries
}

/// The report entries of file rule `i` ([`file_entries`]).
fn file_rule_entries(
    files: &FileAnalysis,
    abi: u8,
    i: usize,
    rule: &FileRule,
) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    {
        let verdicts = files.verdicts.get(i).cloned().unwrap_or_default();
        let adjusted: Vec<(Right, Verdict)> = verdicts
            .into_iter()
            .map(|(r, v)| {
                let mut v = adjust(v, rule.effect, r, abi);
                v.and(qualifiers(rule.audit, rule.owner, rule.effect, abi));
                (r, v)
            })
            .collect();
        let mut groups: Vec<(Rights, Verdict)> = Vec::new();
        for (r, v) in adjusted {
            match groups.iter_mut().find(|(_, g)| *g == v) {
                Some((rs, _)) => *rs = rs.insert(r),
                None => groups.push((Rights::one(r), v)),
            }
        }
        for (rights, v) in groups {
            let origins = rule
                .origins
                .iter()
                .filter(|o| !o.rights.intersection(rights).is_empty())
                .map(|o| o.origin.clone())
                .collect();
            entries.extend(entry(
                Subject::Rule {
                    list: RuleListKind::File,
                    index: i,
                },
                Some(rights),
                v,
                file_text(rule),
                origins,
            ));
        }
    }
    entries
}

/// The report entries of the network port rules: the planned verdict (what no
/// Landlock makes of the rule at ABI 0) with the rule's qualifiers.
fn net_entries(policy: &Policy, verdicts: Vec<Verdict>, abi: u8) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    for (i, (rule, v)) in policy.net.iter().zip(verdicts).enumerate() {
        let mut v = at_abi(v, rule.effect, abi);
        v.and(qualifiers(rule.audit, false, rule.effect, abi));
        let ports = if rule.ports == PortRange::ALL {
            String::new()
        } else {
            format!(" {}", rule.ports)
        };
        let op = match rule.op {
            NetOp::Connect => "connect",
            NetOp::Bind => "bind",
        };
        let proto = polc_lang::ir::text::proto_word(rule.proto, rule.family);
        let text = format!(
            "{}{} net {op} {proto}{ports}",
            audit_word(rule.audit),
            rule.effect.keyword()
        );
        entries.extend(rule_entry(
            RuleListKind::Net,
            i,
            v,
            text,
            rule.origins.clone(),
        ));
    }
    entries
}

/// The report entries of the capability rules: the planned verdict with the rule's
/// qualifiers, at every ABI (capabilities are dropped without Landlock too).
fn capability_entries(policy: &Policy, verdicts: Vec<Verdict>, abi: u8) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    for (i, (rule, v)) in policy.capabilities.iter().zip(verdicts).enumerate() {
        let mut v = v;
        v.and(qualifiers(rule.audit, false, rule.effect, abi));
        let text = format!(
            "{}{} capability {}",
            audit_word(rule.audit),
            rule.effect.keyword(),
            rule.capability
        );
        entries.extend(rule_entry(
            RuleListKind::Capability,
            i,
            v,
            text,
            rule.origins.clone(),
        ));
    }
    entries
}

/// The report entries of the signal rules: the planned verdict (what no Landlock
/// makes of the rule at ABI 0) with the rule's qualifiers.
fn signal_entries(policy: &Policy, verdicts: Vec<Verdict>, abi: u8) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    for (i, (rule, v)) in policy.signals.iter().zip(verdicts).enumerate() {
        let mut v = at_abi(v, rule.effect, abi);
        v.and(qualifiers(rule.audit, false, rule.effect, abi));
        let (dir, prep) = match rule.direction {
            SignalDir::Send => ("send", "to"),
            SignalDir::Receive => ("receive", "from"),
        };
        let sigs: Vec<&str> = rule.signals.iter().map(String::as_str).collect();
        let sigs = if sigs.is_empty() {
            String::new()
        } else {
            format!(" {}", sigs.join(", "))
        };
        let text = format!(
            "{}{} signal {dir}{sigs} {prep} {}",
            audit_word(rule.audit),
            rule.effect.keyword(),
            rule.peer
        );
        entries.extend(rule_entry(
            RuleListKind::Signal,
            i,
            v,
            text,
            rule.origins.clone(),
        ));
    }
    entries
}

/// The report entries of the unix, socket family, ptrace and D-Bus rules: the planned
/// verdict, or what no Landlock makes of the rule at ABI 0 (they have no qualifiers
/// Landlock would weigh).
fn socket_entries(
    policy: &Policy,
    unix: Vec<Verdict>,
    families: Vec<Verdict>,
    abi: u8,
) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    for (i, (rule, v)) in policy.unix.iter().zip(unix).enumerate() {
        let v = at_abi(v, rule.effect, abi);
        entries.extend(rule_entry(
            RuleListKind::Unix,
            i,
            v,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    for (i, (rule, v)) in policy.net_families.iter().zip(families).enumerate() {
        let v = at_abi(v, rule.effect, abi);
        entries.extend(rule_entry(
            RuleListKind::NetFamily,
            i,
            v,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    for (i, (rule, v)) in policy
        .ptrace
        .iter()
        .zip(crate::ptrace::verdicts(policy))
        .enumerate()
    {
        let v = at_abi(v, rule.effect, abi);
        entries.extend(rule_entry(
            RuleListKind::Ptrace,
            i,
            v,
            polc_lang::ir::ptrace::ptrace_rule_text(rule),
            rule.origins.clone(),
        ));
    }
    for (i, (rule, v)) in policy
        .dbus
        .iter()
        .zip(crate::dbus::verdicts(policy))
        .enumerate()
    {
        let v = at_abi(v, rule.effect, abi);
        entries.extend(rule_entry(
            RuleListKind::Dbus,
            i,
            v,
            rule.text(),
            rule.origins.clone(),
        ));
    }
    entries
}

/// The report entry of complain mode: narrowed wherever Landlock runs (it refuses
/// what the policy would only log); none without Landlock or in enforce mode.
fn mode_entries(policy: &Policy, abi: u8) -> Vec<RuleFidelity> {
    if policy.mode != Mode::Complain || abi == 0 {
        return Vec::new();
    }
    entry(
        Subject::Mode,
        None,
        Verdict::new(
            Fidelity::Narrowed,
            "Landlock has no complain mode: violations are refused, not only logged",
        ),
        Mode::Complain.statement().into(),
        Vec::new(),
    )
}

/// The report entries of the child policies and hats: unsupported, as Landlock can
/// neither switch rulesets at exec nor leave a domain.
fn child_entries(policy: &Policy) -> Vec<RuleFidelity> {
    let mut entries = Vec::new();
    for (i, c) in policy.children.iter().enumerate() {
        let why = match c.kind {
            polc_lang::ir::ChildKind::Child => {
                "Landlock cannot switch to another ruleset at exec: a program run `as child` \
                 keeps this policy's domain; a ruleset it stacks itself could only narrow it"
            }
            polc_lang::ir::ChildKind::Hat => {
                "Landlock has no hats (`change_hat`): a domain can only be narrowed, never left"
            }
        };
        entries.extend(entry(
            Subject::Child { child: i },
            None,
            Verdict::new(Fidelity::Unsupported, why),
            format!("{} {}", c.kind.keyword(), c.policy.name),
            vec![c.origin.clone()],
        ));
    }
    entries
}

/// A rule's verdict on a kernel of ABI `abi`: the planned one, or without Landlock
/// (ABI 0) what the kernel does with the rule's effect and no ruleset at all.
fn at_abi(v: Verdict, effect: Effect, abi: u8) -> Verdict {
    if abi == 0 {
        absent(effect)
    } else {
        v
    }
}

/// The report entries of rule `index` of a list whose entries name no rights.
fn rule_entry(
    list: RuleListKind,
    index: usize,
    v: Verdict,
    text: String,
    origins: Vec<polc_lang::ir::Origin>,
) -> Vec<RuleFidelity> {
    entry(Subject::Rule { list, index }, None, v, text, origins)
}

/// The report's `unrestricted` requests: the gaps that name a class of requests.
fn unrestricted(gaps: &[Gap]) -> Vec<Unrestricted> {
    gaps.iter()
        .filter_map(|g| {
            g.access.map(|access| Unrestricted {
                access,
                reason: g.reason.clone(),
            })
        })
        .collect()
}

/// The report entries of one verdict: one, or two when it narrows and widens.
fn entry(
    subject: Subject,
    rights: Option<Rights>,
    v: Verdict,
    rule: String,
    origins: Vec<polc_lang::ir::Origin>,
) -> Vec<RuleFidelity> {
    v.parts()
        .into_iter()
        .map(|(fidelity, reason)| {
            RuleFidelity::new(subject, fidelity, reason, rule.clone(), origins.clone())
                .for_rights(rights)
        })
        .collect()
}

/// The Landlock rights a directory-only rule may use: those about directories
/// (`make_dir`, `remove_dir`, `read_dir`, `refer`); every right for other rules.
fn dir_bits(dir_only: bool) -> FsAccess {
    if dir_only {
        FsAccess::MAKE_DIR | FsAccess::REMOVE_DIR | FsAccess::READ_DIR | FsAccess::REFER
    } else {
        FsAccess::all(u8::MAX)
    }
}

fn file_text(rule: &polc_lang::ir::FileRule) -> String {
    let mut s = format!(
        "{}{}{} {} \"{}\"",
        audit_word(rule.audit),
        rule.effect.keyword(),
        if rule.owner { " owner" } else { "" },
        rule.rights,
        rule.path_text()
    );
    s.push_str(&rule.exec_mode.suffix(rule.exec_as.as_ref()));
    s
}

/// The fidelity of an allowed exec with an exec mode: Landlock keeps the executed program
/// in this policy's domain (a domain is inherited across exec and can only be narrowed).
pub(crate) fn exec_mode_verdict(rule: &FileRule) -> Verdict {
    let to = rule.exec_as.as_ref().map_or("", |n| n.as_str());
    match rule.exec_mode {
        ExecMode::Plain => Verdict::exact(),
        ExecMode::Fallback => Verdict::new(
            Fidelity::Narrowed,
            format!(
                "the executed program always stays in this Landlock domain (the `else inherit` \
                 branch), never under `{to}`"
            ),
        ),
        ExecMode::Child => Verdict::new(
            Fidelity::Widened,
            format!(
                "the executed program stays in this Landlock domain instead of the child `{to}`: \
                 it gets this policy's access, not the child's"
            ),
        ),
        ExecMode::Unconfined => Verdict::new(
            Fidelity::Unsupported,
            "Landlock cannot leave a domain: the executed program stays confined by this policy",
        ),
    }
}

fn audit_word(audit: bool) -> &'static str {
    if audit {
        "audit "
    } else {
        ""
    }
}

/// What Landlock makes of a rule's `audit` and `owner`: it cannot condition on the
/// file's owner, logs no allowed access, and logs denials from ABI 7 on.
fn qualifiers(audit: bool, owner: bool, effect: Effect, abi: u8) -> Verdict {
    let mut v = Verdict::exact();
    if owner {
        v.and(match effect {
            Effect::Allow => Verdict::new(
                Fidelity::Widened,
                "Landlock cannot condition on the file's owner: granted whoever owns the file",
            ),
            Effect::Deny => Verdict::new(
                Fidelity::Narrowed,
                "Landlock cannot condition on the file's owner: refused whoever owns the file",
            ),
        });
    }
    if audit {
        match effect {
            Effect::Allow => v.and(Verdict::new(
                Fidelity::Unsupported,
                "Landlock logs no allowed access: the rule is enforced but not audited",
            )),
            Effect::Deny if abi < crate::LOG_DENIALS_ABI => v.and(Verdict::new(
                Fidelity::Unsupported,
                "Landlock logs denials from ABI 7 on: the rule is enforced but not audited",
            )),
            Effect::Deny => {}
        }
    }
    v
}

/// Without Landlock: what is allowed stays allowed, nothing is refused.
fn absent(effect: Effect) -> Verdict {
    match effect {
        Effect::Allow => Verdict::exact(),
        Effect::Deny => Verdict::new(
            Fidelity::Unsupported,
            "Landlock is not available: nothing is restricted",
        ),
    }
}

/// The ABI-dependent part of a file rule's verdict.
fn adjust(v: Verdict, effect: Effect, r: Right, abi: u8) -> Verdict {
    if abi == 0 {
        return absent(effect);
    }
    let mut v = v;
    if effect == Effect::Deny && r == Right::Write && abi < 3 {
        v.and(Verdict::new(
            Fidelity::Widened,
            "truncate(2) is not restricted before Landlock ABI 3",
        ));
    }
    if effect == Effect::Allow && matches!(r, Right::Link | Right::Rename) && abi < 2 {
        v.and(Verdict::new(
            Fidelity::Narrowed,
            "before Landlock ABI 2, links and renames across directories are always refused",
        ));
    }
    v
}

/// Rights the policy refuses somewhere that the kernel will not restrict.
fn file_gaps(policy: &Policy, abi: u8) -> Vec<Gap> {
    let everywhere =
        |r: Right| {
            let whole = polc_lang::glob::Glob::parse("/**").ok();
            whole.is_some_and(|w| {
                policy.files.iter().any(|f| {
                    f.effect == Effect::Allow && f.rights.contains(r) && w.is_subset(&f.glob)
                }) && !policy
                    .files
                    .iter()
                    .any(|f| f.effect == Effect::Deny && f.rights.contains(r))
            })
        };
    let mut gaps = Vec::new();
    if abi == 0 {
        gaps.push(Gap {
            what: "file access".into(),
            kind: GapKind::Abi,
            access: None,
            since_abi: Some(1),
            reason: "Landlock is not available".into(),
        });
        return gaps;
    }
    for r in [Right::MapExec, Right::Lock] {
        if !everywhere(r) {
            gaps.push(Gap {
                what: r.name().into(),
                kind: GapKind::Inherent,
                access: None,
                since_abi: None,
                reason: format!("Landlock has no access right for `{r}`"),
            });
        }
    }
    if abi < 3 && !everywhere(Right::Write) {
        gaps.push(Gap {
            what: "write (truncate)".into(),
            kind: GapKind::Abi,
            access: None,
            since_abi: Some(3),
            reason: "Landlock restricts truncate(2) from ABI 3".into(),
        });
    }
    gaps
}
