//! Boot a kernel and initramfs under qemu (software emulation) and collect the console.

use crate::{io, require_tool, Error, Result};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The LSM a VM boots with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lsm {
    /// `lsm=landlock,apparmor security=apparmor`
    AppArmor,
    /// `lsm=landlock,selinux selinux=1 security=selinux enforcing=0`
    SeLinux,
    /// `lsm=landlock` only.
    Landlock,
}

impl Lsm {
    /// The kernel command line arguments selecting the LSM.
    pub fn boot_args(self) -> &'static str {
        match self {
            Lsm::AppArmor => "lsm=landlock,apparmor security=apparmor apparmor=1",
            Lsm::SeLinux => "lsm=landlock,selinux selinux=1 security=selinux enforcing=0",
            Lsm::Landlock => "lsm=landlock",
        }
    }
}

/// Remove NUL bytes, carriage returns and ANSI escape sequences from console output.
pub fn clean_console(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\0' | '\r' => {}
            '\u{1b}' => {
                // CSI: ESC [ params final-byte; other escapes: ESC + one char.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Boot `kernel` with `initrd`, the LSM's arguments and `memory_mb` of memory; returns
/// the cleaned console output. Fails if the VM does not power off within `timeout`.
pub fn boot(
    kernel: &Path,
    initrd: &Path,
    lsm: Lsm,
    memory_mb: u32,
    timeout: Duration,
) -> Result<String> {
    let qemu = require_tool("qemu-system-x86_64", "qemu-system-x86")?;
    let append = format!("console=ttyS0 quiet panic=-1 {}", lsm.boot_args());
    let mut child = Command::new(qemu)
        .args([
            "-accel",
            "tcg",
            "-nographic",
            "-no-reboot",
            "-nodefaults",
            "-serial",
            "stdio",
        ])
        .arg("-m")
        .arg(memory_mb.to_string())
        .arg("-kernel")
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(&append)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io("starting qemu-system-x86_64"))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Vm("has no stdout".into()))?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(io("waiting for qemu"))? {
            break Some(s);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let raw = reader.join().unwrap_or_default();
    let console = clean_console(&raw);
    match status {
        None => Err(Error::Vm(format!(
            "did not power off within {timeout:?}; console:\n{}",
            tail(&console, 40)
        ))),
        Some(s) if !s.success() => {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            Err(Error::Vm(format!(
                "qemu exited with {s}: {}\nconsole:\n{}",
                err.trim(),
                tail(&console, 40)
            )))
        }
        Some(_) => Ok(console),
    }
}

/// The last `n` lines of a text.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .skip(lines.len().saturating_sub(n))
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_is_cleaned() {
        assert_eq!(clean_console(b"a\0b\r\n\x1b[?7l\x1b[2Jc"), "ab\nc");
    }
}
