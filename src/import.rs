//! Importing policies written for other systems: AppArmor profiles
//! (`polc import apparmor`).
//!
//! The AppArmor knowledge (the profile syntax, the table of constructs and how each
//! imports) is in [`polc_apparmor::import`]; this module assembles its statements into
//! one polc policy and formats it with polc's formatter. Files are read by the caller
//! through a [`Resolver`](polc_apparmor::import::Resolver).

use polc_apparmor::import::{Class, Entry, Imported};
use polc_lang::fmt;
use std::fmt::Write as _;

pub use polc_apparmor::import::{
    import as read_apparmor, table, Child, ImportError, ImportErrorKind, ImportOptions,
    IncludeRequest, Resolved, Resolver,
};

/// An imported profile and the polc policy made of it.
#[derive(Clone, Debug)]
pub struct Import {
    /// Every source rule with its class (the import report).
    pub imported: Imported,
    /// The polc policy, formatted.
    pub policy: String,
}

/// Imports the AppArmor profile file `name` (text `text`), reading includes through
/// `resolver`.
pub fn apparmor(
    name: &str,
    text: &str,
    resolver: &dyn Resolver,
    opts: &ImportOptions,
) -> Result<Import, ImportError> {
    let imported = read_apparmor(name, text, resolver, opts)?;
    let raw = policy_text(name, &imported);
    // The statements are polc syntax by construction; if the formatter refused them
    // (a bug), the unformatted text still shows what was made.
    let policy = fmt::format_source(&format!("{}.pol", imported.name), &raw).unwrap_or(raw);
    Ok(Import { imported, policy })
}

/// One line of comment text: no line breaks.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn importable(e: &Entry) -> bool {
    e.class != Class::NotImportable
}

/// The polc text of an import, before formatting.
pub fn policy_text(file: &str, p: &Imported) -> String {
    let (exact, approx, not) = p.counts();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Imported by `polc import apparmor` from the profile `{}` of `{}`.",
        comment(&p.source_name),
        comment(file)
    );
    let _ = writeln!(
        s,
        "# {} source rules (includes expanded): {exact} exact, {approx} approximated, {not} not importable.",
        p.entries.len()
    );
    for o in &p.other_profiles {
        let _ = writeln!(
            s,
            "# The file's profile `{}` is not imported (`--profile` selects one).",
            comment(o)
        );
    }
    let _ = writeln!(s, "policy {} {{", p.name);
    let mut last_file = String::new();
    // The rules of importable children go into their blocks, after the policy's own.
    let mut children: Vec<(&Child, Vec<&Entry>)> =
        p.children.iter().map(|c| (c, Vec::new())).collect();
    for e in &p.entries {
        if let (Some(c), true) = (&e.child, importable(e)) {
            if let Some((_, v)) = children.iter_mut().find(|(ch, _)| &ch.name == c) {
                if !e.constructs.contains(&"child-profile")
                    || e.polc.iter().all(|l| !l.ends_with("{ }"))
                {
                    v.push(e);
                }
                continue;
            }
        }
        if e.file != last_file {
            let _ = writeln!(s, "\n    # {}", comment(&e.file));
            last_file.clone_from(&e.file);
        }
        entry_lines(&mut s, e, "    ");
    }
    for (c, rules) in children {
        if rules.is_empty() {
            continue;
        }
        let kw = if c.hat { "hat" } else { "child" };
        let _ = writeln!(s, "\n    {kw} {} {{", c.name);
        for e in rules {
            entry_lines(&mut s, e, "        ");
        }
        let _ = writeln!(s, "    }}");
    }
    s.push_str("}\n");
    s
}

fn entry_lines(s: &mut String, e: &Entry, indent: &str) {
    match e.class {
        Class::Exact => {
            for l in &e.polc {
                let _ = writeln!(s, "{indent}{l}");
            }
        }
        Class::Approximated => {
            let _ = writeln!(
                s,
                "{indent}# approximated ({}): {}:{}: {}",
                comment(&e.note),
                comment(&e.file),
                e.line,
                comment(&e.source)
            );
            for l in &e.polc {
                let _ = writeln!(s, "{indent}{l}");
            }
        }
        Class::NotImportable => {
            let _ = writeln!(
                s,
                "{indent}# not imported ({}): {}:{}: {}",
                comment(&e.note),
                comment(&e.file),
                e.line,
                comment(&e.source)
            );
            for l in &e.polc {
                let _ = writeln!(s, "{indent}#   {}", comment(l));
            }
        }
    }
}

/// Totals over a set of imports: (rules, exact, approximated, not importable).
pub fn totals<'a>(imports: impl IntoIterator<Item = &'a Imported>) -> (usize, usize, usize, usize) {
    let mut t = (0, 0, 0, 0);
    for i in imports {
        let (e, a, n) = i.counts();
        t.0 += e + a + n;
        t.1 += e;
        t.2 += a;
        t.3 += n;
    }
    t
}
