//! The real reference policy: the compiled example modules (`examples/*.pol`) are
//! installed with `semodule`
//! into a copy of Debian's `selinux-policy-default` store under a temporary root
//! (`semodule -p ROOT`: the host's /etc/selinux and /var/lib/selinux are not touched),
//! with the store's own settings (Debian ships `expand-check=0`: the reference policy's
//! neverallow rules, which reserve process permissions to its `domain` attribute, are
//! not checked at install). Then `sesearch -A -s DOMAIN` on the rebuilt binary policy
//! shows exactly the allow rules each module promises, and the rebuilt file_contexts
//! holds the modules' entries where polc predicted them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use polc_selinux::{compile, Config, FileContexts, PortContexts};
use std::path::Path;
use std::process::Command;

fn copy_tree(from: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    run(Command::new("cp").arg("-a").arg(from).arg(to));
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

#[test]
fn modules_install_into_the_reference_policy_and_grant_exactly_what_they_promise() {
    for dir in ["/etc/selinux/default", "/var/lib/selinux/default"] {
        assert!(
            Path::new(dir).exists(),
            "{dir} is missing: run `apt-get install selinux-policy-default` (the reference policy test needs its store)"
        );
    }
    let root = tempfile::tempdir().unwrap();
    copy_tree("/etc/selinux", &root.path().join("etc"));
    copy_tree("/var/lib/selinux", &root.path().join("var/lib"));
    let etc = root.path().join("etc/selinux");

    let files = etc.join("default/contexts/files");
    let fc_path = files.join("file_contexts");
    let before = read(&fc_path);
    let fc = FileContexts::parse(&before)
        .unwrap()
        .with_extra(
            &read(&files.join("file_contexts.homedirs")),
            "file_contexts.homedirs",
        )
        .unwrap()
        .with_substitutions(&read(&files.join("file_contexts.subs_dist")))
        .unwrap();
    let policy = etc.join("default/policy/policy.33");
    let ports = run(Command::new(tool("seinfo"))
        .args(["--portcon", "--initialsid", "-x"])
        .arg(&policy));
    let cfg = Config {
        strict: false,
        file_contexts: Some(fc),
        port_contexts: Some(PortContexts::parse(&ports).unwrap()),
        ..Config::default()
    };

    let policies: Vec<polc_lang::ir::Policy> = ["webapp", "converter", "daemon", "worker"]
        .iter()
        .map(|e| load_policy(&format!("examples/{e}.pol")).unwrap())
        .collect();
    let compiled: Vec<_> = policies.iter().map(|p| compile(p, &cfg).unwrap()).collect();
    // a policy that joins the reference policy: launched from unconfined_t, its types in
    // the policy's attributes
    let launched = compile(
        &P::new("org.example.launched")
            .attach("/usr/bin/launched")
            .owns("/srv/launched/**")
            .allow("read", "/srv/launched/**")
            .exec_child("/usr/bin/launched-kid", "kid")
            .child(
                "kid",
                false,
                P::new("kid").allow("read", "/srv/launched/**"),
            )
            .build(),
        &Config {
            launchers: vec!["unconfined_t:unconfined_r".parse().unwrap()],
            attributes: ["domain=domain", "file=file_type"]
                .iter()
                .map(|a| a.parse().unwrap())
                .collect(),
            ..cfg.clone()
        },
    )
    .unwrap();
    let mut cmd = Command::new(tool("semodule"));
    cmd.arg("-p").arg(root.path()).arg("-n");
    for c in compiled.iter().chain([&launched]) {
        let f = root.path().join(format!("{}.cil", c.module_name));
        std::fs::write(&f, &c.cil).unwrap();
        cmd.arg("-i").arg(f);
    }
    run(&mut cmd);

    // the allow rules
    let rules = sesearch_allows(&policy);
    let installed: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    let promised_all = promised(compiled.iter(), &installed);
    for c in &compiled {
        let shown = of_block(&rules, &c.module_name);
        let want = of_block(&promised_all, &c.module_name);
        assert!(!want.is_empty());
        assert_eq!(
            shown, want,
            "allow rules of `{}` differ from the promised ones",
            c.module_name
        );
        // and, as an auditor would ask it, by source domain
        let domain = format!("{}.domain", c.module_name);
        let by_source: std::collections::BTreeSet<String> = run(Command::new(tool("sesearch"))
            .args(["-A", "-s", &domain])
            .arg(&policy))
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| l.starts_with("allow "))
        .collect();
        let want: std::collections::BTreeSet<String> = promised_all
            .iter()
            .filter(|l| l.split_whitespace().nth(1) == Some(domain.as_str()))
            .cloned()
            .collect();
        assert_eq!(by_source, want, "sesearch -A -s {domain}");
    }
    // the domain transition is in the policy
    let tt = run(Command::new(tool("sesearch"))
        .args(["-T", "-s", "org_example_webapp.domain"])
        .arg(&policy));
    assert!(tt.contains("org_example_converter.domain"), "{tt}");

    // the launched policy: unconfined_t enters it by executing its attach executable, in
    // role unconfined_r; the reference policy's rules for `domain` apply to it, and
    // unconfined_t reaches its files through `file_type`
    let sesearch = |args: &[&str]| run(Command::new(tool("sesearch")).args(args).arg(&policy));
    let b = "org_example_launched";
    let tt = sesearch(&["-T", "-s", "unconfined_t", "-t", &format!("{b}.entry")]);
    assert!(
        tt.contains(&format!(
            "type_transition unconfined_t {b}.entry:process {b}.domain;"
        )),
        "{tt}"
    );
    let tr = sesearch(&[
        "-A",
        "-s",
        "unconfined_t",
        "-t",
        &format!("{b}.domain"),
        "-c",
        "process",
    ]);
    assert!(tr.contains("transition"), "{tr}");
    let roles = run(Command::new(tool("seinfo"))
        .args(["-r", "unconfined_r", "-x"])
        .arg(&policy));
    assert!(roles.contains(&format!("{b}.domain")), "{roles}");
    let own = sesearch(&["-A", "-s", &format!("{b}.domain")]);
    assert!(
        own.lines().any(|l| l.trim().starts_with("allow domain ")),
        "no rule of the `domain` attribute applies:\n{own}"
    );
    // its child's sub-domain: entered from the domain by executing the child's program,
    // in the same roles and attributes
    let kid = format!("{b}.child_kid");
    let tt = sesearch(&["-T", "-s", &format!("{b}.domain"), "-t", "bin_t"]);
    assert!(
        tt.contains(&format!("type_transition {b}.domain bin_t:process {kid};")),
        "{tt}"
    );
    assert!(roles.contains(&kid), "{roles}");
    let kids = sesearch(&["-A", "-s", &kid]);
    assert!(
        kids.lines().any(|l| l.trim().starts_with("allow domain ")),
        "no rule of the `domain` attribute applies to the sub-domain:\n{kids}"
    );
    assert!(
        kids.contains(&format!("allow {kid} {b}.owned_0:file")),
        "the child reads the parent's owned files by their type:\n{kids}"
    );
    let admin = sesearch(&["-A", "-s", "unconfined_t", "-t", &format!("{b}.owned_0")]);
    assert!(admin.contains("file_type"), "{admin}");

    // the file contexts: the old entries plus the modules', in CIL order
    let after = read(&fc_path);
    let after_fc = FileContexts::parse(&after).unwrap();
    assert!(after_fc.is_cil_sorted());
    let mut want: Vec<String> = before.lines().map(str::to_string).collect();
    for c in compiled.iter().chain([&launched]) {
        want.extend(c.file_contexts.lines().map(str::to_string));
    }
    let mut got: Vec<String> = after.lines().map(str::to_string).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let mut lab = after_fc.labeller();
    assert_eq!(
        lab.label("/usr/bin/webapp", polc_selinux::FileClass::File),
        Some(polc_selinux::FcLabel::Type(
            "org_example_webapp.entry".into()
        ))
    );
    assert_eq!(
        lab.label("/var/lib/webapp/db/x", polc_selinux::FileClass::File),
        Some(polc_selinux::FcLabel::Type(
            "org_example_webapp.owned_0".into()
        ))
    );
}
