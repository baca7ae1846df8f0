//! The transactional policy store: installed policies as numbered generations.
//!
//! Like snap revisions or ostree deployments, a store root (default `/var/lib/polc`) holds,
//! per policy, numbered generations with the source, the IR and the compiled artifact, and
//! a `current` pointer that is swapped atomically only after the kernel accepted the
//! generation:
//!
//! ```text
//! <root>/.polc-store                the marker: this is a polc store, and its format
//! <root>/.lock                      flock'd by every open Store (mode 0600)
//! <root>/<name>/gen-<N>/            source, ir.json, the artifact, meta.json (and, for
//!                                   SELinux, labels.json: see below)
//! <root>/<name>/current             the current generation number (replaced by rename)
//! <root>/<name>/journal             present only while a transaction is in flight
//! ```
//!
//! A transaction writes the new generation to `gen-<N>.tmp` (fsync), writes the journal,
//! renames the generation into place, loads the artifact into the kernel, swaps `current`,
//! and removes the journal; then it prunes the oldest generations. If the kernel rejects
//! the artifact, the new generation is removed and the old one stays current and loaded.
//! If the process dies at any step, the next [`Store::open`] finds the journal and
//! repairs: when `current` already names the new generation the transaction is complete;
//! otherwise the new generation is removed and the old one loaded again (or, for a first
//! install, the policy is unloaded). Either way the result is the complete old or the
//! complete new generation, never a mix, and no generation that was never current is
//! left behind. After repairing a transaction, the repair loads the current generation
//! again, so the kernel holds what the store calls current.
//!
//! Every generation is removed (pruned, rolled back from, or abandoned) by renaming it to
//! `.drop-gen-<N>` first and then deleting it, so a crash never leaves a half-deleted
//! generation where `list`, `show` or `rollback` would see it; repair finishes the
//! deletion. Each generation's `meta.json` records the size and digest of its files,
//! checked whenever a generation is shown or loaded, so damage is reported instead of
//! loaded.
//!
//! **Self-recognition.** [`Store::open`] writes the marker `.polc-store` when it creates a
//! store (or finds an empty directory). It refuses a non-empty directory without the
//! marker ([`StoreError::NotAStore`]) before writing, repairing or deleting anything there,
//! unless the directory is unambiguously a store written by an earlier polc (every entry a
//! policy directory with a `current` pointer and that generation's `meta.json`, or the
//! lock), which it adopts by writing the marker.
//!
//! **Read-only opens.** [`Store::open_read_only`] (used by `polc list` and `polc show`)
//! never writes: it creates nothing, repairs nothing, takes the lock shared when it may,
//! and reports a transaction in flight in [`PolicyInfo::pending`].
//!
//! **Loaders are fenced.** A loader's child process ([`fence`]) dies with the process that
//! runs the transaction and holds the store's lock while it lives: the next opener waits
//! for it before repairing, so an orphaned loader cannot change the kernel afterwards.
//!
//! **Files.** Files are written 0644 and directories 0755 whatever the umask; the lock is
//! 0600 and must belong to the store's user. No symbolic link inside the store is
//! followed: files are created with `O_EXCL | O_NOFOLLOW`, and a policy or generation
//! directory that is a link is reported as damage. One damaged policy does not block the
//! others: [`Store::list`] reports it in [`PolicyInfo::damaged`] and goes on, and a
//! transaction on it fails with the damage.
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
//!     plugs: None,
//!     vars: Default::default(),
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
mod open;
mod read;
mod repair;

pub use label::{LabelEntry, Labeler, Xattrs, RECORD as LABEL_RECORD};
pub use loader::{fence, AppArmorLoader, Loader, NullLoader, SeLinuxLoader};

use fsops::{io_err, read_regular, real_dir, Fs};
use loader::LockFence;
use polc_lang::ir::PolicyName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::fd::AsRawFd;
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
    /// Like [`FaultInjector::before`], with the path the step is about to touch (the
    /// destination of a rename). The default calls `before`.
    fn before_path(&self, step: Step, path: &Path) -> std::io::Result<()> {
        let _ = path;
        self.before(step)
    }
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
    /// For an app, its plugs and which are connected (recorded in the generation as
    /// `connections.json`); `None` for a policy that is not an app.
    pub plugs: Option<Vec<Connection>>,
    /// The install-time variables (`--var NAME=VALUE`) the policy was loaded with,
    /// recorded so that a connection recompiles the same policy.
    pub vars: BTreeMap<String, String>,
}

/// An app's plug as a generation records it: the interface, its framework, and whether
/// the generation's policy holds its grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The interface's name, as the app plugs it.
    pub interface: String,
    /// The framework that provides it.
    pub framework: String,
    /// Connected to every app that plugs it.
    pub auto: bool,
    /// The generation's policy holds the interface's grants.
    pub connected: bool,
    /// The generation that made the connection: the first of an unbroken run of
    /// generations that had it connected (set by the store on install).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
}

impl From<&polc_lang::Plug> for Connection {
    fn from(p: &polc_lang::Plug) -> Connection {
        Connection {
            interface: p.interface.clone(),
            framework: p.framework.clone(),
            auto: p.auto,
            connected: p.connected,
            since: None,
        }
    }
}

/// The file of a generation that records an app's connections.
pub const CONNECTIONS_FILE: &str = "connections.json";

impl Package {
    /// The package of a loaded policy and its compiled artifact: the source named
    /// `source_name` (as the loader saw it), the IR as JSON, and the artifact.
    pub fn new(
        loaded: &polc_lang::Loaded,
        source_name: &str,
        artifact: crate::compile::Artifact,
    ) -> Package {
        Package {
            name: loaded.policy.name.clone(),
            lsm: artifact.lsm,
            source: loaded
                .sources
                .get(source_name)
                .unwrap_or_default()
                .to_string(),
            source_name: source_name.to_string(),
            ir_json: loaded.policy.to_json(),
            artifact_file: artifact.file_name,
            artifact: artifact.text.into_bytes(),
            plugs: loaded
                .app
                .as_ref()
                .map(|p| p.iter().map(Connection::from).collect()),
            vars: BTreeMap::new(),
        }
    }
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
    /// Each file's size and FNV-1a 64-bit digest (`SIZE:HEX`), by file name, checked
    /// when the generation is shown or loaded (empty in generations of older polc).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digests: BTreeMap<String, String>,
    /// The install-time variables the policy was loaded with ([`Package::vars`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
}

/// The current generation of an installed policy ([`Store::current`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Current {
    /// Its metadata (number, LSM, file names).
    pub info: GenerationInfo,
    /// The source text as installed.
    pub source: String,
    /// The IR as JSON: the effective policy the artifact was compiled from.
    pub ir_json: String,
    /// For an app, its plugs and connections; `None` for a policy that is not an app.
    pub plugs: Option<Vec<Connection>>,
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
    /// A transaction in flight, as a read-only open found it (a writer repairs it first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// Why the policy cannot be used, when [`Store::list`] found it damaged (then
    /// `current` is 0 and `generations` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damaged: Option<String>,
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
    /// The directory is not a polc store, and the store refuses to touch it.
    #[error("`{}` is not a polc store: {detail}", root.display())]
    NotAStore {
        /// The directory.
        root: PathBuf,
        /// Why it is not one.
        detail: String,
    },
    /// The store was written in a format this polc does not know.
    #[error("the store `{}` has format {found}; this polc reads format 1", root.display())]
    UnsupportedFormat {
        /// The store's root.
        root: PathBuf,
        /// The format its marker names.
        found: u32,
    },
    /// A change was asked of a store opened read-only.
    #[error("the store `{}` was opened read-only", .0.display())]
    ReadOnly(PathBuf),
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

impl Journal {
    fn describe(&self) -> String {
        let gen = |g: Option<u64>| g.map_or("none".to_string(), |g| g.to_string());
        match self.op {
            Op::Install => format!(
                "install of generation {} (from {}) in flight",
                gen(self.to),
                gen(self.from)
            ),
            Op::Rollback => format!(
                "rollback from generation {} to {} in flight",
                gen(self.from),
                gen(self.to)
            ),
            Op::Remove => "removal in flight".to_string(),
        }
    }
}

/// An open store. Holds the store's lock until dropped.
pub struct Store {
    root: PathBuf,
    keep: usize,
    fs: Fs,
    loaders: Vec<Box<dyn Loader>>,
    labeler: Arc<dyn Labeler>,
    writable: bool,
    lock: Option<File>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.root)
            .field("writable", &self.writable)
            .finish()
    }
}

fn gen_dir_name(n: u64) -> String {
    format!("gen-{n}")
}

/// Where a generation goes while it is deleted: not a `gen-<N>`, so never seen as one.
fn dropping_name(n: u64) -> String {
    format!(".drop-gen-{n}")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Size and FNV-1a 64-bit digest of `body`, as `SIZE:HEX`.
fn digest(body: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}:{h:016x}", body.len())
}

/// A file name a generation may hold for its artifact.
fn valid_artifact_name(f: &str) -> bool {
    !(f.is_empty()
        || f.starts_with('.')
        || f.contains('/')
        || f == "meta.json"
        || f == "ir.json"
        || f == label::RECORD
        || f == CONNECTIONS_FILE
        || f.starts_with("source."))
}

impl Store {
    /// Open (creating if needed) the store at `config.root` for changes, wait for its lock,
    /// and repair any transaction a crashed process left behind. A non-empty directory
    /// that is not a polc store is refused ([`StoreError::NotAStore`]) untouched.
    pub fn open(config: StoreConfig, loaders: Vec<Box<dyn Loader>>) -> Result<Store, StoreError> {
        open::create_root(&config.root)?;
        open::identify(&config.root)?;
        let lock = open::lock_exclusive(&config.root)?;
        // Under the lock: another opener may have marked it meanwhile.
        if open::identify(&config.root)? != open::Identity::Marked {
            Fs::default().write_atomic(
                &config.root.join(open::MARKER),
                open::marker_body().as_bytes(),
                Step::WriteFile,
            )?;
        }
        let store = Store::new(config, loaders, true, Some(lock));
        store.repair()?;
        Ok(store)
    }

    /// Open the store at `config.root` to read it: nothing is created, written or
    /// repaired. The lock is taken shared when the caller may open it (so a writer's
    /// transaction ends first); otherwise a transaction in flight shows in
    /// [`PolicyInfo::pending`]. A missing root reads as an empty store. Changes fail with
    /// [`StoreError::ReadOnly`].
    pub fn open_read_only(config: StoreConfig) -> Result<Store, StoreError> {
        let identity = open::identify(&config.root)?;
        let lock = if identity == open::Identity::Empty && !config.root.is_dir() {
            None
        } else {
            open::lock_shared(&config.root)?
        };
        Ok(Store::new(config, Vec::new(), false, lock))
    }

    fn new(
        config: StoreConfig,
        loaders: Vec<Box<dyn Loader>>,
        writable: bool,
        lock: Option<File>,
    ) -> Store {
        Store {
            root: config.root,
            keep: config.keep.max(2),
            fs: Fs {
                faults: config.faults,
            },
            loaders,
            labeler: config
                .labeler
                .unwrap_or_else(|| Arc::new(Xattrs::default())),
            writable,
            lock,
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the store was opened for changes.
    pub fn is_writable(&self) -> bool {
        self.writable
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
        let Some(body) = read_regular(&p)? else {
            return Ok(None);
        };
        let s = String::from_utf8_lossy(&body);
        s.trim().parse().map(Some).map_err(|_| StoreError::Corrupt {
            path: p.clone(),
            detail: format!("`{}` is not a generation number", s.trim().escape_default()),
        })
    }

    fn read_journal(&self, dir: &Path) -> Result<Option<Journal>, StoreError> {
        let p = dir.join("journal");
        match read_regular(&p)? {
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: p,
                    detail: e.to_string(),
                }),
            None => Ok(None),
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

    fn artifact_path(&self, dir: &Path, n: u64) -> Result<(GenerationInfo, PathBuf), StoreError> {
        let info = self.info(dir, n)?;
        let path = dir.join(gen_dir_name(n)).join(&info.artifact_file);
        Ok((info, path))
    }

    fn lock_fd(&self) -> Option<std::os::fd::RawFd> {
        self.lock.as_ref().map(AsRawFd::as_raw_fd)
    }

    fn load_generation(&self, name: &PolicyName, dir: &Path, n: u64) -> Result<(), StoreError> {
        let (info, path) = self.artifact_path(dir, n)?;
        self.fs.step(Step::Load, &path)?;
        let _fence = LockFence::new(self.lock_fd());
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
        let _fence = LockFence::new(self.lock_fd());
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

    /// Delete generation `n`: renamed away first (one atomic step, after which no reader
    /// sees it), then removed; repair removes what a crash left of it.
    fn drop_generation(&self, dir: &Path, n: u64) -> Result<(), StoreError> {
        let gen = dir.join(gen_dir_name(n));
        if !fsops::present(&gen) {
            return Ok(());
        }
        let away = dir.join(dropping_name(n));
        self.fs.remove_tree(&away, Step::RemoveGeneration)?;
        self.fs.rename(&gen, &away, Step::RemoveGeneration)?;
        self.fs.remove_tree(&away, Step::RemoveGeneration)
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.writable {
            Ok(())
        } else {
            Err(StoreError::ReadOnly(self.root.clone()))
        }
    }

    /// Run a transaction on one policy: repair what an earlier one left first (a policy
    /// whose repair failed when the store was opened), and if it fails midway, repair at
    /// once (best effort: what cannot be repaired now stays journaled for the next open).
    fn transaction<T>(
        &self,
        name: &PolicyName,
        f: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.writable()?;
        if real_dir(&self.dir(name))? {
            self.repair_one(name)?;
        }
        let r = f();
        if r.is_err() && real_dir(&self.dir(name)).unwrap_or(false) {
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
        if !valid_artifact_name(&pkg.artifact_file) {
            return Err(StoreError::BadArtifactName(pkg.artifact_file.clone()));
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
        let connections = match &pkg.plugs {
            Some(plugs) => Some(self.connections_body(&dir, current, next, plugs)?),
            None => None,
        };
        let mut files: Vec<(String, &[u8])> = vec![
            (format!("source.{ext}"), pkg.source.as_bytes()),
            ("ir.json".to_string(), pkg.ir_json.as_bytes()),
            (pkg.artifact_file.clone(), &pkg.artifact),
        ];
        if let Some(body) = &connections {
            files.push((CONNECTIONS_FILE.to_string(), body));
        }
        let mut digests = BTreeMap::new();
        for (file, body) in &files {
            self.fs.write_synced(&tmp.join(file), body)?;
            digests.insert(file.clone(), digest(body));
        }
        let info = GenerationInfo {
            generation: next,
            lsm: pkg.lsm,
            source_name: pkg.source_name.clone(),
            artifact_file: pkg.artifact_file.clone(),
            created: now(),
            polc_version: env!("CARGO_PKG_VERSION").to_string(),
            digests,
            vars: pkg.vars.clone(),
        };
        let meta = serde_json::to_vec_pretty(&info).map_err(|e| StoreError::Corrupt {
            path: tmp.clone(),
            detail: e.to_string(),
        })?;
        self.fs.write_synced(&tmp.join("meta.json"), &meta)?;
        self.fs.sync_dir(&tmp)?;
        // Journal before the generation becomes visible: a crash from here on is repaired
        // by dropping it, so a generation that never became current never stays.
        self.write_journal(
            &dir,
            &Journal {
                op: Op::Install,
                from: current,
                to: Some(next),
            },
        )?;
        self.fs
            .rename(&tmp, &dir.join(gen_dir_name(next)), Step::RenameGeneration)?;
        self.load_generation(&pkg.name, &dir, next)?;
        self.relabel_generation(&dir, current, next)?;
        self.set_current(&dir, next)?;
        self.fs
            .remove_file(&dir.join("journal"), Step::RemoveJournal)?;
        self.prune(&dir, next)?;
        Ok(next)
    }

    /// The `connections.json` of generation `next`: each connected plug keeps the
    /// generation that connected it when the current one has it connected too, and is
    /// connected by `next` otherwise.
    fn connections_body(
        &self,
        dir: &Path,
        current: Option<u64>,
        next: u64,
        plugs: &[Connection],
    ) -> Result<Vec<u8>, StoreError> {
        let before = match current {
            Some(c) => self.read_connections(dir, c)?.unwrap_or_default(),
            None => Vec::new(),
        };
        let plugs: Vec<Connection> = plugs
            .iter()
            .map(|p| {
                let since = p.connected.then(|| {
                    before
                        .iter()
                        .find(|b| {
                            b.connected && b.interface == p.interface && b.framework == p.framework
                        })
                        .and_then(|b| b.since)
                        .unwrap_or(next)
                });
                Connection { since, ..p.clone() }
            })
            .collect();
        serde_json::to_vec_pretty(&plugs).map_err(|e| StoreError::Corrupt {
            path: dir.join(CONNECTIONS_FILE),
            detail: e.to_string(),
        })
    }

    fn prune(&self, dir: &Path, current: u64) -> Result<(), StoreError> {
        let gens = self.generations(dir)?;
        let excess = gens.len().saturating_sub(self.keep);
        for n in gens.into_iter().filter(|&n| n != current).take(excess) {
            self.drop_generation(dir, n)?;
        }
        Ok(())
    }

    /// Make the generation before the current one current again, reloading it.
    pub fn rollback(&self, name: &PolicyName) -> Result<u64, StoreError> {
        self.transaction(name, || self.rollback_inner(name))
    }

    fn rollback_inner(&self, name: &PolicyName) -> Result<u64, StoreError> {
        let dir = self.dir(name);
        if !real_dir(&dir)? {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        let previous = self
            .generations(&dir)?
            .into_iter()
            .rfind(|&n| n < current)
            .ok_or_else(|| StoreError::NoPrevious(name.to_string()))?;
        // Refuse a damaged target before touching anything.
        self.info(&dir, previous)?;
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
        self.drop_generation(&dir, current)?;
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
        if !real_dir(&dir)? {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
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
        self.fs.remove_tree(&gone, Step::RemoveGeneration)?;
        self.fs.rename(dir, &gone, Step::RemoveGeneration)?;
        self.fs.remove_tree(&gone, Step::RemoveGeneration)
    }
}
