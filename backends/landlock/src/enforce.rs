//! Enforcement: build the ruleset from a [`Plan`], then apply it to the calling process
//! ([`restrict_self`]) or to a child between fork and exec ([`CommandExt::confine`]).

use crate::access::{FsAccess, NetAccess, Scopes};
use crate::files::PathType;
use crate::plan::{strict_problems, Compatibility, Gap, Plan};
use crate::sys::{self, CapPlan};
use crate::Error;
use landlock::{
    AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, RestrictSelfAttr,
    Ruleset, RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope,
};
use polc_lang::fidelity::{Fidelity, FidelityReport, RuleFidelity, RuleListKind, Subject};
use serde::Serialize;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// Options of enforcement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnforceOptions {
    /// Behave as if the running kernel's Landlock ABI were at most this (0: as if
    /// Landlock were missing). For testing what older kernels get; `None`: the real ABI.
    pub assume_kernel_abi: Option<u8>,
    /// Ask the kernel to log the denials of the confined program after its exec
    /// (`LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON`, Landlock ABI ≥ 7): the records
    /// (`type=1423`, `AUDIT_LANDLOCK_ACCESS`) go to the audit log, or to the kernel log
    /// when no audit daemon runs, when the kernel's audit is enabled. Older kernels
    /// cannot: [`Status::denials_logged`] then says false. Used by
    /// [`Prepared::install`] only (a process that restricts itself logs its own denials
    /// by default).
    pub log_denials: bool,
}

/// How much of the plan the kernel enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    /// Everything the plan asks for.
    Full,
    /// Landlock restricts the process, but not everything the plan asks for (see the
    /// report, `unrestricted` and `skipped`).
    Partial,
    /// Landlock does not restrict the process at all.
    None,
}

/// The `landlock` crate's verdict on the ruleset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RulesetState {
    /// Every requested access right is handled by the kernel.
    FullyEnforced,
    /// Some are.
    PartiallyEnforced,
    /// None are.
    NotEnforced,
}

impl From<RulesetStatus> for RulesetState {
    fn from(s: RulesetStatus) -> Self {
        match s {
            RulesetStatus::FullyEnforced => RulesetState::FullyEnforced,
            RulesetStatus::PartiallyEnforced => RulesetState::PartiallyEnforced,
            RulesetStatus::NotEnforced => RulesetState::NotEnforced,
        }
    }
}

/// Which threads the restriction covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Threads {
    /// A child between fork and exec, or a single-threaded process: all of it.
    Whole,
    /// Every thread of the process (Landlock ABI ≥ 8's thread synchronization).
    AllThreads,
    /// Only the calling thread (and what it starts afterwards): other threads that
    /// already run are not restricted.
    CallingThread,
}

/// What happened to the capability sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapabilityStatus {
    /// The capabilities the policy allows (every other one is removed).
    pub kept: Vec<String>,
    /// Capabilities that were held (permitted, inheritable, ambient or bounding) and
    /// are removed.
    pub dropped: Vec<String>,
    /// True when the bounding set holds no capability outside `kept` afterwards. False
    /// without `CAP_SETPCAP`: then the other sets are still reduced and `no_new_privs`
    /// keeps an exec from gaining anything, so the process holds no capability outside
    /// `kept` either way.
    pub bounding_set_reduced: bool,
}

/// A path rule that was left out when the ruleset was built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The rule's path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What the running kernel enforces for a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Full, partial or none.
    pub enforcement: Enforcement,
    /// The kernel's Landlock ABI as used (0: no Landlock).
    pub kernel_abi: u8,
    /// The `landlock` crate's ruleset status (`RestrictionStatus::ruleset`).
    pub landlock: RulesetState,
    /// `no_new_privs` is set.
    pub no_new_privs: bool,
    /// Which threads are restricted.
    pub threads: Threads,
    /// The capability reduction.
    pub capabilities: CapabilityStatus,
    /// Per rule, what this kernel enforces.
    pub report: FidelityReport,
    /// What the policy refuses and this kernel allows.
    pub unrestricted: Vec<Gap>,
    /// Path rules left out (missing paths, or a different type than planned).
    pub skipped: Vec<Skipped>,
    /// The kernel is asked to log the denials of the confined program after exec
    /// ([`EnforceOptions::log_denials`] on a kernel with Landlock ABI ≥ 7).
    pub denials_logged: bool,
}

/// The Landlock ABI that can log denials after exec.
pub const LOG_DENIALS_ABI: u8 = 7;

/// A ruleset built from a plan, ready to be applied.
pub struct Prepared {
    ruleset: Option<RulesetCreated>,
    caps: CapPlan,
    status: Status,
    compatibility: Compatibility,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

fn keep_mask(plan: &Plan) -> u64 {
    plan.capabilities
        .iter()
        .filter_map(|c| crate::caps::number(c))
        .fold(0u64, |m, n| m | (1u64 << n.min(63)))
}

fn names(mask: u64) -> Vec<String> {
    (0..64u32)
        .filter(|n| mask & (1u64 << n) != 0)
        .map(|n| crate::caps::name(n).map_or_else(|| format!("cap{n}"), str::to_string))
        .collect()
}

/// Open a plan path without following a final symlink, and check its type.
fn open_rule_path(path: &str, ty: PathType) -> Result<OwnedFd, String> {
    let c = std::ffi::CString::new(std::ffi::OsStr::new(path).as_bytes())
        .map_err(|_| "the path holds a NUL byte".to_string())?;
    // SAFETY: `c` is a valid C string; O_PATH opens without reading anything.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        )
    };
    if fd < 0 {
        return Err(format!(
            "cannot open it: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let file = std::fs::File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot stat it: {e}"))?;
    let ft = meta.file_type();
    let found = if ft.is_symlink() {
        return Err("it is now a symlink".to_string());
    } else if ft.is_dir() {
        PathType::Dir
    } else {
        PathType::File
    };
    if found != ty {
        return Err(match ty {
            PathType::Dir => "it is not a directory".to_string(),
            PathType::File => "it is now a directory".to_string(),
        });
    }
    Ok(OwnedFd::from(file))
}

fn fs_flags(a: FsAccess) -> BitFlags<AccessFs> {
    BitFlags::<AccessFs>::from_bits_truncate(a.bits())
}

fn net_flags(a: NetAccess) -> BitFlags<AccessNet> {
    BitFlags::<AccessNet>::from_bits_truncate(a.bits())
}

fn scope_flags(a: Scopes) -> BitFlags<Scope> {
    BitFlags::<Scope>::from_bits_truncate(a.bits())
}

impl Prepared {
    /// Build the ruleset for `plan` on the running kernel (before any fork).
    ///
    /// In strict mode this fails when the kernel cannot give what the plan promises.
    pub fn new(plan: &Plan, opts: &EnforceOptions) -> Result<Prepared, Error> {
        let real = sys::kernel_abi();
        let kernel = opts.assume_kernel_abi.map_or(real, |a| a.min(real));
        let strict = plan.compatibility == Compatibility::Strict;
        let (mut report, unrestricted) = plan.report_for(kernel);
        if strict {
            if kernel == 0 {
                return Err(Error::NoLandlock);
            }
            if kernel < plan.abi {
                let problems = strict_problems(&report, &unrestricted);
                let lost =
                    report.entries != plan.report.entries || unrestricted != plan.unrestricted;
                if lost {
                    let mut problems = problems;
                    if problems.is_empty() {
                        problems.push("some rules are enforced less exactly".to_string());
                    }
                    return Err(Error::KernelTooOld {
                        kernel,
                        planned: plan.abi,
                        problems,
                    });
                }
            }
        }
        let used = kernel.min(plan.abi);
        let handled_fs = plan.handled_fs & FsAccess::all(used);
        let handled_net = plan.handled_net & NetAccess::all(used);
        let scopes = plan.scopes & Scopes::all(used);
        let full = handled_fs == plan.handled_fs
            && handled_net == plan.handled_net
            && scopes == plan.scopes;
        let mut skipped = Vec::new();
        let ruleset = if kernel == 0 {
            None
        } else {
            // Only what the kernel (or the assumed ABI) knows is requested, so that an
            // assumed older ABI is enforced exactly as such a kernel would.
            let mut rs = Ruleset::default()
                .set_compatibility(CompatLevel::BestEffort)
                .handle_access(fs_flags(handled_fs))?;
            if !handled_net.is_empty() {
                rs = rs.handle_access(net_flags(handled_net))?;
            }
            if !scopes.is_empty() {
                rs = rs.scope(scope_flags(scopes))?;
            }
            let mut created = rs.create()?;
            for rule in &plan.paths {
                let access = rule.access & FsAccess::all(used);
                if access.is_empty() {
                    continue;
                }
                match open_rule_path(&rule.path, rule.path_type) {
                    Ok(fd) => {
                        created = created.add_rule(PathBeneath::new(fd, fs_flags(access)))?;
                    }
                    Err(why) => {
                        for &i in &rule.rules {
                            degrade(&mut report, i, &rule.path, &why);
                        }
                        skipped.push(Skipped {
                            path: rule.path.clone(),
                            reason: why,
                        });
                    }
                }
            }
            if used >= 4 {
                for rule in &plan.ports {
                    for port in rule.ports.lo..=rule.ports.hi {
                        created = created.add_rule(NetPort::new(port, net_flags(rule.access)))?;
                    }
                }
            }
            Some(created.no_new_privs(true))
        };
        let caps = CapPlan::new(keep_mask(plan)).map_err(|e| Error::Os {
            what: "read the capability sets".into(),
            source: e,
        })?;
        let landlock = match (kernel, full) {
            (0, _) => RulesetState::NotEnforced,
            (_, true) => RulesetState::FullyEnforced,
            (_, false) => RulesetState::PartiallyEnforced,
        };
        let enforcement = match landlock {
            RulesetState::NotEnforced => Enforcement::None,
            RulesetState::FullyEnforced if skipped.is_empty() => Enforcement::Full,
            _ => Enforcement::Partial,
        };
        let capabilities = CapabilityStatus {
            kept: plan.capabilities.clone(),
            dropped: names(caps.dropped),
            bounding_set_reduced: caps.bounding_dropped(),
        };
        report.target = format!("abi {kernel}");
        let status = Status {
            enforcement,
            kernel_abi: kernel,
            landlock,
            no_new_privs: true,
            threads: Threads::Whole,
            capabilities,
            report,
            unrestricted,
            skipped,
            denials_logged: opts.log_denials && kernel >= LOG_DENIALS_ABI,
        };
        Ok(Prepared {
            ruleset,
            caps,
            status,
            compatibility: plan.compatibility,
        })
    }

    /// What will be enforced once applied.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Restrict the calling process: reduce its capabilities, set `no_new_privs`, and
    /// enforce the ruleset on every thread where the kernel can (Landlock ABI ≥ 8),
    /// else on the calling thread only. Irreversible.
    pub fn restrict_self(self) -> Result<Status, Error> {
        let Prepared {
            ruleset,
            caps,
            mut status,
            compatibility,
        } = self;
        status.denials_logged = false;
        let threads = sys::thread_count();
        let tsync = status.kernel_abi >= 8;
        if threads > 1 && compatibility == Compatibility::Strict && (!tsync || caps.dropped != 0) {
            return Err(Error::Threads { threads });
        }
        caps.apply().map_err(|e| Error::Os {
            what: "reduce the capability sets".into(),
            source: e,
        })?;
        match ruleset {
            Some(rs) => {
                // Thread synchronization (ABI ≥ 8) only matters with other threads; asking
                // for it elsewhere would make the crate report a partial enforcement.
                let rs = if threads > 1 {
                    rs.all_threads(true)?
                } else {
                    rs
                };
                let st = rs.restrict_self()?;
                let crate_view: RulesetState = st.ruleset.into();
                status.landlock = status.landlock.max(crate_view);
                status.no_new_privs = st.no_new_privs;
                status.threads = match (threads, st.all_threads) {
                    (1, _) => Threads::Whole,
                    (_, true) => Threads::AllThreads,
                    (_, false) => Threads::CallingThread,
                };
            }
            None => {
                sys::set_no_new_privs().map_err(|e| Error::Os {
                    what: "set no_new_privs".into(),
                    source: e,
                })?;
                status.threads = if threads == 1 {
                    Threads::Whole
                } else {
                    Threads::CallingThread
                };
            }
        }
        if status.threads == Threads::CallingThread && status.enforcement == Enforcement::Full {
            status.enforcement = Enforcement::Partial;
        }
        Ok(status)
    }

    /// Make `cmd` confine the child it spawns: between fork and exec, the child reduces
    /// its capabilities, sets `no_new_privs` and enforces the ruleset. The parent stays
    /// unrestricted. Returns what the child will get if it spawns (a failure of any
    /// step makes the spawn fail with that error).
    pub fn install(self, cmd: &mut Command) -> Status {
        let Prepared {
            ruleset,
            caps,
            status,
            ..
        } = self;
        let fd: Option<OwnedFd> = ruleset.and_then(Option::<OwnedFd>::from);
        let flags = if status.denials_logged {
            sys::RESTRICT_SELF_LOG_NEW_EXEC_ON
        } else {
            0
        };
        let hook = move || -> std::io::Result<()> {
            caps.apply()?;
            sys::set_no_new_privs()?;
            if let Some(fd) = &fd {
                sys::restrict_self_fd(fd.as_raw_fd(), flags)?;
            }
            Ok(())
        };
        // SAFETY: the hook only makes system calls on data prepared before the fork
        // (no allocation, no lock), which is async-signal-safe.
        unsafe {
            cmd.pre_exec(hook);
        }
        status
    }
}

/// Mark the entries of file rule `i` as narrowed because `path` was left out. A widened
/// entry keeps its widening and gets a narrowed entry beside it (one per direction).
fn degrade(report: &mut FidelityReport, i: usize, path: &str, why: &str) {
    let subject = Subject::Rule {
        list: RuleListKind::File,
        index: i,
    };
    let note = format!("`{path}` was left out of the ruleset: {why}");
    let mut widened = Vec::new();
    for e in report.entries.iter_mut().filter(|e| e.subject == subject) {
        match e.fidelity {
            Fidelity::Exact | Fidelity::Narrowed => {
                e.fidelity = Fidelity::Narrowed;
                if e.reason.is_empty() {
                    e.reason = note.clone();
                } else if !e.reason.contains(&note) {
                    e.reason = format!("{}; {note}", e.reason);
                }
            }
            Fidelity::Widened => widened.push(e.clone()),
            Fidelity::Unsupported => {}
        }
    }
    for w in widened {
        let twin = report.entries.iter().any(|e| {
            e.subject == subject && e.rights == w.rights && e.fidelity == Fidelity::Narrowed
        });
        if !twin {
            report.entries.push(RuleFidelity {
                fidelity: Fidelity::Narrowed,
                reason: note.clone(),
                ..w
            });
        }
    }
    report.entries.sort_by_key(|e| e.subject);
}

/// Restrict the calling process with `plan` (see [`Prepared::restrict_self`]).
///
/// Irreversible: call it in the process that should be confined, early, before it
/// starts threads.
pub fn restrict_self(plan: &Plan) -> Result<Status, Error> {
    Prepared::new(plan, &EnforceOptions::default())?.restrict_self()
}

/// Confine the children of a [`std::process::Command`].
pub trait CommandExt {
    /// Confine the child this command spawns with `plan` (see [`Prepared::install`]).
    fn confine(&mut self, plan: &Plan) -> Result<Status, Error>;

    /// [`CommandExt::confine`] with options.
    fn confine_with(&mut self, plan: &Plan, opts: &EnforceOptions) -> Result<Status, Error>;
}

impl CommandExt for Command {
    fn confine(&mut self, plan: &Plan) -> Result<Status, Error> {
        self.confine_with(plan, &EnforceOptions::default())
    }

    fn confine_with(&mut self, plan: &Plan, opts: &EnforceOptions) -> Result<Status, Error> {
        Ok(Prepared::new(plan, opts)?.install(self))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use polc_lang::rights::{Right, Rights};

    fn entry(index: usize, rights: Rights, fidelity: Fidelity, reason: &str) -> RuleFidelity {
        RuleFidelity {
            subject: Subject::Rule {
                list: RuleListKind::File,
                index,
            },
            rights: Some(rights),
            fidelity,
            reason: reason.into(),
            rule: format!("rule {index}"),
            origins: vec![],
        }
    }

    #[test]
    fn a_left_out_path_narrows_every_entry_of_its_rule() {
        let read = Rights::one(Right::Read);
        let create = Rights::one(Right::Create);
        let mut report = FidelityReport {
            backend: "landlock".into(),
            target: "abi 7".into(),
            entries: vec![
                entry(0, read, Fidelity::Exact, ""),
                entry(0, create, Fidelity::Widened, "renames"),
                entry(1, read, Fidelity::Exact, ""),
            ],
            unrestricted: Vec::new(),
        };
        degrade(&mut report, 0, "/srv/x", "not found");
        fn of(report: &FidelityReport, i: usize) -> Vec<(Option<Rights>, Fidelity)> {
            report
                .entries
                .iter()
                .filter(|e| {
                    e.subject
                        == Subject::Rule {
                            list: RuleListKind::File,
                            index: i,
                        }
                })
                .map(|e| (e.rights, e.fidelity))
                .collect()
        }
        assert_eq!(
            of(&report, 0),
            vec![
                (Some(read), Fidelity::Narrowed),
                (Some(create), Fidelity::Widened),
                (Some(create), Fidelity::Narrowed),
            ]
        );
        assert_eq!(of(&report, 1), vec![(Some(read), Fidelity::Exact)]);
        assert!(report.entries[0].reason.contains("`/srv/x` was left out"));
        assert_eq!(report.entries[1].reason, "renames");
        // twice: nothing more is added
        degrade(&mut report, 0, "/srv/x", "not found");
        assert_eq!(of(&report, 0).len(), 3);
    }
}
