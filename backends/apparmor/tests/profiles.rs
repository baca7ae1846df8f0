//! Hand-built policies: snapshots of their profiles and fidelity reports, every profile
//! accepted by the real `apparmor_parser`, strict mode, and determinism.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{assert_accepted, parser, policy, render_report, PolicyBuilder};
use polc_apparmor::{compile, Abi, Config, Error};
use polc_lang::fidelity::Fidelity;
use polc_lang::ir::Effect::{Allow, Deny};
use polc_lang::ir::{Policy, SignalDir};

const RIGHTS: [&str; 11] = [
    "read", "write", "append", "create", "delete", "list", "exec", "map-exec", "lock", "link",
    "rename",
];

fn webapp() -> Policy {
    common::ir_support::from_parts(
        "org.example.webapp",
        &[
            "version 3",
            r#"attach "/usr/bin/webapp""#,
            r#"owns "/var/lib/webapp/**""#,
        ],
        common::ir_support::WEBAPP_RULES,
    )
}

fn rights_each(effect: &str) -> Policy {
    let mut lines = Vec::new();
    for r in RIGHTS {
        lines.push(format!(r#"{effect} {r} "/file/{r}""#));
        lines.push(format!(r#"{effect} {r} "/tree/{r}/**""#));
    }
    lines.push(r#"allow manage "/manage/**""#.to_string());
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    policy("test.rights", &lines)
}

fn globs() -> Policy {
    let lines: Vec<String> = [
        "/",
        "/*",
        "/**",
        "/a/*",
        "/a/**",
        "/a/*.conf",
        "/a/**/b",
        "/a/b*",
        "/a/?.txt",
        "/a/{b,c}/d",
        "/a/x{b,}",
        "/a/{b,c/**}",
        "/a/{b,{c,d/*}}",
        "{/x,/y/**}",
        "/a/x*{,y}",
    ]
    .iter()
    .map(|g| format!(r#"allow read list "{g}""#))
    .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    policy("test.globs", &lines)
}

fn escapes() -> Policy {
    PolicyBuilder::new("test.escapes")
        .allow("read", r#"/srv/a"b"#)
        .allow("read", r"/srv/back\slash")
        .allow("read", r"/srv/ends-with\")
        .allow("read", "/srv/[[]brackets]")
        .allow("read", "/srv/comma,separated")
        .allow("read", "/srv/caret^dollar$")
        .allow("read", "/srv/at@sign")
        .allow("read", "/srv/at@{x,y}")
        .allow("read", "/srv/hash#not-a-comment")
        .allow("read", "/srv/space and tab-less")
        .allow("read", "/srv/(parens)+.|")
        .allow("read", "/srv/unicode/é/中/😀")
        .allow("read", r#"/srv/inject" r, /etc/shadow rw, "/x"#)
        .build()
}

fn exec() -> Policy {
    policy(
        "test.exec",
        &[
            r#"allow exec "/usr/bin/*""#,
            r#"allow exec "/usr/bin/convert" as org.example.converter"#,
            r#"allow exec map-exec "/usr/lib/app/*.so""#,
            r#"allow read "/usr/bin/convert""#,
            r#"deny exec "/usr/bin/su""#,
        ],
    )
}

fn network() -> Policy {
    policy(
        "test.network",
        &[
            "allow net connect tcp 443",
            "allow net bind tcp 8080-8089",
            "allow net connect udp",
            "allow net bind udp",
        ],
    )
}

fn network_deny() -> Policy {
    policy(
        "test.network-deny",
        &[
            "allow net connect tcp",
            "deny net connect tcp 25",
            "deny net bind udp",
        ],
    )
}

/// Capabilities and signals the language refuses (`no_such_cap`, `bogus`) can still
/// arrive as IR written by another tool: built as IR.
fn ipc() -> Policy {
    PolicyBuilder::new("test.ipc")
        .complain()
        .cap(Allow, &["net_admin", "checkpoint_restore"])
        .cap(Deny, &["sys_admin"])
        .cap(Allow, &["no_such_cap"])
        .signal(
            Allow,
            SignalDir::Send,
            &["hup", "usr1", "tstp"],
            "org.example.peer",
        )
        .signal(
            Allow,
            SignalDir::Receive,
            &["term", "bogus"],
            "org.example.peer",
        )
        .signal(Deny, SignalDir::Send, &["kill"], "test.ipc")
        .build()
}

fn minimal() -> Policy {
    PolicyBuilder::new("a").build()
}

fn cases() -> Vec<(&'static str, Policy)> {
    vec![
        ("webapp", webapp()),
        ("rights_allow", rights_each("allow")),
        ("rights_deny", rights_each("deny")),
        ("globs", globs()),
        ("escapes", escapes()),
        ("exec", exec()),
        ("network", network()),
        ("network_deny", network_deny()),
        ("ipc", ipc()),
        ("minimal", minimal()),
    ]
}

#[test]
fn abi_3_0_profiles_and_reports() {
    for (name, policy) in cases() {
        let out = compile(&policy, &Config::default()).unwrap();
        insta::assert_snapshot!(format!("{name}.abi3.profile"), out.text);
        insta::assert_snapshot!(format!("{name}.abi3.report"), render_report(&out.report));
        assert_accepted(&out.text);
    }
}

#[test]
fn abi_4_0_profiles_and_reports() {
    let parser = parser();
    let v3 = parser.version().unwrap().starts_with("3.");
    for (name, policy) in [
        ("webapp", webapp()),
        ("network", network()),
        ("network_deny", network_deny()),
    ] {
        let config = Config {
            abi: Abi::V4_0,
            strict: false,
        };
        let out = compile(&policy, &config).unwrap();
        insta::assert_snapshot!(format!("{name}.abi4.profile"), out.text);
        insta::assert_snapshot!(format!("{name}.abi4.report"), render_report(&out.report));
        if v3 {
            // An AppArmor 3 parser has no `abi/4.0` and no fine-grained network syntax: it
            // validates everything else (see docs/backends/apparmor.md).
            let err = parser.validate(&out.text).unwrap_err().to_string();
            assert!(err.contains("abi/4.0"), "{err}");
            let rest: String = out
                .text
                .replace("abi <abi/4.0>,", "abi <abi/3.0>,")
                .lines()
                .filter(|l| !l.trim_start().starts_with("network") && !l.contains(" network "))
                .map(|l| format!("{l}\n"))
                .collect();
            assert_accepted(&rest);
        } else {
            assert_accepted(&out.text);
        }
    }
}

#[test]
fn every_rule_has_an_entry_covering_its_rights() {
    for (name, policy) in cases() {
        let out = compile(&policy, &Config::default()).unwrap();
        for (i, f) in policy.files.iter().enumerate() {
            let covered = out
                .report
                .entries
                .iter()
                .filter(|e| {
                    e.subject
                        == polc_lang::fidelity::Subject::Rule {
                            list: polc_lang::fidelity::RuleListKind::File,
                            index: i,
                        }
                })
                .fold(polc_lang::rights::Rights::EMPTY, |a, e| {
                    a.union(e.rights.unwrap())
                });
            assert_eq!(covered, f.rights, "{name} file[{i}]");
        }
        let count = |k| {
            out.report
                .entries
                .iter()
                .filter(|e| matches!(e.subject, polc_lang::fidelity::Subject::Rule { list, .. } if list == k))
                .count()
        };
        use polc_lang::fidelity::RuleListKind as K;
        assert_eq!(count(K::Net), policy.net.len(), "{name}");
        assert_eq!(count(K::Capability), policy.capabilities.len(), "{name}");
        assert_eq!(count(K::Signal), policy.signals.len(), "{name}");
    }
}

#[test]
fn exact_rules_pass_strict_mode() {
    let p = policy(
        "org.example.exact",
        &[
            r#"allow read list "/etc/app/**""#,
            r#"allow manage "/var/lib/app/**""#,
            r#"allow exec map-exec "/usr/bin/app""#,
            r#"deny append exec map-exec lock link "/etc/app/secret""#,
            "allow net connect tcp",
            "allow net bind tcp",
            "allow capability setuid",
        ],
    );
    let strict = Config {
        abi: Abi::V3_0,
        strict: true,
    };
    let out = compile(&p, &strict).unwrap();
    assert!(out
        .report
        .entries
        .iter()
        .all(|e| e.fidelity <= Fidelity::Narrowed));
}

#[test]
fn strict_mode_lists_every_widened_and_unsupported_entry() {
    let strict = Config {
        abi: Abi::V3_0,
        strict: true,
    };
    let err = compile(&webapp(), &strict).unwrap_err();
    let v = err.violations();
    let rules: Vec<String> = v
        .iter()
        .map(|e| format!("{}: {}", e.fidelity, e.rule))
        .collect();
    insta::assert_snapshot!("webapp.strict", format!("{err}\n{}", rules.join("\n")));
    assert!(v.iter().all(|e| !e.origins.is_empty()));
    assert!(matches!(err, Error::Strict { .. }));
    // The widened rules of ABI 3.0 are exact on ABI 4.0 except the file rights.
    let err4 = compile(
        &webapp(),
        &Config {
            abi: Abi::V4_0,
            strict: true,
        },
    )
    .unwrap_err();
    assert!(err4.violations().len() < v.len());
}

#[test]
fn output_is_deterministic_and_order_independent() {
    let a = webapp();
    let mut b = a.clone();
    b.files.reverse();
    b.net.reverse();
    b.capabilities.reverse();
    b.signals.reverse();
    let ca = compile(&a, &Config::default()).unwrap();
    let cb = compile(&b, &Config::default()).unwrap();
    assert_eq!(ca.text, cb.text);
    assert_eq!(ca.text, compile(&a, &Config::default()).unwrap().text);
}

#[test]
fn unsafe_input_is_refused() {
    // Such globs cannot reach the IR (the glob module refuses them; the backend's own
    // refusal of them is unit-tested in `aare`).
    for glob in ["/a\nb", "/a//b", "relative", "/a/{b", "/a\u{0}"] {
        assert!(polc_lang::glob::Glob::parse(glob).is_err(), "{glob:?}");
    }
    let p = PolicyBuilder::new("t").attach("/usr/bin/a\nb").build();
    let e = compile(&p, &Config::default()).unwrap_err();
    assert!(matches!(e, Error::UnsafeAttach { .. }));
    assert_eq!(
        e.to_string(),
        "cannot write the attach path \"/usr/bin/a\\nb\" at test.pol:2:5 for AppArmor: it holds \
         the control character `\\n`"
    );
    let p = PolicyBuilder::new("unconfined").build();
    assert_eq!(
        compile(&p, &Config::default()).unwrap_err().to_string(),
        "the name `unconfined` is reserved by AppArmor"
    );
    let p = PolicyBuilder::new("t")
        .allow_as("exec", "/bin/x", "unconfined")
        .build();
    assert!(matches!(
        compile(&p, &Config::default()),
        Err(Error::ReservedName { .. })
    ));
    let p = PolicyBuilder::new("t")
        .allow("exec", "/bin/x")
        .allow_as("exec", "/bin/x", "other")
        .build();
    assert!(matches!(
        compile(&p, &Config::default()),
        Err(Error::ConflictingExec { .. })
    ));
}

#[test]
fn abi_names() {
    assert_eq!("3.0".parse::<Abi>().unwrap(), Abi::V3_0);
    assert_eq!("4.0".parse::<Abi>().unwrap(), Abi::V4_0);
    assert_eq!(
        "5.0".parse::<Abi>().unwrap_err().to_string(),
        "unknown AppArmor ABI `5.0`: use `3.0` or `4.0`"
    );
    assert_eq!(Abi::default(), Abi::V3_0);
}

/// The longest path `apparmor_parser` reads: a quoted token of 16,382 bytes (its flex
/// scanner's buffer is 16 KiB). A pattern one byte longer is refused by polc, naming the
/// rule, instead of emitted for the parser to reject.
#[test]
fn patterns_longer_than_the_parser_reads_are_refused_with_the_rule() {
    let max = polc_apparmor::MAX_PATTERN;
    // `/aaa…a` as a file rule: the file form is the literal path.
    let path = |len: usize| format!("/{}", "a".repeat(len - 1));
    let p = PolicyBuilder::new("t").allow("read", &path(max)).build();
    let text = compile(&p, &Config::default()).unwrap().text;
    assert!(text.contains(&format!("\"{}\" r,", path(max))));
    common::assert_accepted(&text);
    // The same profile with the path one byte longer: the parser cannot read it...
    let longer = text.replace(&path(max), &path(max + 1));
    assert!(
        common::parser().validate(&longer).is_err(),
        "apparmor_parser reads longer tokens now"
    );
    // ...and polc refuses it, naming the rule.
    let p = PolicyBuilder::new("t")
        .allow("read", &path(max + 1))
        .build();
    let e = compile(&p, &Config::default()).unwrap_err();
    assert!(matches!(e, Error::UnsafeGlob { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with("cannot write the glob \"/aaaa"), "{msg}");
    assert!(
        msg.ends_with(&format!(
            "…\" of the rule at test.pol:2:5 for AppArmor: its AppArmor pattern is longer than {max} bytes"
        )),
        "{msg}"
    );
    assert!(msg.len() < 200, "the message does not repeat the pattern");
}
