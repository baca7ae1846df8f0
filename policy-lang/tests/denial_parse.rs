//! Denial records of each LSM, read from real log formats (see the headers of the files
//! in `tests/denial_data/`), mapped to the policy's terms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::denial::{parse, Access, DenialError, Lsm, PathHint};
use polc_lang::ir::{NetOp, Proto, SignalDir};
use polc_lang::rights::Right;

fn lines(file: &str) -> Vec<String> {
    let path = format!("{}/tests/denial_data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Each line's accesses in one line of text, for the snapshots.
fn summary(file: &str, lsm: Lsm) -> String {
    let mut out = String::new();
    for line in lines(file) {
        let d = parse(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(d.lsm, lsm, "{line}");
        out.push_str(
            &serde_json::to_string(&(
                &d.subject,
                &d.subject_policy,
                &d.permissions,
                &d.accesses,
                d.complain,
                &d.notes,
            ))
            .unwrap(),
        );
        out.push('\n');
    }
    out
}

#[test]
fn apparmor_records() {
    insta::assert_snapshot!(summary("apparmor.log", Lsm::AppArmor));
}

#[test]
fn selinux_records() {
    insta::assert_snapshot!(summary("selinux.log", Lsm::SELinux));
}

#[test]
fn landlock_records() {
    insta::assert_snapshot!(summary("landlock.log", Lsm::Landlock));
}

fn file(path: &str, right: Right) -> Access {
    Access::File {
        path: PathHint::Exact(path.into()),
        right,
    }
}

#[test]
fn apparmor_mask_letters_map_to_rights() {
    let l = lines("apparmor.log");
    assert_eq!(
        parse(&l[0]).unwrap().accesses,
        vec![file("/etc/shadow", Right::Read)]
    );
    assert_eq!(
        parse(&l[1]).unwrap().accesses,
        vec![file("/var/cache/app/tokens.db", Right::Write)]
    );
    assert_eq!(
        parse(&l[2]).unwrap().accesses,
        vec![file("/tmp/evil.sh", Right::Create)]
    );
    assert_eq!(
        parse(&l[3]).unwrap().accesses,
        vec![file("/usr/bin/scp", Right::Exec)]
    );
    // A directory (AppArmor's trailing `/`).
    assert_eq!(
        parse(&l[4]).unwrap().accesses,
        vec![Access::File {
            path: PathHint::Directory("/etc/ssl/private".into()),
            right: Right::List
        }]
    );
    assert_eq!(
        parse(&l[7]).unwrap().accesses,
        vec![file("/tmp/a b.txt", Right::Read)]
    );
    assert_eq!(
        parse(&l[8]).unwrap().accesses,
        vec![file("/var/lib/app/old", Right::Rename)]
    );
    assert_eq!(
        parse(&l[9]).unwrap().accesses,
        vec![Access::Capability {
            name: "setgid".into()
        }]
    );
    assert_eq!(
        parse(&l[10]).unwrap().accesses,
        vec![Access::Signal {
            direction: SignalDir::Send,
            peer: Some("org.example.worker".into()),
            signal: Some("term".into())
        }]
    );
    assert_eq!(
        parse(&l[13]).unwrap().accesses,
        vec![Access::Net {
            op: Some(NetOp::Connect),
            proto: Proto::Tcp,
            family: Some(polc_lang::ir::IpFamily::Inet),
            port: Some(443)
        }]
    );
    assert!(parse(&l[14]).unwrap().complain);
}

#[test]
fn selinux_name_is_only_a_last_component() {
    let l = lines("selinux.log");
    let d = parse(&l[0]).unwrap();
    assert_eq!(d.subject_policy.as_deref(), Some("org.example.app"));
    assert_eq!(
        d.accesses,
        vec![Access::File {
            path: PathHint::EndsWith("shadow".into()),
            right: Right::Read
        }]
    );
    assert_eq!(
        parse(&l[1]).unwrap().accesses,
        vec![file("/usr/bin/convert", Right::Exec)]
    );
    assert_eq!(
        parse(&l[4]).unwrap().accesses,
        vec![Access::Net {
            op: Some(NetOp::Connect),
            proto: Proto::Tcp,
            family: None,
            port: Some(3306)
        }]
    );
    let sig = parse(&l[7]).unwrap();
    assert_eq!(
        sig.accesses,
        vec![Access::Signal {
            direction: SignalDir::Send,
            peer: Some("org.example.web-worker".into()),
            signal: Some("kill".into())
        }]
    );
    assert!(parse(&l[8]).unwrap().complain);
}

#[test]
fn landlock_names_the_directory_of_a_creation() {
    let l = lines("landlock.log");
    assert_eq!(
        parse(&l[0]).unwrap().accesses,
        vec![file("/etc/passwd", Right::Write)]
    );
    let make = parse(&l[2]).unwrap();
    assert_eq!(make.subject.as_deref(), Some("195ba459b"));
    assert_eq!(
        make.accesses,
        vec![
            Access::File {
                path: PathHint::ChildOf("/usr/local".into()),
                right: Right::Create
            },
            Access::File {
                path: PathHint::ChildOf("/usr/local".into()),
                right: Right::Link
            },
            Access::File {
                path: PathHint::ChildOf("/usr/local".into()),
                right: Right::Rename
            },
        ]
    );
    assert_eq!(
        parse(&l[5]).unwrap().accesses,
        vec![Access::Net {
            op: Some(NetOp::Connect),
            proto: Proto::Tcp,
            family: None,
            port: Some(443)
        }]
    );
    assert_eq!(
        parse(&l[6]).unwrap().accesses,
        vec![Access::Net {
            op: Some(NetOp::Bind),
            proto: Proto::Tcp,
            family: None,
            port: Some(8080)
        }]
    );
}

#[test]
fn other_lines_are_refused_with_a_reason() {
    assert_eq!(parse("hello world"), Err(DenialError::Unrecognized));
    assert_eq!(parse(""), Err(DenialError::Unrecognized));
    assert!(matches!(
        parse(r#"audit: apparmor="STATUS" operation="profile_load" profile="unconfined" name="x""#),
        Err(DenialError::NotADenial {
            lsm: Lsm::AppArmor,
            ..
        })
    ));
    // Prose that quotes a record's field is not a record (`apparmor=` starts a field only
    // after a space, `msg='` or at the start of the line).
    assert!(matches!(
        parse(r#"# records of smbd in complain mode (apparmor="ALLOWED": logged only)"#),
        Err(DenialError::NotADenial {
            lsm: Lsm::AppArmor,
            ..
        })
    ));
    assert!(matches!(
        parse("type=AVC msg=audit(1.2:3): avc:  granted  { setenforce } for pid=1 scontext=a:b:c tcontext=a:b:c tclass=security"),
        Err(DenialError::NotADenial { lsm: Lsm::SELinux, .. })
    ));
    assert!(matches!(
        parse(
            r#"type=LANDLOCK_DOMAIN msg=audit(1729738800.268:30): domain=1a6fdc66f status=allocated mode=enforcing pid=286 uid=0 exe="/root/sandboxer" comm="sandboxer""#
        ),
        Err(DenialError::NotADenial {
            lsm: Lsm::Landlock,
            ..
        })
    ));
    assert_eq!(
        parse(r#"apparmor="DENIED" profile="x""#),
        Err(DenialError::MissingField {
            lsm: Lsm::AppArmor,
            field: "operation"
        })
    );
    assert_eq!(
        parse("avc:  denied  { read } for pid=1 tclass=file"),
        Err(DenialError::MissingField {
            lsm: Lsm::SELinux,
            field: "scontext"
        })
    );
}

proptest::proptest! {
    /// Arbitrary text, and mangled real lines, never make the parser panic.
    #[test]
    fn parsing_never_panics(s in ".{0,200}", cut in 0usize..400, which in 0usize..3) {
        let _ = parse(&s);
        let file = ["apparmor.log", "selinux.log", "landlock.log"][which];
        for line in lines(file) {
            let end = line.char_indices().map(|(i, _)| i).nth(cut % line.chars().count().max(1)).unwrap_or(line.len());
            let _ = parse(&line[..end]);
            let _ = parse(&format!("{}{}", &line[end..], s));
        }
    }
}

/// The record of `file` whose line contains `what`.
fn record(file: &str, what: &str) -> polc_lang::denial::Denial {
    let l = lines(file);
    let line = l
        .iter()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no line with {what} in {file}"));
    parse(line).unwrap()
}

/// Records of the v2 constructs, as the kernel tests captured them: each maps to the
/// request the evaluator decides, from the side of the policy the record is about.
#[test]
fn ptrace_unix_and_signals_from_unconfined_map_to_requests() {
    use polc_lang::eval::{Request, RequestPeer, UnixRequestAddr};
    use polc_lang::ir::{PtraceAccess, PtraceDir, UnixOp, UnixType};
    let req = |d: &polc_lang::denial::Denial| -> Vec<Option<Request>> {
        d.accesses.iter().map(Access::request).collect()
    };
    // AppArmor: `tracedby` is the tracee's side.
    let d = record("apparmor.log", "tracedby");
    assert_eq!(d.subject_policy.as_deref(), Some("org.polc.v2.tracee"));
    assert_eq!(
        req(&d),
        vec![Some(Request::ptrace(
            PtraceDir::From,
            PtraceAccess::Trace,
            "org.polc.v2.tracer"
        ))]
    );
    let d = record(
        "apparmor.log",
        r#"requested_mask="trace" denied_mask="trace" peer="unconfined""#,
    );
    assert_eq!(
        req(&d),
        vec![Some(Request::ptrace(
            PtraceDir::To,
            PtraceAccess::Trace,
            "unconfined"
        ))]
    );
    let d = record("apparmor.log", "signal=winch peer=\"unconfined\"");
    assert_eq!(
        req(&d),
        vec![Some(Request::signal(
            SignalDir::Receive,
            "unconfined",
            "winch"
        ))]
    );
    // AppArmor's af_unix records: the peer's address for connect and send.
    let d = record("apparmor.log", "peer_addr=\"@/tmp/.X11-unix/X0\"");
    assert_eq!(
        req(&d),
        [UnixOp::Send, UnixOp::Connect]
            .map(|op| Some(Request::Unix {
                op,
                sock_type: UnixType::Stream,
                addr: UnixRequestAddr::Abstract("@/tmp/.X11-unix/X0".into()),
                peer: RequestPeer::Unconfined,
            }))
            .to_vec()
    );
    // Without af_unix mediation: a type, nothing to ask the evaluator.
    let d = record(
        "apparmor.log",
        "family=\"unix\" sock_type=\"dgram\" protocol=0 requested_mask=\"create\"",
    );
    assert_eq!(
        d.accesses,
        vec![Access::Unix {
            op: None,
            sock_type: Some(UnixType::Dgram),
            addr: None,
            peer: None
        }]
    );
    // SELinux: `file read` on a process context is a ptrace read; `process ptrace` a trace.
    let d = record("selinux.log", "comm=\"v2-tracee\" scontext");
    assert_eq!(
        req(&d),
        vec![Some(Request::ptrace(
            PtraceDir::To,
            PtraceAccess::Read,
            "org.polc.v2.tracer"
        ))]
    );
    let d = record("selinux.log", "{ ptrace }");
    assert_eq!(
        req(&d),
        vec![Some(Request::ptrace(
            PtraceDir::To,
            PtraceAccess::Trace,
            "org.polc.v2.tracer"
        ))]
    );
    // connectto: the abstract name from the hex path, the peer's domain.
    let d = record("selinux.log", "{ connectto }");
    assert_eq!(
        d.accesses,
        vec![Access::Unix {
            op: Some(UnixOp::Connect),
            sock_type: None,
            addr: Some("@polc-v2-unconf-s".into()),
            peer: Some("kernel_t".into()),
        }]
    );
    // A signal from an unconfined shell: what the receiving policy lets it do.
    let d = record("selinux.log", "unconfined_t");
    assert_eq!(d.subject_policy.as_deref(), Some("org.polc.v2.tracee"));
    assert_eq!(
        req(&d),
        vec![Some(Request::signal(
            SignalDir::Receive,
            "unconfined",
            "kill"
        ))]
    );
    // siginh is not a signal.
    let d = record("selinux.log", "{ siginh }");
    assert!(matches!(d.accesses[..], [Access::Unmapped { .. }]));
}

/// Directories are named with a trailing `/` by AppArmor and `tclass=dir` by SELinux: the
/// requests ask about a directory, so directory-only rules decide them.
#[test]
fn directory_records_ask_about_directories() {
    let dir = |p: &str, right| Access::File {
        path: PathHint::Directory(p.into()),
        right,
    };
    let find = |file: &str, needle: &str| {
        let l = lines(file);
        let line = l.iter().find(|x| x.contains(needle)).unwrap().clone();
        parse(&line).unwrap().accesses
    };
    let mkdir = find("apparmor.log", "operation=\"mkdir\"");
    assert_eq!(mkdir, vec![dir("/srv/spool", Right::Create)]);
    assert_eq!(
        mkdir[0].request(),
        Some(polc_lang::eval::Request::dir("/srv/spool", Right::Create))
    );
    assert_eq!(
        find("apparmor.log", "operation=\"rmdir\""),
        vec![dir("/srv/cache", Right::Delete)]
    );
    assert_eq!(
        find("selinux.log", "{ rmdir }"),
        vec![dir("/srv/cache", Right::Delete)]
    );
}
