//! The profile a node writes from polc's abstract form is accepted by the real
//! `apparmor_parser`: the node writes abstract paths unquoted into its template, so
//! every pattern polc emits (`**[^/]`, `{a,b}`, escapes, the `?` expansion) must parse
//! there. The template is SPO's `crd2armor` rendering (docs/deploy.md), rewritten here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc_lang::{load, LoadOptions, Source};
use polc_spo::{compile, Abstract, Config};

/// The profile text a node writes for `abs` (SPO's template, enforce mode).
fn node_profile(name: &str, abs: &Abstract) -> String {
    let mut p = format!(
        "#include <tunables/global>\nprofile {name} flags=(enforce,attach_disconnected,mediate_deleted) {{\n  #include <abstractions/base>\n"
    );
    if let Some(e) = &abs.executable {
        for x in &e.allowed_executables {
            p.push_str(&format!("  {x} ixr,\n"));
        }
        for l in &e.allowed_libraries {
            p.push_str(&format!("  {l} mr,\n"));
        }
    }
    if let Some(f) = &abs.filesystem {
        for r in &f.read_only_paths {
            p.push_str(&format!("  {r} r,\n  deny {r} wlk,\n"));
        }
        for w in &f.write_only_paths {
            p.push_str(&format!("  {w} wlk,\n  deny {w} r,\n"));
        }
        for rw in &f.read_write_paths {
            p.push_str(&format!("  {rw} rwlk,\n"));
        }
    }
    if let Some(n) = &abs.network {
        if !n.allow_raw {
            p.push_str("  deny network raw,\n");
        }
        if n.allowed_protocols.allow_tcp == Some(true) {
            p.push_str("  network tcp,\n");
        }
        if n.allowed_protocols.allow_udp == Some(true) {
            p.push_str("  network udp,\n");
        }
    }
    if let Some(c) = &abs.capability {
        for cap in &c.allowed_capabilities {
            p.push_str(&format!("  capability {cap},\n"));
        }
    }
    p.push_str("  deny @{PROC}/* w,\n  deny mount,\n}\n");
    p
}

const POLICY: &str = r#"policy org.example.patterns {
    allow read "/etc/app/**", "/etc/app.d/*.conf", "/srv/data-?/file"
    allow read write create delete rename link lock "/var/lib/app/{cache,state}/**"
    allow write append "/var/log/app-*.log"
    allow list "/srv/a,b/**"
    allow read "/srv/at@{x,y}/f"
    allow read exec map-exec "/usr/bin/app"
    allow map-exec read "/usr/lib/app/*.so"
    allow net connect tcp 443
    allow net bind udp 5353
    allow capability net_bind_service, chown
}
"#;

#[test]
fn apparmor_parser_accepts_the_profile_a_node_writes() {
    let parser = polc_apparmor::Parser::find()
        .expect("apparmor_parser: apt-get install apparmor (tests/run-all.sh does)");
    let policy = load(
        &Source::new("patterns.pol", POLICY),
        &LoadOptions::default(),
    )
    .map_err(|f| f.diagnostics)
    .unwrap()
    .policy;
    let out = compile(&policy, &Config::default()).unwrap();
    let text = node_profile("org-example-patterns", &out.profile);
    if let Err(e) = parser.validate(&text) {
        panic!("apparmor_parser refused the node's profile: {e}\n{text}");
    }
    // Every glob made it into the form (none was left out as unwritable).
    let fs = out.profile.filesystem.as_ref().unwrap();
    assert!(
        fs.read_only_paths.iter().any(|p| p.contains("a\\,b")),
        "{fs:?}"
    );
    assert!(
        fs.read_write_paths
            .iter()
            .any(|p| p.contains("{cache,state}")),
        "{fs:?}"
    );
    // What the parser refuses unquoted is left out and reported unsupported.
    let odd = load(
        &Source::new(
            "odd.pol",
            "policy org.example.odd {\n allow read \"/srv/a b\", \"/srv/c!d\", \"/srv/e#f\"\n}\n",
        ),
        &LoadOptions::default(),
    )
    .map_err(|f| f.diagnostics)
    .unwrap()
    .policy;
    let out = compile(&odd, &Config::default()).unwrap();
    assert!(out.profile.filesystem.is_none(), "{:?}", out.profile);
    let unsupported = out
        .report
        .entries
        .iter()
        .filter(|e| e.fidelity == polc_lang::fidelity::Fidelity::Unsupported)
        .count();
    assert_eq!(unsupported, 3, "{:#?}", out.report);
    for bang in ["/srv/c!d r,", "/srv/a b r,"] {
        let t = text.replace("  capability chown,", &format!("  {bang}"));
        assert!(parser.validate(&t).is_err(), "{bang} accepted");
    }
    // The check can fail: an unquoted blank is refused.
    let bad = text.replace("/usr/bin/app ixr", "/usr/bin/my app ixr");
    assert!(parser.validate(&bad).is_err());
}
