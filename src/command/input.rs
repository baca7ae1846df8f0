//! Files in and out for the command line: standard input and output as `-`, the load
//! options of the global arguments, and results written atomically. Sources and the
//! abstraction search path are read by [`crate::sources`].

use super::{GlobalArgs, EXIT_USAGE};
pub use crate::sources::{
    abstraction_search_path, display, read_abstraction_dir, read_source, search_path, IoFailure,
    SearchDir,
};
use polc_lang::{LoadOptions, Source};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

impl IoFailure {
    /// The exit code of an I/O failure.
    pub fn exit(&self) -> u8 {
        EXIT_USAGE
    }
}

/// A usage problem found after argument parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

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
    write_file_with(path, |w| w.write_all(contents))
}

/// [`write_file`] with the contents written by `write` as they are made (through a
/// buffer), instead of built whole first.
pub fn write_file_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), IoFailure> {
    match fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => write_in_place(path, write),
        _ => write_atomic_with(path, write),
    }
}

/// Write to an existing file that is not a regular one, without truncating or
/// replacing it.
fn write_in_place(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), IoFailure> {
    let fail = |e: io::Error| IoFailure::new(path, "write", &e);
    let f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(fail)?;
    let mut buf = io::BufWriter::new(f);
    write(&mut buf).and_then(|()| buf.flush()).map_err(fail)
}

/// Replace `path` with `contents` atomically: write a temporary file in the same
/// directory, flush it to disk, give it the permissions of the file it replaces, and
/// rename it over the target. Readers see the old or the new file, never a mix; on
/// failure the target is untouched. A symbolic link is followed, so the file it points
/// to is replaced and the link kept.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), IoFailure> {
    write_atomic_with(path, |w| w.write_all(contents))
}

/// [`write_atomic`] with the contents written by `write` (through a buffer).
fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), IoFailure> {
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
        let mut buf = io::BufWriter::new(&mut tmp);
        write(&mut buf)?;
        buf.flush()?;
        drop(buf);
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
    fn duplicate_vars_are_refused() {
        let g = GlobalArgs {
            vars: vec![("a".into(), "/x".into()), ("a".into(), "/y".into())],
            ..GlobalArgs::default()
        };
        assert!(matches!(load_options(&g), Err(PrepareError::Usage(_))));
    }
}
