//! The few raw system calls polc makes itself: probing Landlock, capability sets,
//! `no_new_privs`, and `landlock_restrict_self` in a child between fork and exec.
//!
//! Everything called after fork ([`CapPlan::apply`], [`set_no_new_privs`],
//! [`restrict_self_fd`]) only makes system calls on precomputed data: no allocation, no
//! lock, so it is async-signal-safe.

use std::io;
use std::os::fd::RawFd;

/// The running kernel's Landlock ABI (0 when Landlock is missing or disabled).
pub fn kernel_abi() -> u8 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a NULL attribute, size 0 and the VERSION flag, the syscall reads and
    // writes no memory; it returns the ABI or -1.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u8::try_from(r.max(0)).unwrap_or(u8::MAX)
}

/// The number of threads of the calling process.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(1, |d| d.count())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;
const CAP_SETPCAP: u32 = 8;

fn capget() -> io::Result<[CapData; 2]> {
    let mut hdr = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: version 3 takes a header and two data structs, both valid for writes.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(data)
}

fn mask_of(data: &[CapData; 2], f: impl Fn(&CapData) -> u32) -> u64 {
    data.iter()
        .enumerate()
        .fold(0u64, |acc, (i, d)| acc | (u64::from(f(d)) << (32 * i)))
}

fn prctl(op: libc::c_int, a: libc::c_ulong, b: libc::c_ulong) -> libc::c_int {
    // SAFETY: the prctl operations used here take integer arguments only.
    unsafe { libc::prctl(op, a, b, 0 as libc::c_ulong, 0 as libc::c_ulong) }
}

/// The highest capability number the kernel knows.
fn last_cap() -> u32 {
    if let Some(n) = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    {
        return n.min(63);
    }
    let mut n = 0;
    while n < 63 && prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(n + 1), 0) >= 0 {
        n += 1;
    }
    n
}

/// How the capability sets will be reduced to the kept ones (computed before fork).
#[derive(Clone, Debug)]
pub(crate) struct CapPlan {
    lower_ambient: Vec<libc::c_ulong>,
    drop_bounding: Vec<libc::c_ulong>,
    can_drop_bounding: bool,
    data: [u32; 6],
    /// Capabilities held now (permitted, inheritable, ambient or bounding) outside the kept set.
    pub(crate) dropped: u64,
}

impl CapPlan {
    /// Plan the reduction of the calling thread's capabilities to `keep` (a bit mask).
    pub(crate) fn new(keep: u64) -> io::Result<CapPlan> {
        let data = capget()?;
        let last = last_cap();
        let mut lower_ambient = Vec::new();
        let mut drop_bounding = Vec::new();
        let mut dropped = 0u64;
        let permitted = mask_of(&data, |d| d.permitted);
        let inheritable = mask_of(&data, |d| d.inheritable);
        let effective = mask_of(&data, |d| d.effective);
        for cap in 0..=last {
            let bit = 1u64 << cap;
            if keep & bit != 0 {
                continue;
            }
            let c = libc::c_ulong::from(cap);
            let ambient = prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_IS_SET as libc::c_ulong,
                c,
            ) == 1;
            let bounding = prctl(libc::PR_CAPBSET_READ, c, 0) == 1;
            if ambient {
                lower_ambient.push(c);
            }
            if bounding {
                drop_bounding.push(c);
            }
            if ambient || bounding || (permitted | inheritable) & bit != 0 {
                dropped |= bit;
            }
        }
        let can_drop_bounding = effective & (1 << CAP_SETPCAP) != 0;
        let lo = |m: u64| (m & u64::from(u32::MAX)) as u32;
        let hi = |m: u64| (m >> 32) as u32;
        let (e, p, i) = (effective & keep, permitted & keep, inheritable & keep);
        Ok(CapPlan {
            lower_ambient,
            drop_bounding,
            can_drop_bounding,
            data: [lo(e), lo(p), lo(i), hi(e), hi(p), hi(i)],
            dropped,
        })
    }

    /// True when the bounding set will be reduced to the kept capabilities.
    pub(crate) fn bounding_dropped(&self) -> bool {
        self.can_drop_bounding || self.drop_bounding.is_empty()
    }

    /// Apply the plan to the calling thread. Async-signal-safe.
    pub(crate) fn apply(&self) -> io::Result<()> {
        for &c in &self.lower_ambient {
            let r = prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_LOWER as libc::c_ulong,
                c,
            );
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        if self.can_drop_bounding {
            for &c in &self.drop_bounding {
                if prctl(libc::PR_CAPBSET_DROP, c, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        let mut hdr = CapHeader {
            version: CAP_VERSION_3,
            pid: 0,
        };
        let [e0, p0, i0, e1, p1, i1] = self.data;
        let data = [
            CapData {
                effective: e0,
                permitted: p0,
                inheritable: i0,
            },
            CapData {
                effective: e1,
                permitted: p1,
                inheritable: i1,
            },
        ];
        // SAFETY: version 3 reads a header and two data structs, both valid.
        let r = unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`. Async-signal-safe.
pub(crate) fn set_no_new_privs() -> io::Result<()> {
    if prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0) < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON` (Landlock ABI 7): log the denials of the
/// domain after the next exec too (by default the kernel logs only those of the program
/// that called `landlock_restrict_self`, up to its exec).
pub const RESTRICT_SELF_LOG_NEW_EXEC_ON: libc::c_uint = 1 << 1;

/// `landlock_restrict_self(fd, flags)`. Async-signal-safe.
pub(crate) fn restrict_self_fd(fd: RawFd, flags: libc::c_uint) -> io::Result<()> {
    // SAFETY: the syscall takes a file descriptor and flags, no memory.
    let r = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd, flags) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
