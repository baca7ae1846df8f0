//! The target system's file contexts: parsing of the `file_contexts` text format, and the
//! order in which entries apply.
//!
//! # How a path gets its label (libselinux ≤ 3.7, `label_file.c`)
//!
//! - Each line is `REGEX [MODE] CONTEXT`; `MODE` is `--` (regular file), `-d`, `-l`,
//!   `-c`, `-b`, `-s` or `-p`; an entry without a mode applies to every kind of file.
//!   `CONTEXT` is `user:role:type[:level]` or `<<none>>` (the path is not relabelled).
//! - Entries are loaded from `file_contexts`, then `file_contexts.homedirs`, then
//!   `file_contexts.local`, in file order. Entries whose regex holds no meta character
//!   (`. ^ $ ? * + | [ ( {`, a backslash escaping the next byte) are "exact" and moved,
//!   in order, after all the others. A lookup walks the list from the end: **the last
//!   matching entry wins**, so exact entries beat regexes and a later regex beats an
//!   earlier one. The regex is matched as `^REGEX$` with PCRE2 (`DOTALL`).
//! - Before the lookup the path goes through the aliases of `file_contexts.subs_dist`
//!   (`/var/run /run`: the first alias, reading the file from its end, whose source is the
//!   path or a directory prefix of it, replaces that prefix, once).
//! - `file_contexts` itself is written by the policy build (CIL/libsemanage) sorted by
//!   specificity: entries with meta characters first, then by length of the literal
//!   stem, length of the regex, mode (any < file < dir < char < block < socket < pipe <
//!   symlink) and text (libsepol `cil_post_filecon_compare`). A module's `filecon`
//!   statements are merged into that order when the module is installed; this is how
//!   polc predicts where its own entries land.

use crate::automata::Re;
use crate::regex::{fc_meta, parse_fc_regex};
use std::cmp::Ordering;

/// A kind of file, as file_contexts and SELinux classes know them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileClass {
    /// Regular file (`--`, class `file`).
    File,
    /// Directory (`-d`, class `dir`).
    Dir,
    /// Character device (`-c`, class `chr_file`).
    Char,
    /// Block device (`-b`, class `blk_file`).
    Block,
    /// Unix socket (`-s`, class `sock_file`).
    Socket,
    /// Named pipe (`-p`, class `fifo_file`).
    Pipe,
    /// Symbolic link (`-l`, class `lnk_file`).
    Symlink,
}

impl FileClass {
    /// Every kind, in CIL's order.
    pub const ALL: [FileClass; 7] = [
        FileClass::File,
        FileClass::Dir,
        FileClass::Char,
        FileClass::Block,
        FileClass::Socket,
        FileClass::Pipe,
        FileClass::Symlink,
    ];

    /// The SELinux class name.
    pub fn class(self) -> &'static str {
        match self {
            FileClass::File => "file",
            FileClass::Dir => "dir",
            FileClass::Char => "chr_file",
            FileClass::Block => "blk_file",
            FileClass::Socket => "sock_file",
            FileClass::Pipe => "fifo_file",
            FileClass::Symlink => "lnk_file",
        }
    }

    /// The mode token of file_contexts.
    pub fn fc_mode(self) -> &'static str {
        match self {
            FileClass::File => "--",
            FileClass::Dir => "-d",
            FileClass::Char => "-c",
            FileClass::Block => "-b",
            FileClass::Socket => "-s",
            FileClass::Pipe => "-p",
            FileClass::Symlink => "-l",
        }
    }

    /// The keyword of CIL's `filecon`.
    pub fn cil_keyword(self) -> &'static str {
        match self {
            FileClass::File => "file",
            FileClass::Dir => "dir",
            FileClass::Char => "char",
            FileClass::Block => "block",
            FileClass::Socket => "socket",
            FileClass::Pipe => "pipe",
            FileClass::Symlink => "symlink",
        }
    }

    fn from_mode(s: &str) -> Option<FileClass> {
        FileClass::ALL.into_iter().find(|c| c.fc_mode() == s)
    }

    /// CIL's ordering rank (`any` is 0).
    fn rank(mode: Option<FileClass>) -> u8 {
        match mode {
            None => 0,
            Some(c) => {
                1 + u8::try_from(FileClass::ALL.iter().position(|x| *x == c).unwrap_or(0))
                    .unwrap_or(0)
            }
        }
    }
}

/// What an entry assigns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FcLabel {
    /// A type (the third field of the context).
    Type(String),
    /// `<<none>>`: such paths are not relabelled; their label is decided at run time.
    None,
}

/// One file_contexts entry.
#[derive(Clone, Debug)]
pub struct FcEntry {
    /// The regex as written.
    pub regex: String,
    /// The kind of file it applies to (`None`: every kind).
    pub mode: Option<FileClass>,
    /// What it assigns.
    pub label: FcLabel,
    /// 1-based line in its text (0 for entries polc adds).
    pub line: usize,
    pub(crate) meta: bool,
    stem_len: usize,
    str_len: usize,
}

impl FcEntry {
    pub(crate) fn new(
        regex: &str,
        mode: Option<FileClass>,
        label: FcLabel,
        line: usize,
    ) -> Result<FcEntry, String> {
        // refused here if polc cannot read it; kept as text only (see `parsed`)
        parse_fc_regex(regex).map_err(|e| e.0)?;
        let (meta, stem_len, str_len) = fc_meta(regex);
        Ok(FcEntry {
            regex: regex.to_string(),
            mode,
            label,
            line,
            meta,
            stem_len,
            str_len,
        })
    }

    /// The entry's regex, parsed again: it was parsed, and accepted, when the entry was
    /// made, and only its text is kept (the parsed regexes of Debian's 5,623 entries
    /// took 7 MB for the whole compilation, which builds the automata of some of them).
    pub(crate) fn parsed(&self) -> Re {
        parsed_regex(&self.regex)
    }

    /// libsepol's `cil_post_filecon_compare`.
    pub(crate) fn cil_cmp(&self, o: &FcEntry) -> Ordering {
        match (self.meta, o.meta) {
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.stem_len
            .cmp(&o.stem_len)
            .then(self.str_len.cmp(&o.str_len))
            .then(FileClass::rank(self.mode).cmp(&FileClass::rank(o.mode)))
            .then(self.regex.as_bytes().cmp(o.regex.as_bytes()))
    }
}

/// The parsed form of the regex of an entry ([`FcEntry::parsed`]); an entry's regex
/// parses, so the language of no path for another text is never used.
pub(crate) fn parsed_regex(text: &str) -> Re {
    parse_fc_regex(text).unwrap_or(Re::Alt(Vec::new()))
}

/// Why a file_contexts text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct FcParseError {
    /// Which text (`file_contexts`, `file_contexts.homedirs`...).
    pub source_name: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The target system's file contexts (a pure value: reading the files is the caller's job).
#[derive(Clone, Debug, Default)]
pub struct FileContexts {
    pub(crate) main: Vec<FcEntry>,
    pub(crate) extra: Vec<FcEntry>,
    pub(crate) subs: Vec<(String, String)>,
}

/// True for a type name polc can write in CIL: letters, digits, `_`, and `.` between
/// names (types of CIL blocks), starting with a letter.
pub(crate) fn valid_type_name(t: &str) -> bool {
    !t.is_empty()
        && t.split('.').all(|part| {
            let mut c = part.chars();
            c.next().is_some_and(|f| f.is_ascii_alphabetic())
                && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        })
}

fn parse_entries(text: &str, source_name: &str) -> Result<Vec<FcEntry>, FcParseError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let err = |message: String| FcParseError {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = t.split_whitespace().collect();
        let (regex, mode, ctx) = match fields.as_slice() {
            [r, c] => (*r, None, *c),
            [r, m, c] => (
                *r,
                Some(FileClass::from_mode(m).ok_or_else(|| err(format!("unknown mode `{m}`")))?),
                *c,
            ),
            _ => return Err(err("expected `REGEX [MODE] CONTEXT`".into())),
        };
        let label = if ctx == "<<none>>" {
            FcLabel::None
        } else {
            let parts: Vec<&str> = ctx.splitn(4, ':').collect();
            match parts.get(2) {
                Some(ty) if valid_type_name(ty) => FcLabel::Type((*ty).to_string()),
                _ => return Err(err(format!("cannot read the type of context `{ctx}`"))),
            }
        };
        out.push(
            FcEntry::new(regex, mode, label, line)
                .map_err(|m| err(format!("unsupported regex `{regex}`: {m}")))?,
        );
    }
    Ok(out)
}

impl FileContexts {
    /// Parse a `file_contexts` file (as written by the policy build).
    pub fn parse(text: &str) -> Result<FileContexts, FcParseError> {
        Ok(FileContexts {
            main: parse_entries(text, "file_contexts")?,
            extra: Vec::new(),
            subs: Vec::new(),
        })
    }

    /// Add the entries of `file_contexts.homedirs` or `file_contexts.local` (loaded after
    /// the main file, in that order).
    pub fn with_extra(
        mut self,
        text: &str,
        source_name: &str,
    ) -> Result<FileContexts, FcParseError> {
        self.extra.extend(parse_entries(text, source_name)?);
        Ok(self)
    }

    /// Add path aliases (`file_contexts.subs_dist`: lines `ALIAS ORIGINAL`).
    pub fn with_substitutions(mut self, text: &str) -> Result<FileContexts, FcParseError> {
        for (n, raw) in text.lines().enumerate() {
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = t.split_whitespace().collect();
            match f.as_slice() {
                [a, b] => self.subs.push(((*a).to_string(), (*b).to_string())),
                _ => {
                    return Err(FcParseError {
                        source_name: "file_contexts.subs_dist".into(),
                        line: n + 1,
                        message: "expected `ALIAS ORIGINAL`".into(),
                    })
                }
            }
        }
        Ok(self)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.main.len() + self.extra.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Apply the aliases to a path or a glob's literal prefix (libselinux `selabel_sub`).
    pub(crate) fn substitute(&self, path: &str) -> Option<String> {
        for (src, dst) in self.subs.iter().rev() {
            if let Some(rest) = path.strip_prefix(src.as_str()) {
                if rest.is_empty() || rest.starts_with('/') {
                    return Some(format!("{dst}{rest}"));
                }
            }
        }
        None
    }
}

/// Labels paths as libselinux does (aliases, precedence, modes), for tools and tests.
pub struct PathLabeller {
    inner: crate::labels::Labeller,
    fc: FileContexts,
}

impl std::fmt::Debug for PathLabeller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathLabeller").finish_non_exhaustive()
    }
}

impl FileContexts {
    /// A labeller over these file contexts.
    pub fn labeller(&self) -> PathLabeller {
        let entries = effective_order(self, Vec::new(), "\u{0}");
        PathLabeller {
            inner: crate::labels::Labeller::new(
                &entries,
                &std::collections::BTreeSet::new(),
                crate::regex::glob_re,
            ),
            fc: FileContexts {
                main: Vec::new(),
                extra: Vec::new(),
                subs: self.subs.clone(),
            },
        }
    }

    /// True when the main entries are in the order CIL writes them.
    pub fn is_cil_sorted(&self) -> bool {
        self.main.windows(2).all(|w| match w {
            [a, b] => a.cil_cmp(b) != Ordering::Greater,
            _ => true,
        })
    }
}

impl PathLabeller {
    /// The label of `path` for a file of kind `class`; `None` when no entry matches.
    pub fn label(&mut self, path: &str, class: FileClass) -> Option<FcLabel> {
        let path = self.fc.substitute(path).unwrap_or_else(|| path.to_string());
        let l = self.inner.label_path(&path, class);
        match l {
            crate::labels::UNLABELLED => None,
            crate::labels::NONE => Some(FcLabel::None),
            l => self
                .inner
                .type_name(l)
                .map(|t| FcLabel::Type(t.to_string())),
        }
    }

    /// For each entry, in precedence order, a shortest valid path it matches (test hook).
    #[doc(hidden)]
    pub fn samples(&mut self) -> Vec<Option<String>> {
        self.inner.entry_samples()
    }
}

/// The entries in the order they apply, lowest precedence first: `main` merged with
/// `added` by the CIL order (entries of `drop_prefix` types removed: an older version of
/// the module being compiled), then `extra`; finally exact entries moved after the
/// others, as libselinux does.
pub(crate) fn effective_order(
    fc: &FileContexts,
    added: Vec<FcEntry>,
    drop_prefix: &str,
) -> Vec<FcEntry> {
    let mut main: Vec<FcEntry> = fc
        .main
        .iter()
        .filter(|e| !matches!(&e.label, FcLabel::Type(t) if t.starts_with(drop_prefix)))
        .cloned()
        .collect();
    main.extend(added);
    main.sort_by(|a, b| a.cil_cmp(b));
    main.extend(fc.extra.iter().cloned());
    let (meta, exact): (Vec<FcEntry>, Vec<FcEntry>) = main.into_iter().partition(|e| e.meta);
    meta.into_iter().chain(exact).collect()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn parses_lines_and_refuses_bad_ones() {
        let fc = FileContexts::parse(
            "# c\n/.*\tsystem_u:object_r:default_t:s0\n/etc(/.*)?  -d  u:r:etc_t:s0-s0:c0.c1023\n/proc(/.*)?  <<none>>\n",
        )
        .unwrap();
        assert_eq!(fc.main.len(), 3);
        assert_eq!(fc.main[1].mode, Some(FileClass::Dir));
        assert_eq!(fc.main[1].label, FcLabel::Type("etc_t".into()));
        assert_eq!(fc.main[2].label, FcLabel::None);
        let e = FileContexts::parse("/a -x u:r:t:s0\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(FileContexts::parse("/a u:r:t(x):s0\n").is_err());
        assert!(FileContexts::parse("/a(?=b) u:r:t:s0\n").is_err());
    }

    #[test]
    fn substitutions_apply_to_prefixes() {
        let fc = FileContexts::default()
            .with_substitutions("/var/run /run\n/lib /usr/lib\n")
            .unwrap();
        assert_eq!(fc.substitute("/var/run/x").as_deref(), Some("/run/x"));
        assert_eq!(fc.substitute("/var/run").as_deref(), Some("/run"));
        assert_eq!(fc.substitute("/var/running"), None);
        assert_eq!(fc.substitute("/lib/x").as_deref(), Some("/usr/lib/x"));
    }
}
