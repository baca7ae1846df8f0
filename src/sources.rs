//! Reading sources as `polc` does: policy files within the size limit, and the
//! abstraction search path (the distribution's and the site's directories, or
//! `POLC_ABSTRACTIONS_PATH`, then the directories the caller names). The command line,
//! the C library and the Python package read them this one way.

use polc_lang::diagnostics::{Code, Diagnostic};
use polc_lang::{AbstractionDir, Source};
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A failure to read or write, said once to the user; it makes the exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct IoFailure {
    /// The file concerned, as the user named it.
    pub file: String,
    /// One line: what failed.
    pub message: String,
}

impl IoFailure {
    pub(crate) fn new(path: &Path, what: &str, e: &io::Error) -> Self {
        let file = display(path);
        let why = match e.kind() {
            io::ErrorKind::InvalidData => "it is not valid UTF-8".to_string(),
            io::ErrorKind::NotFound => "no such file or directory".to_string(),
            io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            io::ErrorKind::IsADirectory => "it is a directory".to_string(),
            io::ErrorKind::NotADirectory => {
                "a component of the path is not a directory".to_string()
            }
            // The message of `limits::too_large` names the limit.
            io::ErrorKind::FileTooLarge => e.to_string(),
            _ => {
                // `Display` of an OS error ends with ` (os error N)`: keep the words.
                let s = e.to_string();
                let s = s.split(" (os error").next().unwrap_or_default().to_string();
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_lowercase().chain(c).collect())
                    .unwrap_or(s)
            }
        };
        IoFailure {
            message: format!("cannot {what} `{file}`: {why}"),
            file,
        }
    }

    /// As a diagnostic (code E0400, no location), for `--error-format json`.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::unlocated(Code::Io, &self.file, self.message.clone())
    }
}

/// How a path is named in messages and diagnostics: as the user wrote it.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Read a source file (a policy, its JSON form or an abstraction file), at most
/// [`MAX_POLICY_BYTES`](crate::limits::MAX_POLICY_BYTES).
pub fn read_source(path: &Path) -> Result<Source, IoFailure> {
    crate::limits::read_file(path, crate::limits::MAX_POLICY_BYTES)
        .map(|text| Source::new(display(path), text))
        .map_err(|e| IoFailure::new(path, "read", &e))
}

/// The `*.pol` files of a directory, sorted by name.
pub fn read_abstraction_dir(dir: &Path) -> Result<Vec<Source>, IoFailure> {
    let entries = fs::read_dir(dir).map_err(|e| IoFailure::new(dir, "read directory", &e))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| IoFailure::new(dir, "read directory", &e))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "pol") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|p| read_source(p)).collect()
}
/// The environment variable that replaces the default directories of the abstraction
/// search path: directories separated by `:`, lowest precedence first; empty for none.
pub const PATH_VAR: &str = "POLC_ABSTRACTIONS_PATH";

/// The default directories of the abstraction search path, lowest precedence first:
/// the distribution's, then the site's.
pub const DEFAULT_DIRS: [&str; 2] = ["/usr/share/polc/abstractions", "/etc/polc/abstractions"];

/// Why a directory is on the search path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirOrigin {
    /// One of [`DEFAULT_DIRS`]: may be missing.
    Default,
    /// Named by [`PATH_VAR`]: may be missing.
    Environment,
    /// Named by `--abstractions DIR`: must exist.
    Option,
}

/// A directory of the abstraction search path, read.
#[derive(Clone, Debug)]
pub struct SearchDir {
    /// The directory as named.
    pub path: PathBuf,
    /// Why it is searched.
    pub origin: DirOrigin,
    /// Its `*.pol` files, sorted by name; `None` when it does not exist (allowed for
    /// the default and environment directories only).
    pub files: Option<Vec<Source>>,
}

/// The directories of the abstraction search path, lowest precedence first: those of
/// `env` (the value of [`PATH_VAR`]) or else [`DEFAULT_DIRS`], then `options` (each
/// `--abstractions DIR`, in order). An abstraction in a later directory overrides one of
/// the same name in an earlier directory and the built-in one.
pub fn search_dirs(env: Option<&OsStr>, options: &[PathBuf]) -> Vec<(PathBuf, DirOrigin)> {
    let defaults: Vec<(PathBuf, DirOrigin)> = match env {
        Some(value) => std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| (p, DirOrigin::Environment))
            .collect(),
        None => DEFAULT_DIRS
            .iter()
            .map(|d| (PathBuf::from(d), DirOrigin::Default))
            .collect(),
    };
    let given = options.iter().map(|p| (p.clone(), DirOrigin::Option));
    let all: Vec<(PathBuf, DirOrigin)> = defaults.into_iter().chain(given).collect();
    // A directory named twice is searched once, where its precedence is highest.
    let mut out: Vec<(PathBuf, DirOrigin)> = Vec::new();
    for (i, (path, origin)) in all.iter().enumerate() {
        if !all.iter().skip(i + 1).any(|(p, _)| p == path) {
            out.push((path.clone(), *origin));
        }
    }
    out
}

/// Read the directories of [`search_dirs`]: a missing default or environment directory
/// is skipped; any other failure (a missing `--abstractions DIR`, a directory that
/// cannot be read, a file in it that cannot be read) is an error naming it.
pub fn read_search_dirs(dirs: Vec<(PathBuf, DirOrigin)>) -> Result<Vec<SearchDir>, IoFailure> {
    let mut out = Vec::new();
    for (path, origin) in dirs {
        let files = match read_abstraction_dir(&path) {
            Ok(files) => Some(files),
            Err(_) if origin != DirOrigin::Option && !path.exists() && !is_dangling(&path) => None,
            Err(e) => return Err(e),
        };
        out.push(SearchDir {
            path,
            origin,
            files,
        });
    }
    Ok(out)
}

/// True when `path` is a symbolic link to nothing: not a missing directory but a broken
/// installation, said as an error.
fn is_dangling(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The search path of [`LoadOptions::search_path`] from the directories read.
pub fn search_path(dirs: &[SearchDir]) -> Vec<AbstractionDir> {
    dirs.iter()
        .filter_map(|d| {
            d.files.as_ref().map(|files| AbstractionDir {
                name: display(&d.path),
                files: files.clone(),
            })
        })
        .collect()
}

/// The abstraction search path of this process: [`PATH_VAR`] from the environment (or
/// the default directories), then `options`, read. The command line and the Python
/// binding both search this way.
pub fn abstraction_search_path(options: &[PathBuf]) -> Result<Vec<SearchDir>, IoFailure> {
    let env = std::env::var_os(PATH_VAR);
    read_search_dirs(search_dirs(env.as_deref(), options))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn the_search_path_is_the_variable_or_the_defaults_then_the_options() {
        let opt = [PathBuf::from("opt")];
        let paths = |env: Option<&str>| -> Vec<(String, DirOrigin)> {
            search_dirs(env.map(OsStr::new), &opt)
                .into_iter()
                .map(|(p, o)| (display(&p), o))
                .collect()
        };
        assert_eq!(
            paths(None),
            [
                ("/usr/share/polc/abstractions".into(), DirOrigin::Default),
                ("/etc/polc/abstractions".into(), DirOrigin::Default),
                ("opt".into(), DirOrigin::Option),
            ]
        );
        assert_eq!(paths(Some("")), [("opt".into(), DirOrigin::Option)]);
        // Named twice: searched once, at its later (higher) place.
        assert_eq!(
            paths(Some("opt:b")),
            [
                ("b".into(), DirOrigin::Environment),
                ("opt".into(), DirOrigin::Option),
            ]
        );
        assert_eq!(
            paths(Some("a::b")),
            [
                ("a".into(), DirOrigin::Environment),
                ("b".into(), DirOrigin::Environment),
                ("opt".into(), DirOrigin::Option),
            ]
        );
    }

    #[test]
    fn missing_search_directories_are_skipped_unless_named_by_an_option() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let read = read_search_dirs(vec![(gone.clone(), DirOrigin::Default)]).unwrap();
        assert!(read[0].files.is_none());
        assert!(read_search_dirs(vec![(gone.clone(), DirOrigin::Option)]).is_err());
        // A dangling symbolic link is a broken installation, not a missing directory.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&gone, &link).unwrap();
        assert!(read_search_dirs(vec![(link, DirOrigin::Default)]).is_err());
    }
}
