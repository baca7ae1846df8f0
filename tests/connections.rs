//! `polc connect`, `disconnect`, `connections` and `run --installed` on the host, with the
//! host kernel's Landlock as the judge: an app is refused its framework's resource before
//! the connection, allowed after it, and refused again after a disconnect and after the
//! rollback of a connect. The store's fault-injection tests of connections are in
//! `tests/store_transactions.rs`; the AppArmor kernel's, in the kernel harness.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{code, err, out, polc};

struct Host {
    dir: PathBuf,
}

impl Host {
    /// A framework (on its own search-path directory) whose `secrets` interface grants a
    /// data directory and whose `auto` interface grants `cat`, and an app that plugs both.
    fn new(tag: &str) -> Host {
        let dir =
            std::env::temp_dir().join(format!("polc-connections-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("fw")).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data/secret"), "the secret\n").unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("fw/vault.pol"),
            format!(
                "framework org.example.vault {{\n    provides secrets {{\n        \
                 allow read \"{d}/data/**\"\n    }}\n    provides cat auto {{\n        \
                 allow read exec map-exec \"/usr/bin/cat\"\n    }}\n}}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("app.pol"),
            format!(
                "policy org.example.reader {{\n    app\n    plugs secrets, cat\n    use base\n    \
                 allow read \"{d}/data/**\"\n}}\n"
            ),
        )
        .unwrap();
        Host { dir }
    }

    fn path(&self, p: &str) -> String {
        self.dir.join(p).display().to_string()
    }

    /// `polc` with the framework's directory on the search path and the test's store.
    fn polc(&self, args: &[&str]) -> std::process::Output {
        let (fw, root) = (self.path("fw"), self.path("store"));
        let mut all = vec!["--abstractions", fw.as_str()];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--root", root.as_str()]);
        polc(&all)
    }

    /// Whether the installed app, confined by Landlock, can read the secret.
    /// (Without Landlock on the host, `polc run` fails with 125 and the test with it.)
    fn reads_secret(&self) -> bool {
        let (secret, root) = (self.path("data/secret"), self.path("store"));
        let o = polc(&[
            "run",
            "--installed",
            "org.example.reader",
            "--root",
            root.as_str(),
            "--",
            "/usr/bin/cat",
            secret.as_str(),
        ]);
        match code(&o) {
            0 => {
                assert_eq!(out(&o), "the secret\n");
                true
            }
            1 => {
                assert!(err(&o).contains("Permission denied"), "{}", err(&o));
                false
            }
            c => panic!("exit {c}: {}", err(&o)),
        }
    }

    fn connections(&self) -> Value {
        let root = self.path("store");
        let o = polc(&[
            "connections",
            "org.example.reader",
            "--format",
            "json",
            "--root",
            &root,
        ]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        serde_json::from_str(&out(&o)).unwrap()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn an_app_gets_its_framework_resource_only_while_connected() {
    let h = Host::new("kernel");
    let app = h.path("app.pol");
    let o = h.polc(&["install", app.as_str(), "--target", "landlock"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "installed org.example.reader generation 1 for landlock\n"
    );
    assert!(!h.reads_secret(), "allowed before the connection");

    let o = h.polc(&[
        "connect",
        "org.example.reader:secrets",
        "org.example.vault:secrets",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "connected org.example.reader:secrets to org.example.vault:secrets: generation 2\n"
    );
    assert!(h.reads_secret(), "refused after the connection");

    let o = h.polc(&["disconnect", "org.example.reader:secrets"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "disconnected org.example.reader:secrets from org.example.vault:secrets: generation 3\n"
    );
    assert!(!h.reads_secret(), "allowed after the disconnect");

    let o = h.polc(&["connect", "org.example.reader:secrets"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(h.reads_secret(), "refused after the second connection");
    assert_eq!(h.connections()["plugs"][0]["since"], 4);
    // explain names the interface and the generation that connected it.
    let (secret, root) = (h.path("data/secret"), h.path("store"));
    let o = polc(&[
        "explain",
        "--installed",
        "org.example.reader",
        "--root",
        &root,
        "--path",
        &secret,
        "--access",
        "read",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        out(&o).starts_with(&format!("allowed: read {secret}\n")),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains(
            "fw/vault.pol:3:9 (via plug secrets of org.example.vault, connected in generation 4)"
        ),
        "{}",
        out(&o)
    );

    let o = h.polc(&["rollback", "org.example.reader"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        !h.reads_secret(),
        "allowed after the rollback of the connection"
    );
    let c = h.connections();
    assert_eq!(c["generation"], 3);
    assert_eq!(c["plugs"][0]["connected"], false);
    assert_eq!(c["plugs"][1]["connected"], true, "the auto interface: {c}");
}

#[test]
fn connections_are_listed_and_unchanged_plugs_make_no_generation() {
    let h = Host::new("list");
    let app = h.path("app.pol");
    assert_eq!(
        code(&h.polc(&["install", app.as_str(), "--target", "landlock"])),
        0
    );
    let o = h.polc(&["connections"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "org.example.reader  generation 1\n  \
         secrets              org.example.vault:secrets  not connected\n  \
         cat                  org.example.vault:cat (auto)  connected since generation 1\n"
    );
    let o = h.polc(&["disconnect", "org.example.reader:secrets"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        out(&o),
        "org.example.reader:secrets is already disconnected (org.example.vault:secrets); \
         generation 1 stays current\n"
    );
    assert_eq!(h.connections()["generation"], 1);
}

#[test]
fn refused_connections_say_why_and_change_nothing() {
    let h = Host::new("refused");
    let app = h.path("app.pol");
    assert_eq!(
        code(&h.polc(&["install", app.as_str(), "--target", "landlock"])),
        0
    );
    let root = h.path("store");
    let cases: [(Vec<&str>, i32, &str); 7] = [
        (
            vec!["connect", "org.example.reader:docker"],
            1,
            "error: app `org.example.reader` plugs no interface `docker` (it plugs secrets, cat)",
        ),
        (
            vec![
                "connect",
                "org.example.reader:secrets",
                "org.example.other:secrets",
            ],
            1,
            "is provided by `org.example.vault`, not `org.example.other`",
        ),
        (
            vec![
                "connect",
                "org.example.reader:secrets",
                "org.example.vault:cat",
            ],
            2,
            "error: interface `cat` is not the plug `org.example.reader:secrets`",
        ),
        (
            vec!["disconnect", "org.example.reader:cat"],
            1,
            "is connected automatically to every app that plugs it",
        ),
        (vec!["connect", "org.example.reader"], 2, "is not APP:PLUG"),
        (
            vec!["connect", "org.example.nothing:secrets"],
            1,
            "`org.example.nothing` is not installed",
        ),
        (
            vec!["--var", "x=1", "connect", "org.example.reader:secrets"],
            2,
            "--var and --connect do not apply here",
        ),
    ];
    for (args, want, says) in cases {
        let o = h.polc(&args);
        assert_eq!(code(&o), want, "{args:?}: {}", err(&o));
        assert!(err(&o).contains(says), "{args:?}: {}", err(&o));
    }
    // Without the framework on the search path the source no longer loads: E0221, and
    // the app stays where it was.
    let o = polc(&["connect", "org.example.reader:secrets", "--root", &root]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("E0221"), "{}", err(&o));
    assert!(
        err(&o).contains("the installed source of `org.example.reader` does not load"),
        "{}",
        err(&o)
    );
    assert_eq!(h.connections()["generation"], 1);
    // A policy that is not an app has no plugs.
    let plain = h.path("plain.pol");
    std::fs::write(
        &plain,
        "policy org.example.plain {\n    allow read \"/srv/**\"\n}\n",
    )
    .unwrap();
    assert_eq!(
        code(&h.polc(&["install", plain.as_str(), "--target", "landlock"])),
        0
    );
    let o = h.polc(&["connect", "org.example.plain:secrets"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        err(&o).contains("`org.example.plain` is not an app"),
        "{}",
        err(&o)
    );
    let o = polc(&["connections", "--root", &root, "--format", "json"]);
    let all: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(
        all.as_array().map(Vec::len),
        Some(1),
        "only apps are listed: {all}"
    );
}

#[test]
fn install_time_variables_are_kept_across_connections() {
    let h = Host::new("vars");
    let d = h.dir.display().to_string();
    let app = h.path("app.pol");
    std::fs::write(
        &app,
        format!(
            "policy org.example.reader {{\n    app\n    plugs secrets, cat\n    \
             var logs = \"/srv/default\"\n    owns \"/var/log/reader/**\"\n    \
             allow read \"{d}/data/**\"\n    allow write create \"/var/log/reader/${{logs}}\"\n}}\n"
        ),
    )
    .unwrap();
    let o = h.polc(&[
        "--var",
        "logs=mine",
        "install",
        app.as_str(),
        "--target",
        "landlock",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = h.polc(&["connect", "org.example.reader:secrets"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let ir = std::fs::read_to_string(
        Path::new(&h.path("store")).join("org.example.reader/gen-2/ir.json"),
    )
    .unwrap();
    assert!(ir.contains("/var/log/reader/mine"), "{ir}");
    assert!(!ir.contains("/srv/default"), "{ir}");
}

#[test]
fn a_framework_installed_in_the_store_serves_its_apps_and_stays_while_connected() {
    let h = Host::new("fw-package");
    let d = h.dir.display().to_string();
    // The framework's package: its daemon's policy and its framework, in one file.
    let package = h.path("vault-package.pol");
    std::fs::write(
        &package,
        format!(
            "policy org.example.vault {{\n    allow read \"{d}/data/**\"\n}}\n\n\
             framework org.example.vault {{\n    provides secrets {{\n        \
             allow read \"{d}/data/**\"\n    }}\n    provides cat auto {{\n        \
             allow read exec map-exec \"/usr/bin/cat\"\n    }}\n}}\n"
        ),
    )
    .unwrap();
    let root = h.path("store");
    let store = |args: &[&str]| polc(&[args, &["--root", root.as_str()][..]].concat());
    let o = store(&["install", package.as_str(), "--target", "landlock"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    // No --abstractions: the app finds the framework among the installed policies.
    let app = h.path("app.pol");
    let o = store(&["install", app.as_str(), "--target", "landlock"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = store(&["connect", "org.example.reader:secrets"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(h.reads_secret());
    // Removing the framework's package is refused while an app has it connected (the
    // auto plug `cat` counts), and the store is unchanged.
    let o = store(&["remove", "org.example.vault"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        err(&o).contains(
            "error: `org.example.vault` provides org.example.vault that apps have connected: \
             org.example.reader:secrets, org.example.reader:cat"
        ),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("help: disconnect those plugs first"),
        "{}",
        err(&o)
    );
    assert!(h.reads_secret());
    let o = store(&["remove", "org.example.reader"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = store(&["remove", "org.example.vault"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(out(&o), "removed org.example.vault\n");
    // Without the framework, the app cannot be installed: E0221.
    let o = store(&["install", app.as_str(), "--target", "landlock"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("E0221"), "{}", err(&o));
}
