//! Reading AppArmor profiles into polc: `polc import apparmor`.
//!
//! [`import`] reads one profile file (its includes through a [`Resolver`], so this
//! library does no file-system I/O), expands includes, tunables and `@{VARIABLES}`, and
//! classifies every source rule with [`table::TABLE`], the one table that maps each
//! AppArmor construct to its polc form and says whether the import is exact,
//! approximated (how) or impossible (why). The result, [`Imported`], holds polc statement
//! texts per source rule; the facade (`polc::import`) assembles and formats the policy.
//!
//! Constructs that polc's language v2 adds (owner, audit, child profiles...) are emitted in
//! the v2 syntax but classified "not importable (needs language v2: ...)" by the table
//! until the language has them: their statements are then written as comments.

mod lex;
mod read;
mod rules;
pub mod table;

use std::fmt;

pub use read::import;

/// The longest word the reader accepts (a path, a `set=(...)` list), in bytes.
pub(crate) const MAX_WORD: usize = 64 * 1024;
/// How deep includes may nest.
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// The most paths one rule may expand to through its variables and alternatives.
pub const MAX_EXPANSION: usize = 4096;
/// The most rules an import may hold, includes expanded.
pub const MAX_RULES: usize = 100_000;

/// What an include names and the file that holds it, for [`Resolver::resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeRequest<'a> {
    /// The name as written, without `<>` or quotes (`abstractions/base`).
    pub name: &'a str,
    /// `<name>`: searched in the include directories; `"name"`: relative to the
    /// including file's directory (or absolute).
    pub search: bool,
    /// The display name of the file that holds the include.
    pub from: &'a str,
}

/// What a [`Resolver`] found for an include.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A file: its display name (used in reports) and its text.
    File {
        /// The name shown in reports and errors (`abstractions/base`).
        name: String,
        /// The file's contents.
        text: String,
    },
    /// A directory: the names to include, in order (each as an include name).
    Dir(Vec<String>),
    /// Nothing of that name.
    Missing,
}

/// Finds included files: the caller (the CLI, a test) owns the file system.
pub trait Resolver {
    /// The file or directory an include names.
    fn resolve(&self, req: &IncludeRequest<'_>) -> Resolved;
}

/// What kind of error an [`ImportError`] is: each has a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportErrorKind {
    /// E0500: the text is not AppArmor profile syntax.
    Syntax,
    /// E0501: an include names nothing the resolver finds.
    IncludeNotFound,
    /// E0502: includes nest too deep or include themselves.
    IncludeCycle,
    /// E0503: a variable used but never defined.
    UnknownVariable,
    /// E0504: a limit of the reader (rules, expansion, word length).
    TooLarge,
    /// E0505: the file holds no profile (or not the one asked for).
    NoProfile,
}

impl ImportErrorKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ImportErrorKind::Syntax => "E0500",
            ImportErrorKind::IncludeNotFound => "E0501",
            ImportErrorKind::IncludeCycle => "E0502",
            ImportErrorKind::UnknownVariable => "E0503",
            ImportErrorKind::TooLarge => "E0504",
            ImportErrorKind::NoProfile => "E0505",
        }
    }

    /// Advice for the user.
    pub fn help(self) -> &'static str {
        match self {
            ImportErrorKind::Syntax => {
                "the input must be an AppArmor profile (apparmor.d(5)); `apparmor_parser -QK FILE` checks one"
            }
            ImportErrorKind::IncludeNotFound => {
                "give the directory that holds abstractions/ and tunables/ with `-I DIR` (usually /etc/apparmor.d)"
            }
            ImportErrorKind::IncludeCycle => "remove the include that reaches back to its own file",
            ImportErrorKind::UnknownVariable => {
                "include the tunables that define it (`include <tunables/global>`) or give them with `-I DIR`"
            }
            ImportErrorKind::TooLarge => "split the profile or simplify its variables",
            ImportErrorKind::NoProfile => "name a profile of the file with `--profile NAME`",
        }
    }
}

/// An error that stops an import, located in the file that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// What went wrong.
    pub kind: ImportErrorKind,
    /// The display name of the file.
    pub file: String,
    /// 1-based line (0 when the error is about the whole file).
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// One lowercase line: the profile's text in it is quoted through
    /// [`polc_lang::ir::text::show`], and no control character is left.
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(kind: ImportErrorKind, file: &str, pos: lex::Pos, message: String) -> Self {
        let message = polc_lang::ir::text::one_line(&message);
        ImportError {
            kind,
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
            message,
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ImportError {}

/// Which profile of the file to import, and the reader's options.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The profile to import; by default the first one of the file.
    pub profile: Option<String>,
}

/// How one source rule came into polc.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// The imported statements, compiled for AppArmor, decide as the source rule does.
    Exact,
    /// The statements differ from the source rule, in the way the note says.
    Approximated,
    /// Nothing polc can state today (the note says why).
    NotImportable,
}

impl Class {
    /// `exact`, `approximated` or `not importable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Class::Exact => "exact",
            Class::Approximated => "approximated",
            Class::NotImportable => "not importable",
        }
    }
}

/// One source rule (includes expanded: a rule of an abstraction appears once per
/// include), what it becomes and how faithfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The display name of the file that holds the rule.
    pub file: String,
    /// Its line and column.
    pub line: u32,
    /// Its column.
    pub column: u32,
    /// The rule, on one line.
    pub source: String,
    /// The constructs of the table the rule uses (their ids, [`table::Construct::id`]).
    pub constructs: Vec<&'static str>,
    /// Exact, approximated or not importable.
    pub class: Class,
    /// How it is approximated, or why it is not importable (empty when exact).
    pub note: String,
    /// The polc statements (v2 syntax where needed). Written as comments when the
    /// rule is not importable.
    pub polc: Vec<String>,
    /// The child profile or hat the rule belongs to (`None`: the profile itself).
    pub child: Option<String>,
}

/// A child profile or hat of the imported profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Child {
    /// Its AppArmor name.
    pub source_name: String,
    /// Its polc name.
    pub name: String,
    /// A hat (`^name`) rather than a child profile.
    pub hat: bool,
}

/// An imported profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The AppArmor profile name.
    pub source_name: String,
    /// The polc policy name derived from it.
    pub name: String,
    /// The header statements (`attach`, `mode`) come first among the entries, then every
    /// rule in source order; the rules of children carry their child's name.
    pub entries: Vec<Entry>,
    /// The child profiles and hats.
    pub children: Vec<Child>,
    /// Other top-level profiles of the file, not imported.
    pub other_profiles: Vec<String>,
}

impl Imported {
    /// How many entries of each class: (exact, approximated, not importable).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for e in &self.entries {
            match e.class {
                Class::Exact => c.0 += 1,
                Class::Approximated => c.1 += 1,
                Class::NotImportable => c.2 += 1,
            }
        }
        c
    }
}
