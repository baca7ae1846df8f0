//! The store's file operations, each behind a fault-injection point.
//!
//! Every step that touches the disk or the kernel first asks the store's
//! [`FaultInjector`] (tests make any step fail, or kill the process at it).
//!
//! Files and directories get explicit modes whatever the caller's umask (files 0644,
//! directories 0755), and no operation follows a symbolic link found inside the store:
//! files are created with `O_EXCL | O_NOFOLLOW` after removing what was there, and a
//! directory the store writes into must be a real directory, not a link to one.

use super::{FaultInjector, Step, StoreError};
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

/// The mode of every file the store writes.
pub(crate) const FILE_MODE: u32 = 0o644;
/// The mode of every directory the store creates.
pub(crate) const DIR_MODE: u32 = 0o755;

/// File operations with fault injection.
#[derive(Clone, Default)]
pub(crate) struct Fs {
    pub(crate) faults: Option<Arc<dyn FaultInjector>>,
}

impl std::fmt::Debug for Fs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fs")
            .field("faults", &self.faults.is_some())
            .finish()
    }
}

pub(crate) fn io_err(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

/// Whether something (a symbolic link included) exists at `path`, without following it.
pub(crate) fn present(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// `Ok(true)` when `path` is a real directory, `Ok(false)` when nothing is there, and an
/// error when something else (a symbolic link, a file) is.
pub(crate) fn real_dir(path: &Path) -> Result<bool, StoreError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => Ok(true),
        Ok(m) if m.file_type().is_symlink() => Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "a symbolic link where the store keeps a directory".into(),
        }),
        Ok(_) => Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "not a directory".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::Io {
            context: format!("inspecting {}", path.display()),
            source: e,
        }),
    }
}

/// Read a regular file of the store, refusing a symbolic link. `Ok(None)`: no such file.
pub(crate) fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    let mut f = match f {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: "a symbolic link where the store keeps a file".into(),
            })
        }
        Err(e) => {
            return Err(StoreError::Io {
                context: format!("reading {}", path.display()),
                source: e,
            })
        }
    };
    let meta = f
        .metadata()
        .map_err(io_err(format!("reading {}", path.display())))?;
    if !meta.is_file() {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "not a regular file".into(),
        });
    }
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut body)
        .map_err(io_err(format!("reading {}", path.display())))?;
    Ok(Some(body))
}

impl Fs {
    /// Ask the injector about `step`.
    pub(crate) fn step(&self, step: Step, what: &Path) -> Result<(), StoreError> {
        match &self.faults {
            Some(f) => f
                .before_path(step, what)
                .map_err(io_err(format!("{step:?} on {}", what.display()))),
            None => Ok(()),
        }
    }

    /// Write a new file (replacing what was there, never through a symbolic link) with
    /// mode 0644, and fsync it.
    pub(crate) fn write_synced(&self, path: &Path, body: &[u8]) -> Result<(), StoreError> {
        self.step(Step::WriteFile, path)?;
        if present(path) {
            if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: "a directory where the store writes a file".into(),
                });
            }
            fs::remove_file(path).map_err(io_err(format!("removing {}", path.display())))?;
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io_err(format!("creating {}", path.display())))?;
        // The mode given at creation is masked by the umask; fchmod is not.
        f.set_permissions(Permissions::from_mode(FILE_MODE))
            .map_err(io_err(format!("setting the mode of {}", path.display())))?;
        f.write_all(body)
            .map_err(io_err(format!("writing {}", path.display())))?;
        self.step(Step::SyncFile, path)?;
        f.sync_all()
            .map_err(io_err(format!("syncing {}", path.display())))
    }

    /// Write a file atomically: to a temporary sibling, fsync, rename, fsync the directory.
    pub(crate) fn write_atomic(
        &self,
        path: &Path,
        body: &[u8],
        step: Step,
    ) -> Result<(), StoreError> {
        let tmp = path.with_extension("tmp");
        self.write_synced(&tmp, body)?;
        self.step(step, path)?;
        fs::rename(&tmp, path).map_err(io_err(format!(
            "renaming {} to {}",
            tmp.display(),
            path.display()
        )))?;
        self.sync_dir(path.parent().unwrap_or(Path::new("/")))
    }

    /// fsync a directory, making renames in it durable.
    pub(crate) fn sync_dir(&self, dir: &Path) -> Result<(), StoreError> {
        self.step(Step::SyncDir, dir)?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(format!("syncing directory {}", dir.display())))
    }

    /// Create a directory (its parent exists) with mode 0755, or check that the one there
    /// is a real directory.
    pub(crate) fn create_dir(&self, dir: &Path) -> Result<(), StoreError> {
        self.step(Step::CreateDir, dir)?;
        if real_dir(dir)? {
            return Ok(());
        }
        fs::DirBuilder::new()
            .mode(DIR_MODE)
            .create(dir)
            .map_err(io_err(format!("creating {}", dir.display())))?;
        real_dir(dir)?;
        fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
            .map_err(io_err(format!("setting the mode of {}", dir.display())))
    }

    /// Rename, then fsync the parent directory. A symbolic link is renamed, not followed.
    pub(crate) fn rename(&self, from: &Path, to: &Path, step: Step) -> Result<(), StoreError> {
        self.step(step, to)?;
        fs::rename(from, to).map_err(io_err(format!(
            "renaming {} to {}",
            from.display(),
            to.display()
        )))?;
        self.sync_dir(to.parent().unwrap_or(Path::new("/")))
    }

    /// Remove a directory tree (or a file, or a symbolic link: never what it points to) if
    /// anything is there.
    pub(crate) fn remove_tree(&self, path: &Path, step: Step) -> Result<(), StoreError> {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return Ok(());
        };
        self.step(step, path)?;
        // remove_dir_all does not follow symbolic links, at the top or below.
        let r = if meta.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        };
        r.map_err(io_err(format!("removing {}", path.display())))
    }

    /// Remove a file (or a symbolic link) if it exists, then fsync its directory.
    pub(crate) fn remove_file(&self, path: &Path, step: Step) -> Result<(), StoreError> {
        if !present(path) {
            return Ok(());
        }
        self.step(step, path)?;
        fs::remove_file(path).map_err(io_err(format!("removing {}", path.display())))?;
        self.sync_dir(path.parent().unwrap_or(Path::new("/")))
    }
}
