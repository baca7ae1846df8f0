//! Enforcement: a compiled profile loaded into the AppArmor of a real (Debian) kernel under
//! qemu, probed with real system calls. Every outcome equals the evaluator's decision, or
//! the fidelity report says why not: a kernel that allows what the evaluator refuses needs a
//! `widened` entry for a rule on the path, one that refuses what it allows a `narrowed` one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::policy;
use polc_apparmor::{compile, Config};
use polc_kernel_harness::guest::Guest;
use polc_kernel_harness::kernel;
use polc_kernel_harness::probe::{build_static, Case, Outcome};
use polc_kernel_harness::vm::Lsm;
use polc_lang::eval::{evaluate, Request};
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::{NetOp, Policy, Proto};
use polc_lang::rights::Right;

const CONFINED: &str = "/usr/bin/confined";
const COMPLAINING: &str = "/usr/bin/complaining";

/// A policy in complain mode with a deny rule: AppArmor keeps enforcing the deny (the
/// report says the mode is narrowed) and lets everything else through.
fn complain_policy() -> Policy {
    policy(
        "org.polc.complain",
        &[
            &format!(r#"attach "{COMPLAINING}""#),
            "mode complain",
            r#"allow read "/data/ro/**""#,
            r#"deny read "/data/ro/secret""#,
        ],
    )
}

fn enforced_policy() -> Policy {
    policy(
        "org.polc.enforce",
        &[
            &format!(r#"attach "{CONFINED}""#),
            &format!(r#"allow read map-exec "{CONFINED}""#),
            r#"allow read list "/data/ro/**""#,
            r#"deny read "/data/ro/secret""#,
            r#"allow read write create delete rename "/data/rw/**""#,
            r#"allow write "/data/w/file""#,
            r#"allow append "/data/a/log""#,
            r#"allow create "/data/c/*""#,
            r#"allow exec "/usr/bin/helper""#,
            r#"allow exec "/usr/bin/tools/*""#,
            r#"deny exec "/usr/bin/tools/denied""#,
            r#"allow read lock "/data/k/file""#,
            r#"allow link "/data/ln/*""#,
            r#"allow read "/data/ln/target""#,
            "allow net connect tcp 80",
        ],
    )
}

/// One probe operation and the polc requests it makes.
struct Probe {
    id: &'static str,
    op: &'static [&'static str],
    requests: Vec<Request>,
}

fn f(path: &str, right: Right) -> Request {
    Request::file(path, right)
}

fn probes() -> Vec<Probe> {
    use Right::*;
    let p = |id, op, requests| Probe { id, op, requests };
    vec![
        p(
            "ro-read",
            &["read", "/data/ro/f"],
            vec![f("/data/ro/f", Read)],
        ),
        p(
            "ro-secret",
            &["read", "/data/ro/secret"],
            vec![f("/data/ro/secret", Read)],
        ),
        p(
            "ro-write",
            &["write", "/data/ro/f"],
            vec![f("/data/ro/f", Write)],
        ),
        p(
            "ro-list-sub",
            &["list", "/data/ro/sub"],
            vec![f("/data/ro/sub", List)],
        ),
        p(
            "ro-list-top",
            &["list", "/data/ro"],
            vec![f("/data/ro", List)],
        ),
        p(
            "rw-read",
            &["read", "/data/rw/f"],
            vec![f("/data/rw/f", Read)],
        ),
        p(
            "rw-write",
            &["write", "/data/rw/f"],
            vec![f("/data/rw/f", Write)],
        ),
        p(
            "rw-append",
            &["append", "/data/rw/f"],
            vec![f("/data/rw/f", Append)],
        ),
        p(
            "rw-create",
            &["create", "/data/rw/new"],
            vec![f("/data/rw/new", Create)],
        ),
        p(
            "rw-mkdir",
            &["mkdir", "/data/rw/newdir"],
            vec![f("/data/rw/newdir", Create)],
        ),
        p(
            "rw-rmdir",
            &["rmdir", "/data/rw/olddir"],
            vec![f("/data/rw/olddir", Delete)],
        ),
        p(
            "rw-delete",
            &["delete", "/data/rw/g"],
            vec![f("/data/rw/g", Delete)],
        ),
        p(
            "rw-rename",
            &["rename", "/data/rw/h", "/data/rw/h2"],
            vec![f("/data/rw/h", Rename), f("/data/rw/h2", Rename)],
        ),
        p(
            "rw-list",
            &["list", "/data/rw/sub"],
            vec![f("/data/rw/sub", List)],
        ),
        p(
            "w-write",
            &["write", "/data/w/file"],
            vec![f("/data/w/file", Write)],
        ),
        p(
            "w-read",
            &["read", "/data/w/file"],
            vec![f("/data/w/file", Read)],
        ),
        p(
            "w-delete",
            &["delete", "/data/w/file"],
            vec![f("/data/w/file", Delete)],
        ),
        p(
            "w-create",
            &["create", "/data/w/file"],
            vec![f("/data/w/file", Create)],
        ),
        p(
            "w-other",
            &["write", "/data/w/other"],
            vec![f("/data/w/other", Write)],
        ),
        p(
            "a-append",
            &["append", "/data/a/log"],
            vec![f("/data/a/log", Append)],
        ),
        p(
            "a-write",
            &["write", "/data/a/log"],
            vec![f("/data/a/log", Write)],
        ),
        p(
            "c-create",
            &["create", "/data/c/x"],
            vec![f("/data/c/x", Create)],
        ),
        p(
            "c-write",
            &["write", "/data/c/x"],
            vec![f("/data/c/x", Write)],
        ),
        p(
            "exec-helper",
            &["exec", "/usr/bin/helper"],
            vec![f("/usr/bin/helper", Exec)],
        ),
        p(
            "exec-tool",
            &["exec", "/usr/bin/tools/ok"],
            vec![f("/usr/bin/tools/ok", Exec)],
        ),
        p(
            "exec-denied",
            &["exec", "/usr/bin/tools/denied"],
            vec![f("/usr/bin/tools/denied", Exec)],
        ),
        p(
            "exec-other",
            &["exec", "/usr/bin/other"],
            vec![f("/usr/bin/other", Exec)],
        ),
        p(
            "map-helper",
            &["map-exec", "/usr/bin/helper"],
            vec![f("/usr/bin/helper", Read), f("/usr/bin/helper", MapExec)],
        ),
        p(
            "k-lock",
            &["lock", "/data/k/file"],
            vec![f("/data/k/file", Read), f("/data/k/file", Lock)],
        ),
        p(
            "ln-link",
            &["link", "/data/ln/target", "/data/ln/new"],
            vec![f("/data/ln/new", Link)],
        ),
        p(
            "net-connect-80",
            &["connect", "tcp", "80"],
            vec![Request::net(NetOp::Connect, Proto::Tcp, 80)],
        ),
        p(
            "net-bind-8080",
            &["bind", "tcp", "8080"],
            vec![Request::net(NetOp::Bind, Proto::Tcp, 8080)],
        ),
        p(
            "net-udp-53",
            &["connect", "udp", "53"],
            vec![Request::net(NetOp::Connect, Proto::Udp, 53)],
        ),
    ]
}

/// Does the rule the entry is about match the request?
fn entry_covers(policy: &Policy, subject: Subject, r: &Request) -> bool {
    match (subject, r) {
        (
            Subject::Rule {
                list: RuleListKind::File,
                index,
            },
            Request::File { path, .. },
        ) => policy.files[index].glob.matches(path),
        (
            Subject::Rule {
                list: RuleListKind::Net,
                index,
            },
            Request::Net { proto, .. },
        ) => {
            // On ABI 3.0 a network rule covers every operation of its protocol.
            policy.net[index].proto == *proto
        }
        _ => false,
    }
}

#[test]
fn the_kernel_enforces_the_compiled_profile_as_reported() {
    let policy = enforced_policy();
    let out = compile(&policy, &Config::default()).unwrap();
    let k = kernel::fetch().unwrap_or_else(|e| panic!("{e}"));
    let probe = build_static().unwrap_or_else(|e| panic!("{e}"));
    let mut guest = Guest::new(Lsm::AppArmor, &probe)
        .and_then(Guest::with_apparmor_parser)
        .unwrap_or_else(|e| panic!("{e}"));
    for p in [
        COMPLAINING,
        CONFINED,
        "/usr/bin/helper",
        "/usr/bin/tools/ok",
        "/usr/bin/tools/denied",
        "/usr/bin/other",
    ] {
        guest = guest.probe_at(p);
    }
    for d in [
        "/data/ro/sub",
        "/data/rw/sub",
        "/data/rw/olddir",
        "/data/w",
        "/data/a",
        "/data/c",
        "/data/k",
        "/data/ln",
        "/usr/bin/tools",
    ] {
        guest = guest.dir(d);
    }
    for file in [
        "/data/ro/f",
        "/data/ro/secret",
        "/data/rw/f",
        "/data/rw/g",
        "/data/rw/h",
        "/data/w/file",
        "/data/w/other",
        "/data/a/log",
        "/data/k/file",
        "/data/ln/target",
    ] {
        guest = guest.file(file, 0o644, b"polc\n");
    }
    let cases: Vec<Case> = probes()
        .iter()
        .map(|p| Case {
            id: p.id.into(),
            exec_attr: None,
            exec_path: CONFINED.into(),
            op: p.op.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    let complain = compile(&complain_policy(), &Config::default()).unwrap();
    assert!(complain
        .report
        .entries
        .iter()
        .any(|e| e.subject == Subject::Mode && e.fidelity == Fidelity::Narrowed));
    let complain_case = |id: &str, path: &str| Case {
        id: id.into(),
        exec_attr: None,
        exec_path: COMPLAINING.into(),
        op: vec!["read".into(), path.into()],
    };
    let run = guest
        .file("/etc/polc/policy.aa", 0o644, out.text.as_bytes())
        .file("/etc/polc/complain.aa", 0o644, complain.text.as_bytes())
        .setup("apparmor_parser -r /etc/polc/policy.aa")
        .setup("apparmor_parser -r /etc/polc/complain.aa")
        .cases(cases)
        .cases([
            complain_case("complain-allowed", "/data/ro/f"),
            complain_case("complain-not-granted", "/data/w/other"),
            complain_case("complain-denied", "/data/ro/secret"),
        ])
        .boot(&k.vmlinuz)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(run.console.contains("apparmor"), "{}", run.console);

    let (mut allowed, mut refused) = (0, 0);
    for p in probes() {
        let kernel = match run.results.get(p.id) {
            Some(Outcome::Errno(0)) => true,
            Some(Outcome::Errno(13)) => false,
            other => panic!("{}: unexpected outcome {other:?}\n{}", p.id, run.console),
        };
        if kernel {
            allowed += 1;
        } else {
            refused += 1;
        }
        let want = p.requests.iter().all(|r| evaluate(&policy, r).allowed);
        eprintln!("{:16} kernel {:5} evaluator {:5}", p.id, kernel, want);
        if kernel == want {
            continue;
        }
        let fid = if kernel {
            Fidelity::Widened
        } else {
            Fidelity::Narrowed
        };
        let explained = out.report.entries.iter().any(|e| {
            e.fidelity == fid
                && p.requests
                    .iter()
                    .any(|r| entry_covers(&policy, e.subject, r))
        });
        assert!(
            explained,
            "{}: the kernel {} it but the evaluator {}, and no rule on it is reported {fid}\n{}",
            p.id,
            if kernel { "allows" } else { "refuses" },
            if want { "allows" } else { "refuses" },
            out.text
        );
    }
    // Not vacuous: the exact rules decide as the evaluator does, both ways.
    for (id, want) in [
        ("ro-read", Outcome::Errno(0)),
        ("ro-secret", Outcome::Errno(13)),
        ("ro-list-top", Outcome::Errno(13)),
        ("rw-mkdir", Outcome::Errno(0)),
        // `rename` needs `r` on the directory form: listing is allowed, reported widened.
        ("rw-list", Outcome::Errno(0)),
        ("a-write", Outcome::Errno(13)),
        ("exec-denied", Outcome::Errno(13)),
        ("exec-tool", Outcome::Errno(0)),
        ("net-udp-53", Outcome::Errno(13)),
        // What the report says AppArmor adds or takes away, as the kernel does it:
        // `w` also deletes and creates (widened), ABI 3.0 network rules cover every port
        // (widened), an exclusive lock needs `w` (narrowed).
        ("w-delete", Outcome::Errno(0)),
        ("c-write", Outcome::Errno(0)),
        ("net-bind-8080", Outcome::Errno(0)),
        ("k-lock", Outcome::Errno(13)),
    ] {
        assert_eq!(run.results.get(id), Some(&want), "{id}");
    }
    assert!(
        allowed > 5 && refused > 5,
        "{allowed} allowed, {refused} refused"
    );
    // Complain mode lets through what no rule grants, but not what a deny rule refuses.
    assert_eq!(
        run.results.get("complain-allowed"),
        Some(&Outcome::Errno(0))
    );
    assert_eq!(
        run.results.get("complain-not-granted"),
        Some(&Outcome::Errno(0))
    );
    assert_eq!(
        run.results.get("complain-denied"),
        Some(&Outcome::Errno(13))
    );
}
