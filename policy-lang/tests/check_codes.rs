//! One test per semantic diagnostic code: the code, the message, the help and the
//! underlined text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_lang::diagnostics::Code;
use polc_lang::LoadOptions;

#[test]
fn e0100_invalid_policy_name() {
    let t = "policy org.Example.app {\n}\n";
    let d = only(t, Code::InvalidName);
    assert_eq!(
        d.message,
        "invalid policy name `org.Example.app`: label `Example` starts with `E`, not a lowercase letter"
    );
    assert_eq!(underlined(t, &d), "org.Example.app");
    assert!(d.help_text().starts_with("write `org.example.app`"));
}

#[test]
fn e0100_names_that_could_inject_are_refused() {
    for bad in ["org_example", "a--b", "-a", "a-"] {
        let t = pol(&format!("allow exec \"/usr/bin/x\" as {bad}"));
        let d = only(&t, Code::InvalidName);
        assert_eq!(underlined(&t, &d), bad, "{bad}");
    }
    let t = pol(&format!("allow signal send to {}", "a".repeat(101)));
    let d = only(&t, Code::InvalidName);
    assert!(d.message.contains("longer than 100 bytes"), "{}", d.message);
}

#[test]
fn e0100_self_is_reserved() {
    let t = "policy self {\n}\n";
    let d = only(t, Code::InvalidName);
    assert_eq!(d.message, "`self` cannot be used as policy name");
    let t = pol("allow exec \"/usr/bin/x\" as self");
    let d = only(&t, Code::InvalidName);
    assert_eq!(underlined(&t, &d), "self");
}

#[test]
fn e0101_unknown_right_with_suggestion() {
    let t = pol("allow reed write \"/etc/app.conf\"");
    let d = only(&t, Code::UnknownRight);
    assert_eq!(d.message, "unknown access right `reed`");
    assert_eq!(underlined(&t, &d), "reed");
    assert!(d.help_text().starts_with("did you mean `read`? rights are"));
    let t = pol("allow frobnicate \"/etc/app.conf\"");
    let d = only(&t, Code::UnknownRight);
    assert_eq!(d.help, None);
}

#[test]
fn e0102_unknown_abstraction() {
    let t = pol("use bsae");
    let d = only(&t, Code::UnknownAbstraction);
    assert_eq!(d.message, "unknown abstraction `bsae`");
    assert_eq!(underlined(&t, &d), "bsae");
    assert!(d.help_text().starts_with("did you mean `base`?"));
}

#[test]
fn e0103_version_mismatch() {
    let t = pol("use tmp@2");
    let d = only(&t, Code::AbstractionVersion);
    assert_eq!(
        d.message,
        "`tmp@2` requires version 2, but `tmp` is version 1"
    );
    assert_eq!(underlined(&t, &d), "tmp@2");
    assert!(d.help_text().contains("stdlib:tmp:"), "{}", d.help_text());
    // in the same file: a secondary label on the version
    let t = format!("{}abstraction h {{\n    version 3\n}}\n", pol("use h@1"));
    let d = only(&t, Code::AbstractionVersion);
    let l = &d.secondary[0];
    assert_eq!(&t[l.span.start..l.span.end], "version 3");
    // the right version is fine
    let t = format!(
        "{}abstraction h {{\n    version 3\n}}\n",
        pol("use h@3, tmp@1")
    );
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
}

#[test]
fn e0104_cycles() {
    let t = format!(
        "{}abstraction a {{\n    version 1\n    use b\n}}\nabstraction b {{\n    version 1\n    use a\n}}\n",
        pol("use a")
    );
    let d = only(&t, Code::CyclicUse);
    assert_eq!(d.message, "cyclic use of abstractions: `a` → `b` → `a`");
    assert_eq!(
        d.primary.as_ref().unwrap().span.start,
        offset_of(&t, "use a", 1) + 4
    );
    let t = format!(
        "{}abstraction a {{\n    version 1\n    use a\n}}\n",
        pol("use a")
    );
    let d = only(&t, Code::CyclicUse);
    assert_eq!(d.message, "abstraction `a` uses itself");
}

#[test]
fn e0105_unknown_variable_points_into_the_string() {
    let t = pol("var data_dir = \"/srv\"\nallow read \"${data_dri}/**\"");
    let ds = diags(&t);
    let d = ds.iter().find(|d| d.code == Code::UnknownVariable).unwrap();
    assert_eq!(d.message, "unknown variable `data_dri`");
    assert_eq!(underlined(&t, d), "${data_dri}");
    assert!(d.help_text().starts_with("did you mean `${data_dir}`?"));
}

#[test]
fn e0105_malformed_references() {
    let t = pol("allow read \"/a/${Dir}/b\"");
    let d = only(&t, Code::UnknownVariable);
    assert_eq!(underlined(&t, &d), "${Dir}");
    let t = pol("allow read \"/a/${dir\"");
    let d = only(&t, Code::UnknownVariable);
    assert_eq!(underlined(&t, &d), "${dir");
    assert!(d.message.starts_with("unterminated variable reference"));
}

#[test]
fn e0106_unsafe_values() {
    let t = pol("var d = \"/srv/$x\"\nallow read \"${d}/x\"");
    let d = only(&t, Code::UnsafeVariableValue);
    assert_eq!(d.message, "value of variable `d` holds `$`");
    assert_eq!(underlined(&t, &d), "$");
    // A glob supplied for a variable whose default is a literal: refused.
    for glob in ["/srv/*", "/srv/[ab]", "{/a,/b}"] {
        let mut opts = LoadOptions::default();
        opts.vars.insert("d".into(), glob.into());
        let t = pol("var d = \"/srv\"\nallow read \"${d}/x\"");
        let ds = diags_with(&t, &opts);
        assert_eq!(ds.len(), 1, "{glob}: {ds:#?}");
        assert_eq!(ds[0].code, Code::UnsafeVariableValue);
        assert!(ds[0].help_text().contains("write the glob in the rule"));
    }
    // a supplied value: no location
    let mut opts = LoadOptions::default();
    opts.vars.insert("d".into(), "/srv/\nx".into());
    let t = pol("var d = \"/srv\"\nallow read \"${d}/x\"");
    let ds = diags_with(&t, &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].code, Code::UnsafeVariableValue);
    assert_eq!(
        ds[0].message,
        "supplied value `/srv/\\nx` of variable `d` holds `\\n`"
    );
    assert!(ds[0].primary.is_none());
}

#[test]
fn e0107_unknown_capability() {
    let t = pol("allow capability setuid, CAP_SETGID, net_bind");
    let ds = diags(&t);
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert_eq!(ds[0].message, "unknown capability `CAP_SETGID`");
    assert_eq!(underlined(&t, &ds[0]), "CAP_SETGID");
    assert_eq!(
        ds[0].help_text(),
        "write `setgid`: lowercase, without `CAP_`"
    );
    assert!(
        ds[1]
            .help_text()
            .starts_with("did you mean `net_bind_service`?"),
        "{}",
        ds[1].help_text()
    );
}

#[test]
fn e0108_unknown_signal() {
    let t = pol("allow signal send sigterm, rtmin to org.example.worker");
    let ds = diags(&t);
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert_eq!(ds[0].message, "unknown signal `sigterm`");
    assert_eq!(underlined(&t, &ds[0]), "sigterm");
    assert_eq!(ds[0].help_text(), "write `term`: lowercase, without `SIG`");
    assert!(ds[1].help_text().contains("real-time signals"));
}

#[test]
fn e0109_e0110_unknown_net_words() {
    let t = pol("allow net listen inet6 8080");
    let ds = diags(&t);
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert_eq!(ds[0].code, Code::UnknownNetOp);
    assert_eq!(ds[0].message, "unknown network operation `listen`");
    assert_eq!(underlined(&t, &ds[0]), "listen");
    assert!(ds[0].help_text().contains("`bind` covers"));
    assert_eq!(ds[1].code, Code::UnknownProto);
    assert_eq!(underlined(&t, &ds[1]), "inet6");
    assert!(ds[1].help_text().contains("`tcp6`"));
    // One IP version is a protocol of its own.
    assert!(diags(&pol("allow net bind tcp6 8080\nallow net connect udp4 53")).is_empty());
}

#[test]
fn e0111_e0112_ports() {
    let t = pol("allow net bind tcp 8000-70000");
    let d = only(&t, Code::PortOutOfRange);
    assert_eq!(d.message, "port 70000 is outside 1-65535");
    assert_eq!(underlined(&t, &d), "70000");
    let t = pol("allow net bind tcp 0");
    let d = only(&t, Code::PortOutOfRange);
    assert_eq!(underlined(&t, &d), "0");
    let t = pol("allow net bind tcp 9000-8000");
    let d = only(&t, Code::InvalidPortRange);
    assert_eq!(d.message, "port range 9000-8000 is empty");
    assert_eq!(underlined(&t, &d), "9000-8000");
    assert_eq!(d.help_text(), "write `8000-9000`");
}

#[test]
fn e0113_e0114_mode_and_direction() {
    let t = pol("mode complian");
    let d = only(&t, Code::UnknownMode);
    assert_eq!(d.message, "unknown mode `complian`");
    assert!(d.help_text().starts_with("did you mean `complain`?"));
    let t = pol("allow signal emit term to org.example.worker");
    let d = only(&t, Code::UnknownDirection);
    assert_eq!(underlined(&t, &d), "emit");
}

#[test]
fn e0131_duplicates_have_a_secondary_label() {
    let t = pol("mode enforce\nversion 1\nmode complain");
    let d = only(&t, Code::DuplicateDeclaration);
    assert_eq!(d.message, "`mode` declared more than once");
    assert_eq!(underlined(&t, &d), "mode complain");
    let l = &d.secondary[0];
    assert_eq!(&t[l.span.start..l.span.end], "mode enforce");
}

#[test]
fn e0132_e0140_transitions_need_allow_exec() {
    let t = pol("allow read map-exec \"/usr/bin/x\" as org.example.x");
    let d = only(&t, Code::AsWithoutExec);
    assert_eq!(
        d.message,
        "`as org.example.x` on a rule that does not grant `exec`"
    );
    assert_eq!(underlined(&t, &d), "org.example.x");
    assert!(d.help_text().contains("`map-exec`"));
    let t = pol("deny exec \"/usr/bin/x\" as org.example.x");
    let d = only(&t, Code::DenyWithAs);
    assert_eq!(underlined(&t, &d), "org.example.x");
    let l = &d.secondary[0];
    assert_eq!(&t[l.span.start..l.span.end], "deny");
    // `all` includes exec
    assert!(diags(&pol("allow all \"/usr/bin/x\" as org.example.x")).is_empty());
}

#[test]
fn e0133_literal_path_wins_and_identical_literals_conflict() {
    let t = pol("allow exec \"/usr/bin/*\"\nallow exec \"/usr/bin/convert\" as org.example.c");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
    let t = pol("allow exec \"/usr/bin/convert\" as org.example.a\nallow exec \"/usr/bin/convert\" as org.example.b");
    let d = only(&t, Code::ConflictingTransition);
    assert_eq!(
        d.message,
        "conflicting exec transitions: `/usr/bin/convert` runs as `org.example.b`, `/usr/bin/convert` runs as `org.example.a`"
    );
    assert_eq!(
        d.primary.as_ref().unwrap().span.start,
        offset_of(&t, "\"/usr/bin/convert\"", 1)
    );
    assert_eq!(d.secondary.len(), 1);
}

#[test]
fn e0134_not_in_abstraction() {
    let t = format!(
        "{}abstraction h {{\n    version 1\n    attach \"/x\"\n    owns \"/y\"\n}}\n",
        pol("use h")
    );
    let ds = diags(&t);
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert!(ds.iter().all(|d| d.code == Code::NotInAbstraction));
    assert_eq!(ds[0].message, "`attach` is not allowed in an abstraction");
    assert_eq!(underlined(&t, &ds[0]), "attach \"/x\"");
}

#[test]
fn e0135_policy_count() {
    let t = "abstraction h {\n    version 1\n}\n";
    let d = only(t, Code::PolicyCount);
    assert_eq!(d.message, "`app.pol` holds no policy");
    assert_eq!(underlined(t, &d), "h");
    let d = only("", Code::PolicyCount);
    assert!(d.primary.is_none());
    let t = "policy a {\n}\npolicy b {\n}\n";
    let d = only(t, Code::PolicyCount);
    assert_eq!(underlined(t, &d), "b");
}

#[test]
fn e0136_duplicate_abstraction() {
    let t = format!(
        "{}abstraction h {{\n    version 1\n}}\nabstraction h {{\n    version 2\n}}\n",
        pol("")
    );
    let d = only(&t, Code::DuplicateAbstraction);
    assert_eq!(
        d.primary.as_ref().unwrap().span.start,
        offset_of(&t, "h {", 1)
    );
    // in two extra files, when used
    let opts = LoadOptions {
        abstractions: vec![
            polc_lang::Source::new("one.pol", "abstraction h {\n    version 1\n}\n"),
            polc_lang::Source::new("two.pol", "abstraction h {\n    version 1\n}\n"),
        ],
        ..LoadOptions::default()
    };
    let ds = diags_with(&pol("use h"), &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].code, Code::DuplicateAbstraction);
    assert_eq!(ds[0].file, "two.pol");
    assert!(ds[0].help_text().contains("one.pol:1"));
    // not used: nothing to say
    assert!(diags_with(&pol(""), &opts).is_empty());
}

#[test]
fn e0137_invalid_variables() {
    let t = pol("var DataDir = \"/srv\"");
    let d = only(&t, Code::InvalidVariable);
    assert_eq!(d.message, "invalid variable name `DataDir`");
    assert_eq!(underlined(&t, &d), "DataDir");
    let t = pol("var d = \"/srv\"\nvar d = \"/srv\"\nallow read \"${d}\"");
    let d = only(&t, Code::InvalidVariable);
    assert_eq!(d.message, "variable `d` declared more than once");
    // conflicting defaults across items
    let t = format!(
        "{}abstraction h {{\n    version 1\n    var d = \"/b\"\n}}\n",
        pol("use h\nvar d = \"/a\"\nallow read \"${d}\"")
    );
    let d = only(&t, Code::InvalidVariable);
    assert_eq!(
        d.message,
        "variable `d` is declared again with another default"
    );
    assert!(
        d.help_text().contains("app.pol:3 with `/a`"),
        "{}",
        d.help_text()
    );
}

#[test]
fn e0138_e0139_abstraction_declarations() {
    let t = format!("{}abstraction h {{\n}}\n", pol(""));
    let d = only(&t, Code::MissingVersion);
    assert_eq!(d.message, "abstraction `h` declares no version");
    let t = format!("{}abstraction my.h {{\n    version 1\n}}\n", pol(""));
    let d = only(&t, Code::InvalidAbstractionName);
    assert_eq!(
        d.message,
        "invalid abstraction name `my.h`: abstraction names have no `.`"
    );
    let t = pol("use My_Helpers");
    let d = only(&t, Code::InvalidAbstractionName);
    assert_eq!(underlined(&t, &d), "My_Helpers");
}

#[test]
fn w0200_duplicate_rule() {
    let t = pol("allow read \"/etc/app.conf\"\nallow read \"/etc/app.conf\"");
    let d = only(&t, Code::DuplicateRule);
    assert_eq!(d.message, "duplicate rule `allow read \"/etc/app.conf\"`");
    assert_eq!(
        d.primary.as_ref().unwrap().span.start,
        offset_of(&t, "\"/etc", 1)
    );
    assert_eq!(d.secondary[0].span.start, offset_of(&t, "\"/etc", 0));
    // against a stdlib rule: the help names it
    let t = pol("use tmp\nallow manage \"/tmp/**\"");
    let d = only(&t, Code::DuplicateRule);
    assert!(
        d.help_text().starts_with("the same rule is at stdlib:tmp:"),
        "{}",
        d.help_text()
    );
    assert!(d.help_text().contains("(via use tmp)"));
}

#[test]
fn w0201_shadowed_rule() {
    let t = pol("allow read write \"/etc/app.conf\"\nallow read \"/etc/app.conf\"");
    let d = only(&t, Code::ShadowedRule);
    assert_eq!(
        d.message,
        "rule `allow read \"/etc/app.conf\"` is shadowed by `allow read write append \"/etc/app.conf\"`"
    );
    let t = pol("allow net bind tcp\nallow net bind tcp 80");
    let d = only(&t, Code::ShadowedRule);
    assert_eq!(underlined(&t, &d), "allow net bind tcp 80");
    let t = pol("allow signal send to org.a\nallow signal send term to org.a");
    only(&t, Code::ShadowedRule);
}

#[test]
fn w0202_deny_matches_nothing() {
    let t = pol("allow read \"/etc/app.conf\"\ndeny read \"/etc/shadow\"");
    let d = only(&t, Code::DenyMatchesNothing);
    assert_eq!(
        d.message,
        "`deny read \"/etc/shadow\"` matches nothing any allow grants"
    );
    assert_eq!(underlined(&t, &d), "\"/etc/shadow\"");
    // overlapping rights on the same path: fine
    let t = pol("allow read write \"/etc/app.conf\"\ndeny write \"/etc/app.conf\"");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
    // disjoint rights: warned
    let t = pol("allow read \"/etc/app.conf\"\ndeny write \"/etc/app.conf\"");
    only(&t, Code::DenyMatchesNothing);
    let t = pol("deny capability sys_admin");
    only(&t, Code::DenyMatchesNothing);
}

#[test]
fn w0203_unused_variable() {
    let t = pol("var cache = \"/var/cache/app\"\nallow read \"/etc/app.conf\"");
    let d = only(&t, Code::UnusedVariable);
    assert_eq!(d.message, "variable `cache` is never used");
    assert_eq!(underlined(&t, &d), "cache");
    // used by an abstraction of the policy
    let t = format!(
        "{}abstraction h {{\n    version 1\n    allow read \"${{cache}}/**\"\n}}\n",
        pol("use h\nvar cache = \"/var/cache/app\"")
    );
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
}

#[test]
fn warnings_only_for_the_policys_own_file() {
    let opts = LoadOptions {
        abstractions: vec![polc_lang::Source::new(
        "h.pol",
        "abstraction h {\n    version 1\n    var unused = \"/x\"\n    allow read \"/a\"\n    allow read \"/a\"\n    deny write \"/nothing\"\n}\n",
        )],
        ..LoadOptions::default()
    };
    let l = polc_lang::load(&polc_lang::Source::new("app.pol", pol("use h")), &opts).unwrap();
    assert!(l.warnings.is_empty(), "{:#?}", l.warnings);
}

#[test]
fn messages_escape_control_characters() {
    let t = pol("var d = \"/a\tb\"\nallow read \"${d}\"");
    let d = only(&t, Code::UnsafeVariableValue);
    assert_eq!(d.message, "value of variable `d` holds `\\t`");
}

#[test]
fn trees_recovered_after_syntax_errors_get_no_missing_statement_errors() {
    // `version` is misspelled: a syntax error, not also "declares no version"
    let t = format!("{}abstraction h {{\n    verison 1\n}}\n", pol("use h"));
    let ds = diags(&t);
    assert!(ds.iter().all(|d| d.code != Code::MissingVersion), "{ds:#?}");
    assert!(ds.iter().any(|d| d.code == Code::Syntax), "{ds:#?}");
    // local checks still run on what was parsed
    let t = pol("allow reed \"/a\"\nallow read");
    let ds = diags(&t);
    assert!(ds.iter().any(|d| d.code == Code::UnknownRight), "{ds:#?}");
}

#[test]
fn errors_in_an_abstraction_are_reported_in_its_file() {
    let opts = LoadOptions {
        abstractions: vec![polc_lang::Source::new(
            "h.pol",
            "abstraction h {\n    version 1\n    use nope\n    allow capability nope\n}\n",
        )],
        ..LoadOptions::default()
    };
    let ds = diags_with(&pol("use h"), &opts);
    let got: Vec<(&str, Code)> = ds.iter().map(|d| (d.file.as_str(), d.code)).collect();
    assert_eq!(
        got,
        vec![
            ("h.pol", Code::UnknownAbstraction),
            ("h.pol", Code::UnknownCapability)
        ]
    );
}

#[test]
fn lints_on_net_signal_and_deny_rules() {
    let t = pol("allow net connect tcp 80-90\ndeny net connect tcp 100");
    let d = only(&t, Code::DenyMatchesNothing);
    assert_eq!(
        d.message,
        "`deny net connect tcp 100` matches nothing any allow grants"
    );
    let t = pol("allow net connect tcp 80-90\ndeny net connect tcp 85");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
    let t = pol("allow signal send term to org.a\ndeny signal send kill to org.a");
    only(&t, Code::DenyMatchesNothing);
    let t = pol("allow signal send to org.a\ndeny signal send kill to org.a");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
    let t = pol("allow read \"/a\"\ndeny read \"/a\"\ndeny read \"/a\"");
    let d = only(&t, Code::DuplicateRule);
    assert_eq!(d.message, "duplicate rule `deny read \"/a\"`");
    let t = pol("allow capability chown, chown");
    let d = only(&t, Code::DuplicateRule);
    assert_eq!(underlined(&t, &d), "chown");
    assert_eq!(
        d.primary.as_ref().unwrap().span.start,
        offset_of(&t, "chown", 1)
    );
}

#[test]
fn json_sources_are_checked_with_spans_inside_their_strings() {
    let text = r#"{
  "policy": "org.example.app",
  "rules": [
    {"effect": "allow", "rights": ["read"], "paths": ["/etc/${nope}/x"]},
    {"effect": "allow", "capabilities": ["CAP_CHOWN"]}
  ]
}"#;
    let f = polc_lang::load(
        &polc_lang::Source::new("app.json", text),
        &LoadOptions::default(),
    )
    .unwrap_err();
    let got: Vec<(Code, &str)> = f
        .diagnostics
        .iter()
        .map(|d| (d.code, underlined(text, d)))
        .collect();
    assert_eq!(
        got,
        vec![
            (Code::UnknownVariable, "${nope}"),
            (Code::UnknownCapability, "\"CAP_CHOWN\"")
        ]
    );
}

#[test]
fn e0106_relaxed_for_set_variables() {
    // A declared default may be a glob or a list; a supplied value then may be too.
    let t = pol("var d = \"/srv/*\", \"/opt/[a-z]\"\nallow read \"${d}/x\"");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
    let mut opts = LoadOptions::default();
    opts.vars.insert("d".into(), "{/data/*,/mnt}".into());
    let ds = diags_with(&t, &opts);
    assert!(ds.is_empty(), "{ds:#?}");
    // Built-in sets: `home` may be replaced by a glob.
    let mut opts = LoadOptions::default();
    opts.vars.insert("home".into(), "/users/*".into());
    let t = pol("allow read \"${home}/.x\", \"/proc/${pid}/stat\"");
    let ds = diags_with(&t, &opts);
    assert!(ds.is_empty(), "{ds:#?}");
    // Injection characters stay refused in a set variable's supplied value.
    let mut opts = LoadOptions::default();
    opts.vars.insert("home".into(), "/h\" r,".into());
    let ds = diags_with(&t, &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].code, Code::UnsafeVariableValue);
}

#[test]
fn e0160_malformed_class() {
    let t = pol("allow read \"/var/log/a[0-9.log\"");
    let d = only(&t, Code::MalformedClass);
    assert_eq!(underlined(&t, &d), "[");
    assert_eq!(
        d.message,
        "malformed character class in `/var/log/a[0-9.log`: unclosed `[`"
    );
    let t = pol("allow read \"/srv/[a/b]\"");
    let d = only(&t, Code::MalformedClass);
    assert_eq!(underlined(&t, &d), "/");
    let t = pol("allow read \"/srv/[z-a]\"");
    let d = only(&t, Code::MalformedClass);
    assert_eq!(underlined(&t, &d), "z-a");
    // After substitution: the span is the reference.
    let mut opts = LoadOptions::default();
    opts.vars.insert("home".into(), "/h[".into());
    let t = pol("allow read \"${home}/x\"");
    let ds = diags_with(&t, &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].code, Code::MalformedClass);
}

#[test]
fn e0161_builtin_variable_replaced() {
    let t = pol("var pid = \"self\"\nallow read \"/proc/${pid}/status\"");
    let d = only(&t, Code::BuiltinVariable);
    assert_eq!(underlined(&t, &d), "pid");
    assert_eq!(
        d.message,
        "variable `pid` is built in and cannot be replaced"
    );
    let mut opts = LoadOptions::default();
    opts.vars.insert("uid".into(), "0".into());
    let t = pol("allow read \"/run/user/${uid}/x\"");
    let ds = diags_with(&t, &opts);
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].code, Code::BuiltinVariable);
    assert!(ds[0].primary.is_none());
    // `home` may be declared again.
    let t = pol("var home = \"/home/*\", \"/srv/users/*\"\nallow read \"${home}/.x\"");
    assert!(diags(&t).is_empty(), "{:#?}", diags(&t));
}
