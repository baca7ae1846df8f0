//! The kernel's audit records, read as they are written: what `polc learn` collects the
//! Landlock denials of its run from.
//!
//! The records are read from the audit netlink socket's read-only log group
//! (`AUDIT_NLGRP_READLOG`, the one journald reads), which gets every record whether or
//! not an audit daemon runs, without the kernel log's rate limit (`/dev/kmsg` gets them
//! only when no daemon runs, at most 10 per 5 seconds). The kernel writes Landlock
//! records only while its audit is enabled: [`AuditLog::open`] enables it when it is
//! not, and the last learner to finish puts it back ([`LOCK`]).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

const NETLINK_AUDIT: libc::c_int = 9;
const AUDIT_NLGRP_READLOG: u32 = 1;
const AUDIT_GET: u16 = 1000;
const AUDIT_SET: u16 = 1001;
const AUDIT_STATUS_ENABLED: u32 = 1;
const NLMSG_ERROR: u16 = 2;

/// Why the audit records cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The kernel has no audit (`CONFIG_AUDIT`).
    #[error("this kernel has no audit support (CONFIG_AUDIT): Landlock cannot log denials")]
    NoAudit,
    /// The log group cannot be joined.
    #[error("cannot read the kernel's audit records: {0}")]
    Read(io::Error),
    /// The audit status cannot be read or set.
    #[error("the kernel's audit is disabled and polc cannot enable it: {0}")]
    Enable(io::Error),
}

impl AuditError {
    /// How to fix it.
    pub fn help(&self) -> &'static str {
        match self {
            AuditError::NoAudit => {
                "use a kernel built with CONFIG_AUDIT (Debian's is), or collect denials elsewhere and run `polc suggest --from-log`"
            }
            AuditError::Read(_) => {
                "reading the audit log group needs CAP_AUDIT_READ: run `polc learn` as root (sudo)"
            }
            AuditError::Enable(_) => {
                "enabling audit needs CAP_AUDIT_CONTROL: run `polc learn` as root, or enable it first with `auditctl -e 1`"
            }
        }
    }
}

/// One audit record: its type (1423 a Landlock access, 1424 a Landlock domain) and
/// text (`audit(TIME:SERIAL): ...`).
#[derive(Clone, Debug)]
pub struct Record {
    /// The record type.
    pub kind: u16,
    /// The text after the type.
    pub text: String,
}

impl Record {
    /// The record as an audit log line (`type=1423 audit(...): ...`), as
    /// [`polc_lang::denial::parse`] reads it.
    pub fn line(&self) -> String {
        format!("type={} {}", self.kind, self.text)
    }

    /// The value of `key=` in the record.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.text.split_whitespace().find_map(|w| {
            w.strip_prefix(key)
                .and_then(|r| r.strip_prefix('='))
                .map(|v| v.trim_matches('"'))
        })
    }
}

/// A subscription to the kernel's audit records.
pub struct AuditLog {
    sock: OwnedFd,
    /// The audit was disabled and this enabled it.
    enabled_here: bool,
    /// Held shared while this learner runs (see [`LOCK`]).
    lock: Option<std::fs::File>,
}

/// Learners hold this file locked shared while they run; it says `enabled` while polc
/// has enabled the audit. The last learner to finish (the one that gets the lock
/// exclusively) disables the audit again if polc enabled it, so one learner never
/// disables the audit under another one's runs.
pub const LOCK: &str = "/run/polc-learn.lock";

fn lock_file() -> Option<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(LOCK)
        .ok()?;
    // SAFETY: flock on an owned descriptor.
    (unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH) } == 0).then_some(f)
}

fn mark(f: &mut std::fs::File, enabled: bool) {
    use std::io::{Seek, Write};
    let _ = f.set_len(0);
    let _ = f.rewind();
    let _ = f.write_all(if enabled { b"enabled\n" } else { b"" });
}

fn marked(f: &mut std::fs::File) -> bool {
    use std::io::{Read, Seek};
    let mut s = String::new();
    let _ = f.rewind();
    let _ = f.read_to_string(&mut s);
    s.trim() == "enabled"
}

fn socket() -> Result<OwnedFd, io::Error> {
    // SAFETY: plain socket call; the descriptor is owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            NETLINK_AUDIT,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by socket and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bind(sock: &OwnedFd, groups: u32) -> io::Result<()> {
    // SAFETY: a zeroed sockaddr_nl is valid; the length is its size.
    unsafe {
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as u16;
        addr.nl_groups = groups;
        let r = libc::bind(
            sock.as_raw_fd(),
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        );
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Send one request to the kernel and read its answer.
fn request(kind: u16, flags: u16, payload: &[u8]) -> io::Result<Vec<u8>> {
    let sock = socket()?;
    bind(&sock, 0)?;
    let len = 16 + payload.len();
    let mut msg = Vec::with_capacity(len);
    msg.extend_from_slice(&(len as u32).to_ne_bytes());
    msg.extend_from_slice(&kind.to_ne_bytes());
    msg.extend_from_slice(&(libc::NLM_F_REQUEST as u16 | flags).to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(payload);
    // SAFETY: the buffer is valid for its length; the kernel is the destination (zeroed
    // sockaddr_nl).
    let sent = unsafe {
        let mut addr: libc::sockaddr_nl = std::mem::zeroed();
        addr.nl_family = libc::AF_NETLINK as u16;
        libc::sendto(
            sock.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut buf = vec![0u8; 1024];
    // SAFETY: buf is valid for its length.
    let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    // An error message (or the ACK, error 0).
    if u16_at(&buf, 4) == Some(NLMSG_ERROR) {
        let err = i32::from_ne_bytes(bytes4(&buf, 16).unwrap_or_default());
        if err != 0 {
            return Err(io::Error::from_raw_os_error(-err));
        }
    }
    Ok(buf)
}

fn bytes4(b: &[u8], at: usize) -> Option<[u8; 4]> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok())
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_ne_bytes)
}

/// The audit status: (enabled, lost records).
fn status() -> io::Result<(u32, u32)> {
    let buf = request(AUDIT_GET, 0, &[])?;
    if u16_at(&buf, 4) != Some(AUDIT_GET) {
        return Err(io::Error::other("the kernel did not answer AUDIT_GET"));
    }
    // struct audit_status after the 16-byte header: mask, enabled, failure, pid,
    // rate_limit, backlog_limit, lost, ...
    let word = |i: usize| bytes4(&buf, 16 + 4 * i).map(u32::from_ne_bytes);
    match (word(1), word(6)) {
        (Some(enabled), Some(lost)) => Ok((enabled, lost)),
        _ => Err(io::Error::other("short AUDIT_GET answer")),
    }
}

fn set_enabled(on: bool) -> io::Result<()> {
    let mut st = [0u8; 4 * 11];
    st[0..4].copy_from_slice(&AUDIT_STATUS_ENABLED.to_ne_bytes());
    st[4..8].copy_from_slice(&u32::from(on).to_ne_bytes());
    request(AUDIT_SET, libc::NLM_F_ACK as u16, &st).map(|_| ())
}

impl AuditLog {
    /// Join the log group, enabling audit if it is off.
    pub fn open() -> Result<AuditLog, AuditError> {
        let sock = socket().map_err(|e| match e.raw_os_error() {
            Some(libc::EPROTONOSUPPORT) | Some(libc::EAFNOSUPPORT) => AuditError::NoAudit,
            _ => AuditError::Read(e),
        })?;
        bind(&sock, AUDIT_NLGRP_READLOG).map_err(AuditError::Read)?;
        // SAFETY: fcntl on an owned descriptor.
        unsafe {
            let fl = libc::fcntl(sock.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(sock.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
        let lock = lock_file();
        let (enabled, _) = status().map_err(AuditError::Enable)?;
        let mut log = AuditLog {
            sock,
            enabled_here: false,
            lock,
        };
        if enabled == 0 {
            set_enabled(true).map_err(AuditError::Enable)?;
            log.enabled_here = true;
            if let Some(f) = log.lock.as_mut() {
                mark(f, true);
            }
        }
        Ok(log)
    }

    /// Whether [`AuditLog::open`] enabled the audit (it is disabled again on drop).
    pub fn enabled_here(&self) -> bool {
        self.enabled_here
    }

    /// Records lost by the kernel so far (its counter), if it can be read.
    pub fn lost(&self) -> Option<u32> {
        status().ok().map(|(_, lost)| lost)
    }

    /// The records received, reading until `done` says enough or nothing came for
    /// `quiet` (at most `limit` in all).
    pub fn collect(
        &mut self,
        quiet: Duration,
        limit: Duration,
        mut done: impl FnMut(&[Record]) -> bool,
    ) -> Vec<Record> {
        let start = Instant::now();
        let mut last = Instant::now();
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        while start.elapsed() < limit && last.elapsed() < quiet && !done(&out) {
            // SAFETY: buf is valid for its length.
            let n =
                unsafe { libc::recv(self.sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n <= 0 {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            last = Instant::now();
            let msg = buf.get(..n as usize).unwrap_or_default();
            let (Some(kind), Some(len)) = (u16_at(msg, 4), bytes4(msg, 0)) else {
                continue;
            };
            let len = (u32::from_ne_bytes(len) as usize).min(msg.len());
            let text = msg.get(16..len).unwrap_or_default();
            let text = String::from_utf8_lossy(text)
                .trim_end_matches('\0')
                .trim_end()
                .to_string();
            out.push(Record { kind, text });
        }
        out
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        match self.lock.as_mut() {
            // The last learner puts the audit back.
            Some(f) => {
                // SAFETY: flock on an owned descriptor.
                let last =
                    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
                if last && marked(f) {
                    let _ = set_enabled(false);
                    mark(f, false);
                }
            }
            None if self.enabled_here => {
                let _ = set_enabled(false);
            }
            None => {}
        }
    }
}
