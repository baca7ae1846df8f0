//! Files in and out: reading sources and abstraction directories, building the load
//! options, and writing results atomically.

use super::{GlobalArgs, EXIT_USAGE};
use polc_lang::diagnostics::{Code, Diagnostic};
use polc_lang::{AbstractionDir, LoadOptions, Source};
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read, Write};
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

    /// The exit code of an I/O failure.
    pub fn exit(&self) -> u8 {
        EXIT_USAGE
    }
}

/// A usage problem found after argument parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// How a path is named in messages and diagnostics: as the user wrote it.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The name standard input goes by in messages (`-` as a policy file).
pub const STDIN_NAME: &str = "<stdin>";

/// True when `path` is `-`: standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// True when an output path means standard output: `-`, or `/dev/stdout` (written
/// through polc's own standard output, so a file it is redirected to, even in append
/// mode, gets the output where the shell's redirection says).
pub fn is_stdout(path: &Path) -> bool {
    path == Path::new("-") || path == Path::new("/dev/stdout")
}

/// How a policy file is named in messages, diagnostics and the store: as given, or
/// [`STDIN_NAME`] for `-`.
pub fn source_name(path: &Path) -> String {
    if is_stdin(path) {
        STDIN_NAME.to_string()
    } else {
        display(path)
    }
}

/// Read a policy: the file at `path`, or all of standard input for `-` (read as policy
/// text, named [`STDIN_NAME`]).
pub fn read_policy(path: &Path, stdin: &mut dyn Read) -> Result<Source, IoFailure> {
    if !is_stdin(path) {
        return read_source(path);
    }
    let text = crate::limits::read_limited(stdin, crate::limits::MAX_POLICY_BYTES)
        .map_err(|e| IoFailure::new(Path::new(STDIN_NAME), "read", &e))?;
    Ok(Source::new(STDIN_NAME, text))
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

/// Either kind of failure while preparing a load.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// A file could not be read.
    #[error(transparent)]
    Io(#[from] IoFailure),
    /// The arguments do not make sense.
    #[error(transparent)]
    Usage(#[from] UsageError),
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

/// The load options from the global arguments: `--var` values and the abstraction
/// search path (the default directories or `POLC_ABSTRACTIONS_PATH`, then every
/// `--abstractions` directory, in the order given).
pub fn load_options(global: &GlobalArgs) -> Result<LoadOptions, PrepareError> {
    let dirs = abstraction_search_path(&global.abstractions)?;
    Ok(load_options_with(global, &dirs)?)
}

/// [`load_options`] with the search path already read.
pub fn load_options_with(
    global: &GlobalArgs,
    dirs: &[SearchDir],
) -> Result<LoadOptions, UsageError> {
    let mut opts = LoadOptions {
        connect: global.connect.clone(),
        ..LoadOptions::default()
    };
    for (name, value) in &global.vars {
        if opts.vars.insert(name.clone(), value.clone()).is_some() {
            return Err(UsageError(format!(
                "`--var {name}=...` is given more than once"
            )));
        }
    }
    opts.search_path = search_path(dirs);
    Ok(opts)
}

/// Write a command's output file: a regular file (or a new path) is replaced
/// atomically ([`write_atomic`]); anything else that exists (a character or block
/// device such as `/dev/null`, a FIFO, a socket, `/dev/stdout` when standard output is
/// a pipe) is opened and written in place, never replaced. Symbolic links are followed.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), IoFailure> {
    match fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => write_in_place(path, contents),
        _ => write_atomic(path, contents),
    }
}

/// Write `contents` to an existing file that is not a regular one, without truncating
/// or replacing it.
fn write_in_place(path: &Path, contents: &[u8]) -> Result<(), IoFailure> {
    let fail = |e: io::Error| IoFailure::new(path, "write", &e);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(fail)?;
    f.write_all(contents).and_then(|()| f.flush()).map_err(fail)
}

/// Replace `path` with `contents` atomically: write a temporary file in the same
/// directory, flush it to disk, give it the permissions of the file it replaces, and
/// rename it over the target. Readers see the old or the new file, never a mix; on
/// failure the target is untouched. A symbolic link is followed, so the file it points
/// to is replaced and the link kept.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), IoFailure> {
    let fail = |e: io::Error| IoFailure::new(path, "write", &e);
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(fail)?,
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            fail(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a file name",
            ))
        })?;
    let (tmp_path, mut tmp) = create_temp(&dir, &name).map_err(fail)?;
    let written = (|| {
        tmp.write_all(contents)?;
        if let Ok(meta) = fs::metadata(&target) {
            tmp.set_permissions(meta.permissions())?;
        }
        tmp.sync_all()?;
        drop(tmp);
        fs::rename(&tmp_path, &target)?;
        // Make the rename itself durable; not every file system supports this.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    written.map_err(fail)
}

fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, fs::File)> {
    let pid = std::process::id();
    let mut last = io::Error::new(io::ErrorKind::AlreadyExists, "no temporary name left");
    for n in 0..100u32 {
        let p = dir.join(format!(".{name}.polc-{pid}-{n}.tmp"));
        match fs::OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn atomic_write_replaces_and_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.pol");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_write_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.pol");
        let link = dir.path().join("link.pol");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

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

    #[test]
    fn duplicate_vars_are_refused() {
        let g = GlobalArgs {
            vars: vec![("a".into(), "/x".into()), ("a".into(), "/y".into())],
            ..GlobalArgs::default()
        };
        assert!(matches!(load_options(&g), Err(PrepareError::Usage(_))));
    }
}
