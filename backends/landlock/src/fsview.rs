//! A read-only view of the target filesystem under a root directory: symlink
//! resolution and directory listing, with a budget so that a broad glob cannot make
//! planning walk a whole disk.

use crate::pattern::{is_valid_path, join};
use crate::Error;
use std::cell::Cell;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The most directory entries one plan may look at.
pub(crate) const MAX_VISITED: usize = 100_000;

/// The most symlinks followed while resolving one path (the kernel's limit).
const MAX_LINKS: usize = 40;

/// What is at a path (symlinks not followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// Nothing.
    Missing,
    /// A directory.
    Dir,
    /// Anything else that is not a symlink (regular file, device, fifo, socket).
    File,
    /// A symbolic link.
    Symlink,
}

/// A path resolved under the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The path with every symlink of its existing part resolved (in the target's
    /// namespace: relative to the root).
    pub path: String,
    /// What is there.
    pub kind: Kind,
}

/// The filesystem seen from `root`.
pub(crate) struct FsView {
    root: PathBuf,
    visited: Cell<usize>,
}

impl FsView {
    pub(crate) fn new(root: &Path) -> FsView {
        FsView {
            root: root.to_path_buf(),
            visited: Cell::new(0),
        }
    }

    /// The root as given.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn host(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// What is at `path`, without following a final symlink.
    pub(crate) fn kind(&self, path: &str) -> Kind {
        match std::fs::symlink_metadata(self.host(path)) {
            Ok(m) if m.file_type().is_symlink() => Kind::Symlink,
            Ok(m) if m.is_dir() => Kind::Dir,
            Ok(_) => Kind::File,
            Err(_) => Kind::Missing,
        }
    }

    /// Resolve every symlink in `path` (absolute targets are taken relative to the
    /// root). The part past the first missing component is kept as written.
    pub(crate) fn resolve(&self, path: &str) -> Resolved {
        let mut todo: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(str::to_string)
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        let mut kind = Kind::Dir;
        while let Some(c) = todo.pop() {
            if c == "." {
                continue;
            }
            if c == ".." {
                done.pop();
                continue;
            }
            done.push(c);
            let here = format!("/{}", done.join("/"));
            match self.kind(&here) {
                Kind::Symlink if links < MAX_LINKS => {
                    links += 1;
                    let Ok(target) = std::fs::read_link(self.host(&here)) else {
                        kind = Kind::Missing;
                        break;
                    };
                    let Some(target) = target.to_str().map(str::to_string) else {
                        kind = Kind::Missing;
                        break;
                    };
                    done.pop();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    todo.extend(
                        target
                            .split('/')
                            .filter(|c| !c.is_empty())
                            .rev()
                            .map(str::to_string),
                    );
                }
                Kind::Symlink => {
                    kind = Kind::Missing;
                    break;
                }
                Kind::Missing => {
                    kind = Kind::Missing;
                    break;
                }
                k => kind = k,
            }
        }
        // Whatever is left is appended as written.
        let mut rest: Vec<String> = todo.into_iter().rev().collect();
        done.append(&mut rest);
        let path = format!("/{}", done.join("/"));
        Resolved { path, kind }
    }

    /// The entries of the directory `dir`, sorted by name, with their kinds. Names that
    /// are not UTF-8 or would not make a valid path are returned apart (they cannot be
    /// named by a policy).
    pub(crate) fn list(&self, dir: &str) -> Result<Listing, Error> {
        let rd = match std::fs::read_dir(self.host(dir)) {
            Ok(rd) => rd,
            Err(_) => return Ok(Listing::default()),
        };
        let mut out = Listing::default();
        for e in rd {
            let Ok(e) = e else { continue };
            let n = self.visited.get() + 1;
            self.visited.set(n);
            if n > MAX_VISITED {
                return Err(Error::ExpansionTooLarge {
                    root: self.root.display().to_string(),
                    limit: MAX_VISITED,
                    glob: None,
                    origin: None,
                });
            }
            let name = e.file_name();
            let Some(name) = std::str::from_utf8(name.as_bytes())
                .ok()
                .map(str::to_string)
            else {
                out.unnamed += 1;
                continue;
            };
            let path = join(dir, &name);
            if !is_valid_path(&path) {
                out.unnamed += 1;
                continue;
            }
            let kind = match e.file_type() {
                Ok(t) if t.is_symlink() => Kind::Symlink,
                Ok(t) if t.is_dir() => Kind::Dir,
                Ok(_) => Kind::File,
                Err(_) => continue,
            };
            out.entries.push((path, kind));
        }
        out.entries.sort();
        Ok(out)
    }
}

/// A directory's entries.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Full paths and kinds, sorted.
    pub entries: Vec<(String, Kind)>,
    /// Entries whose names no policy can name.
    pub unnamed: usize,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn resolves_under_root() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("usr/lib")).unwrap();
        std::fs::write(r.join("usr/lib/x"), "").unwrap();
        std::os::unix::fs::symlink("usr/lib", r.join("lib")).unwrap();
        std::os::unix::fs::symlink("/usr/lib/x", r.join("abs")).unwrap();
        let v = FsView::new(r);
        assert_eq!(
            v.resolve("/lib/x"),
            Resolved {
                path: "/usr/lib/x".into(),
                kind: Kind::File
            }
        );
        assert_eq!(v.resolve("/abs").path, "/usr/lib/x");
        assert_eq!(
            v.resolve("/lib/nope/deeper"),
            Resolved {
                path: "/usr/lib/nope/deeper".into(),
                kind: Kind::Missing
            }
        );
        assert_eq!(v.resolve("/").kind, Kind::Dir);
        std::os::unix::fs::symlink("loop", r.join("loop")).unwrap();
        assert_eq!(v.resolve("/loop").kind, Kind::Missing);
        let l = v.list("/").unwrap();
        let names: Vec<&str> = l.entries.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, vec!["/abs", "/lib", "/loop", "/usr"]);
    }
}
