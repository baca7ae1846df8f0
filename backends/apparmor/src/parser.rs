//! Running the real `apparmor_parser`: validate profile text and get its compiled binary.
//!
//! Nothing is loaded into the kernel: every run uses `-Q` (skip the kernel load) and `-K`
//! (no cache). The profile goes to the parser on its standard input, or in temporary files
//! when many are validated at once.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why `apparmor_parser` could not validate or compile a profile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParserError {
    /// The parser is not installed.
    #[error("`{program}` not found: install the Debian package `apparmor`")]
    NotFound {
        /// What was looked for.
        program: String,
    },
    /// The parser could not be started or waited for.
    #[error("cannot run `{program}`: {source}")]
    Run {
        /// The program.
        program: String,
        /// The error.
        source: std::io::Error,
    },
    /// A temporary file for the profiles could not be written.
    #[error("cannot write a temporary profile: {0}")]
    TempFile(std::io::Error),
    /// The parser refused the profile.
    #[error("apparmor_parser rejected the profile{}: {message}", line_suffix(*.line))]
    Rejected {
        /// The parser's error, on one line.
        message: String,
        /// The line of the profile text the parser complained about, when it said.
        line: Option<usize>,
        /// Everything the parser wrote to its standard error (cache notices removed).
        stderr: String,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map_or(String::new(), |l| format!(" at line {l}"))
}

/// An `apparmor_parser` to run, with its options.
#[derive(Clone, Debug)]
pub struct Parser {
    program: PathBuf,
    options: Vec<OsString>,
}

/// Where `apparmor_parser` is looked for after the `PATH` (Debian installs it in `/usr/sbin`,
/// which is not on every user's `PATH`).
const SBIN: [&str; 2] = ["/usr/sbin", "/sbin"];

impl Parser {
    /// Find `apparmor_parser` on the `PATH`, then in `/usr/sbin` and `/sbin`.
    pub fn find() -> Result<Parser, ParserError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(SBIN.iter().map(PathBuf::from))
            .map(|d| d.join("apparmor_parser"))
            .find(|p| p.is_file())
            .map(Parser::at)
            .ok_or_else(|| ParserError::NotFound {
                program: "apparmor_parser".into(),
            })
    }

    /// Use the parser at `program`.
    pub fn at(program: impl Into<PathBuf>) -> Parser {
        Parser {
            program: program.into(),
            options: Vec::new(),
        }
    }

    /// The program run.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Resolve `abi <...>,` and includes against `dir` instead of `/etc/apparmor.d`
    /// (`--base`).
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Parser {
        self.options.push("--base".into());
        self.options.push(dir.into().into_os_string());
        self
    }

    /// Also search `dir` for includes (`-I`).
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Parser {
        self.options.push("-I".into());
        self.options.push(dir.into().into_os_string());
        self
    }

    /// Compile for the kernel features described in `file` (`--kernel-features`), e.g.
    /// `/etc/apparmor.d/abi/3.0`. Without it, rules the parser believes the kernel cannot
    /// enforce (on a machine without AppArmor: signal and network rules) are left out of
    /// the compiled binary.
    pub fn kernel_features(mut self, file: impl Into<PathBuf>) -> Parser {
        self.options.push("--kernel-features".into());
        self.options.push(file.into().into_os_string());
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.options).arg("-Q").arg("-K");
        c
    }

    fn spawn_error(&self, e: std::io::Error) -> ParserError {
        if e.kind() == std::io::ErrorKind::NotFound {
            ParserError::NotFound {
                program: self.program.display().to_string(),
            }
        } else {
            ParserError::Run {
                program: self.program.display().to_string(),
                source: e,
            }
        }
    }

    /// Run with `profile` on standard input; the standard output on success.
    fn run_stdin(&self, mut cmd: Command, profile: &str) -> Result<Vec<u8>, ParserError> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let stdin = child.stdin.take();
        let output = std::thread::scope(|s| {
            s.spawn(move || {
                if let Some(mut stdin) = stdin {
                    // A parser that exits early closes the pipe; its stderr says why.
                    let _ = stdin.write_all(profile.as_bytes());
                }
            });
            child.wait_with_output()
        })
        .map_err(|e| self.spawn_error(e))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(rejected(&output.stderr, output.status))
        }
    }

    /// Parse and compile `profile` without loading it (`apparmor_parser -Q -K`).
    pub fn validate(&self, profile: &str) -> Result<(), ParserError> {
        self.run_stdin(self.command(), profile).map(|_| ())
    }

    /// The compiled binary policy of `profile` (`apparmor_parser -Q -K -S`).
    pub fn compile_binary(&self, profile: &str) -> Result<Vec<u8>, ParserError> {
        let mut c = self.command();
        c.arg("-S");
        self.run_stdin(c, profile)
    }

    /// The parser's version, e.g. `3.0.8`.
    pub fn version(&self) -> Result<String, ParserError> {
        let out = Command::new(&self.program)
            .arg("--version")
            .output()
            .map_err(|e| self.spawn_error(e))?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text
            .lines()
            .next()
            .and_then(|l| l.rsplit(' ').next())
            .unwrap_or_default()
            .to_string())
    }

    /// Validate many profiles: one parser run for all of them (in batches), and a run per
    /// profile only when a batch fails, to tell which profiles were refused and why.
    pub fn validate_all(
        &self,
        profiles: &[&str],
    ) -> Result<Vec<Result<(), ParserError>>, ParserError> {
        const BATCH: usize = 100;
        let mut results = Vec::with_capacity(profiles.len());
        for chunk in profiles.chunks(BATCH) {
            let dir = tempfile::tempdir().map_err(ParserError::TempFile)?;
            let mut files = Vec::with_capacity(chunk.len());
            for (i, p) in chunk.iter().enumerate() {
                let f = dir.path().join(format!("profile-{i}"));
                std::fs::write(&f, p).map_err(ParserError::TempFile)?;
                files.push(f);
            }
            let out = self
                .command()
                .args(&files)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| self.spawn_error(e))?;
            if out.status.success() {
                results.extend(chunk.iter().map(|_| Ok(())));
            } else {
                results.extend(self.validate_each(chunk));
            }
        }
        Ok(results)
    }

    fn validate_each(&self, profiles: &[&str]) -> Vec<Result<(), ParserError>> {
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        let per = profiles.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = profiles
                .chunks(per)
                .map(|c| s.spawn(move || c.iter().map(|p| self.validate(p)).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![Err(ParserError::Rejected {
                            message: "the validating thread panicked".into(),
                            line: None,
                            stderr: String::new(),
                        })]
                    })
                })
                .collect()
        })
    }
}

/// Parse and compile `profile` with the `apparmor_parser` found on this machine.
pub fn validate(profile: &str) -> Result<(), ParserError> {
    Parser::find()?.validate(profile)
}

/// The parser's complaint from its standard error.
fn rejected(stderr: &[u8], status: std::process::ExitStatus) -> ParserError {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Cache read/write disabled"))
        .collect();
    let mut line = None;
    let mut parts: Vec<String> = Vec::new();
    for l in &lines {
        if let Some(rest) = l.strip_prefix("AppArmor parser error") {
            let (before, msg) = rest.split_once(": ").unwrap_or((rest, ""));
            if let Some(n) = before.split(" at line ").nth(1) {
                line = n.trim().parse::<usize>().ok();
            }
            parts.push(msg.trim().to_string());
        } else {
            parts.push(l.strip_prefix("apparmor_parser: ").unwrap_or(l).to_string());
        }
    }
    let message = if parts.is_empty() {
        format!("it exited with {status} and said nothing")
    } else {
        parts.join("; ")
    };
    ParserError::Rejected {
        message,
        line,
        stderr: lines.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn error_messages_are_extracted() {
        let e = rejected(
            b"Cache read/write disabled: interface file missing.\nAppArmor parser error at line 4: syntax error, unexpected TOK_CLOSE\n",
            std::process::ExitStatus::from_raw(256),
        );
        match e {
            ParserError::Rejected { message, line, .. } => {
                assert_eq!(message, "syntax error, unexpected TOK_CLOSE");
                assert_eq!(line, Some(4));
            }
            other => panic!("{other}"),
        }
        let e = rejected(
            b"apparmor_parser: Regex grouping error: Invalid number of items between {}\napparmor_parser: Unable to parse input line '/a{b}'\nERROR processing regexs for profile t, failed to load\n",
            std::process::ExitStatus::from_raw(256),
        );
        assert_eq!(
            e.to_string(),
            "apparmor_parser rejected the profile: Regex grouping error: Invalid number of items \
             between {}; Unable to parse input line '/a{b}'; ERROR processing regexs for profile t, \
             failed to load"
        );
    }

    #[test]
    fn a_missing_parser_says_how_to_install_it() {
        let e = Parser::at("/nonexistent/apparmor_parser")
            .validate("")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`/nonexistent/apparmor_parser` not found: install the Debian package `apparmor`"
        );
    }
}
