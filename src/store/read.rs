//! The read side of the store: listing, showing, and checking generations.
//!
//! Nothing here writes: these run on a store opened read-only as well.

use super::fsops::{read_regular, real_dir};
use super::{digest, valid_artifact_name};
use super::{gen_dir_name, repair, GenerationInfo, PolicyInfo, Store, StoreError};
use super::{Connection, Current, CONNECTIONS_FILE};
use polc_lang::ir::PolicyName;
use std::fs;
use std::path::{Path, PathBuf};

/// The source file of a generation: `source.pol`, or `source.json` for the JSON form.
fn source_file(gen: &Path) -> Option<&'static str> {
    ["source.pol", "source.json"]
        .into_iter()
        .find(|s| fs::symlink_metadata(gen.join(s)).is_ok_and(|m| m.is_file()))
}

impl Store {
    /// A generation's metadata, after checking that the generation is complete and its
    /// files are what was written.
    pub(crate) fn info(&self, dir: &Path, n: u64) -> Result<GenerationInfo, StoreError> {
        let gen = dir.join(gen_dir_name(n));
        let corrupt = |path: PathBuf, detail: String| StoreError::Corrupt { path, detail };
        if !real_dir(&gen)? {
            return Err(corrupt(gen, "the generation is missing".into()));
        }
        let p = gen.join("meta.json");
        let text = read_regular(&p)?
            .ok_or_else(|| corrupt(p.clone(), "the generation has no metadata".into()))?;
        let info: GenerationInfo =
            serde_json::from_slice(&text).map_err(|e| corrupt(p.clone(), e.to_string()))?;
        if info.generation != n {
            return Err(corrupt(
                p,
                format!("it describes generation {}", info.generation),
            ));
        }
        if !valid_artifact_name(&info.artifact_file) {
            return Err(StoreError::BadArtifactName(info.artifact_file));
        }
        if source_file(&gen).is_none() {
            return Err(corrupt(gen, "the generation has no source".into()));
        }
        for f in ["ir.json", info.artifact_file.as_str()] {
            if !fs::symlink_metadata(gen.join(f)).is_ok_and(|m| m.is_file()) {
                return Err(corrupt(gen.join(f), "the file is missing".into()));
            }
        }
        for (f, want) in &info.digests {
            if f.contains('/') || f.starts_with('.') {
                return Err(corrupt(
                    p,
                    format!("`{}` is not a file name", f.escape_default()),
                ));
            }
            let fp = gen.join(f);
            let body = read_regular(&fp)?
                .ok_or_else(|| corrupt(fp.clone(), "the file is missing".into()))?;
            if digest(&body) != *want {
                return Err(corrupt(fp, "the file changed since it was written".into()));
            }
        }
        Ok(info)
    }

    /// The installed policies, sorted by name. A damaged policy is listed with
    /// [`PolicyInfo::damaged`] saying why, and the others are listed as usual.
    pub fn list(&self) -> Result<Vec<PolicyInfo>, StoreError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.writable => {
                return Ok(Vec::new())
            }
            Err(e) => {
                return Err(StoreError::Io {
                    context: format!("listing {}", self.root.display()),
                    source: e,
                })
            }
        };
        let mut names: Vec<PolicyName> = entries
            .filter_map(Result::ok)
            .filter_map(|e| PolicyName::new(&e.file_name().to_string_lossy()).ok())
            .collect();
        names.sort();
        let mut out = Vec::new();
        for n in names {
            match self.show(&n) {
                Ok(info) => out.push(info),
                // A first install in flight (seen by a read-only open): not installed yet.
                Err(StoreError::NotInstalled(_)) if self.only_store_entries(&self.dir(&n)) => {}
                Err(e) => {
                    let why = match e {
                        StoreError::NotInstalled(_) => {
                            "no current generation, and files the store did not write".into()
                        }
                        e => e.to_string(),
                    };
                    out.push(PolicyInfo {
                        name: n.to_string(),
                        current: 0,
                        generations: Vec::new(),
                        path: self.dir(&n),
                        pending: None,
                        damaged: Some(why),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Whether `dir` holds nothing but what the store writes (a first install that has
    /// not completed); a directory with anything else and no current generation is damage.
    fn only_store_entries(&self, dir: &Path) -> bool {
        match real_dir(dir) {
            Ok(true) => fs::read_dir(dir).is_ok_and(|entries| {
                entries.filter_map(Result::ok).all(|e| {
                    repair::store_entry(&e.file_name().to_string_lossy())
                        && e.file_type().is_ok_and(|t| !t.is_symlink())
                })
            }),
            Ok(false) => true,
            Err(_) => false,
        }
    }

    /// One installed policy, every generation checked.
    pub fn show(&self, name: &PolicyName) -> Result<PolicyInfo, StoreError> {
        let dir = self.dir(name);
        if !real_dir(&dir)? {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
        let pending = self.read_journal(&dir)?.map(|j| j.describe());
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        let numbers = self.generations(&dir)?;
        if !numbers.contains(&current) {
            return Err(StoreError::Corrupt {
                path: dir.join("current"),
                detail: format!("the current generation {current} is missing"),
            });
        }
        let generations = numbers
            .into_iter()
            .map(|n| self.info(&dir, n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PolicyInfo {
            name: name.to_string(),
            current,
            generations,
            path: dir.join(gen_dir_name(current)),
            pending,
            damaged: None,
        })
    }

    /// The connections generation `n` records: `None` for a policy that is not an app.
    /// The generation must have been checked ([`Store::info`]) first.
    pub(crate) fn read_connections(
        &self,
        dir: &Path,
        n: u64,
    ) -> Result<Option<Vec<Connection>>, StoreError> {
        let p = dir.join(gen_dir_name(n)).join(CONNECTIONS_FILE);
        match read_regular(&p)? {
            Some(body) => {
                serde_json::from_slice(&body)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        path: p,
                        detail: e.to_string(),
                    })
            }
            None => Ok(None),
        }
    }

    /// The current generation of an installed policy, checked: its metadata, source,
    /// IR and, for an app, its connections (what `polc connect` recompiles from).
    pub fn current(&self, name: &PolicyName) -> Result<Current, StoreError> {
        let dir = self.dir(name);
        if !real_dir(&dir)? {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
        let n = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        let info = self.info(&dir, n)?;
        let gen = dir.join(gen_dir_name(n));
        let text = |file: &str| -> Result<String, StoreError> {
            let p = gen.join(file);
            let body = read_regular(&p)?.ok_or_else(|| StoreError::Corrupt {
                path: p.clone(),
                detail: "the file is missing".into(),
            })?;
            String::from_utf8(body).map_err(|_| StoreError::Corrupt {
                path: p,
                detail: "the file is not UTF-8".into(),
            })
        };
        Ok(Current {
            source: text(source_file(&gen).unwrap_or("source.pol"))?,
            ir_json: text("ir.json")?,
            plugs: self.read_connections(&dir, n)?,
            info,
        })
    }

    /// The current generation's artifact path and metadata (for launchers).
    pub fn current_artifact(
        &self,
        name: &PolicyName,
    ) -> Result<(GenerationInfo, PathBuf), StoreError> {
        let dir = self.dir(name);
        if !real_dir(&dir)? {
            return Err(StoreError::NotInstalled(name.to_string()));
        }
        let current = self
            .read_current(&dir)?
            .ok_or_else(|| StoreError::NotInstalled(name.to_string()))?;
        self.artifact_path(&dir, current)
    }
}
