//! How a store recognises itself, and its lock.
//!
//! A store is marked at creation by `<root>/.polc-store`, which holds its format version.
//! A directory without the marker is a store only if it is empty (it becomes one) or if
//! its layout is unambiguously a store written by an earlier polc, which had no marker:
//! every entry is `.lock` or a policy directory holding a `current` pointer to a
//! generation with its `meta.json`, and nothing but generations, the pointer, a journal
//! and their temporary files. Anything else is refused before anything is written or
//! deleted there.

use super::fsops::{io_err, read_regular, real_dir, DIR_MODE};
use super::StoreError;
use polc_lang::ir::PolicyName;
use std::fs::{self, File, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The marker's file name.
pub(crate) const MARKER: &str = ".polc-store";
/// The lock's file name.
pub(crate) const LOCK: &str = ".lock";
/// The store format this polc writes and reads.
pub(crate) const FORMAT: u32 = 1;

const MARKER_PREFIX: &str = "polc-store format ";

/// What a root directory is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Identity {
    /// It carries the marker.
    Marked,
    /// Missing or empty: it becomes a store when opened for writing.
    Empty,
    /// A store written by a polc without the marker (adopted: the marker is written when
    /// it is opened for writing).
    Unmarked,
}

/// The marker's body.
pub(crate) fn marker_body() -> String {
    format!("{MARKER_PREFIX}{FORMAT}\n")
}

/// Recognise the store at `root`, writing nothing.
///
/// Without the lock, another process may mark a new store and start its first install
/// between the marker's read and the listing: the listing then shows the marker or a
/// policy directory without `current`. The marker is written before anything else and
/// never removed, so a refusal is only final once the marker is read again and is still
/// missing.
pub(crate) fn identify(root: &Path) -> Result<Identity, StoreError> {
    match identify_once(root) {
        Err(StoreError::NotAStore { .. })
            if matches!(read_regular(&root.join(MARKER)), Ok(Some(_))) =>
        {
            identify_once(root)
        }
        r => r,
    }
}

fn identify_once(root: &Path) -> Result<Identity, StoreError> {
    let not_a_store = |detail: String| StoreError::NotAStore {
        root: root.to_path_buf(),
        detail,
    };
    match read_regular(&root.join(MARKER)) {
        Ok(Some(body)) => {
            let text = String::from_utf8_lossy(&body);
            let version = text
                .trim()
                .strip_prefix(MARKER_PREFIX)
                .and_then(|v| v.parse::<u32>().ok());
            return match version {
                Some(FORMAT) => Ok(Identity::Marked),
                Some(v) => Err(StoreError::UnsupportedFormat {
                    root: root.to_path_buf(),
                    found: v,
                }),
                None => Err(not_a_store(format!(
                    "`{MARKER}` does not hold a polc store format"
                ))),
            };
        }
        Ok(None) => {}
        Err(e) => return Err(e),
    }
    let entries = match fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Identity::Empty),
        Err(e) => {
            return Err(StoreError::Io {
                context: format!("listing {}", root.display()),
                source: e,
            })
        }
    };
    let mut policies = 0usize;
    for e in entries {
        let e = e.map_err(io_err(format!("listing {}", root.display())))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name == LOCK || name == format!("{MARKER}.tmp") {
            continue;
        }
        if PolicyName::new(&name).is_err() {
            return Err(not_a_store(format!(
                "it has no `{MARKER}` and `{}` is not a policy",
                name.escape_default()
            )));
        }
        policy_layout(&root.join(&name)).map_err(|why| {
            not_a_store(format!(
                "it has no `{MARKER}` and `{}` is not a policy directory ({why})",
                name.escape_default()
            ))
        })?;
        policies += 1;
    }
    Ok(if policies == 0 {
        Identity::Empty
    } else {
        Identity::Unmarked
    })
}

/// Whether `dir` is laid out as an earlier polc left a policy directory.
fn policy_layout(dir: &Path) -> Result<(), String> {
    if !real_dir(dir).map_err(|e| e.to_string())? {
        return Err("not a directory".into());
    }
    let current = read_regular(&dir.join("current"))
        .map_err(|e| e.to_string())?
        .ok_or("no `current`")?;
    let current: u64 = String::from_utf8_lossy(&current)
        .trim()
        .parse()
        .map_err(|_| "`current` is not a generation number".to_string())?;
    let meta = dir.join(format!("gen-{current}")).join("meta.json");
    if !fs::symlink_metadata(&meta).is_ok_and(|m| m.is_file()) {
        return Err(format!("no `gen-{current}/meta.json`"));
    }
    let entries = fs::read_dir(dir).map_err(|e| e.to_string())?;
    for e in entries {
        let e = e.map_err(|e| e.to_string())?;
        let name = e.file_name().to_string_lossy().into_owned();
        let known = matches!(
            name.as_str(),
            "current" | "current.tmp" | "journal" | "journal.tmp"
        ) || name
            .strip_prefix("gen-")
            .map(|n| n.strip_suffix(".tmp").unwrap_or(n))
            .is_some_and(|n| n.parse::<u64>().is_ok());
        if !known {
            return Err(format!("unexpected `{}`", name.escape_default()));
        }
    }
    Ok(())
}

/// Open (creating it, mode 0600, never through a symbolic link) and take the lock for a
/// writer: exclusive, waiting for other store users.
pub(crate) fn lock_exclusive(root: &Path) -> Result<File, StoreError> {
    let path = root.join(LOCK);
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| lock_error(&path, e))?;
    let meta = lock
        .metadata()
        .map_err(io_err(format!("inspecting {}", path.display())))?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if !meta.is_file() || meta.uid() != me {
        return Err(StoreError::Corrupt {
            path,
            detail: format!(
                "the lock is not a file of the store's owner (uid {}, expected {me})",
                meta.uid()
            ),
        });
    }
    if meta.mode() & 0o777 != 0o600 {
        lock.set_permissions(Permissions::from_mode(0o600))
            .map_err(io_err(format!("setting the mode of {}", path.display())))?;
    }
    lock.lock()
        .map_err(io_err(format!("locking {}", path.display())))?;
    Ok(lock)
}

/// Take the lock for a reader: shared, so a reader waits for a writer's transaction (and
/// its loader) to end. Without an existing lock the caller may open, or with a lock that
/// does not belong to the store's owner, read without one: a reader never creates it and
/// reports what it finds in flight instead of waiting.
pub(crate) fn lock_shared(root: &Path) -> Result<Option<File>, StoreError> {
    let path = root.join(LOCK);
    let lock = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
    {
        Ok(f) => f,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(lock_error(&path, e)),
    };
    let owner = fs::metadata(root)
        .map_err(io_err(format!("inspecting {}", root.display())))?
        .uid();
    let meta = lock
        .metadata()
        .map_err(io_err(format!("inspecting {}", path.display())))?;
    if !meta.is_file() || meta.uid() != owner {
        return Ok(None);
    }
    lock.lock_shared()
        .map_err(io_err(format!("locking {}", path.display())))?;
    Ok(Some(lock))
}

fn lock_error(path: &Path, e: std::io::Error) -> StoreError {
    if e.raw_os_error() == Some(libc::ELOOP) {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "the lock is a symbolic link".into(),
        }
    } else {
        StoreError::Io {
            context: format!("opening {}", path.display()),
            source: e,
        }
    }
}

/// Create the root (mode 0755; its parents as the umask makes them) if it is missing.
pub(crate) fn create_root(root: &Path) -> Result<(), StoreError> {
    if fs::metadata(root).is_ok() {
        return Ok(());
    }
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
    }
    match fs::DirBuilder::new().mode(DIR_MODE).create(root) {
        Ok(()) => fs::set_permissions(root, Permissions::from_mode(DIR_MODE))
            .map_err(io_err(format!("setting the mode of {}", root.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Io {
            context: format!("creating {}", root.display()),
            source: e,
        }),
    }
}
