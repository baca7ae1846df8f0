//! Where abstractions live and `polc abstractions list|show`: the search path (built-in,
//! the distribution's and the site's directories, replaced here by
//! `POLC_ABSTRACTIONS_PATH`, then `--abstractions DIR`), which definition `use` finds,
//! and what the two commands print.
//!
//! Every test runs in its own temporary directory with relative paths, so outputs do not
//! name it; none reads or writes /usr or /etc. The list snapshots include the built-in
//! abstractions, so they change when one is added.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// `polc ARGS` in `dir`, with `POLC_ABSTRACTIONS_PATH` set to `path` (`None`: unset,
/// so the default directories are searched).
fn polc(dir: &Path, path: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_polc"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS");
    match path {
        Some(p) => cmd.env("POLC_ABSTRACTIONS_PATH", p),
        None => cmd.env_remove("POLC_ABSTRACTIONS_PATH"),
    };
    cmd.output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("polc was killed by a signal")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn abstraction(name: &str, version: u64, comment: &str, body: &str) -> String {
    format!("# {comment}\nabstraction {name} {{\n    version {version}\n{body}}}\n")
}

/// A distribution directory `dist`, a site directory `site` and an option directory
/// `opt`, each defining `tmp` (versions 2, 3, 4), plus an abstraction of their own.
fn fixture() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let write = |dir: &str, file: &str, text: String| {
        fs::create_dir_all(t.path().join(dir)).unwrap();
        fs::write(t.path().join(dir).join(file), text).unwrap();
    };
    let tmp_rule = "    allow manage \"/tmp/**\"\n";
    write(
        "dist",
        "tmp.pol",
        abstraction("tmp", 2, "The distribution's tmp.", tmp_rule),
    );
    write(
        "dist",
        "web.pol",
        abstraction(
            "web",
            1,
            "A web server's files and port.\n# Its configuration is read-only.",
            "    allow read \"/etc/web/**\"\n    allow net bind tcp 8080\n",
        ),
    );
    write(
        "site",
        "tmp.pol",
        abstraction("tmp", 3, "The site's tmp.", tmp_rule),
    );
    write(
        "opt",
        "tmp.pol",
        abstraction("tmp", 4, "The command line's tmp.", tmp_rule),
    );
    fs::write(
        t.path().join("app.pol"),
        "policy org.example.app {\n    use tmp\n}\n",
    )
    .unwrap();
    t
}

/// The file `use tmp` resolves to, and its version, as the IR records them.
fn used_tmp(dir: &Path, path: Option<&str>, extra: &[&str]) -> (String, u64) {
    let mut args = extra.to_vec();
    args.extend(["compile", "app.pol", "--target", "ir"]);
    let o = polc(dir, path, &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ir: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let used = &ir["uses"][0];
    (
        used["source"].as_str().unwrap().to_string(),
        used["version"].as_u64().unwrap(),
    )
}

#[test]
fn later_directories_override_earlier_ones_and_the_builtin() {
    let t = fixture();
    let d = t.path();
    // Nothing but the built-in one.
    assert_eq!(used_tmp(d, Some(""), &[]), ("stdlib:tmp".into(), 1));
    // The distribution's overrides the built-in one.
    assert_eq!(used_tmp(d, Some("dist"), &[]), ("dist/tmp.pol".into(), 2));
    // The site's overrides the distribution's (no E0136: they are different layers).
    assert_eq!(
        used_tmp(d, Some("dist:site"), &[]),
        ("site/tmp.pol".into(), 3)
    );
    // --abstractions overrides the site's; a later --abstractions an earlier one.
    assert_eq!(
        used_tmp(d, Some("dist:site"), &["--abstractions", "opt"]),
        ("opt/tmp.pol".into(), 4)
    );
    assert_eq!(
        used_tmp(
            d,
            Some("dist:site"),
            &["--abstractions", "opt", "--abstractions", "site"]
        ),
        ("site/tmp.pol".into(), 3)
    );
    // A missing directory of the path is skipped, and empty entries are ignored.
    assert_eq!(
        used_tmp(d, Some("nowhere::dist"), &[]),
        ("dist/tmp.pol".into(), 2)
    );
    // The policy's own abstraction overrides them all.
    fs::write(
        d.join("own.pol"),
        "policy org.example.own {\n    use tmp\n}\n\nabstraction tmp {\n    version 9\n}\n",
    )
    .unwrap();
    let o = polc(
        d,
        Some("dist:site"),
        &[
            "--abstractions",
            "opt",
            "compile",
            "own.pol",
            "--target",
            "ir",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ir: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(ir["uses"][0]["source"], "own.pol");
}

#[test]
fn the_default_directories_are_searched_without_the_variable() {
    let t = fixture();
    let o = polc(
        t.path(),
        None,
        &["abstractions", "list", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let paths: Vec<&str> = v["search_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["/usr/share/polc/abstractions", "/etc/polc/abstractions"]
    );
    assert_eq!(v["search_path"][0]["origin"], "default");
}

#[test]
fn list_shows_every_definition_and_what_shadows_it() {
    let t = fixture();
    let args = ["--abstractions", "opt", "abstractions", "list"];
    let o = polc(t.path(), Some("dist:nowhere:site"), &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let out = stdout(&o);
    insta::assert_snapshot!("list_human", out);
    // Independent of the built-in ones: the tmp lines, in precedence order.
    let tmp: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("tmp@4"))
        .take(8)
        .collect();
    assert!(tmp[0].starts_with("tmp@4  ") && tmp[0].contains("opt/tmp.pol"));
    assert_eq!(
        tmp[1].trim(),
        "overrides site/tmp.pol, dist/tmp.pol, builtin"
    );
    assert_eq!(tmp[3].trim(), "shadowed by opt/tmp.pol");

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = polc(t.path(), Some("dist:nowhere:site"), &json_args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    insta::assert_json_snapshot!("list_json", v);
    let tmp: Vec<&Value> = v["abstractions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "tmp")
        .collect();
    let from: Vec<&str> = tmp.iter().map(|e| e["from"].as_str().unwrap()).collect();
    assert_eq!(
        from,
        ["opt/tmp.pol", "site/tmp.pol", "dist/tmp.pol", "builtin"]
    );
    assert_eq!(tmp[0]["shadowed_by"], Value::Null);
    assert_eq!(tmp[3]["shadowed_by"], "opt/tmp.pol");
    assert_eq!(tmp[1]["summary"], "The site's tmp.");
    let names: Vec<&str> = v["abstractions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    assert_eq!(v["search_path"][1]["found"], false);
}

#[test]
fn show_prints_the_source_header_rules_and_fidelity() {
    let t = fixture();
    let args = [
        "abstractions",
        "show",
        "web",
        "--target",
        "apparmor",
        "--target",
        "selinux",
    ];
    let o = polc(t.path(), Some("dist"), &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    insta::assert_snapshot!("show_human", out);
    assert!(out.contains("  allow read \"/etc/web/**\"  at dist/web.pol:5:5\n"));
    assert!(out.contains("fidelity (apparmor abi 3.0): "));
    // Without the target's file contexts, SELinux says what it needs.
    assert!(out.contains("fidelity (selinux): not compiled: "));
    assert!(out.contains("--selinux-file-contexts"));

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = polc(t.path(), Some("dist"), &json_args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    insta::assert_json_snapshot!("show_json", v);
    assert_eq!(v["header"][1], "Its configuration is read-only.");
    assert_eq!(v["rules"].as_array().unwrap().len(), 2);
    assert_eq!(v["fidelity"][0]["backend"], "apparmor");
    assert!(v["fidelity"][0]["exact"].as_u64().unwrap() > 0);
    assert!(v["fidelity"][1]["error"].as_str().is_some());

    // All three backends when no --target is given.
    let o = polc(t.path(), Some("dist"), &["abstractions", "show", "web"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for backend in ["(apparmor ", "(selinux)", "(landlock "] {
        assert!(stdout(&o).contains(backend), "{backend}: {}", stdout(&o));
    }
}

#[test]
fn show_names_what_a_widened_rule_is_and_why() {
    let t = fixture();
    // The built-in tmp is widened by Landlock (read_dir covers the directory itself).
    let o = polc(
        t.path(),
        Some(""),
        &["abstractions", "show", "tmp", "--target", "landlock"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let counts = out
        .lines()
        .find(|l| l.starts_with("fidelity (landlock"))
        .unwrap();
    assert!(!counts.contains(" 0 widened"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("widened") && l.contains("\"/tmp/**\"")),
        "{out}"
    );
}

#[test]
fn an_unknown_name_is_e0102_with_a_suggestion() {
    let t = fixture();
    let o = polc(t.path(), Some("dist"), &["abstractions", "show", "wbe"]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "polc: error[E0102]: unknown abstraction `wbe`\n\
         polc: help: did you mean `web`? `polc abstractions list` shows every abstraction \
         on the search path\n"
    );
    let o = polc(
        t.path(),
        Some("dist"),
        &["--error-format", "json", "abstractions", "show", "wbe"],
    );
    assert_eq!(code(&o), 1);
    let d: Value = serde_json::from_str(stderr(&o).trim()).unwrap();
    assert_eq!(d["code"], "E0102");
    assert!(d["help"]
        .as_str()
        .unwrap()
        .starts_with("did you mean `web`?"));
    // No near name: no suggestion.
    let o = polc(t.path(), Some(""), &["abstractions", "show", "zzzzzzzz"]);
    assert_eq!(code(&o), 1);
    assert!(!stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

#[test]
fn a_directory_that_cannot_be_read_is_an_error_naming_it() {
    let t = fixture();
    // A file where a directory should be: read_dir fails even for root.
    fs::write(t.path().join("notadir"), "").unwrap();
    for args in [
        &["abstractions", "list"][..],
        &["check", "app.pol"][..],
        &["abstractions", "show", "tmp"][..],
    ] {
        let o = polc(t.path(), Some("dist:notadir"), args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).starts_with("polc: error[E0400]: cannot read directory `notadir`: "),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // A missing --abstractions directory is an error too (it was named on purpose).
    let o = polc(
        t.path(),
        Some(""),
        &["--abstractions", "nowhere", "abstractions", "list"],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read directory `nowhere`: no such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn two_definitions_in_one_directory_are_ambiguous() {
    let t = fixture();
    fs::write(
        t.path().join("site/tmp2.pol"),
        abstraction("tmp", 5, "Another.", ""),
    )
    .unwrap();
    let o = polc(t.path(), Some("site"), &["abstractions", "list"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("E0136"), "{}", stderr(&o));
    // Both are still listed; the first file's is used.
    assert!(stdout(&o).contains("tmp@3"), "{}", stdout(&o));
    assert!(stdout(&o).contains("shadowed by site/tmp.pol"));
    let o = polc(t.path(), Some("site"), &["check", "app.pol"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("E0136"), "{}", stderr(&o));
}

#[test]
fn untrusted_text_of_an_abstraction_file_reaches_the_terminal_sanitized() {
    let t = fixture();
    fs::write(
        t.path().join("dist/evil.pol"),
        abstraction("evil", 1, "red \u{1b}[31mtext\u{202e} reversed", ""),
    )
    .unwrap();
    for args in [
        &["abstractions", "list"][..],
        &["abstractions", "show", "evil", "--target", "apparmor"][..],
    ] {
        let o = polc(t.path(), Some("dist"), args);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("evil@1"), "{out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{args:?}: {out:?}"
        );
    }
}

#[test]
fn duplicate_vars_are_a_usage_error_here_too() {
    let t = fixture();
    let o = polc(
        t.path(),
        Some(""),
        &["--var", "a=/x", "--var", "a=/y", "abstractions", "list"],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("more than once"), "{}", stderr(&o));
}
