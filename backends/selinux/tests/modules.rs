//! Golden CIL of hand-built policies, checked by secilc and sesearch against the minimal
//! base policy: the binary policy holds exactly the allow rules each module promises.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::fidelity::{Fidelity, RuleListKind, Subject};
use polc_lang::ir::Effect;
use polc_lang::ir::{NetOp, Policy, Proto, SignalDir};
use polc_selinux::{compile, Compiled, Config, Error};
use std::process::Command;

fn compiled(p: &Policy) -> Compiled {
    compile(p, &base_config()).unwrap()
}

fn cases() -> Vec<(&'static str, Policy)> {
    vec![
        ("webapp", webapp()),
        ("converter", converter()),
        (
            "owned_state",
            policy(
                "org.example.state",
                &[
                    r#"owns "/var/lib/state", "/var/lib/state/**""#,
                    r#"allow manage "/var/lib/state", "/var/lib/state/**""#,
                    r#"deny write "/var/lib/state/keys/**""#,
                ],
            ),
        ),
        (
            "exact_system_types",
            policy(
                "org.example.reader",
                &[
                    "mode complain",
                    r#"allow read list "/etc/ssl/**""#,
                    r#"allow read "/etc/ssl""#,
                    r#"allow exec read map-exec "/usr/bin/convert""#,
                ],
            ),
        ),
        (
            "network",
            policy(
                "org.example.net",
                &[
                    "allow net connect tcp 443",
                    "allow net connect tcp 80",
                    "allow net connect tcp 8443",
                    "allow net bind udp 5353",
                    "allow net connect udp 53",
                ],
            ),
        ),
        (
            "signals_and_caps",
            policy(
                "org.example.sig",
                &[
                    "allow capability kill, syslog, sys_admin",
                    "deny capability sys_admin",
                    "allow signal send to org.example.webapp",
                    "allow signal send kill to self",
                    "allow signal receive kill from self",
                ],
            ),
        ),
        (
            // A child policy is a sub-domain: its rules on the parent's owned paths use
            // the parent's types, its bound port gets a type of its own (which the
            // parent's bind rule loses: narrowed), `self` is the
            // sub-domain, and complain mode makes it permissive too; a hat is not compiled.
            "child_subdomain",
            P::new("org.example.parent")
                .complain()
                .attach("/usr/bin/parent")
                .owns("/srv/parent/**")
                .allow("read", "/srv/parent/**")
                .net(Effect::Allow, NetOp::Bind, Proto::Tcp, 8080, 8089)
                .exec_child("/usr/bin/kid", "kid")
                .child(
                    "kid",
                    false,
                    P::new("kid")
                        .allow("read write", "/srv/parent/kid/**")
                        .allow("read map-exec", "/usr/bin/kid")
                        .net(Effect::Allow, NetOp::Bind, Proto::Tcp, 8085, 8085)
                        .signal(Effect::Allow, SignalDir::Send, &["term"], "kid"),
                )
                .child("login", true, P::new("login").allow("read", "/etc/ssl/**"))
                .build(),
        ),
    ]
}

#[test]
fn golden_cil_and_reports() {
    for (name, p) in cases() {
        let c = compiled(&p);
        insta::assert_snapshot!(format!("{name}_cil"), c.cil);
        insta::assert_snapshot!(format!("{name}_report"), report_text(&c));
    }
}

#[test]
fn secilc_accepts_and_sesearch_shows_exactly_the_promised_rules() {
    let all: Vec<(String, Policy)> = cases()
        .into_iter()
        .map(|(_, p)| (polc_selinux::block_name(&p.name), p))
        .collect();
    let compiled: Vec<(String, Compiled)> =
        all.iter().map(|(n, p)| (n.clone(), compiled(p))).collect();
    let modules: Vec<(String, String)> = compiled
        .iter()
        .map(|(n, c)| (n.clone(), c.cil.clone()))
        .collect();
    let (_dir, pol) = secilc_batch(&modules);
    let rules = sesearch_allows(&pol);
    let installed: Vec<&str> = all.iter().map(|(_, p)| p.name.as_str()).collect();
    // a rule naming two blocks is promised by one module and shown for both
    let promised_all = promised(compiled.iter().map(|x| &x.1), &installed);
    for (block, _) in &compiled {
        let shown = of_block(&rules, block);
        let want = of_block(&promised_all, block);
        assert_eq!(
            shown, want,
            "allow rules of `{block}` differ from the promised ones"
        );
    }
}

#[test]
fn without_file_contexts_unowned_paths_are_errors() {
    let p = P::new("org.example.a")
        .owns("/var/lib/a/**")
        .allow("read", "/var/lib/a/**")
        .allow("read", "/etc/ssl/**")
        .build();
    let err = compile(&p, &Config::default()).unwrap_err();
    match &err {
        Error::NeedsFileContexts(v) => {
            assert_eq!(v.len(), 1);
            assert!(v[0].rule.contains("/etc/ssl/**"), "{v:?}");
        }
        e => panic!("unexpected {e:?}"),
    }
    assert!(err.to_string().contains("file contexts"));
    // owned paths alone compile, narrowed (the directories leading to them are unknown)
    let p = P::new("org.example.a")
        .owns("/var/lib/a/**")
        .allow("read", "/var/lib/a/**")
        .build();
    let c = compile(&p, &Config::default()).unwrap();
    assert!(c
        .report
        .entries
        .iter()
        .any(|e| e.fidelity == Fidelity::Narrowed));
}

#[test]
fn strict_mode_refuses_widened_rules() {
    let p = P::new("org.example.a").allow("read", "/etc/passwd").build();
    let mut cfg = base_config();
    let c = compile(&p, &cfg).unwrap();
    let e = c
        .report
        .entries
        .iter()
        .find(|e| e.rule.contains("/etc/passwd"))
        .unwrap();
    assert_eq!(e.fidelity, Fidelity::Widened);
    assert!(e.reason.contains("`etc_t`"), "{}", e.reason);
    cfg.strict = true;
    assert!(matches!(compile(&p, &cfg), Err(Error::Strict { .. })));
}

/// A child policy's rules are judged as the parent's, each in its own entry: strict mode
/// accepts a child whose rules are exact and refuses one whose rule is widened, naming
/// the child's rule.
#[test]
fn strict_mode_judges_each_rule_of_a_child_policy() {
    let with_child = |glob: &str| {
        P::new("org.example.parent")
            .owns("/srv/parent/**")
            .owns("/srv/kid")
            .allow("read", "/srv/parent/**")
            .allow("read map-exec", "/srv/kid")
            .exec_child("/srv/kid", "kid")
            .child("kid", false, P::new("kid").allow("read", glob))
            .build()
    };
    let mut cfg = base_config();
    cfg.strict = true;
    let c = compile(&with_child("/srv/parent/**"), &cfg).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(c
        .cil
        .contains("(typetransition domain owned_1 process child_kid)"));
    match compile(&with_child("/srv/parent/a"), &cfg) {
        Err(Error::Strict { report }) => {
            let v: Vec<_> = report.strict_violations().collect();
            assert_eq!(v.len(), 1, "{v:?}");
            assert_eq!(
                v[0].subject,
                Subject::ChildRule {
                    child: 0,
                    list: RuleListKind::File,
                    index: 0
                }
            );
            assert!(
                v[0].rule.starts_with("child kid: allow read"),
                "{}",
                v[0].rule
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A deny on an owned glob reuses the owned type: a second type with the same file context
/// regex would leave the label to the order of equal entries, which libselinux does not
/// define (the kernel test saw the owned type win, without the grants).
#[test]
fn a_deny_on_an_owned_glob_gets_no_type_of_its_own() {
    let p = P::new("org.example.owned")
        .owns("/srv/o")
        .owns("/srv/o/**")
        .owns("/srv/o/s/**")
        .allow("read", "/srv/o/**")
        .deny("link", "/srv/o")
        .deny("write", "/srv/o/s/**")
        .deny("read", "/srv/o/s/k/**")
        .build();
    let c = compiled(&p);
    let filecons: Vec<&str> = c
        .cil
        .lines()
        .filter(|l| l.trim_start().starts_with("(filecon "))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for l in &filecons {
        let key: Vec<&str> = l.split_whitespace().take(3).collect();
        assert!(
            seen.insert(key),
            "two file contexts for one regex:\n{}",
            c.cil
        );
    }
    // the owned directory keeps its type, and the grants give it traversal
    assert!(c.cil.contains("(filecon \"/srv/o\" any"), "{}", c.cil);
    assert!(
        c.cil.contains("(allow domain owned_0 (dir (search)))"),
        "{}",
        c.cil
    );
    // the deny strictly inside an owned glob still gets its carve-out
    assert!(c.cil.contains("(type denied_3)"), "{}", c.cil);
    assert_eq!(filecons.len(), 4, "{}", c.cil);
}

/// A launcher enters the domain (by itself when it executes the `attach` executable) and
/// the types join the target's attributes on request; secilc builds it, sesearch and
/// seinfo show it in the binary policy.
#[test]
fn launchers_and_attributes_join_the_target_policy() {
    let p = P::new("org.example.launched")
        .attach("/usr/bin/launched")
        .owns("/srv/launched/**")
        .allow("read", "/srv/launched/**")
        .build();
    let mut cfg = base_config();
    cfg.launchers = vec!["kernel_t:system_r".parse().unwrap()];
    cfg.attributes = vec![
        "domain=domain".parse().unwrap(),
        "file=file_type".parse().unwrap(),
    ];
    let c = compile(&p, &cfg).unwrap();
    insta::assert_snapshot!("launched_cil", c.cil);
    let mode = c
        .report
        .entries
        .iter()
        .find(|e| e.subject == polc_lang::fidelity::Subject::Mode)
        .unwrap();
    assert_eq!(mode.fidelity, Fidelity::Widened);
    assert!(mode.reason.contains("`domain`"), "{}", mode.reason);
    cfg.strict = true;
    assert!(matches!(compile(&p, &cfg), Err(Error::Strict { .. })));

    let (_dir, pol) = secilc_batch(&[(c.module_name.clone(), c.cil.clone())]);
    let b = "org_example_launched";
    let sesearch = |args: &[&str]| run(Command::new(tool("sesearch")).args(args).arg(&pol));
    let tt = sesearch(&["-T", "-s", "kernel_t"]);
    assert!(
        tt.contains(&format!(
            "type_transition kernel_t {b}.entry:process {b}.domain;"
        )),
        "{tt}"
    );
    let tr = sesearch(&["-A", "-s", "kernel_t", "-t", &format!("{b}.domain")]);
    assert!(tr.contains("process transition"), "{tr}");
    let back = sesearch(&["-A", "-s", &format!("{b}.domain"), "-t", "kernel_t"]);
    for perm in ["fd use", "process sigchld"] {
        assert!(back.contains(perm), "{perm}: {back}");
    }
    // the attribute's rule applies to the domain, and the file types are file types
    let attr = sesearch(&["-A", "-s", &format!("{b}.domain"), "-t", "etc_t"]);
    assert!(attr.contains("allow domain etc_t:file getattr;"), "{attr}");
    let seinfo = |args: &[&str]| run(Command::new(tool("seinfo")).args(args).arg(&pol));
    assert!(seinfo(&["-a", "domain", "-x"]).contains(&format!("{b}.domain")));
    for t in ["owned_0", "entry"] {
        let files = sesearch(&[
            "-A",
            "-s",
            "kernel_t",
            "-t",
            &format!("{b}.{t}"),
            "-c",
            "file",
        ]);
        assert!(
            files.contains("allow kernel_t file_type:file getattr;"),
            "{t}: {files}"
        );
    }
    let roles = seinfo(&["-r", "system_r", "-x"]);
    assert!(roles.contains(&format!("{b}.domain")), "{roles}");
}

#[test]
fn launcher_and_attribute_names_are_checked() {
    let p = P::new("org.example.launched").build();
    let mut cfg = base_config();
    cfg.launchers = vec![polc_selinux::Launcher {
        domain: "kernel_t) (allow kernel_t self (process (setcurrent".into(),
        role: "system_r".into(),
    }];
    assert!(matches!(compile(&p, &cfg), Err(Error::BadName(_))));
    cfg.launchers.clear();
    cfg.attributes = vec![polc_selinux::Attribute {
        kind: polc_selinux::TypeKind::File,
        name: "a.b".into(),
    }];
    assert!(matches!(compile(&p, &cfg), Err(Error::BadName(_))));
}
