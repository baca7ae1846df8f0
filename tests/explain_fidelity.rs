//! `polc explain --target` agrees with what each backend compiled: for network requests
//! over several policies, the kernel's answer is read from the artifact itself (the
//! AppArmor ABI 3.0 profile's `network` lines, the Landlock plan's handled rights and
//! port rules) and compared with the evaluator's decision; the per-backend verdict of
//! explain, taken from the backend's own report, must be `exact` when they agree,
//! `widened` when the kernel allows what the policy denies, and `narrowed` or
//! `unsupported` when it refuses what the policy allows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc::compile::{compile, CompileOptions};
use polc::lang::diff::target::decision_fidelity;
use polc::lang::eval::evaluate;
use polc::lang::fidelity::Fidelity;
use polc::lang::ir::{NetOp, Proto};
use polc::{load, LoadOptions, Lsm, Policy, Request, Source};
use polc_landlock::{NetAccess, Plan};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const INLINE: &[&str] = &[
    "policy org.example.nets {
        allow net connect udp 53
        allow net bind tcp 8000-8099
        deny net bind tcp 8080
        allow net connect tcp
    }",
    "policy org.example.udpall {
        allow net bind udp
        allow net connect udp
    }",
    "policy org.example.manyports {
        allow net bind tcp 1024-65535
        deny net bind tcp 5000
    }",
    "policy org.example.nonet {
        allow read \"/etc/app.conf\"
    }",
];

fn policies() -> Vec<Policy> {
    let opts = LoadOptions {
        abstractions: polc::command::input::read_abstraction_dir(
            &Path::new(ROOT).join("examples/abstractions"),
        )
        .unwrap(),
        ..LoadOptions::default()
    };
    let mut sources: Vec<Source> = ["webapp", "converter", "daemon", "worker", "viewer"]
        .iter()
        .map(|n| {
            let path = format!("{ROOT}/examples/{n}.pol");
            Source::new(path.clone(), std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    sources.extend(
        INLINE
            .iter()
            .enumerate()
            .map(|(i, t)| Source::new(format!("inline{i}.pol"), *t)),
    );
    sources
        .iter()
        .map(|s| {
            load(s, &opts)
                .unwrap_or_else(|f| panic!("{}: {:?}", s.name, f.diagnostics))
                .policy
        })
        .collect()
}

fn requests() -> Vec<Request> {
    let mut out = Vec::new();
    for op in [NetOp::Connect, NetOp::Bind] {
        for proto in [Proto::Tcp, Proto::Udp] {
            for port in [22, 53, 443, 1024, 5000, 8080, 8081, 9000] {
                out.push(Request::net(op, proto, port));
            }
        }
    }
    out
}

/// What an AppArmor ABI 3.0 profile allows: `network inet TYPE,` unless denied.
fn apparmor_allows(profile: &str, r: &Request) -> bool {
    let Request::Net { proto, .. } = r else {
        unreachable!()
    };
    let ty = match proto {
        Proto::Tcp => "stream",
        Proto::Udp => "dgram",
    };
    let has = |line: &str| profile.lines().any(|l| l.trim() == line);
    has(&format!("network inet {ty},")) && !has(&format!("deny network inet {ty},"))
}

/// What a Landlock plan allows: UDP always; a TCP operation when its right is not
/// handled, or when a port rule grants it on the port.
fn landlock_allows(plan: &Plan, r: &Request) -> bool {
    let Request::Net {
        op, proto, port, ..
    } = r
    else {
        unreachable!()
    };
    if *proto == Proto::Udp {
        return true;
    }
    let access = match op {
        NetOp::Connect => NetAccess::CONNECT_TCP,
        NetOp::Bind => NetAccess::BIND_TCP,
    };
    !plan.handled_net.contains(access)
        || plan
            .ports
            .iter()
            .any(|p| p.access.contains(access) && p.ports.contains(*port))
}

fn check(policy: &Policy, lsm: Lsm, opts: &CompileOptions, kernel: &dyn Fn(&Request) -> bool) {
    let artifact = compile(policy, lsm, opts).unwrap();
    for r in requests() {
        let decision = evaluate(policy, &r);
        let e = decision_fidelity(policy, &r, &decision, &artifact.report);
        let k = kernel(&r);
        let ok = match (decision.allowed, k) {
            (a, b) if a == b => e.fidelity == Fidelity::Exact,
            (false, true) => e.fidelity == Fidelity::Widened,
            (true, false) => matches!(e.fidelity, Fidelity::Narrowed | Fidelity::Unsupported),
            _ => unreachable!(),
        };
        assert!(
            ok,
            "{} on {} {}: {r:?}: the policy {}, the artifact {}, explain says {} ({})",
            policy.name,
            artifact.report.backend,
            artifact.report.target,
            if decision.allowed { "allows" } else { "denies" },
            if k { "allows" } else { "refuses" },
            e.fidelity,
            e.reason
        );
    }
}

#[test]
fn explain_target_agrees_with_the_apparmor_abi_3_profile() {
    for p in policies() {
        let opts = CompileOptions::default();
        let profile = compile(&p, Lsm::AppArmor, &opts).unwrap().text;
        check(&p, Lsm::AppArmor, &opts, &|r| apparmor_allows(&profile, r));
    }
}

#[test]
fn explain_target_agrees_with_the_landlock_plan() {
    for abi in [3, 4, 7] {
        for p in policies() {
            let opts = CompileOptions {
                landlock_abi: abi,
                ..CompileOptions::default()
            };
            let plan: Plan =
                serde_json::from_str(&compile(&p, Lsm::Landlock, &opts).unwrap().text).unwrap();
            check(&p, Lsm::Landlock, &opts, &|r| landlock_allows(&plan, r));
        }
    }
}

/// The two cases of the issue, through the command line.
#[test]
fn explain_says_widened_for_a_port_abi_3_cannot_refuse_and_for_udp_on_landlock() {
    let run = |net: &str, target: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_polc"))
            .args([
                "explain",
                "examples/webapp.pol",
                "--net",
                net,
                "--target",
                target,
            ])
            .current_dir(ROOT)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        String::from_utf8(o.stdout).unwrap()
    };
    let out = run("bind:tcp:9000", "apparmor");
    assert!(out.contains("apparmor (abi 3.0): widened"), "{out}");
    let out = run("bind:udp:53", "apparmor");
    assert!(out.contains("apparmor (abi 3.0): widened"), "{out}");
    let out = run("bind:udp:53", "landlock");
    assert!(out.contains("landlock (abi 7): widened"), "{out}");
    let out = run("bind:tcp:9000", "landlock");
    assert!(out.contains("landlock (abi 7): exact"), "{out}");
}
