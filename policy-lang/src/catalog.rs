//! The abstractions a set of [`LoadOptions`] makes visible: for each name, the one
//! `use NAME` finds and the ones it hides, with what each says of itself (its version
//! and its header comment).
//!
//! The search is the loader's own ([`load`](crate::load)): the extra files of
//! [`LoadOptions::abstractions`], then the directories of [`LoadOptions::search_path`]
//! from the last to the first, then the built-in abstractions ([`crate::stdlib`]).
//!
//! ```
//! use polc_lang::{catalog, AbstractionDir, LoadOptions, Source};
//!
//! let site = AbstractionDir {
//!     name: "/etc/polc/abstractions".into(),
//!     files: vec![Source::new(
//!         "/etc/polc/abstractions/tmp.pol",
//!         "# The site's temporary files.\nabstraction tmp {\n    version 2\n}\n",
//!     )],
//! };
//! let opts = LoadOptions { search_path: vec![site], ..LoadOptions::default() };
//! let cat = catalog::catalog(&opts);
//! let tmp: Vec<_> = cat.entries.iter().filter(|e| e.name == "tmp").collect();
//! // The site's `tmp` is used; the built-in one is hidden by it.
//! assert_eq!(tmp[0].source, "/etc/polc/abstractions/tmp.pol");
//! assert_eq!(tmp[0].summary(), Some("The site's temporary files."));
//! assert_eq!(tmp[0].overrides, ["stdlib:tmp"]);
//! assert_eq!(tmp[1].shadowed_by.as_deref(), Some("/etc/polc/abstractions/tmp.pol"));
//! ```

use crate::ast::{File, Item, ItemKind};
use crate::check::resolve::{declared_version, Tier, Unit, Workspace};
use crate::diagnostics::Diagnostic;
use crate::load::parse_unit;
use crate::{stdlib, LoadOptions, Source, SourceMap};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One definition of an abstraction on the search path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its declared version (`None` when it declares none: an error when it is used).
    pub version: Option<u64>,
    /// The file it is defined in, as named to the loader; `stdlib:NAME` for a built-in one.
    pub source: String,
    /// True for a built-in abstraction.
    pub builtin: bool,
    /// The directory of [`LoadOptions::search_path`] it was found in, if any.
    pub dir: Option<String>,
    /// The comment lines before it (the text after `#`, one leading space removed).
    pub header: Vec<String>,
    /// The source of the definition `use` finds instead of this one; `None` when this
    /// is the one used.
    pub shadowed_by: Option<String>,
    /// The sources of the definitions of the same name this one hides (for the one used).
    pub overrides: Vec<String>,
}

impl Entry {
    /// The first non-empty line of the header comment.
    pub fn summary(&self) -> Option<&str> {
        self.header.iter().map(|l| l.trim()).find(|l| !l.is_empty())
    }
}

/// Every abstraction visible with some [`LoadOptions`].
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Sorted by name; the definitions of one name in search order, the used one first.
    pub entries: Vec<Entry>,
    /// Syntax errors in the files and names defined twice in one directory (E0136).
    pub diagnostics: Vec<Diagnostic>,
    /// The texts of the files, to render the diagnostics.
    pub sources: SourceMap,
}

impl Catalog {
    /// The definition `use NAME` finds, if any.
    pub fn used(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.name == name && e.shadowed_by.is_none())
    }

    /// Every distinct name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let names: BTreeSet<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
        names.into_iter().collect()
    }
}

/// The abstractions that `opts` makes visible to [`load`](crate::load), whatever the
/// policy: each name with the definition used first, then the ones it hides.
pub fn catalog(opts: &LoadOptions) -> Catalog {
    let mut diagnostics = Vec::new();
    let own = Unit {
        name: "".into(),
        text: String::new(),
        file: File::default(),
        tier: Tier::Own,
        partial: false,
        lines: crate::span::LineIndex::new(""),
    };
    let mut units = vec![own];
    for (rank, src) in opts.ranked_files() {
        units.push(parse_unit(src, Tier::Extra(rank), &mut diagnostics));
    }
    for (name, text) in stdlib::all() {
        let src = Source::new(stdlib::source_name(name), *text);
        units.push(parse_unit(&src, Tier::Stdlib, &mut diagnostics));
    }
    let mut ws = Workspace::new(units);
    let dir_of: BTreeMap<&str, &str> = opts
        .search_path
        .iter()
        .flat_map(|d| d.files.iter().map(|f| (f.name.as_str(), d.name.as_str())))
        .collect();
    let names: BTreeSet<String> = ws
        .units
        .iter()
        .flat_map(|u| u.file.items.iter())
        .filter(|i| i.kind == ItemKind::Abstraction)
        .map(|i| i.name.node.clone())
        .collect();
    let mut entries = Vec::new();
    for name in &names {
        // The loader's own lookup decides which one is used (and reports ambiguity).
        let used = ws.find(name, &mut diagnostics);
        let mut defs: Vec<_> = ws
            .extra_definitions(name)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        for u in 0..ws.units.len() {
            if ws.unit(u).is_some_and(|x| x.tier == Tier::Stdlib) {
                defs.extend(ws.abstractions_in(u, name));
            }
        }
        let source_of = |n: (usize, usize)| ws.unit(n.0).map(|u| u.name.to_string());
        let used_source = used.and_then(source_of);
        for node in &defs {
            let (Some(unit), Some(item)) = (ws.unit(node.0), ws.item(*node)) else {
                continue;
            };
            let is_used = Some(*node) == used;
            entries.push(Entry {
                name: name.clone(),
                version: declared_version(item).map(|(v, _)| v),
                source: unit.name.to_string(),
                builtin: unit.tier == Tier::Stdlib,
                dir: dir_of.get(&*unit.name).map(|d| (*d).to_string()),
                header: header(item),
                shadowed_by: if is_used { None } else { used_source.clone() },
                overrides: if is_used {
                    defs.iter()
                        .filter(|n| *n != node)
                        .filter_map(|n| source_of(*n))
                        .collect()
                } else {
                    Vec::new()
                },
            });
        }
    }
    let mut sources = SourceMap::default();
    for u in ws.units.iter().filter(|u| u.tier != Tier::Own) {
        sources.files.insert(u.name.to_string(), u.text.clone());
    }
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.file.clone(), d.primary.as_ref().map(|l| l.span.start));
        key(a).cmp(&key(b))
    });
    diagnostics.dedup();
    Catalog {
        entries,
        diagnostics,
        sources,
    }
}

/// The comment lines before an item, without `#` and one leading space.
fn header(item: &Item) -> Vec<String> {
    item.comments
        .iter()
        .map(|c| {
            let t = c.text.strip_prefix(' ').unwrap_or(&c.text);
            t.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::AbstractionDir;

    fn dir(name: &str, files: &[(&str, &str)]) -> AbstractionDir {
        AbstractionDir {
            name: name.into(),
            files: files.iter().map(|(n, t)| Source::new(*n, *t)).collect(),
        }
    }

    fn abs(name: &str, version: u64) -> String {
        format!("# {name} v{version}\nabstraction {name} {{\n    version {version}\n}}\n")
    }

    #[test]
    fn a_later_directory_overrides_an_earlier_one_and_the_stdlib() {
        let opts = LoadOptions {
            search_path: vec![
                dir("dist", &[("dist/tmp.pol", &abs("tmp", 2))]),
                dir("site", &[("site/tmp.pol", &abs("tmp", 3))]),
            ],
            ..LoadOptions::default()
        };
        let cat = catalog(&opts);
        assert!(cat.diagnostics.is_empty(), "{:?}", cat.diagnostics);
        let tmp: Vec<&Entry> = cat.entries.iter().filter(|e| e.name == "tmp").collect();
        let sources: Vec<&str> = tmp.iter().map(|e| e.source.as_str()).collect();
        assert_eq!(sources, ["site/tmp.pol", "dist/tmp.pol", "stdlib:tmp"]);
        assert_eq!(tmp[0].overrides, ["dist/tmp.pol", "stdlib:tmp"]);
        assert_eq!(tmp[0].dir.as_deref(), Some("site"));
        assert_eq!(tmp[0].version, Some(3));
        assert_eq!(tmp[1].shadowed_by.as_deref(), Some("site/tmp.pol"));
        assert_eq!(tmp[2].shadowed_by.as_deref(), Some("site/tmp.pol"));
        assert!(tmp[2].builtin);
        assert_eq!(cat.used("tmp").map(|e| e.version), Some(Some(3)));
        // Every built-in abstraction is listed, whatever their number.
        for (name, _) in stdlib::all() {
            assert!(cat
                .entries
                .iter()
                .any(|e| e.source == stdlib::source_name(name)));
        }
    }

    #[test]
    fn the_loader_uses_the_same_precedence() {
        let opts = LoadOptions {
            search_path: vec![
                dir("dist", &[("dist/tmp.pol", &abs("tmp", 2))]),
                dir("site", &[("site/tmp.pol", &abs("tmp", 3))]),
            ],
            ..LoadOptions::default()
        };
        let src = Source::new("p.pol", "policy org.example.p {\n    use tmp\n}\n");
        let loaded = crate::load(&src, &opts).unwrap();
        assert_eq!(loaded.policy.uses[0].source, "site/tmp.pol");
        assert_eq!(loaded.policy.uses[0].version, 3);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn the_extra_files_override_every_directory() {
        let opts = LoadOptions {
            abstractions: vec![Source::new("extra.pol", abs("tmp", 7))],
            search_path: vec![dir("site", &[("site/tmp.pol", &abs("tmp", 3))])],
            ..LoadOptions::default()
        };
        let cat = catalog(&opts);
        assert!(cat.diagnostics.is_empty(), "{:?}", cat.diagnostics);
        assert_eq!(cat.used("tmp").unwrap().source, "extra.pol");
        assert_eq!(cat.used("tmp").unwrap().dir, None);
        let src = Source::new("p.pol", "policy org.example.p {\n    use tmp\n}\n");
        assert_eq!(crate::load(&src, &opts).unwrap().policy.uses[0].version, 7);
    }

    #[test]
    fn a_name_defined_twice_in_one_directory_is_ambiguous() {
        let opts = LoadOptions {
            search_path: vec![dir(
                "site",
                &[("site/a.pol", &abs("x", 1)), ("site/b.pol", &abs("x", 2))],
            )],
            ..LoadOptions::default()
        };
        let cat = catalog(&opts);
        assert_eq!(cat.diagnostics.len(), 1);
        assert_eq!(cat.diagnostics[0].code.as_str(), "E0136");
        assert_eq!(cat.used("x").unwrap().source, "site/a.pol");
    }
}
