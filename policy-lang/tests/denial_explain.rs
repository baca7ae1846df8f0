//! Denials explained against a policy: the deny that blocks an access, or that no allow
//! covers it, and the rule to add.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::denial::{explain, parse, Verdict};
use polc_lang::{load, LoadOptions, Source};

const POLICY: &str = r#"
policy org.example.app {
    version 1
    allow read "/etc/**"
    deny read "/etc/shadow"
    allow read write create "/var/lib/app/**"
    allow exec "/usr/bin/app"
    allow net connect tcp 80
    allow capability chown
    allow signal send term to org.example.worker
}
"#;

fn policy() -> polc_lang::ir::Policy {
    load(&Source::new("app.pol", POLICY), &LoadOptions::default())
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy
}

fn lines(file: &str) -> Vec<String> {
    let path = format!("{}/tests/denial_data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_deny_rule_blocks_with_its_location() {
    let l = &lines("apparmor.log")[0];
    let e = explain(&policy(), &parse(l).unwrap());
    assert_eq!(e.other_policy, None);
    let a = &e.accesses[0];
    assert_eq!(a.verdict, Verdict::DeniedByRule);
    assert_eq!(a.blocking.len(), 1);
    assert_eq!(a.blocking[0].rule, r#"deny read "/etc/shadow""#);
    assert_eq!(a.blocking[0].origins[0].to_string(), "app.pol:5:5");
    // An allow covers it already: only the deny must go.
    assert_eq!(a.granting.len(), 1);
    assert_eq!(a.suggestion, None);
}

#[test]
fn no_allow_suggests_the_rule_to_add() {
    let l = &lines("apparmor.log")[3]; // exec /usr/bin/scp
    let a = &explain(&policy(), &parse(l).unwrap()).accesses[0];
    assert_eq!(a.verdict, Verdict::NoAllow);
    assert_eq!(
        a.suggestion.as_deref(),
        Some(r#"allow exec "/usr/bin/scp""#)
    );
    let l = &lines("landlock.log")[5]; // connect tcp 443
    let a = &explain(&policy(), &parse(l).unwrap()).accesses[0];
    assert_eq!(a.suggestion.as_deref(), Some("allow net connect tcp 443"));
    let l = &lines("selinux.log")[6]; // capability net_bind_service
    let a = &explain(&policy(), &parse(l).unwrap()).accesses[0];
    assert_eq!(
        a.suggestion.as_deref(),
        Some("allow capability net_bind_service")
    );
}

#[test]
fn an_allowed_access_points_at_the_backend() {
    let line = r#"type=LANDLOCK_ACCESS msg=audit(1729738800.221:34): domain=1a6fdc679 blockers=fs.read_file path="/etc/hosts" dev="vda2" ino=1"#;
    let a = &explain(&policy(), &parse(line).unwrap()).accesses[0];
    assert_eq!(a.verdict, Verdict::AllowedByPolicy);
    assert_eq!(a.granting[0].rule, r#"allow read "/etc/**""#);
}

#[test]
fn partial_paths_list_the_rules_that_may_apply() {
    // Landlock names the directory of a creation.
    let line = r#"type=LANDLOCK_ACCESS msg=audit(1.2:3): domain=1 blockers=fs.make_reg path="/var/lib/app/cache" dev="vda2" ino=1"#;
    let a = &explain(&policy(), &parse(line).unwrap()).accesses[0];
    assert_eq!(a.verdict, Verdict::AllowedByPolicy);
    let line = r#"type=LANDLOCK_ACCESS msg=audit(1.2:3): domain=1 blockers=fs.make_reg path="/opt/app" dev="vda2" ino=1"#;
    let a = &explain(&policy(), &parse(line).unwrap()).accesses[0];
    assert_eq!(a.verdict, Verdict::NoAllow);
    assert_eq!(
        a.suggestion.as_deref(),
        Some(r#"allow create "/opt/app/*""#)
    );
    // SELinux `name=` is the last component only.
    let l = &lines("selinux.log")[0]; // read "shadow"
    let a = &explain(&policy(), &parse(l).unwrap()).accesses[0];
    assert_eq!(a.verdict, Verdict::Undetermined);
    assert_eq!(a.blocking[0].rule, r#"deny read "/etc/shadow""#);
}

#[test]
fn a_log_about_another_policy_is_flagged() {
    let line = r#"audit: type=1400 audit(1.2:3): apparmor="DENIED" operation="open" profile="org.example.other" name="/etc/shadow" pid=1 comm="x" requested_mask="r" denied_mask="r" fsuid=0 ouid=0"#;
    let e = explain(&policy(), &parse(line).unwrap());
    assert_eq!(e.other_policy.as_deref(), Some("org.example.other"));
}

/// A record from a child policy's SELinux sub-domain is not the parent's: it names no
/// policy (as AppArmor's `PARENT//CHILD` does not) and says which child decides it.
#[test]
fn a_selinux_record_of_a_sub_domain_names_the_child() {
    let line = r#"audit: type=1400 audit(1.2:3): avc:  denied  { read } for  pid=1 comm="x" name="shadow" dev="vda" ino=2 scontext=system_u:system_r:org_example_app.child_kid tcontext=system_u:object_r:shadow_t tclass=file permissive=0"#;
    let d = parse(line).unwrap();
    assert_eq!(d.subject.as_deref(), Some("org_example_app.child_kid"));
    assert_eq!(d.subject_policy, None);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("`child kid` of policy `org.example.app`")),
        "{:?}",
        d.notes
    );
    let parent = parse(&line.replace("child_kid", "domain")).unwrap();
    assert_eq!(parent.subject_policy.as_deref(), Some("org.example.app"));
}

/// Every test line of every LSM against the policy, as JSON.
#[test]
fn every_record_explained() {
    let p = policy();
    let mut out = String::new();
    for file in ["apparmor.log", "selinux.log", "landlock.log"] {
        for line in lines(file) {
            let e = explain(&p, &parse(&line).unwrap());
            out.push_str(&serde_json::to_string(&e.accesses).unwrap());
            out.push('\n');
        }
    }
    insta::assert_snapshot!(out);
}

/// Ptrace and signal records from the kernel tests against the receiving policy's rules:
/// a deny blocks being traced, an allow covers a signal from an unconfined shell.
#[test]
fn ptrace_and_unconfined_signal_records_against_the_peer_rules() {
    let src = r#"policy org.polc.v2.tracee {
    allow ptrace read from org.polc.v2.tracer
    deny ptrace trace from org.polc.v2.tracer
    allow signal receive kill from unconfined
}
"#;
    let p = load(&Source::new("tracee.pol", src), &LoadOptions::default())
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy;
    let find = |file: &str, what: &str| {
        lines(file)
            .into_iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what} in {file}"))
    };
    let e = explain(&p, &parse(&find("apparmor.log", "tracedby")).unwrap());
    assert_eq!(e.accesses[0].verdict, Verdict::DeniedByRule);
    assert_eq!(
        e.accesses[0].blocking[0].rule,
        "deny ptrace trace from org.polc.v2.tracer"
    );
    let e = explain(&p, &parse(&find("selinux.log", "unconfined_t")).unwrap());
    assert_eq!(e.other_policy, None);
    assert_eq!(e.accesses[0].verdict, Verdict::AllowedByPolicy);
}

/// AppArmor's records say whether the process owned the file (`fsuid`, `ouid`): the
/// request is asked as such, so an `owner` rule decides it as the kernel did.
#[test]
fn owner_records_are_asked_about_owned_files() {
    let src = r#"policy org.polc.v2.owner {
    allow owner read write "/v2/own/**"
    allow write "/v2/own/ro*"
    audit deny owner write "/v2/own/ro*"
}
"#;
    let p = load(&Source::new("owner.pol", src), &LoadOptions::default())
        .map_err(|f| f.diagnostics)
        .unwrap()
        .policy;
    let find = |what: &str| {
        lines("apparmor.log")
            .into_iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what}"))
    };
    // Root's own file: the owner deny refuses the write (asked as not owned, the plain
    // allow would have granted it).
    let e = explain(&p, &parse(&find("name=\"/v2/own/ro\"")).unwrap());
    assert_eq!(e.accesses[0].verdict, Verdict::DeniedByRule);
    assert_eq!(
        e.accesses[0].blocking[0].rule,
        "audit deny owner write \"/v2/own/ro*\""
    );
    // Not the owner: the owner allow does not apply.
    let e = explain(&p, &parse(&find("name=\"/v2/own/a\"")).unwrap());
    assert_eq!(e.accesses[0].verdict, Verdict::NoAllow);
}
