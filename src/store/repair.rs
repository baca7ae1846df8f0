//! Crash repair: what a transaction killed midway left is finished or undone.
//!
//! Run by [`Store::open`] for every policy, and by each transaction for its policy first.
//! A policy whose repair fails stays as it is (its transactions fail with the reason, and
//! [`Store::list`] reports it damaged); the other policies are repaired and usable.

use super::fsops::{io_err, real_dir};
use super::{gen_dir_name, label, Op, Step, Store, StoreError};
use polc_lang::ir::PolicyName;
use std::fs;

/// Names of what the store itself writes in a policy directory.
pub(crate) fn store_entry(name: &str) -> bool {
    matches!(name, "current" | "journal")
        || name.ends_with(".tmp")
        || name.starts_with(".drop-gen-")
        || name
            .strip_prefix("gen-")
            .is_some_and(|n| n.parse::<u64>().is_ok())
}

impl Store {
    /// Repair every policy with an in-flight transaction, and remove leftovers.
    pub(crate) fn repair(&self) -> Result<(), StoreError> {
        let entries =
            fs::read_dir(&self.root).map_err(io_err(format!("listing {}", self.root.display())))?;
        let mut names = Vec::new();
        for e in entries {
            let e = e.map_err(io_err(format!("listing {}", self.root.display())))?;
            let file_name = e.file_name().to_string_lossy().into_owned();
            if file_name
                .strip_prefix(".removing-")
                .is_some_and(|n| PolicyName::new(n).is_ok())
            {
                // A removal that renamed the directory away but did not finish deleting it.
                // A failure here hides nothing: the directory is no policy any more.
                let _ = self.fs.remove_tree(&e.path(), Step::RemoveGeneration);
            } else if let Ok(name) = PolicyName::new(&file_name) {
                names.push(name);
            }
        }
        for name in names {
            // One damaged policy does not keep the others from being repaired and used:
            // its own transactions repair it again first and report what is wrong.
            let _ = self.repair_one(&name);
        }
        Ok(())
    }

    pub(crate) fn repair_one(&self, name: &PolicyName) -> Result<(), StoreError> {
        let dir = self.dir(name);
        if !real_dir(&dir)? {
            return Ok(());
        }
        // Half-written generations never became visible, and generations being deleted
        // are not visible any more: remove them.
        for e in fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
            let e = e.map_err(io_err(format!("listing {}", dir.display())))?;
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".tmp") || n.starts_with(".drop-gen-") {
                self.fs.remove_tree(&e.path(), Step::RemoveGeneration)?;
            }
        }
        let journal = self.read_journal(&dir)?;
        let current = self.read_current(&dir)?;
        if let Some(j) = journal {
            let mut reloaded = false;
            match (j.op, j.to) {
                (Op::Remove, _) | (_, None) => return self.finish_remove(name, &dir, current),
                (Op::Install, Some(to)) => {
                    if current != Some(to) {
                        // Back to the complete old state: the kernel may hold the new artifact.
                        let renamed = real_dir(&dir.join(gen_dir_name(to)))?;
                        match current {
                            Some(c) => {
                                self.load_generation(name, &dir, c)?;
                                reloaded = true;
                            }
                            None if renamed => self.unload_generation(name, &dir, to)?,
                            None => {}
                        }
                        if renamed {
                            self.restore_labels(&dir, to, label::Restore::Previous)?;
                        }
                        self.drop_generation(&dir, to)?;
                    }
                }
                (Op::Rollback, Some(to)) => {
                    if current == Some(to) {
                        // The pointer moved: finish by dropping the generation rolled back from.
                        if let Some(from) = j.from {
                            self.drop_generation(&dir, from)?;
                        }
                    } else if let Some(from) = j.from {
                        self.load_generation(name, &dir, from)?;
                        reloaded = current == Some(from);
                        self.restore_labels(&dir, from, label::Restore::Applied)?;
                    }
                }
            }
            // The kernel holds what the store calls current, whatever the crashed
            // transaction's loader did.
            if let (false, Some(c)) = (reloaded, current) {
                self.load_generation(name, &dir, c)?;
            }
            self.fs
                .remove_file(&dir.join("journal"), Step::RemoveJournal)?;
        }
        match self.read_current(&dir)? {
            Some(c) => {
                // A generation newer than the current one never became current (an older
                // polc could leave one when killed before its journal): drop it.
                for n in self.generations(&dir)?.into_iter().filter(|&n| n > c) {
                    self.drop_generation(&dir, n)?;
                }
                Ok(())
            }
            None => {
                // A first install that never completed: nothing of it is visible. Only a
                // directory holding nothing but what the store writes is deleted.
                for e in fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
                    let e = e.map_err(io_err(format!("listing {}", dir.display())))?;
                    let n = e.file_name().to_string_lossy().into_owned();
                    if !store_entry(&n) {
                        return Err(StoreError::Corrupt {
                            path: dir.clone(),
                            detail: format!(
                                "no current generation, and `{}` was not written by the store",
                                n.escape_default()
                            ),
                        });
                    }
                }
                self.finish_remove(name, &dir, None)
            }
        }
    }
}
