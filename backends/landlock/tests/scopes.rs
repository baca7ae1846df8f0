//! Landlock's scopes on the host kernel (ABI 6 and later): a confined probe signals a
//! process outside its Landlock domain and connects to an abstract unix socket bound
//! outside it, under policies that allow neither, one of them, or both (the rules that
//! turn a scope off). The kernel's answers are compared with the evaluator's: equal where
//! the plan reports the deciding rules `exact`, one way where `widened` or `narrowed`. A
//! deliberately wrong expectation (an exact refusal expected allowed) must be caught.
//!
//! `exists` (signal 0, `kill(pid, 0)`) is judged the same way: the signal scope cannot
//! tell signal 0 apart from the others, so a policy that allows only `exists` (or only
//! `urg`) to another domain turns the scope off for every signal, and the report says so
//! (`widened`); a policy with no signal rule to another domain keeps the scope, and the
//! kernel refuses `kill(pid, 0)` as the evaluator does (`exact`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use polc_landlock::{kernel_abi, plan, Compatibility, Config, EnforceOptions, Plan};
use polc_lang::eval::{evaluate, Request, RequestPeer, UnixRequestAddr};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{SignalDir, UnixOp, UnixType};
use polc_lang::{load, LoadOptions, Source};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use support::{contradicts, probe_base, run_probe, verdict};

const NAME: &str = "@polc-landlock-scope-test";

/// The rules of each case (beside what the probe needs to start).
const POLICIES: &[&[&str]] = &[
    &[],
    &["allow signal send urg to unconfined"],
    &["allow unix connect stream abstract \"@polc-landlock-scope-test\" peer unconfined"],
    &[
        "allow signal send urg to unconfined",
        "allow unix connect stream abstract \"@polc-landlock-scope-test\" peer unconfined",
    ],
    &["allow signal send urg to self"],
    &["allow signal send exists to unconfined"],
    &["allow signal send exists to self"],
    &["allow signal send to any"],
];

/// The worst fidelity of the plan's entries for the rules of `list`, widened when the
/// plan lists what decides the request among what it leaves unrestricted.
fn fidelity(p: &Plan, list: RuleListKind, gap: &str) -> Fidelity {
    let mut f = p
        .report
        .entries
        .iter()
        .filter(|e| matches!(e.subject, Subject::Rule { list: l, .. } if l == list))
        .map(|e| e.fidelity)
        .max()
        .unwrap_or(Fidelity::Exact);
    if p.unrestricted.iter().any(|g| g.what == gap) {
        f = f.max(Fidelity::Widened);
    }
    f
}

#[test]
fn signal_and_abstract_unix_scopes_agree_with_the_evaluator() {
    let abi = kernel_abi();
    assert!(
        abi >= 6,
        "the host kernel's Landlock ABI is {abi}: the scopes need ABI 6 (Linux 6.12)"
    );
    let addr = SocketAddr::from_abstract_name(NAME.trim_start_matches('@')).unwrap();
    let _listener = UnixListener::bind_addr(&addr).unwrap();
    let mut peer = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let pid = peer.id();
    let signal = Request::signal(SignalDir::Send, "unconfined", "urg");
    let exists = Request::signal(SignalDir::Send, "unconfined", "exists");
    let unix = Request::Unix {
        op: UnixOp::Connect,
        sock_type: UnixType::Stream,
        addr: UnixRequestAddr::Abstract(NAME.into()),
        peer: RequestPeer::Unconfined,
    };
    let ops = [
        format!("kill:{pid}:23"),
        format!("unix-connect:{NAME}"),
        format!("kill:{pid}:0"),
    ];
    let (mut compared, mut self_checks, mut failures) = (0, 0, Vec::new());
    let mut exists_widened = 0;
    for rules in POLICIES {
        let mut lines: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        lines.extend(probe_base());
        let text = format!(
            "policy org.test.scope {{\n    {}\n}}\n",
            lines.join("\n    ")
        );
        let pol = load(&Source::new("scope.pol", &text), &LoadOptions::default())
            .map_err(|f| format!("{:?}", f.diagnostics))
            .unwrap()
            .policy;
        let config = Config {
            abi: 7,
            compatibility: Compatibility::BestEffort,
            root: "/".into(),
        };
        let p = plan(&pol, &config).unwrap();
        let (_, errs) = run_probe(&p, &EnforceOptions::default(), &ops);
        let judged = [
            (&signal, fidelity(&p, RuleListKind::Signal, "signal send")),
            (
                &unix,
                fidelity(&p, RuleListKind::Unix, "unix abstract sockets"),
            ),
            (&exists, fidelity(&p, RuleListKind::Signal, "signal send")),
        ];
        // What the report claims for `exists` alone to another domain: widened, every
        // signal let through; and the kernel does let `urg` through.
        if *rules == ["allow signal send exists to unconfined"] {
            let entry = p
                .report
                .entries
                .iter()
                .find(|e| {
                    matches!(
                        e.subject,
                        Subject::Rule {
                            list: RuleListKind::Signal,
                            ..
                        }
                    )
                })
                .expect("a report entry for the signal rule");
            assert_eq!(entry.fidelity, Fidelity::Widened, "{entry:?}");
            assert!(
                entry.reason.contains("signals are not restricted at all"),
                "{entry:?}"
            );
            assert_eq!(
                errs.first().copied(),
                Some(0),
                "the scope is off: kill(pid, 23) goes through as reported"
            );
            exists_widened += 1;
        }
        for ((req, fid), (op, errno)) in judged.iter().zip(ops.iter().zip(errs)) {
            let kernel = verdict(op, errno)
                .unwrap_or_else(|| panic!("`{op}`: errno {errno} is no answer of Landlock"));
            let oracle = evaluate(&pol, req).allowed;
            println!(
                "{:?} `{op}`: kernel errno {errno}, evaluator {}, {fid}",
                rules,
                if oracle { "allows" } else { "refuses" }
            );
            if *fid == Fidelity::Exact && !oracle {
                self_checks += 1;
                assert_eq!(
                    contradicts(*fid, kernel, true),
                    Some(true),
                    "`{op}` refused by the evaluator, expected allowed on purpose, was not caught:\n{text}"
                );
            }
            match contradicts(*fid, kernel, oracle) {
                Some(true) => failures.push(format!(
                    "`{op}`: the kernel {} it (errno {errno}), the evaluator {} it ({fid})\n{text}",
                    if kernel { "allowed" } else { "refused" },
                    if oracle { "allows" } else { "refuses" },
                )),
                Some(false) => compared += 1,
                None => {}
            }
        }
    }
    let _ = peer.kill();
    let _ = peer.wait();
    println!(
        "landlock scopes (ABI {abi}): {compared} pairs compared, {} mismatches, {self_checks} deliberately wrong expectations caught",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 24, "only {compared} pairs compared");
    assert!(self_checks >= 10, "only {self_checks} self-checks");
    assert_eq!(
        exists_widened, 1,
        "the `exists` report entry was not checked"
    );
}
