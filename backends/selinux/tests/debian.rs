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

/// A deny that can match at any depth (`/**/*.py*`) under an allow of everything took the
/// widening check's searches over the labelling machine past their budget against
/// Debian's contexts (the child `sanitized-helper` of usr.bin.pidgin and usr.bin.totem
/// has such rules), which left the types undecided (reported widened). Each type is now
/// decided from the searches of its own entries: the allow is widened with a path of
/// each type the deny takes back, the path the search over the labelling machine finds
/// (the first in its order), none left undecided.
#[test]
fn a_deny_at_any_depth_under_an_allow_of_everything_is_decided_per_type() {
    let policy = P::new("org.example.budget")
        .allow("read", "/**")
        .deny("read", "/**/*.py*")
        .build();
    let c = compile(&policy, &debian_config()).expect("compiles");
    let read_of_allow = c
        .report
        .entries
        .iter()
        .find(|e| {
            e.rule.starts_with("allow read") && e.fidelity == polc_lang::fidelity::Fidelity::Widened
        })
        .unwrap_or_else(|| panic!("the allow is not reported widened:\n{}", report_text(&c)));
    for witness in [
        "type `default_t` also labels `/J/.py`",
        "type `lib_t` also labels `/opt/.py.so`",
        "type `cgroup_t` also labels `/sys/fs/cgroup/.py`",
    ] {
        assert!(
            read_of_allow.reason.contains(witness),
            "{witness} missing from: {}",
            read_of_allow.reason
        );
    }
    assert!(
        !read_of_allow.reason.contains("went past its budget"),
        "{}",
        read_of_allow.reason
    );
}

/// The complement of the case above, on three entries of its own: the first path of
/// `/x(/.*)?` (type `a_t`) outside the policy, `/x/a`, is labelled `b_t` by the more
/// precise `/x/[^/]`, so the entry's own search does not decide `a_t`; the search over
/// the labelling machine does, with `/x/aa` (the path `main` gave before the entries
/// were asked first). Reporting `/x/a` would name a path of another type.
#[test]
fn a_type_whose_entry_paths_others_label_is_left_to_the_whole_search() {
    let fc = "/.* system_u:object_r:default_t:s0\n\
              /x(/.*)? system_u:object_r:a_t:s0\n\
              /x/[^/] system_u:object_r:b_t:s0\n";
    let policy = P::new("org.example.precedence")
        .allow("read", "/**")
        .deny("read", "/x/*")
        .build();
    let cfg = polc_selinux::Config {
        file_contexts: Some(polc_selinux::FileContexts::parse(fc).unwrap()),
        ..polc_selinux::Config::default()
    };
    let c = compile(&policy, &cfg).expect("compiles");
    let allow = c
        .report
        .entries
        .iter()
        .find(|e| e.rule.starts_with("allow read"))
        .unwrap();
    assert_eq!(
        allow.reason,
        "type `a_t` also labels `/x/aa`, which the policy does not allow to read",
        "{}",
        report_text(&c)
    );
}

/// The twelve real profiles of `tests/real-profiles/` (translations of distributions'
/// AppArmor profiles, hundreds of rules each) against Debian's contexts: per profile, how
/// many report entries (a rule, or one right of it) are exact, narrowed, widened and
/// unsupported, how many of them the widening check left undecided (its search went past
/// its budget), and the number of allow rules. Each must compile: none is refused.
#[test]
fn real_profiles_against_debians_file_contexts() {
    use polc_lang::fidelity::Fidelity;
    let cfg = debian_config();
    let dir = workspace().join("tests/real-profiles");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pol"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12, "{files:?}");
    let mut summary = String::new();
    for name in &files {
        let rel = format!("tests/real-profiles/{name}");
        let policy = load_policy(&rel).unwrap_or_else(|| panic!("{rel} holds no policy"));
        let c = compile(&policy, &cfg).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let count = |f: Fidelity| c.report.entries.iter().filter(|e| e.fidelity == f).count();
        let undecided = c
            .report
            .entries
            .iter()
            .filter(|e| e.reason.contains("went past its budget"))
            .count();
        summary.push_str(&format!(
            "{name}: {} exact, {} narrowed, {} widened ({undecided} undecided), {} unsupported; {} allow rules\n",
            count(Fidelity::Exact),
            count(Fidelity::Narrowed),
            count(Fidelity::Widened),
            count(Fidelity::Unsupported),
            c.allows.len(),
        ));
    }
    insta::assert_snapshot!("real_profiles.summary", summary);
}
