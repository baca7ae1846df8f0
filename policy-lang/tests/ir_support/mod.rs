//! The one builder of IR values for tests: policies from text through the real front end
//! ([`load_text`], [`from_lines`]) wherever text can express the case, and IR values built
//! directly for what text cannot express (random policies of the property tests, rules
//! with chosen origins, IR the front end would refuse). The language's tests
//! (`eval_support`, `diff_support`), the diff bench and the AppArmor and Landlock backend
//! tests include it.
#![allow(dead_code)]

use polc_lang::glob::Glob;
use polc_lang::ir::Effect;
use polc_lang::ir::{
    CapRule, FileRule, NetOp, NetRule, Origin, Owned, Policy, PolicyName, PortRange, Proto,
    RightsOrigin, SignalDir, SignalRule,
};
use polc_lang::rights::Rights;
use polc_lang::span::Span;
use std::collections::BTreeSet;

/// A policy name (panics on an invalid one: test data only).
pub fn name(s: &str) -> PolicyName {
    PolicyName::new(s).unwrap()
}

/// An origin at `file:line:5`.
pub fn at(file: &str, line: usize) -> Origin {
    Origin {
        file: file.into(),
        line,
        column: 5,
        span: Span::new(line * 40, line * 40 + 20),
        via: Vec::new(),
        accepts: Vec::new(),
    }
}

/// Rights from keywords, with implications.
pub fn rights(words: &[&str]) -> Rights {
    words
        .iter()
        .map(|w| Rights::from_keyword(w).unwrap())
        .fold(Rights::EMPTY, Rights::union)
}

/// A policy's text through the language's front end (`polc_lang::load`): the IR a user's
/// policy file gives. Panics with the diagnostics if the text does not load.
pub fn load_text(text: &str) -> Policy {
    polc_lang::load(
        &polc_lang::Source::new("test.pol", text),
        &polc_lang::LoadOptions::default(),
    )
    .unwrap_or_else(|f| panic!("{text}\n{:#?}", f.diagnostics))
    .policy
}

/// A policy named `name` from statements in the language, one per line, e.g.
/// `allow read write "/x/**"`, `deny net bind tcp 8000-8080`, `allow capability chown`,
/// `allow signal send term to self`, `mode complain`.
pub fn from_lines(name: &str, lines: &[&str]) -> Policy {
    let mut text = format!("policy {name} {{\n");
    for line in lines {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("}\n");
    load_text(&text)
}

/// The rules of the web application the backends' tests compile (the language
/// reference's example without its header): files, an exec `as` another policy, a deny,
/// network, capabilities and signals.
pub const WEBAPP_RULES: &[&str] = &[
    r#"allow read "/etc/ssl/**""#,
    r#"allow read "/usr/share/webapp/**""#,
    r#"allow read write create delete "/var/lib/webapp/**""#,
    r#"allow exec map-exec "/usr/bin/webapp""#,
    r#"allow exec "/usr/bin/convert" as org.example.converter"#,
    r#"deny read "/etc/ssl/private/**""#,
    "allow net connect tcp 443",
    "allow net bind tcp 8080-8089",
    "allow capability net_bind_service, setuid",
    "allow signal send term, kill to self",
    "allow signal receive from self",
];

/// A policy named `name` from header statements followed by `rules`.
pub fn from_parts(name: &str, head: &[&str], rules: &[&str]) -> Policy {
    let lines: Vec<&str> = head.iter().chain(rules).copied().collect();
    from_lines(name, &lines)
}

/// An empty policy of this name.
pub fn policy(n: &str) -> Policy {
    Policy::empty(name(n))
}

/// A file rule with one origin.
pub fn file_rule(
    effect: Effect,
    glob: &str,
    rs: Rights,
    exec_as: Option<&str>,
    o: Origin,
) -> FileRule {
    FileRule {
        audit: false,
        owner: false,
        dir_only: false,
        effect,
        glob: Glob::parse(glob).unwrap(),
        rights: rs,
        exec_as: exec_as.map(name),
        origins: vec![RightsOrigin {
            rights: rs,
            origin: o,
        }],
        exec_mode: Default::default(),
    }
}

/// A network rule with one origin.
pub fn net_rule(effect: Effect, op: NetOp, proto: Proto, lo: u16, hi: u16, o: Origin) -> NetRule {
    NetRule {
        audit: false,
        effect,
        op,
        proto,
        family: None,
        ports: PortRange { lo, hi },
        origins: vec![o],
    }
}

/// A capability rule with one origin.
pub fn cap_rule(effect: Effect, c: &str, o: Origin) -> CapRule {
    CapRule {
        audit: false,
        effect,
        capability: c.into(),
        origins: vec![o],
    }
}

/// A signal rule with one origin.
pub fn signal_rule(
    effect: Effect,
    d: SignalDir,
    peer: &str,
    sigs: &[&str],
    o: Origin,
) -> SignalRule {
    SignalRule {
        audit: false,
        effect,
        direction: d,
        peer: name(peer).into(),
        signals: sigs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        origins: vec![o],
    }
}

/// An `owns` glob with one origin.
pub fn owned(glob: &str, o: Origin) -> Owned {
    Owned {
        glob: Glob::parse(glob).unwrap(),
        origins: vec![o],
    }
}
