//! Hostile strings in every field of a policy that reaches an artifact, for the injection
//! tests of each backend (included with `#[path]`): paths, the attachment, install-time
//! variables, exec targets and their policy names, the policy's name, abstraction names and
//! the files they come from, and the JSON form. Each hostile string holds the marker `INJ`,
//! which must never appear in an artifact outside a quoted string.
#![allow(dead_code)]

use polc_lang::ir::text::quote as literal;
use polc_lang::ir::Policy;
use polc_lang::{LoadOptions, Source};

/// The marker every hostile string holds.
pub const MARKER: &str = "INJ";

/// Strings that mean something to AppArmor (quotes, commas, `->`, `#`, `@{`, `[`, `^`,
/// newlines closing a profile), CIL (parentheses, semicolons, quotes), file_contexts
/// (whitespace, regex syntax), JSON or a terminal. No glob syntax of the language (`*?{}`,
/// so no AppArmor `@{VAR}` either): globs have their own injection tests.
pub const HOSTILE: &[&str] = &[
    "INJ",
    "INJ\"",
    "INJ\\",
    "INJ\\\"",
    "INJ\" rwx,\n  /** rwx,\n  \"",
    "INJ\n}\nprofile evil /** {\n  /** rwx,\n",
    "INJ,",
    "INJ -> evil",
    "INJ #comment",
    "INJ @HOME",
    "INJ [ab]",
    "INJ^x",
    "INJ)",
    "INJ(",
    "INJ)(allow evil self (file (read)))(",
    "INJ;comment",
    "INJ\" ; \"",
    "INJ\r",
    "INJ\t",
    "INJ\u{0}",
    "INJ\u{1b}[31m",
    "INJ\u{85}",
    "INJ\u{202e}",
    "INJ é",
    "INJ x y",
    "INJ$",
    "INJ=x",
    "INJ'",
    "INJ.+",
    "INJ(/.*)?",
    "INJ|x",
    "-INJ",
    "INJ%s",
];

/// One hostile case: a field, the hostile string, and how to load the policy.
#[derive(Clone, Debug)]
pub struct Case {
    /// The field the string is put in.
    pub field: &'static str,
    /// The hostile string.
    pub hostile: String,
    /// The policy file (text, or the JSON form when its name ends in `.json`).
    pub source: Source,
    /// Abstraction files and `--var` values.
    pub vars: Vec<(String, String)>,
    /// Extra abstraction files.
    pub abstractions: Vec<Source>,
    /// The file paths the policy's rules name (after variables), in order.
    pub paths: Vec<String>,
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn text_case(
    field: &'static str,
    h: &str,
    name: &str,
    body: &[String],
    paths: Vec<String>,
) -> Case {
    let mut text = format!("policy {name} {{\n");
    for l in body {
        text.push_str("    ");
        text.push_str(l);
        text.push('\n');
    }
    text.push_str("}\n");
    Case {
        field,
        hostile: h.to_string(),
        source: Source::new("hostile.pol", text),
        vars: Vec::new(),
        abstractions: Vec::new(),
        paths,
    }
}

/// Every hostile string in every field (the same cases with `h` = `SAFE` give the shape the
/// artifact must keep).
pub fn cases_for(h: &str) -> Vec<Case> {
    let name = "org.example.app";
    let path = format!("/srv/{h}/f");
    // A glob naming exactly a path: a literal `[` is the class `[[]`.
    let glob = |p: &str| p.replace('[', "[[]");
    let mut out = vec![
        text_case(
            "path",
            h,
            name,
            &[format!("allow read write {}", literal(&glob(&path)))],
            vec![path.clone()],
        ),
        text_case(
            "attach",
            h,
            name,
            &[
                format!("attach {}", literal(&format!("/usr/bin/{h}"))),
                "allow read \"/srv/ok\"".into(),
            ],
            vec!["/srv/ok".into()],
        ),
        text_case(
            "exec target",
            h,
            name,
            &[format!(
                "allow exec {} as org.example.target",
                literal(&glob(&format!("/usr/bin/{h}")))
            )],
            vec![format!("/usr/bin/{h}")],
        ),
        text_case(
            "exec policy name",
            h,
            name,
            &[format!("allow exec \"/usr/bin/t\" as org.example.{h}")],
            vec!["/usr/bin/t".into()],
        ),
        text_case(
            "policy name",
            h,
            &format!("org.example.{h}"),
            &["allow read \"/srv/ok\"".into()],
            vec!["/srv/ok".into()],
        ),
        text_case(
            "abstraction name",
            h,
            name,
            &[format!("use {h}"), "allow read \"/srv/ok\"".into()],
            vec!["/srv/ok".into()],
        ),
    ];
    // An install-time variable (`--var d=...`) over a default.
    let mut var = text_case(
        "variable",
        h,
        name,
        &[
            "var d = \"/srv/default\"".into(),
            "allow read \"${d}/f\"".into(),
        ],
        vec![format!("/srv/{h}/f")],
    );
    var.vars.push(("d".into(), format!("/srv/{h}")));
    out.push(var);
    // An abstraction from a file whose name is hostile (origins name it), with a hostile
    // path of its own.
    let mut abs = text_case(
        "abstraction file",
        h,
        name,
        &["use shared".into()],
        vec![path.clone()],
    );
    abs.abstractions.push(Source::new(
        format!("dir/{h}.pol"),
        format!(
            "abstraction shared {{\n    version 1\n    allow read write {}\n}}\n",
            literal(&glob(&path))
        ),
    ));
    out.push(abs);
    // The JSON form: any character can be written (escaped) in its strings.
    let json = format!(
        "{{\"policy\": {}, \"attach\": {}, \"rules\": [{{\"effect\": \"allow\", \"rights\": [\"read\", \"write\"], \"paths\": [{}]}}]}}",
        json_string(name),
        json_string(&format!("/usr/bin/{h}")),
        json_string(&glob(&path))
    );
    out.push(Case {
        field: "json form",
        hostile: h.to_string(),
        source: Source::new("hostile.json", json),
        vars: Vec::new(),
        abstractions: Vec::new(),
        paths: vec![path],
    });
    out
}

/// Every case: each hostile string in each field.
pub fn cases() -> Vec<Case> {
    HOSTILE.iter().flat_map(|h| cases_for(h)).collect()
}

/// The same case with the hostile string replaced by `SAFE`.
pub fn safe_twin(case: &Case) -> Case {
    cases_for("SAFE")
        .into_iter()
        .find(|c| c.field == case.field)
        .unwrap_or_else(|| panic!("no field {}", case.field))
}

/// The case's policy, or `None` when the front end refuses it.
pub fn load(case: &Case) -> Option<Policy> {
    let opts = LoadOptions {
        vars: case.vars.iter().cloned().collect(),
        abstractions: case.abstractions.clone(),
        ..LoadOptions::default()
    };
    polc_lang::load(&case.source, &opts).ok().map(|l| l.policy)
}

/// `text` with every quoted string (`"..."`, `\` escaping the next character) replaced by
/// `""`: what remains is the artifact's structure.
pub fn outside_quotes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        out.push_str("\"\"");
        while let Some(d) = chars.next() {
            match d {
                '\\' => {
                    chars.next();
                }
                '"' => break,
                _ => {}
            }
        }
    }
    out
}

/// Counts per field: cases, refused by the front end, refused by the backend, reaching
/// the oracle.
#[derive(Default, Debug)]
pub struct Counts {
    pub by_field: std::collections::BTreeMap<&'static str, [usize; 4]>,
}

impl Counts {
    pub fn add(&mut self, field: &'static str, slot: usize) {
        let e = self.by_field.entry(field).or_default();
        e[0] += 1;
        if let Some(x) = e.get_mut(slot) {
            *x += 1;
        }
    }
    pub fn reached(&self) -> usize {
        self.by_field.values().map(|e| e[3]).sum()
    }
    pub fn total(&self) -> usize {
        self.by_field.values().map(|e| e[0]).sum()
    }
    pub fn table(&self) -> String {
        let mut s = String::new();
        for (f, [n, front, back, oracle]) in &self.by_field {
            s.push_str(&format!(
                "  {f:<18} {n:>3} cases: {front:>3} refused by the front end, {back:>3} by the backend, {oracle:>3} reached the oracle\n"
            ));
        }
        s
    }
}

/// Slots of [`Counts::add`].
pub const FRONT: usize = 1;
pub const BACKEND: usize = 2;
pub const ORACLE: usize = 3;
