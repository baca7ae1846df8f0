//! Lowering: resolution of abstractions, substitution, merging and canonical order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::diagnostics::Code;
use polc_lang::ir::Effect;
use polc_lang::ir::{Mode, NetOp, PortRange, Proto, SignalDir, UsedAbstraction};
use polc_lang::rights::{Right, Rights};
use polc_lang::{load, LoadOptions, Source};

fn rights(names: &[&str]) -> Rights {
    names.iter().map(|n| Right::from_name(n).unwrap()).collect()
}

#[test]
fn file_rules_merge_by_effect_glob_and_transition() {
    let l = policy(&pol(
        "allow read \"/a\"\nallow write \"/a\"\nallow exec \"/a\" as org.x\ndeny lock \"/a\"",
    ));
    let f = &l.policy.files;
    assert_eq!(f.len(), 3, "{f:#?}");
    assert_eq!(f[0].effect, Effect::Allow);
    assert_eq!(f[0].exec_as, None);
    assert_eq!(f[0].rights, rights(&["read", "write", "append"]));
    assert_eq!(f[0].origins.len(), 2);
    assert_eq!(f[0].origins[0].rights, rights(&["read"]));
    assert_eq!(f[0].origins[1].rights, rights(&["write", "append"]));
    assert_eq!(f[0].origins[1].origin.line, 3);
    assert_eq!(f[0].origins[1].origin.column, 1);
    assert_eq!(f[1].exec_as.as_ref().unwrap().as_str(), "org.x");
    assert_eq!(f[2].effect, Effect::Deny);
}

#[test]
fn groups_and_implications() {
    let l = policy(&pol("allow manage \"/a\"\nallow all \"/b\""));
    assert_eq!(
        l.policy.files[0].rights,
        rights(&["read", "write", "append", "create", "delete", "list", "lock", "link", "rename"])
    );
    assert_eq!(l.policy.files[1].rights.iter().count(), 11);
}

#[test]
fn order_of_statements_does_not_matter() {
    let stmts = [
        "allow read \"/z\"",
        "deny read \"/a/secret\"",
        "allow read \"/a/**\"",
        "allow net connect tcp 443",
        "allow net bind udp",
        "allow capability setuid",
        "allow capability chown",
        "allow signal send term to org.b",
        "allow signal receive from self",
    ];
    let key = |text: String| {
        let p = policy(&text).policy;
        let files: Vec<_> = p
            .files
            .iter()
            .map(|r| (r.effect, r.glob.to_string(), r.rights, r.exec_as.clone()))
            .collect();
        let net: Vec<_> = p
            .net
            .iter()
            .map(|r| (r.effect, r.op, r.proto, r.ports))
            .collect();
        let caps: Vec<_> = p
            .capabilities
            .iter()
            .map(|r| r.capability.clone())
            .collect();
        let sigs: Vec<_> = p
            .signals
            .iter()
            .map(|r| (r.direction, r.peer.to_string(), r.signals.clone()))
            .collect();
        (files, net, caps, sigs)
    };
    let fwd = key(pol(&stmts.join("\n")));
    let mut rev = stmts.to_vec();
    rev.reverse();
    assert_eq!(fwd, key(pol(&rev.join("\n"))));
    assert_eq!(fwd.0[0].1, "/a/**");
    assert_eq!(fwd.0[1].1, "/z");
    assert_eq!(fwd.0[2].0, Effect::Deny);
    assert_eq!(fwd.2, vec!["chown".to_string(), "setuid".to_string()]);
    assert_eq!(
        fwd.1[0],
        (
            Effect::Allow,
            NetOp::Connect,
            Proto::Tcp,
            PortRange { lo: 443, hi: 443 }
        )
    );
    assert_eq!(fwd.1[1].3, PortRange::ALL);
    assert_eq!(
        fwd.3[0],
        (
            SignalDir::Send,
            "org.b".to_string(),
            ["term".to_string()].into()
        )
    );
    assert_eq!(fwd.3[1].1, "org.example.app");
    assert!(fwd.3[1].2.is_empty());
}

#[test]
fn header_fields() {
    let l = policy(&pol(
        "version 3\nattach \"/usr/bin/app\"\nmode complain\nowns \"/var/lib/app/**\", \"/etc/app/**\"\nowns \"/etc/app/**\"",
    ));
    let p = &l.policy;
    assert_eq!(p.version, Some(3));
    assert_eq!(p.mode, Mode::Complain);
    assert_eq!(p.attach.as_ref().unwrap().path, "/usr/bin/app");
    assert_eq!(p.attach.as_ref().unwrap().origin.line, 3);
    assert_eq!(p.owns.len(), 2);
    assert_eq!(p.owns[0].glob.to_string(), "/etc/app/**");
    assert_eq!(p.owns[0].origins.len(), 2);
}

#[test]
fn abstractions_expand_with_via_chains() {
    let t = format!(
        "{}abstraction a {{\n    version 4\n    use tmp\n    allow read \"/etc/a\"\n}}\n",
        pol("use a")
    );
    let l = policy(&t);
    let p = &l.policy;
    assert_eq!(
        p.uses,
        vec![
            UsedAbstraction {
                name: "a".into(),
                version: 4,
                source: "app.pol".into()
            },
            UsedAbstraction {
                name: "tmp".into(),
                version: 1,
                source: "stdlib:tmp".into()
            },
        ]
    );
    let a = p
        .files
        .iter()
        .find(|r| r.glob.to_string() == "/etc/a")
        .unwrap();
    assert_eq!(a.origins[0].origin.via, vec!["a".to_string()]);
    let tmp = p
        .files
        .iter()
        .find(|r| r.glob.to_string() == "/tmp/**")
        .unwrap();
    assert_eq!(&*tmp.origins[0].origin.file, "stdlib:tmp");
    assert_eq!(
        tmp.origins[0].origin.via,
        vec!["a".to_string(), "tmp".to_string()]
    );
    // Column 9: tmp's rule is inside its `accept` block.
    assert_eq!(
        tmp.origins[0].origin.to_string(),
        format!(
            "stdlib:tmp:{}:9 (via use a → tmp)",
            tmp.origins[0].origin.line
        )
    );
    assert!(l.sources.get("stdlib:tmp").is_some());
    assert!(l.sources.get("stdlib:base").is_none());
}

#[test]
fn an_abstraction_is_expanded_once_by_its_shortest_chain() {
    let t = format!(
        "{}abstraction a {{\n    version 1\n    use tmp\n}}\n",
        pol("use a, tmp")
    );
    let p = policy(&t).policy;
    let tmp = p
        .files
        .iter()
        .find(|r| r.glob.to_string() == "/tmp/**")
        .unwrap();
    assert_eq!(tmp.origins.len(), 1);
    assert_eq!(tmp.origins[0].origin.via, vec!["tmp".to_string()]);
}

#[test]
fn search_order_own_then_extra_then_stdlib() {
    let own_tmp = "abstraction tmp {\n    version 7\n    allow read \"/own\"\n}\n";
    let extra = Source::new(
        "extra.pol",
        "abstraction tmp {\n    version 8\n    allow read \"/extra\"\n}\npolicy org.ignored {\n}\n",
    );
    let opts = LoadOptions {
        abstractions: vec![extra],
        ..LoadOptions::default()
    };
    let with_own = format!("{}{own_tmp}", pol("use tmp"));
    let l = load(&Source::new("app.pol", with_own), &opts).unwrap();
    assert_eq!(l.policy.uses[0].version, 7);
    assert_eq!(l.policy.files[0].glob.to_string(), "/own");
    let l = load(&Source::new("app.pol", pol("use tmp")), &opts).unwrap();
    assert_eq!(l.policy.uses[0].version, 8);
    assert_eq!(l.policy.uses[0].source, "extra.pol");
    assert!(l.sources.get("extra.pol").is_some());
    let l = load(
        &Source::new("app.pol", pol("use tmp")),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(l.policy.uses[0].source, "stdlib:tmp");
}

#[test]
fn variables_are_substituted_and_overridden() {
    let t = pol("var dir = \"/var/lib/app\"\nattach \"${dir}/bin/app\"\nallow read \"${dir}/**\", \"/etc/{a,b}${dir}\"");
    let p = policy(&t).policy;
    assert_eq!(p.attach.as_ref().unwrap().path, "/var/lib/app/bin/app");
    let globs: Vec<String> = p.files.iter().map(|r| r.glob.to_string()).collect();
    assert_eq!(globs, vec!["/etc/{a,b}/var/lib/app", "/var/lib/app/**"]);
    let mut opts = LoadOptions::default();
    opts.vars.insert("dir".into(), "/srv".into());
    opts.vars.insert("other".into(), "/unused".into());
    let l = load(&Source::new("app.pol", t), &opts).unwrap();
    assert_eq!(l.policy.files[1].glob.to_string(), "/srv/**");
    // supplied without a declaration
    let l = load(
        &Source::new("app.pol", pol("allow read \"${other}\"")),
        &opts,
    )
    .unwrap();
    assert_eq!(l.policy.files[0].glob.to_string(), "/unused");
}

#[test]
fn diagnostics_sorted_by_file_then_position() {
    let extra = Source::new(
        "zzz.pol",
        "abstraction h {\n    version 1\n    allow reed \"/a\"\n}\n",
    );
    let opts = LoadOptions {
        abstractions: vec![extra],
        ..LoadOptions::default()
    };
    let t = pol("use h\nallow frob \"/a\"\nallow capability nope");
    let f = load(&Source::new("app.pol", t), &opts).unwrap_err();
    let got: Vec<(String, Code)> = f
        .diagnostics
        .iter()
        .map(|d| (d.file.clone(), d.code))
        .collect();
    assert_eq!(
        got,
        vec![
            ("app.pol".to_string(), Code::UnknownRight),
            ("app.pol".to_string(), Code::UnknownCapability),
            ("zzz.pol".to_string(), Code::UnknownRight),
        ]
    );
    assert!(f.sources.get("zzz.pol").is_some());
}

#[test]
fn ir_json_of_the_reference_example() {
    let text = r#"policy org.example.webapp {
    version 3
    attach "/usr/bin/webapp"
    mode enforce
    use tmp@1
    var state_dir = "/var/lib/webapp"

    owns "/var/lib/webapp/**"

    allow read "/etc/ssl/**", "/usr/share/webapp/**"
    allow read write create delete "${state_dir}/**"
    allow exec map-exec "/usr/bin/webapp"
    allow exec "/usr/bin/convert" as org.example.converter
    deny  read "/etc/ssl/private/**"

    allow net connect tcp 443
    allow net bind tcp 8080-8089
    allow capability net_bind_service, setuid
    allow signal send term, kill to org.example.webapp
    allow signal receive from self
}
"#;
    let l = load(
        &Source::new("examples/webapp.pol", text),
        &LoadOptions::default(),
    )
    .unwrap();
    insta::assert_snapshot!(l.policy.to_json());
}

/// A policy using `a1`, which uses `a2`, ... down to `a{depth}`, each with one rule.
fn use_chain(depth: usize) -> String {
    let mut s = String::from("policy org.example.app {\n    use a1\n}\n");
    for i in 1..=depth {
        let next = if i < depth {
            format!("use a{} ", i + 1)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "abstraction a{i} {{ version 1 {next}allow read \"/d{i}/**\" }}\n"
        ));
    }
    s
}

#[test]
fn use_chains_are_bounded() {
    // 16 deep: every rule is loaded with its chain.
    let loaded = load(
        &Source::new("deep.pol", use_chain(16)),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(loaded.policy.files.len(), 16);
    let deepest = loaded
        .policy
        .files
        .iter()
        .map(|r| r.origins[0].origin.via.len())
        .max();
    assert_eq!(deepest, Some(16));
    // 17 deep: E0141 at `use a17`, naming the chain's start.
    let failed = load(
        &Source::new("deep.pol", use_chain(17)),
        &LoadOptions::default(),
    )
    .unwrap_err();
    let codes: Vec<_> = failed.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::UseTooDeep]);
    let d = &failed.diagnostics[0];
    assert_eq!(
        d.message,
        "`use a17` is 17 abstractions deep, more than the limit of 16"
    );
    assert!(d.help_text().starts_with("the chain starts with `use a1`"));
    // 3,000 deep (each rule used to carry its whole chain: 767 MB, 6.8 s): one error.
    let failed = load(
        &Source::new("deep.pol", use_chain(3000)),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(failed.diagnostics.len(), 1);
    assert_eq!(failed.diagnostics[0].code, Code::UseTooDeep);
}
