//! Every policy of the corpus (`tests/corpus/ok/*.pol`) and every example
//! (`examples/*.pol`) compiled against Debian's reference policy
//! (`selinux-policy-default`: its full `file_contexts` with the home-directory entries and
//! aliases, and its port contexts), as an installer on such a host compiles them.
//!
//! The file_contexts analysis (and any faster form of it) must give exactly these
//! results. The full outputs are large (the reasons of a widened rule name every type and
//! a path it lets through: about 160 KB per policy), so each snapshot holds the fidelity
//! of every rule and right, the number of allow rules, and a 64-bit FNV-1a digest of the
//! whole output (report with its reasons, allow rules, file contexts); the whole output
//! is written to `target/debian-outputs/` for a diff when a digest changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_selinux::compile;

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The whole output of a compilation, as text.
fn output(c: &polc_selinux::Compiled) -> String {
    let allows: Vec<String> = allow_lines(&c.allows).into_iter().collect();
    format!(
        "# report\n{}# allow rules\n{}\n# file contexts\n{}",
        report_text(c),
        allows.join("\n"),
        c.file_contexts
    )
}

#[test]
fn corpus_and_examples_against_debians_file_contexts() {
    let cfg = debian_config();
    let dump = workspace().join("target/debian-outputs");
    std::fs::create_dir_all(&dump).unwrap();
    let mut n = 0;
    for rel in policy_files() {
        let Some(policy) = load_policy(&rel) else {
            continue;
        };
        let snap = rel.replace(['/', '.'], "_");
        let summary = match compile(&policy, &cfg) {
            Ok(c) => {
                let full = output(&c);
                std::fs::write(dump.join(format!("{snap}.txt")), &full).unwrap();
                let rules: String = c
                    .report
                    .entries
                    .iter()
                    .map(|e| {
                        let rights = e.rights.map(|r| format!(" [{r}]")).unwrap_or_default();
                        format!("{}{}: {}\n", e.rule, rights, e.fidelity)
                    })
                    .collect();
                format!(
                    "{rules}allow rules: {}\ndigest of the whole output: {:016x}\n",
                    c.allows.len(),
                    fnv1a(&full)
                )
            }
            Err(e) => format!("error: {e}\n"),
        };
        insta::assert_snapshot!(format!("{snap}.summary"), summary);
        n += 1;
    }
    assert!(n >= 10, "only {n} policies");
}

/// A glob of 40 `*` segments has no literal prefix to narrow Debian's file contexts with:
/// its facts were searched entry by entry, each search 80 levels deep (13.7 s). The
/// per-entry searches now share one budget, and past it the glob is refused, named, in
/// well under a second.
#[test]
fn a_glob_of_forty_star_segments_is_refused_within_the_budget() {
    let stars = |n: usize| vec!["*"; n].join("/");
    let policy = P::new("org.example.deep")
        .allow("read", &format!("/{}", stars(40)))
        .deny("read", &format!("/{}/x", stars(39)))
        .build();
    let cfg = polc_selinux::Config {
        file_contexts: Some(debian_fc()),
        ..polc_selinux::Config::default()
    };
    let started = std::time::Instant::now();
    match compile(&policy, &cfg) {
        Err(polc_selinux::Error::TooComplex(g)) => assert_eq!(g, format!("/{}", stars(40))),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(c) => panic!(
            "compiled in {:?} instead of stopping at the budget:\n{}",
            started.elapsed(),
            report_text(&c)
        ),
    }
}

/// A deny that can match at any depth (`/**/*.py*`) under an allow of everything makes
/// the widening check's searches go past their budget against Debian's contexts (the
/// child `sanitized-helper` of usr.bin.pidgin and usr.bin.totem has such rules). The
/// compile does not refuse the policy: the types left undecided are reported widened,
/// with the reason, never exact.
#[test]
fn a_widening_past_the_budget_is_reported_widened_not_refused() {
    let policy = P::new("org.example.budget")
        .allow("read", "/**")
        .deny("read", "/**/*.py*")
        .build();
    let c = compile(&policy, &debian_config()).expect("compiles, undecided types widened");
    let read_of_allow = c
        .report
        .entries
        .iter()
        .find(|e| {
            e.rule.starts_with("allow read") && e.fidelity == polc_lang::fidelity::Fidelity::Widened
        })
        .unwrap_or_else(|| panic!("the allow is not reported widened:\n{}", report_text(&c)));
    assert!(
        read_of_allow
            .reason
            .contains("the search for them went past its budget, so the rule is reported widened"),
        "{}",
        read_of_allow.reason
    );
}
