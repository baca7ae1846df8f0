//! A `polc diff` report as text: each change with the rules behind it on both sides,
//! plug changes, and (`--target`) how each backend's enforcement changes.

use polc_lang::diff::target::{EnforcedRule, TargetDiff};
use polc_lang::diff::{
    rights_words, Change, Decided, Direction, PolicyField, Report, RuleCite, Side,
};
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::{Origin, SignalDir};
use std::fmt::Write;

/// The report for people.
pub fn human(report: &Report, old_file: &str, new_file: &str) -> String {
    let d = &report.diff;
    let mut s = String::new();
    let _ = writeln!(s, "--- {old_file} ({})", d.old);
    let _ = writeln!(s, "+++ {new_file} ({})", d.new);
    for (i, c) in d.changes.iter().enumerate() {
        s.push('\n');
        change(&mut s, c);
        for t in &report.targets {
            if let Some(cf) = t.changes.iter().find(|cf| cf.change == i) {
                let _ = writeln!(
                    s,
                    "    {}: {}",
                    backend_name(t),
                    enforcement(cf.fidelity, cf.old.iter().chain(cf.new.iter()))
                );
            }
        }
    }
    for t in &report.targets {
        if t.rules.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "\n{}: rules in both policies whose enforcement changed:",
            backend_name(t)
        );
        for r in &t.rules {
            let _ = writeln!(
                s,
                "  {}: {} → {}{}",
                r.rule,
                fidelities(&r.old),
                fidelities(&r.new),
                at(&r.origins)
            );
        }
    }
    if !report.plugs.is_empty() {
        s.push_str("\nplugs:\n");
        for p in &report.plugs {
            plug_change(&mut s, p);
        }
    }
    let sum = report.diff.summary();
    s.push('\n');
    if d.is_empty() && !report.plugs.is_empty() {
        let _ = writeln!(
            s,
            "no difference in the rules' meaning; {} plug change{}",
            report.plugs.len(),
            if report.plugs.len() == 1 { "" } else { "s" }
        );
    } else if d.is_empty() {
        let _ = writeln!(s, "no difference in meaning");
    } else {
        let _ = writeln!(
            s,
            "{} broadened, {} narrowed, {} changed",
            sum.broadened, sum.narrowed, sum.changed
        );
    }
    s
}

/// One plug change, marked `+` when it may give NEW more privileges, `-` otherwise.
fn plug_change(s: &mut String, p: &polc_lang::diff::PlugChange) {
    use polc_lang::diff::PlugChangeKind as K;
    let mark = if p.broadens { '+' } else { '-' };
    let what = format!("plug {} of {}", p.interface, p.framework);
    let line = match p.kind {
        K::Added if p.connected => format!("{what}: added, connected"),
        K::Added => format!("{what}: added, not connected (an administrator can connect it)"),
        K::Removed => format!("{what}: removed"),
        K::Connected => format!("{what}: connected (its grants reach the app)"),
        K::Disconnected => format!("{what}: disconnected"),
        K::Framework => format!("{what}: now provided by {}", p.framework),
        K::BecameApp => "the policy is now an app: its rules are bounded by its plugs".into(),
        K::NoLongerApp => {
            "the policy is no longer an app: its rules are no longer bounded by plugs".into()
        }
    };
    let _ = writeln!(s, "  {mark} {line}");
}

fn backend_name(t: &TargetDiff) -> String {
    if t.target.is_empty() {
        t.backend.clone()
    } else {
        format!("{} ({})", t.backend, t.target)
    }
}

/// `exact`, or the worst fidelity with the first reason given.
fn enforcement<'a>(worst: Fidelity, entries: impl Iterator<Item = &'a EnforcedRule>) -> String {
    let entries: Vec<&EnforcedRule> = entries.collect();
    if entries.iter().all(|e| e.fidelity.is_none()) {
        return "no fidelity entry for these rules".to_string();
    }
    match entries
        .iter()
        .find(|e| e.fidelity == Some(worst) && !e.reason.is_empty())
    {
        Some(e) => format!("{}: {} (`{}`)", with_acceptance(worst, e), e.reason, e.rule),
        None => worst.to_string(),
    }
}

fn fidelities(v: &[EnforcedRule]) -> String {
    let words: Vec<String> = v
        .iter()
        .map(|e| {
            let f = e
                .fidelity
                .map_or("no entry".to_string(), |f| with_acceptance(f, e));
            match e.rights {
                Some(r) => format!("{} {f}", rights_words(r)),
                None => f,
            }
        })
        .collect();
    words.join(", ")
}

/// `widened`, or `widened (accepted: REASON)` when the policy accepts it.
pub fn with_acceptance(f: Fidelity, e: &EnforcedRule) -> String {
    match &e.accepted {
        Some(reason) => format!("{f} (accepted: {reason})"),
        None => f.to_string(),
    }
}

/// `  (file:line:col, ...)` or nothing.
fn at(origins: &[Origin]) -> String {
    if origins.is_empty() {
        return String::new();
    }
    let list: Vec<String> = origins.iter().map(Origin::to_string).collect();
    format!("  ({})", list.join(", "))
}

fn rule_list(rules: &[RuleCite]) -> String {
    let list: Vec<String> = rules
        .iter()
        .map(|r| format!("{}{}", r.rule, at(&r.origins)))
        .collect();
    list.join("; ")
}

/// `new: allowed by RULE (at)` / `old: no allow rule covered it`.
fn side(s: &mut String, label: &str, side: &Side, now: bool) {
    let text = match side.decision {
        Decided::Allowed => format!("allowed by {}", rule_list(&side.rules)),
        Decided::Denied => format!("denied by {}", rule_list(&side.rules)),
        Decided::NoAllow if now => "no allow rule covers it".to_string(),
        Decided::NoAllow => "no allow rule covered it".to_string(),
        Decided::Undecided => "not decided (the comparison stopped at its budget)".to_string(),
    };
    let _ = writeln!(s, "    {label}: {text}");
}

fn sides(s: &mut String, direction: Direction, old: &Side, new: &Side) {
    // The granting side first.
    if direction == Direction::Narrowed {
        side(s, "old", old, false);
        side(s, "new", new, true);
    } else {
        side(s, "new", new, true);
        side(s, "old", old, false);
    }
}

fn change(s: &mut String, c: &Change) {
    let sign = c.direction().sign();
    match c {
        Change::Policy(p) => {
            let field = match p.field {
                PolicyField::Name => "name",
                PolicyField::Mode => "mode",
                PolicyField::Attach => "attach",
            };
            let none = "(none)".to_string();
            let _ = writeln!(
                s,
                "{sign} {field} {} (was {})",
                p.new.as_ref().unwrap_or(&none),
                p.old.as_ref().unwrap_or(&none)
            );
            if let Some(o) = &p.new_origin {
                let _ = writeln!(s, "    new: at {o}");
            }
            if let Some(o) = &p.old_origin {
                let _ = writeln!(s, "    old: at {o}");
            }
        }
        Change::File(f) => {
            let _ = writeln!(
                s,
                "{sign} {} {}{}",
                rights_words(f.rights),
                f.paths,
                kind_note(f.owner, f.dir)
            );
            witness(s, f.witness.as_deref());
            sides(s, f.direction, &f.old, &f.new);
        }
        Change::Transition(t) => {
            let runs = |to: &Option<polc_lang::ir::PolicyName>, mode| match (to, mode) {
                (_, polc_lang::ir::ExecMode::Unconfined) => "runs unconfined".to_string(),
                (Some(n), polc_lang::ir::ExecMode::Child) => format!("runs as child {n}"),
                (Some(n), polc_lang::ir::ExecMode::Fallback) => {
                    format!("runs as {n} else inherit")
                }
                (Some(n), _) => format!("runs as {n}"),
                (None, _) => "stays in the policy (no transition)".to_string(),
            };
            let _ = writeln!(
                s,
                "{sign} exec {}{}: {}, was: {}",
                t.paths,
                kind_note(t.owner, t.dir),
                runs(&t.new_as, t.new_mode),
                runs(&t.old_as, t.old_mode)
            );
            witness(s, t.witness.as_deref());
            let _ = writeln!(s, "    new: {}", rule_list(&t.new.rules));
            let _ = writeln!(s, "    old: {}", rule_list(&t.old.rules));
        }
        Change::Net(n) => {
            let op = match n.op {
                polc_lang::ir::NetOp::Connect => "connect",
                polc_lang::ir::NetOp::Bind => "bind",
            };
            let proto = polc_lang::ir::text::proto_word(n.proto, n.family);
            let _ = writeln!(s, "{sign} net {op} {proto} {}", n.ports);
            sides(s, n.direction, &n.old, &n.new);
        }
        Change::Capability(k) => {
            let _ = writeln!(s, "{sign} capability {}", k.capability);
            sides(s, k.direction, &k.old, &k.new);
        }
        Change::Signal(g) => {
            let (dir, prep) = match g.signal_direction {
                SignalDir::Send => ("send", "to"),
                SignalDir::Receive => ("receive", "from"),
            };
            let _ = writeln!(s, "{sign} signal {dir} {} {prep} {}", g.signals, g.peer);
            sides(s, g.direction, &g.old, &g.new);
        }
        Change::Request(r) => {
            // At most a few requests in words; JSON lists them all.
            const SHOWN: usize = 4;
            for q in r.requests.iter().take(SHOWN) {
                let _ = writeln!(s, "{sign} {q}");
            }
            if r.requests.len() > SHOWN {
                let _ = writeln!(
                    s,
                    "{sign} ... and {} more requests decided by the same rules (--format json lists them all)",
                    r.requests.len() - SHOWN
                );
            }
            sides(s, r.direction, &r.old, &r.new);
        }
        Change::Audit(a) => {
            let (what, whose) = if a.audited {
                ("audit added", "new")
            } else {
                ("audit removed", "old")
            };
            let _ = writeln!(s, "{sign} {what}: {}", a.rule);
            let list: Vec<String> = a.origins.iter().map(Origin::to_string).collect();
            let _ = writeln!(s, "    {whose}: at {}", list.join(", "));
        }
        Change::Owns(o) => {
            let _ = writeln!(s, "{sign} owns {}", o.paths);
            witness(s, o.witness.as_deref());
            let whose = if o.direction == Direction::Narrowed {
                "old"
            } else {
                "new"
            };
            let list: Vec<String> = o.origins.iter().map(Origin::to_string).collect();
            let _ = writeln!(s, "    {whose}: owns at {}", list.join(", "));
        }
        Change::Accept(a) => {
            let _ = writeln!(
                s,
                "{sign} accept {} on {}: {}",
                a.fidelity, a.target, a.rule
            );
            let reason = |r: &Option<String>| match r {
                Some(r) => format!("accepted: {r}"),
                None => "not accepted".to_string(),
            };
            // The origins are on the side that accepts (NEW's, or OLD's when removed).
            let (o, n) = if a.new.is_some() {
                (String::new(), at(&a.origins))
            } else {
                (at(&a.origins), String::new())
            };
            let _ = writeln!(s, "    old: {}{o}", reason(&a.old));
            let _ = writeln!(s, "    new: {}{n}", reason(&a.new));
        }
        Change::Child(k) => {
            let kind = |k: Option<polc_lang::ir::ChildKind>| k.map_or("(none)", |k| k.keyword());
            let what = match (k.old_kind, k.new_kind) {
                (None, Some(n)) => format!("{} added", n.keyword()),
                (Some(o), None) => format!("{} removed", o.keyword()),
                (o, n) if o != n => format!("now a {}, was a {}", kind(n), kind(o)),
                _ => "changed".to_string(),
            };
            let _ = writeln!(s, "{sign} child {}: {what}", k.name);
            for inner in &k.changes {
                let mut t = String::new();
                change(&mut t, inner);
                for line in t.lines() {
                    let _ = writeln!(s, "    {line}");
                }
            }
        }
    }
}

fn witness(s: &mut String, w: Option<&str>) {
    match w {
        Some(w) => {
            let _ = writeln!(s, "    e.g. {w}");
        }
        None => {
            let _ = writeln!(
                s,
                "    (no example path: the glob algebra's search bound was reached)"
            );
        }
    }
}

/// Which objects a change concerns, when `owner` rules make it depend on the owner or
/// directory-only rules on whether the object is a directory.
fn kind_note(owner: Option<bool>, dir: Option<bool>) -> String {
    let what = match dir {
        None => "files",
        Some(true) => "directories",
        Some(false) => "objects other than directories",
    };
    match (owner, dir) {
        (None, None) => String::new(),
        (None, Some(_)) => format!(" ({what})"),
        (Some(true), _) => format!(" ({what} the process owns)"),
        (Some(false), _) => format!(" ({what} the process does not own)"),
    }
}
