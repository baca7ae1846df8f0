//! The store's file operations, each behind a fault-injection point.
//!
//! Every step that touches the disk or the kernel first asks the store's
//! [`FaultInjector`] (tests make any step fail, or kill the process at it).

use super::{FaultInjector, Step, StoreError};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

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

impl Fs {
    /// Ask the injector about `step`.
    pub(crate) fn step(&self, step: Step, what: &Path) -> Result<(), StoreError> {
        match &self.faults {
            Some(f) => f
                .before(step)
                .map_err(io_err(format!("{step:?} on {}", what.display()))),
            None => Ok(()),
        }
    }

    /// Write a file and fsync it.
    pub(crate) fn write_synced(&self, path: &Path, body: &[u8]) -> Result<(), StoreError> {
        self.step(Step::WriteFile, path)?;
        let mut f = File::create(path).map_err(io_err(format!("creating {}", path.display())))?;
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

    /// Create a directory (and parents).
    pub(crate) fn create_dir(&self, dir: &Path) -> Result<(), StoreError> {
        self.step(Step::CreateDir, dir)?;
        fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))
    }

    /// Rename, then fsync the parent directory.
    pub(crate) fn rename(&self, from: &Path, to: &Path, step: Step) -> Result<(), StoreError> {
        self.step(step, to)?;
        fs::rename(from, to).map_err(io_err(format!(
            "renaming {} to {}",
            from.display(),
            to.display()
        )))?;
        self.sync_dir(to.parent().unwrap_or(Path::new("/")))
    }

    /// Remove a directory tree if it exists.
    pub(crate) fn remove_tree(&self, dir: &Path, step: Step) -> Result<(), StoreError> {
        if !dir.exists() {
            return Ok(());
        }
        self.step(step, dir)?;
        fs::remove_dir_all(dir).map_err(io_err(format!("removing {}", dir.display())))
    }

    /// Remove a file if it exists, then fsync its directory.
    pub(crate) fn remove_file(&self, path: &Path, step: Step) -> Result<(), StoreError> {
        if !path.exists() {
            return Ok(());
        }
        self.step(step, path)?;
        fs::remove_file(path).map_err(io_err(format!("removing {}", path.display())))?;
        self.sync_dir(path.parent().unwrap_or(Path::new("/")))
    }
}
