//! The transactional policy store: installed policies as numbered generations.
//!
//! Like snap revisions or ostree deployments, a store root (default `/var/lib/polc`) holds,
//! per policy, numbered generations with the source, the IR and the compiled artifact, and
//! a `current` pointer that is swapped atomically only after the kernel accepted the
//! generation:
//!
//! ```text
//! <root>/.lock                      flock'd by every open Store (concurrent installers wait)
//! <root>/<name>/gen-<N>/            source, ir.json, the artifact, meta.json (and, for
//!                                   SELinux, labels.json: see below)
//! <root>/<name>/current             the current generation number (replaced by rename)
//! <root>/<name>/journal             present only while a transaction is in flight
//! ```
//!
//! A transaction writes the new generation (to `gen-<N>.tmp`, fsync, rename), writes the
//! journal, loads the artifact into the kernel, swaps `current`, and removes the journal.
//! If the kernel rejects the artifact, the new generation is removed and the old one stays
//! current and loaded. If the process dies at any step, the next [`Store::open`] finds the
//! journal and repairs: when `current` already names the new generation the transaction is
//! complete; otherwise the old generation is loaded again (or, for a first install, the
//! policy is unloaded) and the new one removed. Either way the result is the complete old
//! or the complete new generation, never a mix.
//!
//! An SELinux generation also labels the files its policy owns (and its `attach`
//! executable) with the module's types once the module is loaded, after recording the
//! labels it replaces; rollback, removal and repair put them back (see [`Labeler`] and
//! `docs/runtime.md`).
//!
//! ```
//! use polc::store::{Lsm, NullLoader, Package, Store, StoreConfig};
//! use polc::lang::ir::PolicyName;
//!
//! let dir = std::env::temp_dir().join(format!("polc-store-doc-{}", std::process::id()));
//! let store = Store::open(StoreConfig::new(&dir), vec![Box::new(NullLoader::new(Lsm::Landlock))])?;
//! let pkg = Package {
//!     name: PolicyName::new("org.example.app")?,
//!     lsm: Lsm::Landlock,
//!     source_name: "app.pol".into(),
//!     source: "policy org.example.app {}".into(),
//!     ir_json: "{}".into(),
//!     artifact_file: "plan.json".into(),
//!     artifact: b"{}".to_vec(),
//! };
//! let first = store.install(&pkg)?;
//! let second = store.install(&pkg)?;
//! assert_eq!(store.rollback(&pkg.name)?, first);
//! assert!(second > first);
//! store.remove(&pkg.name)?;
//! # drop(store); std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fsops;
mod label;
mod loader;

pub use label::{LabelEntry, Labeler, Xattrs, RECORD as LABEL_RECORD};
pub use loader::{AppArmorLoader, Loader, NullLoader, SeLinuxLoader};

use fsops::{io_err, Fs};
use polc_lang::ir::PolicyName;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default store root.
pub const DEFAULT_ROOT: &str = "/var/lib/polc";

/// The Linux security module a generation was compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lsm {
    /// AppArmor profiles, loaded with `apparmor_parser`.
    AppArmor,
    /// SELinux CIL modules, loaded with `semodule`.
    SeLinux,
    /// Landlock rulesets, applied at exec time (nothing to load).
    Landlock,
}

impl Lsm {
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Lsm::AppArmor => "apparmor",
            Lsm::SeLinux => "selinux",
            Lsm::Landlock => "landlock",
        }
    }
}

impl std::fmt::Display for Lsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A step of a store transaction, for fault injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// Creating a directory.
    CreateDir,
    /// Writing a file's bytes.
    WriteFile,
    /// fsync of a file.
    SyncFile,
    /// fsync of a directory.
    SyncDir,
    /// Renaming `gen-N.tmp` to `gen-N`.
    RenameGeneration,
    /// Writing the journal.
    WriteJournal,
    /// Loading an artifact into the kernel.
    Load,
    /// Unloading a policy from the kernel.
    Unload,
    /// Replacing the `current` pointer.
    SwapCurrent,
    /// Removing the journal.
    RemoveJournal,
    /// Removing a generation or a policy's directory.
    RemoveGeneration,
    /// Recording the labels an SELinux generation is about to replace.
    RecordLabels,
    /// Labelling one file with a generation's type (SELinux).
    Relabel,
    /// Putting back one file's recorded label (SELinux rollback and removal).
    RestoreLabel,
}

/// Makes store steps fail, for tests: called before every step.
pub trait FaultInjector: Send + Sync {
    /// Return an error to make `step` fail.
    fn before(&self, step: Step) -> std::io::Result<()>;
}

/// How to open a store.
#[derive(Clone)]
pub struct StoreConfig {
    /// The root directory.
    pub root: PathBuf,
    /// How many generations to keep per policy (at least 2, so rollback works).
    pub keep: usize,
    /// Fault injection (tests only).
    pub faults: Option<Arc<dyn FaultInjector>>,
    /// How SELinux file labels are read and written (default: [`Xattrs`], the kernel's).
    pub labeler: Option<Arc<dyn Labeler>>,
}

impl StoreConfig {
    /// A config for `root`, keeping 3 generations.
    pub fn new(root: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            root: root.into(),
            keep: 3,
            faults: None,
            labeler: None,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::new(DEFAULT_ROOT)
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("root", &self.root)
            .field("keep", &self.keep)
            .field("labeler", &self.labeler.is_some())
            .finish()
    }
}

/// What goes into a generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// The policy's name.
    pub name: PolicyName,
    /// The LSM the artifact is for.
    pub lsm: Lsm,
    /// The source's file name (for `show`).
    pub source_name: String,
    /// The source text.
    pub source: String,
    /// The IR as JSON.
    pub ir_json: String,
    /// The artifact's file name in the generation (SELinux takes the module name from it).
    pub artifact_file: String,
    /// The compiled artifact.
    pub artifact: Vec<u8>,
}

/// A generation's metadata (`meta.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationInfo {
    /// Its number.
    pub generation: u64,
    /// The LSM.
    pub lsm: Lsm,
    /// The source's file name.
    pub source_name: String,
    /// The artifact's file name.
    pub artifact_file: String,
    /// Seconds since the epoch when it was written.
    pub created: u64,
    /// The polc version that wrote it.
    pub polc_version: String,
}

/// What `show` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    /// The policy's name.
    pub name: String,
    /// The current generation.
    pub current: u64,
    /// Every generation kept, oldest first.
    pub generations: Vec<GenerationInfo>,
    /// The directory of the current generation.
    pub path: PathBuf,
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// File I/O failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The kernel (or its loader tool) rejected a generation; the store stays on the old one.
    #[error("the {lsm} loader rejected `{name}`: {message}")]
    Load {
        /// The LSM.
        lsm: Lsm,
        /// The policy.
        name: String,
        /// What the loader said.
        message: String,
    },
    /// No policy of that name is installed.
    #[error("`{0}` is not installed")]
    NotInstalled(String),
    /// Rollback without an older generation.
    #[error("`{0}` has no previous generation to roll back to")]
    NoPrevious(String),
    /// No loader was given for an LSM the store needs.
    #[error("no loader for {0} was configured")]
    NoLoader(Lsm),
    /// The store holds something it did not write.
    #[error("the store is damaged at {path}: {detail}")]
    Corrupt {
        /// Where.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// An artifact file name that could escape the generation directory.
    #[error("invalid artifact file name `{0}`")]
    BadArtifactName(String),
}

/// The kind of an in-flight transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Op {
    /// A new generation `to` replaces `from` (None: first install).
    Install,
    /// The older generation `to` replaces `from`, which is then deleted.
    Rollback,
    /// The policy is unloaded and deleted.
    Remove,
}

/// The journal of an in-flight transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Journal {
    /// What is being done.
    op: Op,
    /// The generation current before the transaction (None: first install).
    from: Option<u64>,
    /// The generation the transaction makes current (None: removal).
    to: Option<u64>,
}

/// An open store. Holds the store's lock until dropped.
pub struct Store {
    root: PathBuf,
    keep: usize,
    fs: Fs,
    loaders: Vec<Box<dyn Loader>>,
    labeler: Arc<dyn Labeler>,
    _lock: File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

fn gen_dir_name(n: u64) -> String {
    format!("gen-{n}")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Store {
    /// Open (creating if needed) the store at `config.root`, wait for its lock, and repair
    /// any transaction a crashed process left behind.
    pub fn open(config: StoreConfig, loaders: Vec<Box<dyn Loader>>) -> Result<Store, StoreError> {
        let fs = Fs {
            faults: config.faults.clone(),
        };
        fs::create_dir_all(&config.root)
            .map_err(io_err(format!("creating {}", config.root.display())))?;
        let lock_path = config.root.join(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(format!("opening {}", lock_path.display())))?;
        lock.lock()
            .map_err(io_err(format!("locking {}", lock_path.display())))?;
        let store = Store {
            root: config.root,
            keep: config.keep.max(2),
            fs,
            loaders,
            labeler: config
                .labeler
                .unwrap_or_else(|| Arc::new(Xattrs::default())),
            _lock: lock,
        };
        store.repair()?;
        Ok(store)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, name: &PolicyName) -> PathBuf {
        self.root.join(name.as_str())
    }

    fn loader(&self, lsm: Lsm) -> Result<&dyn Loader, StoreError> {
        self.loaders
            .iter()
            .find(|l| l.lsm() == lsm)
            .map(|b| b.as_ref())
            .ok_or(StoreError::NoLoader(lsm))
    }

    fn read_current(&self, dir: &Path) -> Result<Option<u64>, StoreError> {
        let p = dir.join("current");
        match fs::read_to_string(&p) {
            Ok(s) => s.trim().parse().map(Some).map_err(|_| StoreError::Corrupt {
                path: p.clone(),
                detail: format!("`{}` is not a generation number", s.trim()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io {
                context: format!("reading {}", p.display()),
                source: e,
            }),
        }
    }

    fn generations(&self, dir: &Path) -> Result<Vec<u64>, StoreError> {
        let mut gens = Vec::new();
        let entries = fs::read_dir(dir).map_err(io_err(format!("listing {}", dir.display())))?;
        for e in entries {
            let e = e.map_err(io_err(format!("listing {}", dir.display())))?;
            let name = e.file_name();
            let name = name.to_string_lossy();
            if let Some(n) = name
                .strip_prefix("gen-")
                .and_then(|n| n.parse::<u64>().ok())
            {
                gens.push(n);
            }
        }
        gens.sort_unstable();
        Ok(gens)
    }

    fn info(&self, dir: &Path, n: u64) -> Result<GenerationInfo, StoreError> {
        let p = dir.join(gen_dir_name(n)).join("meta.json");
        let text = fs::read_to_string(&p).map_err(io_err(format!("reading {}", p.display())))?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: p,
            detail: e.to_string(),
        })
    }

    fn artifact_path(&self, dir: &Path, n: u64) -> Result<(GenerationInfo, PathBuf), StoreError> {
        let info = self.info(dir, n)?;
        let path = dir.join(gen_dir_name(n)).join(&info.artifact_file);
        Ok((info, path))
    }

    fn load_generation(&self, name: &PolicyName, dir: &Path, n: u64) -> Result<(), StoreError> {
        let (info, path) = self.artifact_path(dir, n)?;
        self.fs.step(Step::Load, &path)?;
        self.loader(info.lsm)?
            .load(name, &path)
            .map_err(|message| StoreError::Load {
                lsm: info.lsm,
                name: name.to_string(),
                message,
            })
    }

    fn unload_generation(&self, name: &PolicyName, dir: &Path, n: u64) -> Result<(), StoreError> {
        let (info, path) = self.artifact_path(dir, n)?;
        self.fs.step(Step::Unload, &path)?;
        self.loader(info.lsm)?
            .unload(name, &path)
            .map_err(|message| StoreError::Load {
                lsm: info.lsm,
                name: name.to_string(),
                message,
            })
    }

    fn write_journal(&self, dir: &Path, j: &Journal) -> Result<(), StoreError> {
        let body = serde_json::to_vec(j).map_err(|e| StoreError::Corrupt {
            path: dir.join("journal"),
            detail: e.to_string(),
        })?;
        self.fs
            .write_atomic(&dir.join("journal"), &body, Step::WriteJournal)
    }

    fn set_current(&self, dir: &Path, n: u64) -> Result<(), StoreError> {
        self.fs.write_atomic(
            &dir.join("current"),
            n.to_string().as_bytes(),
            Step::SwapCurrent,
        )
    }

    /// Repair every policy with an in-flight transaction, and remove leftovers.
    fn repair(&self) -> Result<(), StoreError> {
        let entries =
            fs::read_dir(&self.root).map_err(io_err(format!("listing {}", self.root.display())))?;
        let mut names = Vec::new();
        for e in entries {
            let e = e.map_err(io_err(format!("listing {}", self.root.display())))?;
            let file_name = e.file_name().to_string_lossy().into_owned();
            if file_name.starts_with(".removing-") {
                // A removal that renamed the directory away but did not finish deleting it.
                self.fs.remove_tree(&e.path(), Step::RemoveGeneration)?;
            } else if let Ok(name) = PolicyName::new(&file_name) {
                if e.path().is_dir() {
                    names.push(name);
                }
            }
        }
        for name in names {
            self.repair_one(&name)?;
        }
        Ok(())
    }

    fn repair_one(&self, name: &PolicyName) -> Result<(), StoreError> {
        let dir = self.dir(name);
        // Half-written generations never became visible: drop them.
        for e in fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
            let e = e.map_err(io_err(format!("listing {}", dir.display())))?;
            if e.file_name().to_string_lossy().ends_with(".tmp") {
                let p = e.path();
                if p.is_dir() {
                    self.fs.remove_tree(&p, Step::RemoveGeneration)?;
                } else {
                    self.fs.remove_file(&p, Step::RemoveGeneration)?;
                }
            }
        }
        let jpath = dir.join("journal");
        let journal: Option<Journal> = match fs::read(&jpath) {
            Ok(b) => Some(serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt {
                path: jpath.clone(),
                detail: e.to_string(),
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(StoreError::Io {
                    context: format!("reading {}", jpath.display()),
                    source: e,
                })
            }
        };
        let current = self.read_current(&dir)?;
        if let Some(j) = journal {
            match (j.op, j.to) {
                (Op::Remove, _) | (_, None) => return self.finish_remove(name, &dir, current),
                (Op::Install, Some(to)) => {
                    if current != Some(to) {
                        // Back to the complete old state: the kernel may hold the new artifact.
                        match j.from {
                            Some(from) => self.load_generation(name, &dir, from)?,
                            None if dir.join(gen_dir_name(to)).join("meta.json").is_file() => {
                                self.unload_generation(name, &dir, to)?
                            }
                            None => {}
                        }
                        self.restore_labels(&dir, to, label::Restore::Previous)?;
                        self.fs
                            .remove_tree(&dir.join(gen_dir_name(to)), Step::RemoveGeneration)?;
                    }
                }
                (Op::Rollback, Some(to)) => {
                    if current == Some(to) {
                        // The pointer moved: finish by dropping the generation rolled back from.
                        if let Some(from) = j.from {
                            self.fs.remove_tree(
                                &dir.join(gen_dir_name(from)),
                                Step::RemoveGeneration,
                            )?;
                        }
                    } else if let Some(from) = j.from {
                        self.load_generation(name, &dir, from)?;
                        self.restore_labels(&dir, from, label::Restore::Applied)?;
                    }
                }
            }
            self.fs.remove_file(&jpath, Step::RemoveJournal)?;
        }
        if self.read_current(&dir)?.is_none() {
            // A first install that never completed: nothing of it is visible.
            self.fs.remove_tree(&dir, Step::RemoveGeneration)?;
        }
        Ok(())
    }

    /// Run a transaction on one policy; if it fails midway, repair at once (best effort:
    /// what cannot be repaired now stays journaled for the next open).
    fn transaction<T>(
        &self,
        name: &PolicyName,
        f: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let r = f();
        if r.is_err() && self.dir(name).is_dir() {
            let _ = self.repair_one(name);
        }
        r
    }

    /// Install a package: a new generation, loaded into the kernel, made current. If the
    /// policy was installed before, this is an upgrade and the previous generation stays
    /// for [`Store::rollback`]. Returns the new generation number.
    pub fn install(&self, pkg: &Package) -> Result<u64, StoreError> {
        self.transaction(&pkg.name, || self.install_inner(pkg))
    }

    fn install_inner(&self, pkg: &Package) -> Result<u64, StoreError> {
        let f = &pkg.artifact_file;
        if f.is_empty()
            || f.starts_with('.')
            || f.contains('/')
            || f == "meta.json"
            || f == "ir.json"
            || f.starts_with("source.")
        {
            return Err(StoreError::BadArtifactName(f.clone()));
        }
        self.loader(pkg.lsm)?;
        let dir = self.dir(&pkg.name);
        self.fs.create_dir(&dir)?;
        let current = self.read_current(&dir)?;
        let next = self.generations(&dir)?.last().copied().unwrap_or(0) + 1;
        let tmp = dir.join(format!("{}.tmp", gen_dir_name(next)));
        self.fs.remove_tree(&tmp, Step::RemoveGeneration)?;
        self.fs.create_dir(&tmp)?;
        let ext = Path::new(&pkg.source_name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("pol");
        let ext = if ext == "json" { "json" } else { "pol" };
        self.fs
            .write_synced(&tmp.join(format!("source.{ext}")), pkg.source.as_bytes())?;
        self.fs
            .write_synced(&tmp.join("ir.json"), pkg.ir_json.as_bytes())?;
        self.fs
            .write_synced(&tmp.join(&pkg.artifact_file), &pkg.artifact)?;
        let info = GenerationInfo {
            generation: next,
            lsm: pkg.lsm,
            source_name: pkg.source_name.clone(),
            artifact_file: pkg.artifact_file.clone(),
            created: now(),
            polc_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let meta = serde_json::to_vec_pretty(&info).map_err(|e| StoreError::Corrupt {
            path: tmp.clone(),
            detail: e.to_string(),
        })?;
        self.fs.write_synced(&tmp.join("meta.json"), &meta)?;
        self.fs.sync_dir(&tmp)?;
        let gen = dir.join(gen_dir_name(next));
        self.fs.rename(&tmp, &gen, Step::RenameGeneration)?;
        self.activate(&pkg.name, &dir, current, next)?;
        self.prune(&dir, next)?;
        Ok(next)
    }

    /// Journal, load `to`, swap the pointer, clear the journal. On a load failure the
    /// transaction's repair puts the kernel and the pointer back on `from`.
    fn activate(
        &self,
        name: &PolicyName,
        dir: &Path,
        from: Option<u64>,
        to: u64,
    ) -> Result<(), StoreError> {
        self.write_journal(
            dir,
            &Journal {
                op: Op::Install,
                from,
                to: Some(to),
            },
        )?;
        self.load_generation(name, dir, to)?;
        self.relabel_generation(dir, from, to)?;
        self.set_current(dir, to)?;
        self.fs
            .remove_file(&dir.join("journal"), Step::RemoveJournal)
    }

    fn prune(&self, dir: &Path, current: u64) -> Result<(), StoreError> {
        let gens = self.generations(dir)?;
        let excess = gens.len().saturating_sub(self.keep);
        for n in gens.into_iter().filter(|&n| n != current).take(excess) {
            self.fs
                .remove_tree(&dir.join(gen_dir_name(n)), Step::RemoveGeneration)?;
        }
        Ok(())
    }

    /// Make the generation before the current one current again, reloading it.
    pub fn rollback(&self, name: &PolicyName) -> Result<u64, StoreError> {
        self.transaction(name, || self.rollback_inner(name))
    }

    fn rollback_inner(&self, name: &PolicyName) -> Result<u64, StoreError> {
        let dir = self.dir(name);
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        let previous = self
            .generations(&dir)?
            .into_iter()
            .rfind(|&n| n < current)
            .ok_or_else(|| StoreError::NoPrevious(name.to_string()))?;
        self.write_journal(
            &dir,
            &Journal {
                op: Op::Rollback,
                from: Some(current),
                to: Some(previous),
            },
        )?;
        self.load_generation(name, &dir, previous)?;
        self.restore_labels(&dir, current, label::Restore::Previous)?;
        self.set_current(&dir, previous)?;
        // Drop the generation rolled back from, so a later rollback goes further back and
        // the next install gets a fresh number.
        self.fs
            .remove_tree(&dir.join(gen_dir_name(current)), Step::RemoveGeneration)?;
        self.fs
            .remove_file(&dir.join("journal"), Step::RemoveJournal)?;
        Ok(previous)
    }

    /// Unload a policy and delete all its generations.
    pub fn remove(&self, name: &PolicyName) -> Result<(), StoreError> {
        self.transaction(name, || self.remove_inner(name))
    }

    fn remove_inner(&self, name: &PolicyName) -> Result<(), StoreError> {
        let dir = self.dir(name);
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        self.write_journal(
            &dir,
            &Journal {
                op: Op::Remove,
                from: Some(current),
                to: None,
            },
        )?;
        self.finish_remove(name, &dir, Some(current))
    }

    fn finish_remove(
        &self,
        name: &PolicyName,
        dir: &Path,
        current: Option<u64>,
    ) -> Result<(), StoreError> {
        if let Some(c) = current {
            self.unload_generation(name, dir, c)?;
            self.restore_labels(dir, c, label::Restore::Original)?;
        }
        let gone = self.root.join(format!(".removing-{}", name.as_str()));
        self.fs.rename(dir, &gone, Step::RemoveGeneration)?;
        self.fs.remove_tree(&gone, Step::RemoveGeneration)
    }

    /// The installed policies, sorted by name.
    pub fn list(&self) -> Result<Vec<PolicyInfo>, StoreError> {
        let mut out = Vec::new();
        let entries =
            fs::read_dir(&self.root).map_err(io_err(format!("listing {}", self.root.display())))?;
        let mut names: Vec<PolicyName> = entries
            .filter_map(Result::ok)
            .filter_map(|e| PolicyName::new(&e.file_name().to_string_lossy()).ok())
            .collect();
        names.sort();
        for n in names {
            out.push(self.show(&n)?);
        }
        Ok(out)
    }

    /// One installed policy.
    pub fn show(&self, name: &PolicyName) -> Result<PolicyInfo, StoreError> {
        let dir = self.dir(name);
        if !dir.is_dir() {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        let generations = self
            .generations(&dir)?
            .into_iter()
            .map(|n| self.info(&dir, n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PolicyInfo {
            name: name.to_string(),
            current,
            generations,
            path: dir.join(gen_dir_name(current)),
        })
    }

    /// The current generation's artifact path and metadata (for launchers).
    pub fn current_artifact(
        &self,
        name: &PolicyName,
    ) -> Result<(GenerationInfo, PathBuf), StoreError> {
        let dir = self.dir(name);
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        self.artifact_path(&dir, current)
    }
}
