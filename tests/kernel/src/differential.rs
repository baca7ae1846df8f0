//! Judging the kernel against the reference semantics.
//!
//! Each [`Pair`] is one (policy, operation) pair: a case run in the guest, the
//! evaluator's answer for the requests the operation makes, and how exactly the backend
//! says it enforces the rules that decide them. A [`Tally`] compares the observed
//! outcomes:
//!
//! - `exact`: the kernel's answer must equal the evaluator's;
//! - `narrowed`: the kernel may refuse what the evaluator allows, never the reverse;
//! - `widened`: the kernel may allow what the evaluator refuses, never the reverse (a
//!   program the policy lets run must run);
//! - `unsupported` (and a pair whose requests mix narrowed and widened rules): counted,
//!   not compared.
//!
//! Every mismatch is kept with the policy, the operation, the expected and the observed
//! errno. A pair marked [`Pair::deliberately_wrong`] carries a flipped expectation: it
//! must come out as a mismatch (so the harness cannot pass vacuously), and is then not
//! counted as one.

use crate::probe::{Case, Outcome};
use polc_lang::fidelity::Fidelity;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One (policy, operation) pair.
#[derive(Clone, Debug)]
pub struct Pair {
    /// The case run in the guest.
    pub case: Case,
    /// The policy (or policies) involved, as source text.
    pub policy: String,
    /// The evaluator's answer: every request of the operation allowed.
    pub expected: bool,
    /// How exactly the backend enforces what decides the requests (worst of them).
    pub fidelity: Fidelity,
    /// The requests, for the report.
    pub requests: String,
    /// A test of the harness: the expectation is deliberately the wrong one.
    pub deliberately_wrong: bool,
    /// A known gap of the backend (why): the pair is expected to mismatch, is listed, and
    /// fails the run once it no longer does (so the entry is removed when fixed).
    pub known_gap: Option<String>,
}

/// The kernel's answer, read from an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// The operation went through (or failed after the LSM let it through).
    Allowed,
    /// Refused with `EACCES`, `EPERM` or (Landlock, across directories) `EXDEV`.
    Refused,
    /// The probe was killed by a signal: it could not run as the policy says it may.
    Killed,
    /// Any other result: not an answer of the LSM.
    Inconclusive,
}

/// What an outcome says about the LSM's decision for operation `op`.
pub fn observe(op: &[String], outcome: &Outcome) -> Observed {
    let first = op.first().map(String::as_str).unwrap_or("");
    let exec = first == "exec" || (first == "landlock" && op.get(2).is_some_and(|o| o == "exec"));
    match outcome {
        Outcome::Errno(0) => Observed::Allowed,
        Outcome::Errno(1 | 13 | 18) => Observed::Refused,
        // A script whose interpreter is missing: the exec of the script was allowed.
        Outcome::Errno(2) if exec => Observed::Allowed,
        // The port is in use: the LSM let the bind through.
        Outcome::Errno(98) => Observed::Allowed,
        Outcome::Signal(_) => Observed::Killed,
        _ => Observed::Inconclusive,
    }
}

fn expected_errno(allowed: bool) -> &'static str {
    if allowed {
        "0"
    } else {
        "EACCES (13) or EPERM (1)"
    }
}

fn shown(o: Option<&Outcome>) -> String {
    match o {
        None => "no result".into(),
        Some(Outcome::Errno(e)) => format!("errno {e}"),
        Some(Outcome::ExecFailed(e)) => format!("the probe's execve failed with errno {e}"),
        Some(Outcome::AttrFailed) => "writing /proc/self/attr/exec failed".into(),
        Some(Outcome::Signal(s)) => format!("killed by signal {s}"),
    }
}

/// How much of a run may go unjudged, in percent of its pairs: set per test from its measured
/// numbers (with the default seed), so that a drift towards judging less fails the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Outcomes that are no answer of the LSM.
    pub inconclusive_percent: usize,
    /// Pairs counted but not compared (`unsupported`, narrowed and widened together).
    pub not_compared_percent: usize,
}

/// Counts and findings of one LSM's run.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// `apparmor`, `selinux`, `landlock`.
    pub lsm: String,
    /// Pairs judged (the deliberately wrong ones excluded).
    pub pairs: usize,
    /// Compared for equality (`exact`).
    pub equal: usize,
    /// Compared one way (`narrowed`: never more; `widened`: never less).
    pub sound: usize,
    /// Not compared (`widened`, `unsupported`).
    pub not_compared: usize,
    /// Outcomes that are no answer of the LSM, with the reason.
    pub inconclusive: Vec<String>,
    /// Every mismatch, fully described.
    pub mismatches: Vec<String>,
    /// Known gaps still observed, fully described.
    pub known_gaps: Vec<String>,
    /// Deliberately wrong expectations, and how many were detected.
    pub self_checks: (usize, usize),
    /// Pairs per fidelity, for the summary.
    pub by_fidelity: BTreeMap<String, usize>,
}

/// The fidelity that bounds one request (or one operation) decided by several rules: the
/// worst of them, except that narrowed and widened rules together bound the kernel's answer
/// in no direction (`unsupported`: not compared).
pub fn combine(fidelities: impl IntoIterator<Item = Fidelity>) -> Fidelity {
    let mut worst = Fidelity::Exact;
    let mut narrowed = false;
    for f in fidelities {
        narrowed |= f == Fidelity::Narrowed;
        worst = worst.max(f);
    }
    if narrowed && worst == Fidelity::Widened {
        Fidelity::Unsupported
    } else {
        worst
    }
}

impl Tally {
    /// An empty tally for `lsm`.
    pub fn new(lsm: &str) -> Tally {
        Tally {
            lsm: lsm.to_string(),
            ..Tally::default()
        }
    }

    /// Judge one pair against its outcome.
    pub fn judge(&mut self, pair: &Pair, outcome: Option<&Outcome>) {
        let observed = outcome.map_or(Observed::Inconclusive, |o| observe(&pair.case.op, o));
        let kernel_allows = observed == Observed::Allowed;
        let mismatch = match (observed, pair.fidelity) {
            (Observed::Inconclusive, _) => None,
            // Killed where the policy lets the operation run: it did not run.
            (Observed::Killed, Fidelity::Exact | Fidelity::Widened) if pair.expected => Some(true),
            (Observed::Killed, _) => None,
            (_, Fidelity::Exact) => Some(kernel_allows != pair.expected),
            (_, Fidelity::Narrowed) => Some(kernel_allows && !pair.expected),
            (_, Fidelity::Widened) => Some(!kernel_allows && pair.expected),
            _ => None,
        };
        if pair.deliberately_wrong {
            self.self_checks.0 += 1;
            if mismatch == Some(true) {
                self.self_checks.1 += 1;
            } else {
                self.mismatches.push(format!(
                    "the harness did not detect a deliberately wrong expectation:\n{}",
                    self.describe(pair, outcome)
                ));
            }
            return;
        }
        self.pairs += 1;
        *self
            .by_fidelity
            .entry(pair.fidelity.name().to_string())
            .or_default() += 1;
        if let Some(why) = &pair.known_gap {
            // Whatever the fidelity: the kernel still decides otherwise than the evaluator.
            let differs = match observed {
                Observed::Allowed => !pair.expected,
                Observed::Refused | Observed::Killed => pair.expected,
                Observed::Inconclusive => false,
            };
            if differs {
                let d = format!(
                    "known gap ({why}), still present:\n{}",
                    self.describe(pair, outcome)
                );
                self.known_gaps.push(d);
            } else {
                self.mismatches.push(format!(
                    "the known gap ({why}) is no longer observed: remove it from the test\n{}",
                    self.describe(pair, outcome)
                ));
            }
            return;
        }
        match (observed, pair.fidelity) {
            (Observed::Killed, Fidelity::Exact) if pair.expected => self.equal += 1,
            (Observed::Killed, Fidelity::Widened) if pair.expected => self.sound += 1,
            (Observed::Inconclusive | Observed::Killed, _) => {
                self.inconclusive
                    .push(format!("{}: {}", pair.case.id, shown(outcome)));
                return;
            }
            (_, Fidelity::Exact) => self.equal += 1,
            (_, Fidelity::Narrowed | Fidelity::Widened) => self.sound += 1,
            _ => self.not_compared += 1,
        }
        if mismatch == Some(true) {
            let d = self.describe(pair, outcome);
            self.mismatches.push(d);
        }
    }

    /// Judge every pair against the results of a run.
    pub fn judge_all(&mut self, pairs: &[Pair], results: &BTreeMap<String, Outcome>) {
        for p in pairs {
            self.judge(p, results.get(&p.case.id));
        }
    }

    fn describe(&self, pair: &Pair, outcome: Option<&Outcome>) -> String {
        let mut s = String::new();
        let attr = pair
            .case
            .exec_attr
            .as_ref()
            .map_or(String::new(), |a| format!(" (exec context `{a}`)"));
        let _ = writeln!(s, "{} mismatch in case {}", self.lsm, pair.case.id);
        let _ = writeln!(
            s,
            "  operation: {} run as {}{attr}",
            pair.case.op.join(" "),
            pair.case.exec_path
        );
        let _ = writeln!(s, "  requests:  {}", pair.requests);
        let _ = writeln!(
            s,
            "  expected:  {} (evaluator: {}; fidelity {})",
            expected_errno(pair.expected),
            if pair.expected { "allowed" } else { "refused" },
            pair.fidelity
        );
        let _ = writeln!(s, "  observed:  {}", shown(outcome));
        let _ = writeln!(s, "  policy:");
        for l in pair.policy.lines() {
            let _ = writeln!(s, "    {l}");
        }
        s
    }

    /// One line: `apparmor: 412 pairs, 0 mismatches (...)`.
    pub fn summary(&self) -> String {
        let fid: Vec<String> = self
            .by_fidelity
            .iter()
            .map(|(f, n)| format!("{n} {f}"))
            .collect();
        format!(
            "{}: {} pairs, {} mismatches, {} known gaps ({} compared for equality, {} one way, {} not compared; {}; {} inconclusive; self-check: {} of {} deliberately wrong expectations detected)",
            self.lsm,
            self.pairs,
            self.mismatches.len(),
            self.known_gaps.len(),
            self.equal,
            self.sound,
            self.not_compared,
            fid.join(", "),
            self.inconclusive.len(),
            self.self_checks.1,
            self.self_checks.0,
        )
    }

    /// `Ok` when there is no mismatch, every deliberately wrong expectation was detected,
    /// at least `min_compared` pairs were compared, and the inconclusive and not compared
    /// pairs stay within `limits`; else the full report.
    pub fn verdict(&self, min_compared: usize, limits: Limits) -> Result<(), String> {
        let mut problems = self.mismatches.clone();
        if self.self_checks.0 == 0 {
            problems.push("no deliberately wrong expectation was run".into());
        }
        if self.equal + self.sound < min_compared {
            problems.push(format!(
                "only {} pairs were compared (at least {min_compared} wanted)",
                self.equal + self.sound
            ));
        }
        if self.inconclusive.len() * 100 > self.pairs * limits.inconclusive_percent {
            problems.push(format!(
                "{} of {} outcomes are no answer of the LSM (at most {} % allowed): {}",
                self.inconclusive.len(),
                self.pairs,
                limits.inconclusive_percent,
                self.inconclusive.join(", ")
            ));
        }
        if self.not_compared * 100 > self.pairs * limits.not_compared_percent {
            problems.push(format!(
                "{} of {} pairs were not compared (at most {} % allowed): the backend reports more rules unsupported than it did",
                self.not_compared, self.pairs, limits.not_compared_percent,
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("{}\n\n{}", self.summary(), problems.join("\n")))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pair(id: &str, expected: bool, fidelity: Fidelity, wrong: bool) -> Pair {
        Pair {
            case: Case {
                id: id.into(),
                exec_attr: None,
                exec_path: "/p".into(),
                op: vec!["read".into(), "/f".into()],
            },
            policy: "policy a {}".into(),
            expected,
            fidelity,
            requests: "read /f".into(),
            deliberately_wrong: wrong,
            known_gap: None,
        }
    }

    #[test]
    fn exact_pairs_must_agree_narrowed_ones_not_allow_more_widened_ones_not_less() {
        let mut t = Tally::new("x");
        t.judge(
            &pair("a", true, Fidelity::Exact, false),
            Some(&Outcome::Errno(0)),
        );
        t.judge(
            &pair("b", false, Fidelity::Narrowed, false),
            Some(&Outcome::Errno(13)),
        );
        t.judge(
            &pair("c", true, Fidelity::Narrowed, false),
            Some(&Outcome::Errno(13)),
        );
        t.judge(
            &pair("d", false, Fidelity::Widened, false),
            Some(&Outcome::Errno(0)),
        );
        t.judge(
            &pair("u", true, Fidelity::Unsupported, false),
            Some(&Outcome::Errno(13)),
        );
        t.judge(
            &pair("w", true, Fidelity::Exact, true),
            Some(&Outcome::Errno(13)),
        );
        assert!(t.mismatches.is_empty());
        assert_eq!((t.pairs, t.equal, t.sound, t.not_compared), (5, 1, 3, 1));
        assert_eq!(t.self_checks, (1, 1));
        t.judge(
            &pair("e", false, Fidelity::Exact, false),
            Some(&Outcome::Errno(0)),
        );
        t.judge(
            &pair("f", false, Fidelity::Narrowed, false),
            Some(&Outcome::Errno(0)),
        );
        t.judge(
            &pair("g", true, Fidelity::Widened, false),
            Some(&Outcome::Errno(13)),
        );
        assert_eq!(t.mismatches.len(), 3);
        let m = t.mismatches.first().unwrap();
        assert!(
            m.contains("case e") && m.contains("observed:  errno 0"),
            "{m}"
        );
        assert!(t.verdict(1, Limits::default()).is_err());
        let mut k = pair("k", true, Fidelity::Exact, false);
        k.known_gap = Some("a known gap".into());
        t.judge(&k, Some(&Outcome::Signal(11)));
        assert_eq!(t.known_gaps.len(), 1);
        t.judge(&k, Some(&Outcome::Errno(0)));
        assert_eq!(
            t.mismatches.len(),
            4,
            "a gap no longer observed fails the run"
        );
    }

    #[test]
    fn narrowed_and_widened_together_are_not_compared() {
        use Fidelity::*;
        assert_eq!(combine([]), Exact);
        assert_eq!(combine([Exact, Narrowed]), Narrowed);
        assert_eq!(combine([Exact, Widened]), Widened);
        assert_eq!(combine([Narrowed, Widened]), Unsupported);
        assert_eq!(combine([Widened, Exact, Narrowed]), Unsupported);
        assert_eq!(combine([Unsupported, Narrowed]), Unsupported);
    }

    #[test]
    fn an_undetected_wrong_expectation_fails_the_run() {
        let mut t = Tally::new("x");
        t.judge(
            &pair("w", false, Fidelity::Exact, true),
            Some(&Outcome::Errno(13)),
        );
        assert_eq!(t.self_checks, (1, 0));
        assert!(t.verdict(0, Limits::default()).is_err());
    }

    #[test]
    fn more_inconclusive_or_not_compared_pairs_than_measured_fail_the_run() {
        let mut t = Tally::new("x");
        t.judge(
            &pair("w", true, Fidelity::Exact, true),
            Some(&Outcome::Errno(13)),
        );
        for i in 0..8 {
            t.judge(
                &pair(&format!("a{i}"), true, Fidelity::Exact, false),
                Some(&Outcome::Errno(0)),
            );
        }
        t.judge(
            &pair("i", true, Fidelity::Exact, false),
            Some(&Outcome::Errno(22)),
        );
        t.judge(
            &pair("u", true, Fidelity::Unsupported, false),
            Some(&Outcome::Errno(0)),
        );
        assert_eq!((t.pairs, t.inconclusive.len(), t.not_compared), (10, 1, 1));
        let limits = |inconclusive_percent, not_compared_percent| Limits {
            inconclusive_percent,
            not_compared_percent,
        };
        assert_eq!(t.verdict(8, limits(10, 10)), Ok(()));
        let e = t.verdict(8, limits(9, 10)).unwrap_err();
        assert!(e.contains("1 of 10 outcomes are no answer"), "{e}");
        let e = t.verdict(8, limits(10, 9)).unwrap_err();
        assert!(e.contains("1 of 10 pairs were not compared"), "{e}");
    }
}
