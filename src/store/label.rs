//! Install-time labelling for SELinux: after a module is loaded, the files the policy owns
//! (its `owns` paths) and its `attach` executable get the module's types, as `restorecon`
//! would give them; rollback and removal put the previous labels back.
//!
//! The labels come from the generation itself: the paths from its IR (`ir.json`), the
//! types from the `filecon` statements of its CIL module (the artifact), matched with
//! libselinux's precedence rules ([`polc_selinux::PathLabeller`]). Only paths an `owns`
//! glob matches (and the attach path) are touched; directories that cannot hold such a
//! path are not entered, symlinks are labelled themselves and never followed.
//!
//! Before the first label changes, the generation records every path it labels in
//! `labels.json`: the label it had before this generation (`previous`), the label it had
//! before any generation of the policy (`original`, carried over from the previous
//! generation's record) and the label applied. Rollback restores `previous`, removal
//! restores `original`, the repair of an interrupted install restores `previous` and the
//! repair of an interrupted rollback applies the labels again. Each file's change is a
//! [`Step`] of the store, so tests can fail or kill any of them.
//!
//! Files created after the install keep the label the kernel gave them (from the
//! module's type transitions or their directory); the record does not know them.
//!
//! AppArmor and Landlock need no labels: both name files by path.

use super::{fsops::io_err, gen_dir_name, GenerationInfo, Lsm, Step, Store, StoreError};
use polc_lang::glob::Glob;
use polc_selinux::{FcLabel, FileClass, FileContexts};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The record's file name in a generation.
pub const RECORD: &str = "labels.json";

/// At most this many directory entries are looked at per install.
const MAX_ENTRIES: usize = 200_000;

/// Reads and writes file labels.
pub trait Labeler: Send + Sync {
    /// The label of `path` (a final symlink is not followed); `None` when it has none.
    fn get(&self, path: &Path) -> io::Result<Option<String>>;
    /// Set (`Some`) or remove (`None`) the label of `path` (a final symlink is not followed).
    fn set(&self, path: &Path, label: Option<&str>) -> io::Result<()>;
    /// True when contexts of the loaded policy carry an MLS level.
    fn mls(&self) -> io::Result<bool>;
}

/// The kernel's labels: the `security.selinux` extended attribute, and `/sys/fs/selinux/mls`.
#[derive(Clone, Debug)]
pub struct Xattrs {
    /// The selinuxfs mount point.
    pub selinuxfs: PathBuf,
}

impl Default for Xattrs {
    fn default() -> Self {
        Xattrs {
            selinuxfs: PathBuf::from("/sys/fs/selinux"),
        }
    }
}

const XATTR: &std::ffi::CStr = c"security.selinux";

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput.into())
}

impl Labeler for Xattrs {
    fn get(&self, path: &Path) -> io::Result<Option<String>> {
        match polc_selinux::file_label(path, false) {
            Ok(l) => Ok(Some(l)),
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn set(&self, path: &Path, label: Option<&str>) -> io::Result<()> {
        let p = cpath(path)?;
        let r = match label {
            Some(l) => {
                // With its NUL, as libselinux's lsetfilecon writes it.
                let v =
                    CString::new(l).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
                let b = v.as_bytes_with_nul();
                // SAFETY: valid C strings; `b` is readable for its length.
                unsafe {
                    libc::lsetxattr(p.as_ptr(), XATTR.as_ptr(), b.as_ptr().cast(), b.len(), 0)
                }
            }
            // SAFETY: valid C strings.
            None => match unsafe { libc::lremovexattr(p.as_ptr(), XATTR.as_ptr()) } {
                r if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENODATA) => 0,
                r => r,
            },
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn mls(&self) -> io::Result<bool> {
        let p = self.selinuxfs.join("mls");
        let s = std::fs::read_to_string(&p).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("selinux is not active ({}: {e})", p.display()),
            )
        })?;
        Ok(s.trim() == "1")
    }
}

/// One labelled path of a generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelEntry {
    /// The path.
    pub path: PathBuf,
    /// Its label before this generation (`None`: it had none).
    pub previous: Option<String>,
    /// Its label before any generation of the policy.
    pub original: Option<String>,
    /// The label this generation gave it.
    pub applied: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Record {
    entries: Vec<LabelEntry>,
}

/// Which recorded label to put back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restore {
    /// The label before the generation (rollback, failed install).
    Previous,
    /// The label before the policy (removal).
    Original,
    /// The generation's own label (failed rollback).
    Applied,
}

/// A `filecon` of a CIL module: regex, file kind, context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileCon {
    pub(crate) regex: String,
    pub(crate) kind: Option<FileClass>,
    /// `None`: `<<none>>` (an empty context).
    pub(crate) context: Option<FileConContext>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileConContext {
    pub(crate) user: String,
    pub(crate) role: String,
    pub(crate) ty: String,
    pub(crate) level: String,
}

enum Sx {
    Atom(String),
    Str(String),
    List(Vec<Sx>),
}

fn parse_sx(text: &str) -> Result<Vec<Sx>, String> {
    let mut stack: Vec<Vec<Sx>> = vec![Vec::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' => stack.push(Vec::new()),
            ')' => {
                let done = stack.pop().ok_or("unbalanced `)`")?;
                stack
                    .last_mut()
                    .ok_or("unbalanced `)`")?
                    .push(Sx::List(done));
            }
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(d) => s.push(d),
                        None => return Err("unterminated string".into()),
                    }
                }
                stack.last_mut().ok_or("unbalanced `(`")?.push(Sx::Str(s));
            }
            c if c.is_whitespace() => {}
            c => {
                let mut s = String::from(c);
                while let Some(&d) = chars.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '"' | ';') {
                        break;
                    }
                    s.push(d);
                    chars.next();
                }
                stack.last_mut().ok_or("unbalanced `(`")?.push(Sx::Atom(s));
            }
        }
    }
    match (stack.pop(), stack.is_empty()) {
        (Some(top), true) => Ok(top),
        _ => Err("unbalanced `(`".into()),
    }
}

fn kind_of(keyword: &str) -> Result<Option<FileClass>, String> {
    if keyword == "any" {
        return Ok(None);
    }
    FileClass::ALL
        .into_iter()
        .find(|c| c.cil_keyword() == keyword)
        .map(Some)
        .ok_or_else(|| format!("unknown filecon kind `{keyword}`"))
}

fn resolve(ns: &str, name: &str) -> String {
    match name.strip_prefix('.') {
        Some(global) => global.to_string(),
        None if ns.is_empty() => name.to_string(),
        None => format!("{ns}.{name}"),
    }
}

fn atom(s: &Sx) -> Option<&str> {
    match s {
        Sx::Atom(a) => Some(a),
        _ => None,
    }
}

fn level_of(s: Option<&Sx>) -> String {
    // `((s0) (s0))`: the low level's sensitivity; polc writes no categories.
    let low = match s {
        Some(Sx::List(range)) => range.first(),
        _ => None,
    };
    match low {
        Some(Sx::List(l)) => l.first().and_then(atom).unwrap_or("s0").to_string(),
        Some(Sx::Atom(a)) => a.clone(),
        _ => "s0".to_string(),
    }
}

fn collect(items: &[Sx], ns: &str, out: &mut Vec<FileCon>) -> Result<(), String> {
    for item in items {
        let Sx::List(l) = item else { continue };
        match l.as_slice() {
            [Sx::Atom(k), Sx::Atom(name), rest @ ..] if k == "block" => {
                collect(rest, &resolve(ns, name), out)?;
            }
            [Sx::Atom(k), Sx::Atom(_), rest @ ..] if k == "optional" => collect(rest, ns, out)?,
            [Sx::Atom(k), Sx::Str(re), Sx::Atom(kind), ctx] if k == "filecon" => {
                let context = match ctx {
                    Sx::List(c) if c.is_empty() => None,
                    Sx::List(c) => match c.as_slice() {
                        [Sx::Atom(u), Sx::Atom(r), Sx::Atom(t), level @ ..] => {
                            Some(FileConContext {
                                user: resolve("", u),
                                role: resolve("", r),
                                ty: resolve(ns, t),
                                level: level_of(level.first()),
                            })
                        }
                        _ => return Err(format!("cannot read the context of filecon `{re}`")),
                    },
                    _ => return Err(format!("named contexts are not supported (filecon `{re}`)")),
                };
                out.push(FileCon {
                    regex: re.clone(),
                    kind: kind_of(kind)?,
                    context,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The `filecon` statements of a CIL module, with type names resolved.
pub(crate) fn module_file_contexts(cil: &str) -> Result<Vec<FileCon>, String> {
    let items = parse_sx(cil)?;
    let mut out = Vec::new();
    collect(&items, "", &mut out)?;
    Ok(out)
}

fn class_of(ft: std::fs::FileType) -> FileClass {
    if ft.is_dir() {
        FileClass::Dir
    } else if ft.is_symlink() {
        FileClass::Symlink
    } else if ft.is_char_device() {
        FileClass::Char
    } else if ft.is_block_device() {
        FileClass::Block
    } else if ft.is_fifo() {
        FileClass::Pipe
    } else if ft.is_socket() {
        FileClass::Socket
    } else {
        FileClass::File
    }
}

/// The paths an install labels: those the owns globs match under their literal prefixes,
/// and the attach path; with their kinds.
fn candidates(owns: &[Glob], attach: Option<&str>) -> Result<Vec<(PathBuf, FileClass)>, String> {
    let mut out: BTreeMap<PathBuf, FileClass> = BTreeMap::new();
    let mut seen = 0usize;
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for g in owns {
        for e in g.expansions() {
            let eg = Glob::parse(&e).map_err(|e| e.to_string())?;
            roots.insert(if eg.is_literal() {
                e.clone()
            } else {
                eg.literal_dir_prefix().to_string()
            });
        }
    }
    let owned = |p: &str| owns.iter().any(|g| g.matches(p));
    // A directory is entered only if something below it can be owned.
    let may_hold = |dir: &str| {
        if dir.contains(['*', '?', '{', '}', '[', '\\']) {
            return true;
        }
        let below = if dir == "/" {
            "/**".to_string()
        } else {
            format!("{dir}/**")
        };
        Glob::parse(&below).map_or(true, |b| owns.iter().any(|g| g.intersects(&b)))
    };
    for root in roots {
        let Ok(meta) = std::fs::symlink_metadata(&root) else {
            continue;
        };
        let dev = meta.dev();
        let mut stack = vec![(PathBuf::from(&root), meta.file_type())];
        while let Some((p, ft)) = stack.pop() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(format!(
                    "more than {MAX_ENTRIES} files under the owned paths"
                ));
            }
            let text = p.to_string_lossy().into_owned();
            if owned(&text) {
                out.insert(p.clone(), class_of(ft));
            }
            if !ft.is_dir() || !may_hold(&text) {
                continue;
            }
            let Ok(rd) = std::fs::read_dir(&p) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(m) = e.metadata() else { continue };
                if m.dev() == dev {
                    stack.push((e.path(), m.file_type()));
                }
            }
        }
    }
    if let Some(a) = attach {
        if let Ok(m) = std::fs::symlink_metadata(a) {
            out.insert(PathBuf::from(a), class_of(m.file_type()));
        }
    }
    Ok(out.into_iter().collect())
}

fn not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

impl Store {
    fn record_path(dir: &Path, n: u64) -> PathBuf {
        dir.join(gen_dir_name(n)).join(RECORD)
    }

    fn read_record(&self, dir: &Path, n: u64) -> Result<Option<Record>, StoreError> {
        let p = Store::record_path(dir, n);
        match super::fsops::read_regular(&p)? {
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: p,
                    detail: e.to_string(),
                }),
            None => Ok(None),
        }
    }

    /// The labels the current generation of `name` gave, with the ones it replaced (empty
    /// unless it is an SELinux generation that owns files).
    pub fn labels(&self, name: &polc_lang::ir::PolicyName) -> Result<Vec<LabelEntry>, StoreError> {
        let dir = self.dir(name);
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        Ok(self
            .read_record(&dir, current)?
            .map(|r| r.entries)
            .unwrap_or_default())
    }

    /// After generation `to` was loaded: label what it owns (SELinux only), recording the
    /// labels it replaces first.
    pub(crate) fn relabel_generation(
        &self,
        dir: &Path,
        from: Option<u64>,
        to: u64,
    ) -> Result<(), StoreError> {
        let (info, artifact) = self.artifact_path(dir, to)?;
        if info.lsm != Lsm::SeLinux {
            return Ok(());
        }
        let entries = self.plan_labels(dir, &info, &artifact, from)?;
        let body = serde_json::to_vec_pretty(&Record {
            entries: entries.clone(),
        })
        .map_err(|e| StoreError::Corrupt {
            path: Store::record_path(dir, to),
            detail: e.to_string(),
        })?;
        self.fs
            .write_atomic(&Store::record_path(dir, to), &body, Step::RecordLabels)?;
        for e in &entries {
            if e.previous.as_deref() == Some(e.applied.as_str()) {
                continue;
            }
            self.fs.step(Step::Relabel, &e.path)?;
            match self.labeler.set(&e.path, Some(&e.applied)) {
                Err(err) if not_found(&err) => {}
                r => r.map_err(io_err(format!("labelling {}", e.path.display())))?,
            }
        }
        Ok(())
    }

    fn plan_labels(
        &self,
        dir: &Path,
        info: &GenerationInfo,
        artifact: &Path,
        from: Option<u64>,
    ) -> Result<Vec<LabelEntry>, StoreError> {
        let gen = dir.join(gen_dir_name(info.generation));
        let ir_path = gen.join("ir.json");
        let corrupt = |path: &Path, detail: String| StoreError::Corrupt {
            path: path.to_path_buf(),
            detail,
        };
        let ir_text = std::fs::read_to_string(&ir_path)
            .map_err(io_err(format!("reading {}", ir_path.display())))?;
        let policy: polc_lang::ir::Policy = serde_json::from_str(&ir_text)
            .map_err(|e| corrupt(&ir_path, format!("the IR cannot be read: {e}")))?;
        let owns: Vec<Glob> = policy.owns.iter().map(|o| o.glob.clone()).collect();
        let attach = policy.attach.as_ref().map(|a| a.path.as_str());
        if owns.is_empty() && attach.is_none() {
            return Ok(Vec::new());
        }
        let cil = std::fs::read_to_string(artifact)
            .map_err(io_err(format!("reading {}", artifact.display())))?;
        let fcs = module_file_contexts(&cil).map_err(|e| {
            corrupt(
                artifact,
                format!("cannot read the module's file contexts: {e}"),
            )
        })?;
        if fcs.is_empty() {
            return Err(corrupt(
                artifact,
                "the module has no file contexts for the paths the policy owns".into(),
            ));
        }
        let mut text = String::new();
        let mut contexts: BTreeMap<String, FileConContext> = BTreeMap::new();
        for fc in &fcs {
            let mode = fc
                .kind
                .map_or(String::new(), |k| format!("{}\t", k.fc_mode()));
            let ctx = match &fc.context {
                Some(c) => {
                    contexts.entry(c.ty.clone()).or_insert_with(|| c.clone());
                    format!("{}:{}:{}", c.user, c.role, c.ty)
                }
                None => "<<none>>".to_string(),
            };
            text.push_str(&format!("{}\t{mode}{ctx}\n", fc.regex));
        }
        let mut labeller = FileContexts::parse(&text)
            .map_err(|e| {
                corrupt(
                    artifact,
                    format!("cannot read the module's file contexts: {e}"),
                )
            })?
            .labeller();
        let paths = candidates(&owns, attach).map_err(|e| StoreError::Io {
            context: "listing the owned paths".into(),
            source: io::Error::other(e),
        })?;
        let older: BTreeMap<PathBuf, Option<String>> = match from {
            Some(f) => self
                .read_record(dir, f)?
                .unwrap_or_default()
                .entries
                .into_iter()
                .map(|e| (e.path, e.original))
                .collect(),
            None => BTreeMap::new(),
        };
        let mut mls = None;
        let mut out = Vec::new();
        for (path, class) in paths {
            let Some(FcLabel::Type(ty)) = labeller.label(&path.to_string_lossy(), class) else {
                continue;
            };
            let Some(c) = contexts.get(&ty) else { continue };
            let mls = match mls {
                Some(m) => m,
                None => {
                    let m = self
                        .labeler
                        .mls()
                        .map_err(io_err("reading whether the policy has MLS".into()))?;
                    mls = Some(m);
                    m
                }
            };
            let applied = if mls {
                format!("{}:{}:{}:{}", c.user, c.role, c.ty, c.level)
            } else {
                format!("{}:{}:{}", c.user, c.role, c.ty)
            };
            let previous = match self.labeler.get(&path) {
                Ok(l) => l,
                Err(e) if not_found(&e) => continue,
                Err(e) => {
                    return Err(StoreError::Io {
                        context: format!("reading the label of {}", path.display()),
                        source: e,
                    })
                }
            };
            let original = older
                .get(&path)
                .cloned()
                .unwrap_or_else(|| previous.clone());
            out.push(LabelEntry {
                path,
                previous,
                original,
                applied,
            });
        }
        Ok(out)
    }

    /// Put back the labels generation `n` recorded (nothing if it recorded none).
    pub(crate) fn restore_labels(
        &self,
        dir: &Path,
        n: u64,
        which: Restore,
    ) -> Result<(), StoreError> {
        let Some(record) = self.read_record(dir, n)? else {
            return Ok(());
        };
        let step = if which == Restore::Applied {
            Step::Relabel
        } else {
            Step::RestoreLabel
        };
        for e in record.entries.iter().rev() {
            let want = match which {
                Restore::Previous => e.previous.as_deref(),
                Restore::Original => e.original.as_deref(),
                Restore::Applied => Some(e.applied.as_str()),
            };
            let now = match self.labeler.get(&e.path) {
                Ok(l) => l,
                Err(err) if not_found(&err) => continue,
                Err(err) => {
                    return Err(StoreError::Io {
                        context: format!("reading the label of {}", e.path.display()),
                        source: err,
                    })
                }
            };
            if now.as_deref() == want {
                continue;
            }
            self.fs.step(step, &e.path)?;
            match self.labeler.set(&e.path, want) {
                Err(err) if not_found(&err) => {}
                r => r.map_err(io_err(format!(
                    "restoring the label of {}",
                    e.path.display()
                )))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn reads_the_file_contexts_of_a_polc_module() {
        let cil = "; polc\n(block org_x\n    (type domain)\n    (filecon \"/var/lib/x/.*\" any (.system_u .object_r owned_0 ((s0) (s0))))\n    (filecon \"/usr/bin/x\" file (.system_u .object_r entry ((s0) (s0))))\n    (filecon \"/tmp/x\" dir ())\n    (optional peer_y (filecon \"/y\" any (.system_u .object_r .y_t ((s0) (s0)))))\n)\n";
        let f = module_file_contexts(cil).unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].regex, "/var/lib/x/.*");
        assert_eq!(f[0].kind, None);
        let c = f[0].context.clone().unwrap();
        assert_eq!(
            (
                c.user.as_str(),
                c.role.as_str(),
                c.ty.as_str(),
                c.level.as_str()
            ),
            ("system_u", "object_r", "org_x.owned_0", "s0")
        );
        assert_eq!(f[1].kind, Some(FileClass::File));
        assert_eq!(f[1].context.clone().unwrap().ty, "org_x.entry");
        assert_eq!(f[2].context, None);
        assert_eq!(f[3].context.clone().unwrap().ty, "y_t");
        assert!(module_file_contexts("(block a").is_err());
        assert!(module_file_contexts("(filecon \"/a\" weird ())").is_err());
    }
}
